"""The operator console attacked: callers who are not operators, errors that would answer as JSON, and a hostile
audit bundle that would leave its check unrecorded.

- Every console route, GET and POST, fragments and downloads included, refuses an anonymous caller, a forged
  session and a signed-in user who is no platform admin with an HTML page carrying the console's policy (the
  routes are read from the app, so a new page is covered the day it is added).
- An error the console's pages do not catch (a bug, a store that refuses a value) is still a page with the
  console's headers, never the API's JSON problem and never a traceback.
- A bundle whose manifest names a stream with a NUL in it (a party to a dispute can send any file) is checked
  and its check is recorded with the operator as actor; before, the NUL went into the event, the store refused
  it and the operator got the API's JSON and no record.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import zipfile
from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
from fastapi.routing import APIRoute

from adapters.system import System
from api.operations.console import CONTENT_SECURITY_POLICY, PREFIX
from commands.identity.user import user_id_for
from commands.operations.bundle_check import bundle_check
from eventstore import stream_id_for
from infra.app import _ROUTERS, create_app
from infra.bootstrap import system_for
from tests.integration.operations.browser import NOT_AN_OPERATOR, OPERATOR, console_settings, console_site

SESSION = "__session"


def _cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION}={value}"}


def _console_routes() -> list[tuple[str, str]]:
    """Every console route of the app (method, a path with its parameters filled in)."""
    found = []
    for router in _ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path.startswith(PREFIX):
                path = re.sub(r"{[^}]+}", str(uuid4()), route.path)
                found += [(method, path) for method in sorted(route.methods)]
    return found


PUBLIC = {("GET", f"{PREFIX}/sign-in"), ("POST", f"{PREFIX}/sign-in"), ("POST", f"{PREFIX}/csp-reports")}


async def test_every_console_route_refuses_whoever_is_not_a_signed_in_platform_admin_with_a_page(fresh_store):
    routes = [r for r in _console_routes() if r not in PUBLIC]
    assert len(routes) >= 20 and ("POST", f"{PREFIX}/stream/verify") in routes
    callers = {
        "anonymous": ({}, 401),
        "forged session": (_cookie("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyX3gifQ.c2ln"), 401),
        "oversized session": (_cookie("a" * 9000), 401),
        "not an operator": (_cookie(f"dev:{NOT_AN_OPERATOR}"), 403),
        "not an operator, by bearer": ({"Authorization": f"Bearer dev:{NOT_AN_OPERATOR}"}, 403),
    }
    async with console_site(fresh_store, consumers=set()) as (_, client, _):
        for method, path in routes:
            for who, (headers, status) in callers.items():
                answer = await client.request(method, path, headers=headers, data={"csrf": "x"} if method == "POST"
                                              else None)
                assert answer.status_code == status, (method, path, who, answer.text[:300])
                assert answer.headers["content-type"].startswith("text/html"), (method, path, who)
                assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, (method, path, who)
                assert answer.headers["cache-control"] == "no-store"
                assert "<nav>" not in answer.text and 'name="csrf"' not in answer.text, (method, path, who)


@contextlib.asynccontextmanager
async def _app_with_a_failing_page(store) -> AsyncIterator[httpx.AsyncClient]:
    """The app, with one more console page that fails as a bug would (a route of the test's own: no page of the
    console can be made to fail on purpose)."""
    system = system_for(console_settings(store), store)

    @contextlib.asynccontextmanager
    async def existing() -> AsyncIterator[System]:
        yield system

    app = create_app(existing)

    async def failing() -> None:
        raise RuntimeError("a secret detail of the failure: /srv/splits/key.pem")

    app.add_api_route(f"{PREFIX}/failing-for-the-test", failing)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://splits") as client:
            yield client


async def test_an_unexpected_error_under_the_console_is_a_page_with_the_console_headers(fresh_store):
    async with _app_with_a_failing_page(fresh_store) as client:
        answer = await client.get(f"{PREFIX}/failing-for-the-test")
        assert answer.status_code == 500
        assert answer.headers["content-type"].startswith("text/html"), answer.text
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"] == "no-store"
        assert "secret detail" not in answer.text and "Traceback" not in answer.text
        assert "something went wrong on our side" in answer.text
        # Outside the console the API still answers its JSON problem.
        api = await client.get("/v1/no-such-route")
        assert api.headers["content-type"] == "application/problem+json"


def _bundle(manifest: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("events.jsonl", "timeline.csv", "report.html"):
            zf.writestr(name, b"")
        zf.writestr("manifest.json", manifest)
    return buffer.getvalue()


async def test_a_bundle_naming_a_stream_with_a_nul_is_checked_and_its_check_recorded(fresh_store):
    hostile = _bundle(b'{"streams": {"placement-\\u0000": 1}}')
    async with console_site(fresh_store, consumers=set()) as (base_url, client, _):
        signed_in = _cookie(f"dev:{OPERATOR}")
        form = (await client.get(f"{PREFIX}/money/verify", headers=signed_in)).text
        token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        answer = await client.post(f"{PREFIX}/money/verify", data={"csrf": token},
                                   files={"bundle": ("dispute.zip", hostile, "application/zip")},
                                   headers=signed_in | {"Origin": base_url})
        assert answer.status_code == 200, answer.text[:400]
        assert answer.headers["content-type"].startswith("text/html")
        assert "not verified" in answer.text

    recorded = await fresh_store.read_stream(stream_id_for(bundle_check, hashlib.sha256(hostile).hexdigest()))
    assert [e.type for e in recorded] == ["AuditBundleVerified"]
    check = recorded[0]
    assert check.data["operator"] == OPERATOR and not check.data["ok"]
    assert check.metadata["actor"] == str(user_id_for(OPERATOR))
    assert any("placement-\\x00" in p for p in check.data["problems"]), check.data["problems"]
