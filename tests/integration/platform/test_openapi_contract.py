"""The contract as a client reads it: the OpenAPI document says, for every operation, whether it needs a
Clerk session token and which errors it answers (all problem+json with a stable `code`), and the served
API keeps to it: authentication before parsing, a 405's full `Allow`, no literal path caught by an `{id}`."""

from __future__ import annotations

import contextlib
import re
import secrets
from collections import defaultdict
from uuid import uuid4

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from infra.app import create_app
from adapters.settings import Settings
from tests.api import bearer, serving
from tests.fakes.clerk import FakeClerk

REDIS = "redis://127.0.0.1:6379/15"
PROBLEM = "application/problem+json"
SCHEME = "ClerkSession"
ID = "0b7c8f2e-8a43-4c2e-9a57-2d1b5a3f6e10"


def settings_for(store, clerk: FakeClerk) -> Settings:
    return Settings(database_url=store.pool.conninfo, splits_clerk_jwks_url=clerk.jwks_url,
                    splits_clerk_issuer=clerk.issuer, clerk_authorized_parties=clerk.azp, redis_url=REDIS)


def own_ip() -> str:
    return f"10.7.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


def problem_of(answer, status: int, code: str | None = None) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM, answer.text
    body = answer.json()
    assert body["status"] == status and isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body["title"], str) and body["title"]
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(lambda: contextlib.nullcontext()).openapi()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


# --- the document ------------------------------------------------------------------------------------------

def test_the_document_has_one_problem_schema_and_one_security_scheme(document) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "code"}
    assert {"type", "title", "status", "detail", "instance", "code"} <= set(schemas["Problem"]["properties"])
    errors = schemas["ValidationProblem"]["allOf"][1]["properties"]["errors"]["items"]
    assert errors["required"] == ["loc", "msg", "type"]
    assert document["components"]["securitySchemes"] == {SCHEME: {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"][SCHEME]["description"]}}


def test_every_operation_declares_its_security_and_no_authorization_parameter(document) -> None:
    for path, method, operation in operations(document):
        assert "security" in operation, (method, path)
        assert operation["security"] in ([], [{SCHEME: []}], [{}, {SCHEME: []}]), (method, path)
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        assert "authorization" not in names, (method, path)
    security = {(m.upper(), p): op["security"] for p, m, op in operations(document)}
    assert security["GET", "/health"] == [] and security["POST", "/webhooks/stripe"] == []
    assert security["GET", "/v1/plans"] == []
    assert security["GET", "/v1/jobs"] == [{}, {SCHEME: []}]  # anonymous gets the public marketplace
    assert security["POST", "/v1/jobs"] == [{SCHEME: []}]
    assert security["GET", "/admin/status"] == [{SCHEME: []}]


def test_every_error_response_is_a_problem_with_the_statuses_the_operation_can_answer(document) -> None:
    """What each operation must list is read from the document itself (its parameters, body and security),
    not from the code that wrote it."""
    for path, method, operation in operations(document):
        responses = operation["responses"]
        for status, response in responses.items():
            if status.isdigit() and int(status) >= 400 and path != "/ready":
                schema = response["content"][PROBLEM]["schema"]["$ref"]
                assert schema.endswith("/ValidationProblem" if status == "422" else "/Problem"), (method, path)
                assert set(response["content"]) == {PROBLEM}, (method, path, status)
        params = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
        expected: set[str] = set()
        if operation["security"]:
            expected |= {"401", "503"}
        if operation["security"] == [{SCHEME: []}]:
            expected.add("403")
        if any(where == "path" for where, _ in params):
            expected.add("404")
        if params or "requestBody" in operation:
            expected.add("422")
        if "requestBody" in operation and "application/json" in operation["requestBody"]["content"]:
            expected |= {"400", "413"}
        if ("header", "If-Match") in params:
            expected |= {"400", "409"}
        if ("header", "X-Consistency-Token") in params:
            expected |= {"400", "503"}
        if ("header", "Idempotency-Key") in params:  # a command
            expected |= {"409", "422", "503"}
        if not path.startswith(("/health", "/ready", "/webhooks/", "/v2/webhooks/", "/v3/webhooks/")):
            expected.add("429")
        missing = expected - set(responses)
        assert not missing, (method, path, sorted(missing))


# --- routes ---------------------------------------------------------------------------------------------------

def _sample(context) -> str:
    """A concrete path for a route: each parameter a value its convertor accepts."""
    def value(match: re.Match) -> str:
        convertor = context.param_convertors[match.group(1)]
        for candidate in (ID, "x1", *re.findall(r"[a-z0-9_\-]+", getattr(convertor, "regex", ""))):
            if re.fullmatch(convertor.regex, candidate):
                return candidate
        raise AssertionError(f"no sample for {match.group(1)} in {context.path_format}")
    return re.sub(r"{([^}:]+)}", value, context.path_format)


def test_no_literal_path_is_caught_by_a_templated_route() -> None:
    """For every path and every method, the first route that matches is one written for that path: a
    literal segment (`propose`, `invite`, `me`) never reaches an `{id}` route, whatever the method."""
    app = create_app(lambda: contextlib.nullcontext())
    routes = [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]
    caught = []
    for context in routes:
        sample = _sample(context)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            first = next((r for r in routes if method in r.methods and r.path_regex.match(sample)), None)
            if first is not None and first.path_format != context.path_format:
                caught.append((method, context.path_format, first.path_format))
    assert caught == []


def test_the_check_for_caught_paths_finds_an_untyped_id_route() -> None:
    """The walk above fails on the mistake it guards against (an `{id}` without its UUID convertor)."""
    from fastapi import APIRouter, FastAPI
    from uuid import UUID

    app, router = FastAPI(), APIRouter()

    @router.post("/v1/things/propose")
    async def propose() -> None: ...

    @router.get("/v1/things/{thing_id}")
    async def read(thing_id: UUID) -> None: ...

    app.include_router(router)
    routes = [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]
    literal = next(c for c in routes if c.path_format.endswith("propose"))
    assert next(r for r in routes if "GET" in r.methods and r.path_regex.match(_sample(literal))).path_format \
        == "/v1/things/{thing_id}"


# --- the served contract --------------------------------------------------------------------------------------

@pytest.fixture
async def api(fresh_store, clerk):
    async with serving(fresh_store, settings_for(fresh_store, clerk), client_ip=own_ip()) as (client, _):
        yield client


async def test_anonymous_callers_get_401_before_any_parsing_error(api, clerk) -> None:
    job = f"/v1/jobs/{uuid4()}"
    refused = bearer(clerk.expired())
    for headers in ({}, refused):
        code = "invalid_token" if headers else "unauthenticated"
        answers = [
            await api.post("/v1/jobs", content=b"{not json", headers={**headers, "content-type": "application/json"}),
            await api.post("/v1/jobs", json={"title": 7}, headers=headers),
            await api.post(f"{job}/close", headers={**headers, "If-Match": "latest"}),
            await api.patch(job, json={}, headers={**headers, "If-Match": "x" * 41}),
            await api.get("/v1/applications", params={"after": "\x07garbage"}, headers=headers),
            await api.get("/v1/applications", params={"page": "first"}, headers=headers),
            await api.post("/v1/organizations", json={}, headers={**headers, "Idempotency-Key": "k" * 300}),
        ]
        for answer in answers:
            problem_of(answer, 401, code)
            assert answer.headers["www-authenticate"].startswith('Bearer realm="splits"')


async def test_signed_in_callers_get_400_for_what_cannot_be_read_and_422_for_the_schema(api, clerk) -> None:
    headers = bearer(clerk.mint(user_id=f"user_{secrets.token_hex(4)}", lifetime_s=600))
    body = problem_of(await api.post("/v1/jobs", content=b"{not json",
                                     headers={**headers, "content-type": "application/json"}), 400, "malformed_body")
    assert "errors" not in body
    sent = "lat\x07est\x1b[31m"
    body = problem_of(await api.post(f"/v1/jobs/{uuid4()}/close", headers={**headers, "If-Match": sent}),
                      400, "invalid_if_match")
    assert "lat" not in body["title"] + body.get("detail", "") and body["header"] == "If-Match"
    for sent in ('""7""', "W/W/7", "7 8", "1" * 19):  # what the document's pattern refuses, so does the server
        problem_of(await api.post(f"/v1/jobs/{uuid4()}/close", headers={**headers, "If-Match": sent}),
                   400, "invalid_if_match")
    body = problem_of(await api.get("/v1/applications", params={"after": f"\x00{sent}"}, headers=headers),
                      400, "invalid_consistency_token")
    assert "lat" not in body["title"] + body["detail"]
    assert not re.search(r"[\x00-\x1f\x7f]", body["title"] + body["detail"])
    body = problem_of(await api.post("/v1/jobs", json={"title": 7}, headers=headers), 422, "invalid_request")
    assert body["errors"] and {"loc", "msg", "type"} == set(body["errors"][0])


async def test_public_routes_never_look_at_a_token_and_optional_ones_refuse_a_bad_one(api, clerk) -> None:
    garbage = bearer("not.a.jwt")
    assert (await api.get("/health", headers=garbage)).status_code == 200
    assert (await api.get("/v1/plans", headers=garbage)).status_code == 200
    assert (await api.get("/v1/plans", headers=bearer(clerk.expired()))).status_code == 200
    problem_of(await api.get("/v1/jobs", headers=garbage), 401, "invalid_token")  # documented: security optional
    assert (await api.get("/v1/jobs")).status_code == 200


async def test_405_lists_every_method_of_the_path(api) -> None:
    answer = await api.delete("/v1/jobs")
    problem_of(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == "GET, POST"
    answer = await api.put("/v1/users/me")
    problem_of(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == "DELETE, GET, PATCH"  # DELETE is the privacy router's, the rest identity's


@pytest.mark.parametrize("path,allow", [("/v1/applications/propose", "POST"),
                                        ("/v1/recruiter-companies/invite", "POST"),
                                        ("/v1/recruiter-companies/request", "POST")])
async def test_a_literal_path_is_not_taken_for_an_id(api, clerk, path, allow) -> None:
    headers = bearer(clerk.mint(user_id=f"user_{secrets.token_hex(4)}", lifetime_s=600))
    answer = await api.get(path, headers=headers)
    problem_of(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == allow


async def test_a_malformed_id_or_an_unknown_path_is_a_404_problem(api) -> None:
    problem_of(await api.get("/v1/jobs/not-an-id"), 404, "not_found")
    problem_of(await api.get("/v1/plans/platinum"), 404, "not_found")
    problem_of(await api.get("/nowhere"), 404, "not_found")


async def test_errors_raised_by_routes_carry_a_stable_code(api, fresh_store, clerk) -> None:
    stranger = f"user_{secrets.token_hex(4)}"  # signed in, never registered
    headers = bearer(clerk.mint(user_id=stranger, lifetime_s=600))
    problem_of(await api.get("/v1/firm-invitations", headers=headers), 403, "not_registered")
    problem_of(await api.get("/admin/status", headers=headers), 403, "forbidden")


async def test_a_read_model_that_stays_behind_the_token_is_a_503_problem_with_a_code(fresh_store, clerk) -> None:
    settings = settings_for(fresh_store, clerk).model_copy(update={"consistency_wait_s": 0.2})
    async with fresh_store.pool.connection() as conn:  # a transaction that has begun: its token may be out there
        begun = int((await (await conn.execute("SELECT pg_current_xact_id()::text")).fetchone())[0])
    async with serving(fresh_store, settings, client_ip=own_ip()) as (client, _):
        answer = await client.get("/v1/plans", params={"after": f"{begun}.1"})
    body = problem_of(answer, 503, "read_model_behind")
    assert answer.headers["retry-after"] == "1" and body["projection"]


async def test_a_token_no_transaction_has_written_is_refused_at_once_and_both_spellings_are_read(
        fresh_store, clerk) -> None:
    """A well-formed token past every transaction begun cannot have been handed out: 422, without the wait (which
    would end in a 503 a client retries for ever). Given both `?after=` and the header, each must be a token."""
    settings = settings_for(fresh_store, clerk).model_copy(update={"consistency_wait_s": 30})
    async with serving(fresh_store, settings, client_ip=own_ip()) as (client, _):
        future = await client.get("/v1/plans", params={"after": "999999999999.1"})
        header = await client.get("/v1/plans", headers={"X-Consistency-Token": "999999999999.1"})
        both = await client.get("/v1/plans", params={"after": "0.0"}, headers={"X-Consistency-Token": "0"})
        padded = await client.get("/v1/plans", params={"after": " 0.0"})
        eastern = await client.get("/v1/plans", params={"after": "\u0661.\u0661"})
    problem_of(future, 422, "unknown_consistency_token")
    problem_of(header, 422, "unknown_consistency_token")
    for answer in (both, padded, eastern):
        problem_of(answer, 400, "invalid_consistency_token")


async def test_every_operation_answers_a_caller_without_a_token_as_its_document_says(fresh_store, clerk) -> None:
    """Each operation called anonymously with a well-formed id and an empty JSON body: one that needs a token
    answers 401 before anything else, and every answer's status is one its operation documents, every error a
    problem with a code."""
    settings = settings_for(fresh_store, clerk).model_copy(update={"rate_limit_per_ip": 100_000})
    async with serving(fresh_store, settings, client_ip=own_ip()) as (client, _):
        document = (await client.get("/openapi.json")).json()
        routes = {c.path_format: c for c in iter_route_contexts(client._transport.app.routes)
                  if isinstance(c.original_route, APIRoute)}
        unexpected = []
        for path, method, operation in operations(document):
            url = _sample(routes[path])
            body = operation.get("requestBody", {}).get("content", {})
            answer = await client.request(method.upper(), url, json={} if "application/json" in body else None)
            if operation["security"] == [{SCHEME: []}] and answer.status_code != 401:
                unexpected.append((method, path, answer.status_code, "not 401"))
            if str(answer.status_code) not in operation["responses"]:
                unexpected.append((method, path, answer.status_code, "undocumented"))
            if answer.status_code >= 400 and (path, answer.status_code) != ("/ready", 503):
                if answer.headers["content-type"] != PROBLEM or not answer.json().get("code"):
                    unexpected.append((method, path, answer.status_code, answer.text[:200]))
    assert unexpected == []
