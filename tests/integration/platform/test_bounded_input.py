"""Bounded input through HTTP (issue 15): what the request schemas refuse is a clear 422 problem that writes
nothing, where it used to be a 500 or, worse, an event no read model can store.

- a page number past any table (`?page=9223372036854775807`) on every list route the document names;
- NUL (`%00`, `\\u0000`) in a query filter or in a JSON text;
- an integer of 2⁶⁴ in a body, a JSON 0 where a boolean belongs;
- an escrow hold of 2⁶³ cents, which the store kept and the billing projector then failed on for good;
- and the other way: every write whose JSON body has a bounded field, sent at the extremes its schema allows, is
  taken, and every read model rebuilt from the first event stores it (a guard keeps new writes in that list).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from api.bounds import MAX_CENTS, MAX_PAGE
from commands.billing import placement_billing as money
from commands.billing.placement_events import ROLES, RoleSnapshot
from eventstore import EventStore, handle, load, stream_id_for
from tests.api import SEEDER
from tests.helpers import settled_head, wait_until
from tests.integration.ats.ats_people import People, ats_people, token
from tests.integration.ats.test_applications_api import World, world_fixture  # noqa: F401  (the `world` fixture)
from tests.integration.identity.test_identity_api import Api, api  # noqa: F401  (the `api` fixture, with a fake Clerk)


@pytest.fixture
async def people(fresh_store: EventStore):
    async with ats_people(fresh_store) as world:
        yield world


def assert_refused(answer: httpx.Response, status: int = 422) -> None:
    assert answer.status_code == status, (answer.request.url, answer.text)
    assert answer.headers["content-type"] == "application/problem+json", answer.headers


def assert_refused_by_schema(answer: httpx.Response) -> None:
    """A 422 from the request model, naming the body field: refused before any command or append is tried."""
    assert_refused(answer)
    assert any(error["loc"][0] == "body" for error in answer.json()["errors"]), answer.text


async def list_routes(client: httpx.AsyncClient) -> list[str]:
    """The paths of every GET operation the document says takes `page`, each path parameter filled with a value
    of its schema (the first of a choice, else a random id)."""
    document = (await client.get("/openapi.json")).json()
    found = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        parameters = get.get("parameters", []) if get else []
        if any(p["name"] == "page" and p["in"] == "query" for p in parameters):
            for p in parameters:
                if p["in"] == "path":
                    choices = p.get("schema", {}).get("enum")
                    path = path.replace("{" + p["name"] + "}", choices[0] if choices else str(uuid4()))
            found.append(path)
    return found


async def test_a_page_past_any_table_is_a_422_on_every_list_route(people: People) -> None:
    routes = await list_routes(people.client)
    assert len(routes) >= 18, routes
    for path in routes:
        for page in (2**63 - 1, MAX_PAGE + 1, 0):
            assert_refused(await people.client.get(path, params={"page": page}, headers=people.headers("admin")))
        # The last page the document allows is an ordinary (empty) page, not an error.
        last = await people.client.get(path, params={"page": MAX_PAGE, "limit": 100}, headers=people.headers("admin"))
        assert last.status_code < 500, (path, last.text)


@pytest.mark.parametrize(("path", "name"), [
    ("/v1/jobs", "search"), ("/v1/companies", "search"), ("/v1/companies", "industry"), ("/v1/candidates", "search"),
    ("/v1/recruiters", "search"), ("/v1/recruiters", "industry"), ("/v1/recruiters", "specialty"),
    ("/v1/recruiters", "location"), ("/dev/mailbox", "to"), ("/v1/stripe/webhook-events", "event_type"),
])
async def test_nul_in_a_query_filter_is_a_422(people: People, path: str, name: str) -> None:
    assert_refused(await people.client.get(path, params={name: "a\x00b"}, headers=people.headers("admin")))
    assert (await people.client.get(path, params={name: "ab"}, headers=people.headers("admin"))).status_code == 200


async def test_nul_in_any_json_text_is_a_422_that_writes_nothing(people: People, fresh_store: EventStore) -> None:
    head = await settled_head(fresh_store)
    admin = people.headers("admin")
    for path, body in [
        ("/v1/candidates", {"full_name": "Ada\x00", "email": "ada@example.com"}),
        ("/v1/candidates", {"full_name": "Ada", "email": "ada@example.com", "bio": "x\x00y"}),
        ("/v1/companies", {"identity_organization_id": str(people.org_a), "name": "Acme", "slug": "acme",
                           "description": "\x00"}),
        ("/v1/companies", {"identity_organization_id": str(people.org_a), "name": "Acme", "slug": "acme",
                           "tech_stack": ["Py\x00thon"]}),
        ("/v1/jobs", {"company_id": str(people.company_a), "title": "Engineer", "fee_percentage": 20,
                      "recruiter_description": "nul \x00 here"}),
        ("/v1/firms", {"name": "Firm\x00", "slug": "firm"}),
        ("/v1/organizations", {"name": "Org\x00", "slug": "org"}),
    ]:
        assert_refused_by_schema(await people.client.post(path, json=body, headers=admin))
    assert_refused_by_schema(await people.client.put("/v1/users/me/onboarding", headers=admin,
                                           json={"status": "in_progress", "step": 2, "metadata": {"k": "v\x00"}}))
    assert await settled_head(fresh_store) == head


async def test_an_integer_of_2_64_or_a_number_for_a_boolean_is_a_422_that_writes_nothing(
        people: People, fresh_store: EventStore) -> None:
    head = await settled_head(fresh_store)
    admin = people.headers("admin")
    job = {"company_id": str(people.company_a), "title": "Engineer", "fee_percentage": 20}
    for body in ({**job, "salary_min_cents": 2**64}, {**job, "salary_max_cents": MAX_CENTS + 1},
                 {**job, "guarantee_days": 2**64}, {**job, "is_priority": 0}, {**job, "open_to_relocation": "yes"}):
        assert_refused(await people.client.post("/v1/jobs", json=body, headers=admin))
    assert_refused(await people.client.put("/v1/users/me/onboarding", headers=admin,
                                           json={"status": "in_progress", "step": 2, "metadata": {"k": 2**64}}))
    assert_refused(await people.client.post("/v1/companies", headers=admin, json={
        "identity_organization_id": str(people.org_a), "name": "Acme", "slug": "acme", "employee_count": 2**64}))
    for flags in ({"email_enabled": True, "in_app_enabled": 0}, {"email_enabled": 1, "in_app_enabled": True}):
        assert_refused(await people.client.put("/v1/notification-preferences/applications", json=flags,
                                               headers=admin))
    assert_refused(await people.client.post("/v1/recruiters", headers=people.headers("recruiter"),
                                            json={"years_experience": 81}))
    assert_refused(await people.client.post("/v1/recruiters", headers=people.headers("recruiter"),
                                            json={"slug": "Not A Slug"}))
    assert await settled_head(fresh_store) == head


async def test_a_number_for_a_date_or_a_text_for_a_percentage_is_a_422_that_writes_nothing(
        people: People, fresh_store: EventStore) -> None:
    """pydantic alone reads 0 as 1970-01-01 and "20" as 20: the schema says neither, so neither is taken."""
    head = await settled_head(fresh_store)
    admin = people.headers("admin")
    for to in ("0", "1700000000", "2026-1-2"):
        answer = await people.client.get("/v1/admin/metrics/daily", params={"to": to}, headers=admin)
        assert_refused(answer)
        assert answer.json()["errors"][0]["loc"] == ["query", "to"], answer.text
    for owner in ("candidates", "companies"):
        assert_refused_by_schema(await people.client.post(f"/v1/{owner}/{uuid4()}/sourcer", headers=admin, json={
            "sourcer_type": "tsn", "sourced_at": 0, "protection_window_days": 30}))
    job = {"company_id": str(people.company_a), "title": "Engineer"}
    for fee in ("", "20", 20.125):
        assert_refused_by_schema(await people.client.post("/v1/jobs", json={**job, "fee_percentage": fee},
                                                          headers=admin))
    assert_refused_by_schema(await people.client.patch("/v1/users/me", json={"name": ""}, headers=admin))
    assert await settled_head(fresh_store) == head


async def seed_billed_placement(store: EventStore) -> Any:
    """A placement's billing stream with its snapshot frozen: what an escrow hold is placed on."""
    placement_id, now = uuid4(), datetime.now(UTC)
    roles = [RoleSnapshot(role=r, recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                          firm_take_bps=None) for r in ROLES if r != "candidate_recruiter"]
    roles.append(RoleSnapshot(role="candidate_recruiter", recruiter_id=uuid4(), user_id=uuid4(), tier="pro",
                              rate_bps=3000, firm_id=None, firm_take_bps=None))
    await handle(store, money.placement_billing, placement_id, money.FreezeSnapshot(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), company_id=uuid4(), fee_cents=2_000_000,
        hired_at=now - timedelta(days=100), roles=roles, at=now - timedelta(days=10)), SEEDER)
    return placement_id


async def test_an_escrow_hold_of_2_63_cents_is_refused_and_the_billing_read_model_keeps_up(
        people: People, fresh_store: EventStore) -> None:
    """The poison event of issue 15: a hold of 2⁶³..2⁶⁴−1 cents was accepted (201) and stored, and the billing
    projector failed on it forever (bigint out of range). Now the schema stops it, and holds go on projecting."""
    placement_id = await seed_billed_placement(fresh_store)
    admin = people.headers("admin")
    head = await settled_head(fresh_store)
    for amount in (2**63, 2**64 - 1, 2**64, MAX_CENTS + 1):
        assert_refused(await people.client.post("/v1/escrow-holds", headers=admin, json={
            "placement_id": str(placement_id), "reason": "Disputed start date", "amount_cents": amount}))
    assert await settled_head(fresh_store) == head

    placed = await people.client.post("/v1/escrow-holds", headers=admin, json={
        "placement_id": str(placement_id), "reason": "Disputed start date", "amount_cents": MAX_CENTS})
    assert placed.status_code == 201, placed.text
    holds = await people.client.get("/v1/escrow-holds", headers=admin,
                                     params={"placement_id": str(placement_id), **token(placed)})
    assert holds.status_code == 200, holds.text
    assert [h["amount_cents"] for h in holds.json()["data"]] == [MAX_CENTS]
    view = await people.client.get(f"/v1/placements/{placement_id}/money", headers=admin, params=token(placed))
    assert view.status_code == 200, view.text
    assert [h["amount_cents"] for h in view.json()["data"]["escrow_holds"]] == [MAX_CENTS]


# --- the extremes every schema allows, stored and replayed ---------------------------------------------------------

def big(n: int, salt: str = "") -> str:
    """`n` characters (code points) of mixed scripts and an emoji: what a length limit counts."""
    return (salt + "é漢🙂Ωa" * n)[:n]


def url(n: int = 500) -> str:
    head = "https://example.com/"
    return head + "a" * (n - len(head))


def tags(count: int, length: int) -> list[str]:
    return [f"{i:03d}" + big(length - 3) for i in range(count)]


async def test_every_body_at_the_limits_of_its_schema_is_stored_and_every_projection_replays_it(
        people: People, fresh_store: EventStore) -> None:
    """Each body at the extremes its schema allows (largest numbers, longest texts in several scripts, fullest
    lists) is accepted, and every read model, live and rebuilt from the first event, stores the result."""
    from api.bounds import MAX_COUNT
    from consumers.runtime.projector import Projector
    from projections.registry import all_projections

    c, admin = people.client, people.headers("admin")
    sent: list[httpx.Response] = []

    async def ok(answer: Any) -> httpx.Response:
        answer = await answer
        assert answer.status_code in (200, 201, 202), (answer.request.method, answer.request.url, answer.text)
        sent.append(answer)
        return answer

    company_profile = {
        "website": url(), "industry": big(100), "company_size": big(100), "headquarters_location": big(255),
        "description": big(5000), "logo_url": url(), "stage": big(100), "founded_year": 2100, "tagline": big(500),
        "mission_statement": big(5000), "benefits_summary": big(5000), "employee_count": 10_000_000,
        "hiring_process": big(5000), "tech_stack": tags(50, 100),
        "social_links": {f"l{i:02d}_" + "x" * 26: url() for i in range(20)},
    }
    await ok(c.post("/v1/companies", headers=people.headers("a_admin"), json={
        "identity_organization_id": str(people.org_a), "name": big(255), "slug": "a" * 100, **company_profile,
        "marketplace_visible": True}))
    await ok(c.patch(f"/v1/companies/{people.company_a}", headers=people.headers("a_admin"),
                     json={**company_profile, "founded_year": 1800, "employee_count": 0, "name": big(255, "z")}))
    await ok(c.post(f"/v1/companies/{people.company_a}/sourcer", headers=admin, json={
        "sourcer_type": "recruiter", "sourcer_recruiter_id": str(people.recruiter_id), "source_method": big(100),
        "protection_window_days": 3650, "notes": big(2000)}))

    candidate = {
        "full_name": big(255), "email": "c" * 300 + "@example.com", "phone": "+1 (555) 123-4567 890 12",
        "location": big(255), "linkedin_url": url(), "github_url": url(), "portfolio_url": url(),
        "current_title": big(255), "current_company": big(255), "bio": big(5000),
        "desired_salary_min_cents": MAX_CENTS, "desired_salary_max_cents": MAX_CENTS, "availability": big(50),
    }
    created = await ok(c.post("/v1/candidates", headers=people.headers("recruiter"), json=candidate))
    candidate_id = created.json()["id"]
    await ok(c.patch(f"/v1/candidates/{candidate_id}", headers=people.headers("recruiter"),
                     json={**candidate, "desired_salary_min_cents": 0, "bio": big(5000, "b")}))
    await ok(c.post(f"/v1/candidates/{candidate_id}/verification", headers=admin,
                    json={"to_status": "pending", "reason": big(500)}))

    job = {"title": big(200), "department": big(255), "location": big(255), "recruiter_description": big(20_000),
           "candidate_description": big(20_000), "salary_min_cents": MAX_CENTS, "salary_max_cents": MAX_CENTS,
           "fee_percentage": 100, "guarantee_days": 365,
           "commute_types": ["remote", "hybrid_1", "hybrid_2", "hybrid_3", "hybrid_4", "in_office"]}
    made = await ok(c.post("/v1/jobs", headers=people.headers("a_admin"),
                           json={"company_id": str(people.company_a), **job}))
    job_id = made.json()["id"]
    await ok(c.patch(f"/v1/jobs/{job_id}", headers={**people.headers("a_admin"), "If-Match": "1"},
                     json={**job, "salary_min_cents": 0, "guarantee_days": 0, "fee_percentage": 0}))
    await ok(c.put(f"/v1/jobs/{job_id}/requirements", headers=people.headers("a_admin"), json={"requirements": [
        {"requirement_type": "mandatory", "description": big(2000, str(i)), "sort_order": 10_000 - i}
        for i in range(50)]}))
    await ok(c.put(f"/v1/jobs/{job_id}/skills", headers=people.headers("a_admin"), json={"skills": [
        {"name": n, "slug": f"s{i:03d}-" + "a" * 95, "is_required": True} for i, n in enumerate(tags(50, 100))]}))
    await ok(c.put(f"/v1/jobs/{job_id}/pre-screen-questions", headers=people.headers("a_admin"), json={"questions": [
        {"question": big(2000, str(i)), "question_type": "multi_select", "options": tags(50, 200),
         "is_required": True, "disclaimer": big(2000)} for i in range(25)]}))

    recruiter = {"slug": "r" * 100, "bio": big(5000), "tagline": big(200), "location": big(200),
                 "years_experience": 80, "phone": "+" + "1" * 39, "industries": tags(50, 100),
                 "specialties": tags(50, 100)}
    await ok(c.post("/v1/recruiters", headers=people.headers("recruiter"), json=recruiter))
    await ok(c.patch("/v1/recruiters/me", headers=people.headers("recruiter"),
                     json={**recruiter, "years_experience": 0, "bio": big(5000, "u")}))
    await ok(c.post("/v1/firms", headers=admin, json={
        "name": big(200), "slug": "f" * 100, "admin_take_rate": 100}))
    await ok(c.put("/v1/users/me/onboarding", headers=admin, json={"status": "in_progress", "step": 4, "metadata": {
        f"k{i:02d}" + big(97): [2**53, -(2**53), big(500), True, None] * 4 for i in range(20)}}))
    await ok(c.patch("/v1/plans/pro", headers=admin, json={
        "name": big(500), "price_monthly_cents": MAX_CENTS, "price_annual_cents": MAX_CENTS, "trial_days": 365,
        "features": tags(50, 500),
        "entitlements": {"max_saved_jobs": MAX_COUNT, "messaging_initiations_per_month": None}}))

    placement_id = await seed_billed_placement(fresh_store)
    await ok(c.post("/v1/escrow-holds", headers=admin, json={
        "placement_id": str(placement_id), "reason": big(5000), "amount_cents": MAX_CENTS,
        "release_on": (datetime.now(UTC) + timedelta(days=3650)).isoformat()}))
    await ok(c.post("/v1/disputes", headers=admin, json={
        "placement_id": str(placement_id), "dispute_type": "fee_amount", "reason": big(5000)}))

    # The live read models take every one of them (reading each write after its token)...
    last = sent[-1]
    for path in (f"/v1/placements/{placement_id}/money", f"/v1/jobs/{job_id}", f"/v1/candidates/{candidate_id}",
                 f"/v1/companies/{people.company_a}", "/v1/recruiters/me"):
        read = await c.get(path, headers=admin if "recruiters" not in path else people.headers("recruiter"),
                           params={"after": last.json()["consistency_token"]} if "money" in path else None)
        assert read.status_code == 200, (path, read.text)
    assert {template_of(a.request.method, a.request.url.path) for a in sent} >= EXTREMES[
        "test_every_body_at_the_limits_of_its_schema_is_stored_and_every_projection_replays_it"]
    # ... and so does every projection rebuilt from the first event into a schema of its own.
    for name, projection in all_projections().items():
        rebuilt = Projector(fresh_store.pool, projection, fresh_store.registry, schema=f"{name}_extremes",
                            checkpoint=f"projection:{name}_extremes")
        await rebuilt.ensure_schema()
        await rebuilt.catch_up()


async def test_an_application_at_the_limits_of_its_schemas_through_to_its_placement_is_stored_and_replayed(
        world: World, fresh_store: EventStore) -> None:
    """The application routes' bodies at their extremes (the longest cover letter, pitch, note and reasons, the
    largest salary), taken through a hire to a failed placement: every read model, rebuilt, stores them."""
    from commands.ats.placement import placement_id_for
    from consumers.runtime.projector import Projector
    from projections.registry import all_projections

    sent: set[tuple[str, str]] = set()

    async def ok(answer: httpx.Response) -> httpx.Response:
        assert answer.status_code in (200, 201), (answer.request.url, answer.text)
        sent.add(template_of(answer.request.method, answer.request.url.path))
        return answer

    proposed = await ok(await world.post("rtr", "/v1/applications/propose", {
        "job_id": str(world.jobs["a"]), "candidate_id": str(world.candidate["cand"]), "pitch": big(5000),
        "notes": big(5000, "n")}))
    await ok(await world.post("cand", f"/v1/applications/{proposed.json()['id']}/decline-proposal",
                              {"reason": big(2000)}))
    application_id = await world.apply("rtr", "a2", "cand", cover_letter=big(20_000))
    sent.add(("POST", "/v1/applications"))  # world.apply checked its 201
    await world.submitted("rtr", application_id)
    note = await ok(await world.post("a_admin", f"/v1/applications/{application_id}/notes", {
        "visibility": "shared", "message": big(10_000)}))
    await ok(await world.patch("a_admin", f"/v1/applications/{application_id}/notes/{note.json()['id']}",
                               {"message": big(10_000, "e")}))
    job_note = await ok(await world.post("a_admin", f"/v1/jobs/{world.jobs['a2']}/notes", {
        "visibility": "company_only", "message": big(10_000, "j")}))
    await ok(await world.patch("a_admin", f"/v1/jobs/{world.jobs['a2']}/notes/{job_note.json()['id']}",
                               {"message": big(10_000, "k")}))
    for to in ("company_review", "offer"):
        await ok(await world.post("a_admin", f"/v1/applications/{application_id}/stage",
                                  {"to": to, "reason": big(2000, to)}))
    await ok(await world.post("rtr", f"/v1/applications/{application_id}/accept-offer"))
    await ok(await world.post("a_manager", f"/v1/applications/{application_id}/hire", {
        "salary_cents": 10_000_000_000, "start_date": (datetime.now(UTC) + timedelta(days=30)).date().isoformat()}))
    placement_id = placement_id_for(application_id)

    async def placed() -> bool:
        answer = await world.client.get(f"/v1/placements/{placement_id}", headers=world.headers("admin"))
        return answer.status_code == 200

    await wait_until(placed)
    await ok(await world.post("admin", f"/v1/placements/{placement_id}/fail", {"reason": big(2000)}))
    read = await world.get("admin", f"/v1/placements/{placement_id}")
    assert read.status_code == 200 and read.json()["data"]["salary_cents"] == 10_000_000_000, read.text

    # The candidate's own application: back to draft, screened by the company's recruiter, withdrawn.
    own = await world.apply("cand2", "a")
    await world.ai_reviewed("cand2", own)
    await ok(await world.post("cand2", f"/v1/applications/{own}/return-to-draft", {"reason": big(2000, "d")}))
    await world.submitted("cand2", own)
    await ok(await world.post("a_admin", f"/v1/applications/{own}/request-prescreen", {
        "company_recruiter_id": str(world.recruiter["co"]), "message": big(5000, "p")}))
    await ok(await world.post("cand2", f"/v1/applications/{own}/withdraw", {"reason": big(2000, "w")}))
    detail = (await world.get("admin", f"/v1/applications/{own}")).json()["data"]
    assert detail["stage"] == "withdrawn", detail
    assert sent >= EXTREMES[
        "test_an_application_at_the_limits_of_its_schemas_through_to_its_placement_is_stored_and_replayed"]

    for name, projection in all_projections().items():
        rebuilt = Projector(fresh_store.pool, projection, fresh_store.registry, schema=f"{name}_extremes",
                            checkpoint=f"projection:{name}_extremes")
        await rebuilt.ensure_schema()
        await rebuilt.catch_up()


# --- every write with a JSON body, at its extremes ---------------------------------------------------------------

@functools.cache
def _document() -> dict[str, Any]:
    from infra.app import create_app
    return create_app(None).openapi()  # type: ignore[arg-type]  # the document needs no running system


def _bounded_kinds(schema: dict[str, Any], seen: frozenset[str] = frozenset()) -> set[str]:
    """The JSON types with a bound (texts, integers, numbers, lists) anywhere in a body's schema."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return set()
        return _bounded_kinds(_document()["components"]["schemas"][name], seen | {name})
    kind = schema.get("type")
    kinds = {kind} & {"string", "integer", "number", "array"} if isinstance(kind, str) else set()
    for choice in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(choice, []):
            kinds |= _bounded_kinds(sub, seen)
    for sub in [*schema.get("properties", {}).values(), *schema.get("patternProperties", {}).values()]:
        kinds |= _bounded_kinds(sub, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            kinds |= _bounded_kinds(schema[key], seen)
    return kinds


def bounded_writes() -> set[tuple[str, str]]:
    """(method, path template) of every POST, PUT and PATCH whose JSON body has a text, number or list field."""
    found = set()
    for path, operations in _document()["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if method in ("post", "put", "patch") and body and _bounded_kinds(body.get("schema", {})):
                found.add((method.upper(), path))
    return found


def template_of(method: str, path: str) -> tuple[str, str]:
    """The document's path template a concrete request path was sent to (a literal segment beats a parameter:
    /v1/jobs/{job_id}/owner, not /v1/jobs/{job_id}/{move})."""
    matches = []
    for template, operations in _document()["paths"].items():
        if method.lower() in operations and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            matches.append(template)
    assert matches, (method, path)
    return method, min(matches, key=lambda t: t.count("{"))


# What each extremes test sends at its limits; each test checks it sent (at least) these, with a 2xx answer.
EXTREMES: dict[str, set[tuple[str, str]]] = {
    "test_every_body_at_the_limits_of_its_schema_is_stored_and_every_projection_replays_it": {
        ("POST", "/v1/companies"), ("PATCH", "/v1/companies/{company_id}"),
        ("POST", "/v1/companies/{company_id}/sourcer"), ("POST", "/v1/candidates"),
        ("PATCH", "/v1/candidates/{candidate_id}"), ("POST", "/v1/candidates/{candidate_id}/verification"),
        ("POST", "/v1/jobs"), ("PATCH", "/v1/jobs/{job_id}"), ("PUT", "/v1/jobs/{job_id}/requirements"),
        ("PUT", "/v1/jobs/{job_id}/skills"), ("PUT", "/v1/jobs/{job_id}/pre-screen-questions"),
        ("POST", "/v1/recruiters"), ("PATCH", "/v1/recruiters/me"), ("POST", "/v1/firms"),
        ("PUT", "/v1/users/me/onboarding"), ("PATCH", "/v1/plans/{tier}"), ("POST", "/v1/escrow-holds"),
        ("POST", "/v1/disputes"),
    },
    "test_an_application_at_the_limits_of_its_schemas_through_to_its_placement_is_stored_and_replayed": {
        ("POST", "/v1/applications"), ("POST", "/v1/applications/propose"),
        ("POST", "/v1/applications/{application_id}/decline-proposal"),
        ("POST", "/v1/applications/{application_id}/notes"),
        ("PATCH", "/v1/applications/{application_id}/notes/{note_id}"),
        ("POST", "/v1/jobs/{job_id}/notes"), ("PATCH", "/v1/jobs/{job_id}/notes/{note_id}"),
        ("POST", "/v1/applications/{application_id}/stage"), ("POST", "/v1/applications/{application_id}/hire"),
        ("POST", "/v1/placements/{placement_id}/fail"), ("POST", "/v1/applications/{application_id}/return-to-draft"),
        ("POST", "/v1/applications/{application_id}/request-prescreen"),
        ("POST", "/v1/applications/{application_id}/withdraw"),
    },
    "test_a_registration_at_the_limits_of_its_schema_is_stored_and_replayed": {
        ("POST", "/v1/users/register"),
    },
    # tests/integration/ats/test_pre_screen_api.py
    "test_pre_screen_answers_at_the_limits_of_their_schema_are_stored_and_replayed": {
        ("POST", "/v1/applications/{application_id}/pre-screen-answers"),
    },
    # tests/integration/network/test_referral_sourcing_api.py
    "test_referral_codes_and_company_invitations_at_the_limits_of_their_schemas_are_stored_and_replayed": {
        ("POST", "/v1/recruiter-codes"), ("POST", "/v1/company-invitations"),
        ("POST", "/v1/company-invitations/accept"),
    },
    # tests/integration/conversations/test_moderation.py
    "test_moderation_writes_at_the_limits_of_their_schemas_are_stored_and_replayed": {
        ("POST", "/v1/conversation-blocks"), ("POST", "/v1/conversations/{conversation_id}/reports"),
        ("POST", "/v1/admin/conversation-reports/{report_id}/resolve"),
        ("POST", "/v1/admin/conversation-reports/{report_id}/dismiss"),
        ("POST", "/v1/admin/users/{user_id}/messaging-sanctions"),
        ("POST", "/v1/admin/users/{user_id}/messaging-sanctions/lift"),
    },
    # tests/integration/conversations/test_conversation_limits.py
    "test_conversation_writes_at_the_limits_of_their_schemas_are_stored_and_replayed": {
        ("POST", "/v1/conversations"), ("POST", "/v1/conversations/{conversation_id}/messages"),
        ("PATCH", "/v1/conversations/{conversation_id}/messages/{message_id}"),
        ("POST", "/v1/conversations/{conversation_id}/read"),
    },
    # tests/integration/ats/test_candidate_profiles_api.py
    "test_skills_and_resume_profiles_at_the_limits_of_their_schemas_are_stored_and_replayed": {
        ("POST", "/v1/skills"), ("PUT", "/v1/candidates/{candidate_id}/skills"),
        ("PUT", "/v1/candidates/{candidate_id}/resume-profile"),
    },
    "test_every_other_write_at_the_limits_of_its_schema_is_stored_and_every_projection_replays_it": {
        # identity
        ("PATCH", "/v1/users/me"), ("POST", "/v1/consent"), ("POST", "/v1/users/{user_id}/roles"),
        ("POST", "/v1/organizations"), ("PATCH", "/v1/organizations/{organization_id}"),
        ("POST", "/v1/organizations/{organization_id}/members"),
        ("PATCH", "/v1/organizations/{organization_id}/members/{user_id}"), ("POST", "/v1/invitations"),
        ("POST", "/v1/admin/subjects/{person_id}/erase"),
        # network
        ("PUT", "/v1/recruiters/{recruiter_id}/status"), ("POST", "/v1/recruiter-companies/invite"),
        ("POST", "/v1/recruiter-companies/request"), ("POST", "/v1/recruiter-companies/{relationship_id}/accept"),
        ("POST", "/v1/recruiter-companies/{relationship_id}/decline"),
        ("POST", "/v1/recruiter-companies/{relationship_id}/terminate"),
        ("PUT", "/v1/recruiter-companies/{relationship_id}/permissions"), ("POST", "/v1/recruiter-candidates"),
        ("POST", "/v1/recruiter-candidates/{relationship_id}/consent"),
        ("POST", "/v1/recruiter-candidates/{relationship_id}/decline"),
        ("POST", "/v1/recruiter-candidates/{relationship_id}/terminate"),
        ("PUT", "/v1/firms/{firm_id}/take-rate"), ("POST", "/v1/firms/{firm_id}/invitations"),
        ("PUT", "/v1/firms/{firm_id}/members/{user_id}/role"), ("POST", "/v1/firms/{firm_id}/transfer-ownership"),
        ("POST", "/v1/firms/{firm_id}/suspend"),
        # billing
        ("PUT", "/v1/splits-rates/{tier}"), ("POST", "/v1/subscriptions"), ("PATCH", "/v1/subscriptions/me"),
        ("PUT", "/v1/companies/{owner_id}/billing-profile"),
        ("PUT", "/v1/companies/{owner_id}/billing-profile/payment-method"),
        ("PUT", "/v1/firms/{owner_id}/billing-profile"), ("PUT", "/v1/firms/{owner_id}/billing-profile/payment-method"),
        ("POST", "/v1/placements/{placement_id}/payout-transactions/process"),
        ("POST", "/v1/payout-schedules/{schedule_id}/cancel"), ("POST", "/v1/disputes/{dispute_id}/resolve"),
        ("POST", "/v1/disputes/{dispute_id}/dismiss"),
        # ats
        ("POST", "/v1/jobs/{job_id}/owner"), ("POST", "/v1/jobs/{job_id}/{move}"),
        ("POST", "/v1/companies/{company_id}/deactivate"), ("POST", "/v1/companies/{company_id}/activate"),
        ("POST", "/v1/candidates/{candidate_id}/marketplace-visibility"),
        ("POST", "/v1/candidates/{candidate_id}/archive"), ("POST", "/v1/candidates/{candidate_id}/sourcer"),
        # automation
        ("POST", "/v1/admin/fraud-signals/{signal_id}/resolve"),
        ("POST", "/v1/admin/fraud-signals/{signal_id}/false-positive"),
    },
}

# Writes with a bounded body that no extremes test sends, each with why. (The webhook receivers, whose bodies the
# providers sign and bound, and the document upload, a multipart form, have no JSON body schema in the document,
# so the guard does not list them.)
NOT_SENT_AT_EXTREMES: dict[tuple[str, str], str] = {
    ("POST", "/v1/placements/{placement_id}/replacement"):
        "its one field is a placement id, a UUID of fixed length: no extreme to send (its refusals:"
        " tests/integration/ats/test_placement_replacement_api.py)",
}


def test_every_write_with_a_bounded_body_is_sent_at_its_extremes_or_says_why_not() -> None:
    """A new POST/PUT/PATCH whose JSON body has a text, number or list field must join an extremes test (or the
    exceptions, with its reason): its limits are then known to be stored and replayed, not just declared."""
    writes = bounded_writes()
    assert len(writes) >= 70, sorted(writes)
    declared = set().union(*EXTREMES.values())
    missing = writes - declared - set(NOT_SENT_AT_EXTREMES)
    assert not missing, f"not sent at its extremes, and no reason given: {sorted(missing)}"
    assert not declared & set(NOT_SENT_AT_EXTREMES), "both sent and excepted"
    assert declared | set(NOT_SENT_AT_EXTREMES) <= writes, sorted((declared | set(NOT_SENT_AT_EXTREMES)) - writes)
    assert all(reason.strip() for reason in NOT_SENT_AT_EXTREMES.values())


def address(n: int = 320, salt: str = "e") -> str:
    """An email address of `n` characters, the longest the schema takes."""
    domain = "@example.com"
    return (salt * n)[: n - len(domain)] + domain


PERMISSIONS = ["can_view_jobs", "can_create_jobs", "can_edit_jobs", "can_advance_candidates",
               "can_view_applications", "can_submit_candidates"]


async def replay_every_projection(store: EventStore) -> None:
    """Every projection rebuilt from the first event into a schema of its own: none fails on what was stored."""
    from consumers.runtime.projector import Projector
    from projections.registry import all_projections

    for name, projection in all_projections().items():
        rebuilt = Projector(store.pool, projection, store.registry, schema=f"{name}_extremes",
                            checkpoint=f"projection:{name}_extremes")
        await rebuilt.ensure_schema()
        await rebuilt.catch_up()


async def seed_paid_placement(store: EventStore, paid_ago: timedelta = timedelta(minutes=1)) -> Any:
    """A billed placement whose invoice was paid `paid_ago`: its payout schedule is due a week after, and its
    payouts may be started by hand from then on."""
    placement_id = await seed_billed_placement(store)
    state, _, _ = await load(store, money.placement_billing, stream_id_for(money.placement_billing, placement_id))
    now, fee, company_id = datetime.now(UTC), state.snapshot.fee_cents, state.snapshot.company_id
    processing, stripe_invoice_id = money.processing_fee_cents(fee), f"in_{uuid4().hex[:14]}"
    await handle(store, money.placement_billing, placement_id, money.RecordInvoiceIssued(
        placement_id=placement_id, invoice_id=uuid4(), company_id=company_id, stripe_customer_id="cus_seeded",
        stripe_invoice_id=stripe_invoice_id, billing_terms="net_30", collection_method="send_invoice",
        fee_cents=fee, processing_fee_cents=processing, amount_due_cents=fee + processing, status="open",
        number="INV-0001", by="test", at=now - paid_ago - timedelta(minutes=1)), SEEDER)
    await handle(store, money.placement_billing, placement_id, money.ApplyInvoiceUpdate(
        placement_id=placement_id, stripe_invoice_id=stripe_invoice_id, status="paid",
        amount_paid_cents=fee + processing, paid_at=now - paid_ago, at=now - paid_ago),
        SEEDER)
    return placement_id


async def test_every_other_write_at_the_limits_of_its_schema_is_stored_and_every_projection_replays_it(
        people: People, fresh_store: EventStore) -> None:
    """The identity, network, billing, job, company, candidate and fraud-review writes not sent above, each at
    the extremes its schema allows: each is accepted, and every read model rebuilt from the first event stores
    the result."""
    from commands.automation import fraud
    from commands.billing import subscription as subscriptions
    from commands.billing.splits import transaction_id
    from tests.integration.network.test_network_candidates_api import managed_candidate

    c, admin = people.client, people.headers("admin")
    sent: set[tuple[str, str]] = set()

    async def ok(answer: Any) -> httpx.Response:
        answer = await answer
        assert answer.status_code in (200, 201, 202), (answer.request.method, answer.request.url, answer.text)
        sent.add(template_of(answer.request.method, answer.request.url.path))
        return answer

    async def eventually(path: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
        """A read that the projections answer once they caught up: its body."""
        found: dict[str, Any] = {}

        async def there() -> bool:
            answer = await c.get(path, headers=headers, params=params)
            found.update(answer.json() if answer.status_code == 200 else {})
            return answer.status_code == 200 and bool(answer.json().get("data"))

        await wait_until(there)
        return found

    # identity
    manager = people.headers("a_manager")
    await ok(c.patch("/v1/users/me", headers=manager, json={"name": big(200), "image_url": url(2000)}))
    await ok(c.post("/v1/consent", headers=manager, json={
        "functional": True, "analytics": True, "marketing": True, "source": big(50)}))
    await people.seed("extra")
    await ok(c.post(f"/v1/users/{people.user_id('extra')}/roles", headers=admin, json={"role": "platform_admin"}))
    org_company = uuid4()
    organization = (await ok(c.post("/v1/organizations", headers=admin, json={
        "name": big(200), "slug": "o" * 100, "company_id": str(org_company)}))).json()["id"]
    await ok(c.patch(f"/v1/organizations/{organization}", headers=admin,
                     json={"name": big(200, "r"), "slug": "p" * 100}))
    await ok(c.post(f"/v1/organizations/{organization}/members", headers=admin, json={
        "user_id": str(people.user_id("extra")), "role": "hiring_manager", "company_id": str(org_company)}))
    await ok(c.patch(f"/v1/organizations/{organization}/members/{people.user_id('extra')}", headers=admin,
                     json={"role": "company_admin", "company_id": str(org_company)}))
    await ok(c.post("/v1/invitations", headers=people.headers("a_admin"), json={
        "email": address(), "organization_id": str(people.org_a), "company_id": str(people.company_a),
        "role": "hiring_manager"}))

    # the company, its jobs and a candidate
    a_admin = people.headers("a_admin")
    await ok(c.post("/v1/companies", headers=a_admin, json={
        "identity_organization_id": str(people.org_a), "name": big(255), "slug": "acme-extremes"}))
    await ok(c.post(f"/v1/companies/{people.company_a}/deactivate", headers=admin, json={"reason": big(500)}))
    await ok(c.post(f"/v1/companies/{people.company_a}/activate", headers=admin, json={"reason": big(500, "b")}))
    company_profile = {"billing_terms": "net_90", "billing_email": address(salt="b"), "billing_contact_name": big(500),
                       "tax_id": big(500, "t"), "address": {f"{i:02d}" + big(98): big(500, str(i)) for i in range(20)}}
    await ok(c.put(f"/v1/companies/{people.company_a}/billing-profile", headers=a_admin, json=company_profile))
    await ok(c.put(f"/v1/companies/{people.company_a}/billing-profile/payment-method", headers=a_admin,
                   json={"payment_method_id": "pm_" + "c" * 252}))

    # two people who become recruiters through the API (the seeded recruiters' role names no recruiter record)
    await people.seed("r1")
    await people.seed("r2")
    recruiter, recruiter2 = people.headers("r1"), people.headers("r2")
    recruiter_id = (await ok(c.post("/v1/recruiters", headers=recruiter, json={}))).json()["id"]
    recruiter2_id = (await ok(c.post("/v1/recruiters", headers=recruiter2, json={}))).json()["id"]
    for headers, own in ((recruiter, recruiter_id), (recruiter2, recruiter2_id)):
        async def granted(headers: dict[str, str] = headers, own: str = own) -> bool:
            me = await c.get("/v1/users/me", headers=headers)
            return me.status_code == 200 and me.json()["data"]["recruiter_id"] == own

        await wait_until(granted, timeout=60)  # the recruiter-roles process names the new recruiter
    await ok(c.put(f"/v1/recruiters/{recruiter_id}/status", headers=admin, json={
        "status": "active", "reason": big(500)}))

    # recruiters and companies
    invited = await ok(c.post("/v1/recruiter-companies/invite", headers=a_admin, json={
        "company_id": str(people.company_a), "recruiter_id": recruiter_id, "relationship_type": "sourcer",
        "permissions": PERMISSIONS, "message": big(2000)}))
    await ok(c.post(f"/v1/recruiter-companies/{invited.json()['id']}/accept", headers=recruiter,
                    json={"terms_acknowledged": True}))
    asked = await ok(c.post("/v1/recruiter-companies/request", headers=recruiter2, json={
        "company_id": str(people.company_a), "relationship_type": "recruiter", "message": big(2000, "m"),
        "terms_acknowledged": True}))
    await ok(c.post(f"/v1/recruiter-companies/{asked.json()['id']}/accept", headers=a_admin,
                    json={"permissions": PERMISSIONS, "terms_acknowledged": True}))
    await ok(c.put(f"/v1/recruiter-companies/{asked.json()['id']}/permissions", headers=a_admin,
                   json={"permissions": PERMISSIONS[::-1]}))
    await ok(c.post(f"/v1/recruiter-companies/{asked.json()['id']}/terminate", headers=a_admin,
                    json={"reason": big(2000, "x")}))
    refused = await ok(c.post("/v1/recruiter-companies/request", headers=recruiter, json={
        "company_id": str(people.company_b), "message": big(2000, "q"), "terms_acknowledged": True}))
    await ok(c.post(f"/v1/recruiter-companies/{refused.json()['id']}/decline", headers=people.headers("b_admin"),
                    json={"reason": big(2000, "d")}))

    # jobs
    job_id = (await ok(c.post("/v1/jobs", headers=a_admin, json={
        "company_id": str(people.company_a), "title": "Engineer", "fee_percentage": 20}))).json()["id"]
    await ok(c.post(f"/v1/jobs/{job_id}/owner", headers=admin, json={
        "job_owner_recruiter_id": None, "reason": big(500)}))
    await ok(c.post(f"/v1/jobs/{job_id}/close", headers=a_admin, json={"reason": big(500, "c")}))

    # recruiters and candidates
    user_of_recruiter = people.user_id("r1")
    theirs = await managed_candidate(fresh_store, user_of_recruiter, email=people.email("candidate"))
    other = await managed_candidate(fresh_store, user_of_recruiter)
    await eventually(f"/v1/candidates/{other}", admin)
    await ok(c.post(f"/v1/candidates/{other}/marketplace-visibility", headers=admin, json={"visibility": "limited"}))
    await ok(c.post(f"/v1/candidates/{other}/sourcer", headers=admin, json={
        "sourcer_type": "recruiter", "sourcer_recruiter_id": recruiter_id, "source_method": big(100),
        "sourced_at": datetime.now(UTC).isoformat(), "protection_window_days": 3650, "notes": big(2000)}))
    pending = await ok(c.post("/v1/recruiter-candidates", headers=recruiter, json={"candidate_id": str(theirs)}))
    await ok(c.post(f"/v1/recruiter-candidates/{pending.json()['id']}/consent", headers=people.headers("candidate"),
                    json={"token": pending.json()["data"]["invitation_token"]}))
    await ok(c.post(f"/v1/recruiter-candidates/{pending.json()['id']}/terminate", headers=recruiter,
                    json={"reason": big(2000)}))
    declined = await ok(c.post("/v1/recruiter-candidates", headers=recruiter, json={"candidate_id": str(other)}))
    await ok(c.post(f"/v1/recruiter-candidates/{declined.json()['id']}/decline", headers={}, json={
        "token": declined.json()["data"]["invitation_token"], "reason": big(2000, "n")}))
    await ok(c.post(f"/v1/candidates/{other}/archive", headers=admin, json={"reason": big(500)}))

    # plans, subscriptions and a firm
    for tier in ("pro", "partner"):
        await ok(c.patch(f"/v1/plans/{tier}", headers=admin, json={
            "stripe_price_id_monthly": "price_" + "m" * 249, "stripe_price_id_annual": "price_" + "a" * 249}))
    await ok(c.put("/v1/splits-rates/starter", headers=admin, json={
        "candidate_recruiter_rate": 99.99, "job_owner_rate": 0.01, "company_recruiter_rate": 0,
        "candidate_sourcer_rate": 0, "company_sourcer_rate": 0}))
    await ok(c.post("/v1/subscriptions", headers=recruiter, json={
        "tier": "pro", "billing_period": "monthly", "payment_method_id": "pm_" + "s" * 252}))
    await ok(c.patch("/v1/subscriptions/me", headers=recruiter, json={"tier": "partner", "billing_period": "annual"}))
    firm_id = (await ok(c.post("/v1/firms", headers=recruiter, json={
        "name": big(200, "f"), "slug": "g" * 100, "admin_take_rate": 0.01}))).json()["id"]
    await ok(c.put(f"/v1/firms/{firm_id}/take-rate", headers=recruiter, json={"admin_take_rate": 100}))
    await ok(c.put(f"/v1/firms/{firm_id}/billing-profile", headers=recruiter, json=company_profile))
    await ok(c.put(f"/v1/firms/{firm_id}/billing-profile/payment-method", headers=recruiter,
                   json={"payment_method_id": "pm_" + "f" * 252}))
    await ok(c.post(f"/v1/firms/{firm_id}/invitations", headers=recruiter, json={"email": address(salt="f"),
                                                                                  "role": "admin"}))
    joining = await ok(c.post(f"/v1/firms/{firm_id}/invitations", headers=recruiter,
                              json={"email": people.email("r2")}))
    await ok(c.post(f"/v1/firms/{firm_id}/invitations/{joining.json()['data']['invitation_id']}/accept",
                    headers=recruiter2))
    await ok(c.put(f"/v1/firms/{firm_id}/members/{people.user_id('r2')}/role", headers=recruiter,
                   json={"role": "admin"}))
    user2 = people.user_id("r2")
    await handle(fresh_store, subscriptions.subscription, user2, subscriptions.ActivateSubscription(
        user_id=user2, tier="partner", stripe_subscription_id=f"sub_{uuid4().hex}", by="seed",
        at=datetime.now(UTC)), SEEDER)
    await ok(c.post(f"/v1/firms/{firm_id}/transfer-ownership", headers=recruiter, json={"user_id": str(user2)}))
    await ok(c.post(f"/v1/firms/{firm_id}/suspend", headers=admin, json={"reason": big(2000, "s")}))

    # payouts and disputes
    placement_id = await seed_paid_placement(fresh_store)
    schedules = await eventually("/v1/payout-schedules", admin, placement_id=str(placement_id))
    await ok(c.post(f"/v1/payout-schedules/{schedules['data'][0]['id']}/cancel", headers=admin,
                    json={"reason": big(5000)}))
    collectible = await seed_paid_placement(fresh_store, paid_ago=timedelta(days=8))
    payout = transaction_id(collectible, "candidate_recruiter", "member_payout")
    await ok(c.post(f"/v1/placements/{collectible}/payout-transactions/process", headers=admin,
                    json={"transaction_ids": [str(payout)] * 100}))
    for close in ("resolve", "dismiss"):
        opened = await ok(c.post("/v1/disputes", headers=admin, json={
            "placement_id": str(placement_id), "dispute_type": "fee_amount", "reason": big(5000, close)}))
        await ok(c.post(f"/v1/disputes/{opened.json()['id']}/review", headers=admin, params=token(opened)))
        await ok(c.post(f"/v1/disputes/{opened.json()['id']}/{close}", headers=admin, json={"notes": big(5000)}))

    # fraud signals reviewed
    for review in ("resolve", "false-positive"):
        signal_id = uuid4()
        await handle(fresh_store, fraud.fraud_signal, signal_id, fraud.RaiseSignal(
            signal_id=signal_id, signal_type="rapid_submission", severity="medium", confidence_score=65,
            recruiter_id=UUID(recruiter_id), trigger_event_id=uuid4(), signal_data={}, by="reactor:fraud-signals",
            at=datetime.now(UTC)), SEEDER)
        await eventually(f"/v1/admin/fraud-signals/{signal_id}", admin)
        await ok(c.post(f"/v1/admin/fraud-signals/{signal_id}/{review}", headers=admin, json={"notes": big(4000)}))

    await ok(c.put("/v1/notification-preferences/applications", headers=manager,
                   json={"email_enabled": False, "in_app_enabled": True}))

    # The live read models hold them (read after the last write's token)...
    erased = await ok(c.post(f"/v1/admin/subjects/{other}/erase", headers=admin, json={"kind": "candidate",
                                                                                       "reason": big(500, "z")}))
    last = {"after": erased.json()["consistency_token"]}
    for path, headers, field, value in [
        (f"/v1/organizations/{organization}", admin, "name", big(200, "r")),
        (f"/v1/firms/{firm_id}", admin, "name", big(200, "f")),
        (f"/v1/companies/{people.company_a}/billing-profile", a_admin, "address", company_profile["address"]),
        (f"/v1/firms/{firm_id}/billing-profile", admin, "billing_email", address(salt="b")),
        (f"/v1/recruiter-companies/{invited.json()['id']}", a_admin, "message", big(2000)),
    ]:
        read = await c.get(path, headers=headers, params=last)
        assert read.status_code == 200, (path, read.text)
        assert read.json()["data"][field] == value, (path, read.json()["data"])
    declared = EXTREMES["test_every_other_write_at_the_limits_of_its_schema_is_stored_and_every_projection_replays_it"]
    assert sent >= declared, sorted(declared - sent)
    await replay_every_projection(fresh_store)


async def test_a_registration_at_the_limits_of_its_schema_is_stored_and_replayed(
        api: Api, fresh_store: EventStore) -> None:
    """The longest name and picture address the schema takes, for a user whose (Clerk-given) email is the longest
    an address may be. The body's `email` is never taken (the email is Clerk's), so it is left out."""
    api.backend.put(api.clerk_id("longest"), address(salt="l"))
    registered = await api.client.post("/v1/users/register", headers=api.as_("longest"), json={
        "name": big(200), "image_url": url(2000)})
    assert registered.status_code in (200, 201), registered.text
    assert template_of("POST", registered.request.url.path) in EXTREMES[
        "test_a_registration_at_the_limits_of_its_schema_is_stored_and_replayed"]
    me = await api.client.get("/v1/users/me", headers=api.as_("longest"), params=token(registered))
    assert me.status_code == 200, me.text
    assert (me.json()["data"]["name"], me.json()["data"]["email"]) == (big(200), address(salt="l"))
    await replay_every_projection(fresh_store)
