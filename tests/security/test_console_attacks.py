"""The operator console attacked, by callers who are not operators, by pages on other sites and by what a careless
operator or a hostile file sends.

- Every console route, GET and POST, fragments and downloads included (read from the app's routes, so a new page
  is covered the day it is added), refuses an anonymous caller, a forged or oversized session and a signed-in
  user who is no platform admin with an HTML page carrying the console's policy. No GET records anything; every
  POST needs this session's form token (a non-ASCII one is refused, not a 500) and this origin.
- An error the pages do not catch is still a page with the console's headers, never the API's JSON or a trace.
- A bundle naming a stream with a NUL is checked and its check recorded (the NUL was refused by the store).
- A requeue form posted twice at once moves the letters and records them once; a requeue RabbitMQ cuts short
  records the letters that went back; a reactor's page takes no more letters off the queue than it shows.
- A third replay at once is refused (each holds database connections of its own).
- A refreshing page stops asking once its session has ended; development sign-in takes only an ASCII Clerk user
  id, and only from this origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import re
import zipfile
from collections.abc import AsyncIterator
from uuid import uuid4

import aio_pika
import httpx
from fastapi.routing import APIRoute

from adapters.system import System
from api.operations.console import CONTENT_SECURITY_POLICY, PREFIX
from api.operations.consumers import REFRESH_MS as CONSUMERS_REFRESH_MS
from api.operations.dead_letters import SHOWN
from commands.ats.job import CreateJob, job
from commands.identity.user import user_id_for
from commands.operations.dead_letters import dead_letters
from commands.operations.bundle_check import bundle_check
from consumers.runtime import replay_runs
from consumers.runtime.dlq import dead_letter_count
from consumers.runtime.envelope import encode
from eventstore import handle, stream_id_for
from infra.app import _ROUTERS, create_app
from infra.bootstrap import system_for
from projections.registry import all_projections
from tests.conftest import RABBITMQ_URL
from tests.helpers import NOW, wait_until
from tests.integration.operations.browser import (NOT_AN_OPERATOR, OPERATOR, console_browser, console_settings,
                                                    console_site)

SESSION = "__session"
DEAD_LETTERS_OF = "fraud-signals"  # a reactor of the deployment (the console knows no other), on the test's queues


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


async def test_no_console_get_records_anything_and_every_console_post_needs_this_sessions_form(fresh_store):
    """A GET can be made to happen by any page the operator visits (a link, a redirect, a top-level navigation
    carries the session cookie): none records anything. Every POST that an operator could send is refused, with
    nothing recorded, without the session's form token or from another site."""
    routes = [r for r in _console_routes() if r not in PUBLIC]
    async with console_site(fresh_store, consumers=set()) as (base_url, client, _):
        signed_in = _cookie(f"dev:{OPERATOR}")
        home = (await client.get(PREFIX, headers=signed_in)).text
        token = home.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        head = await fresh_store.head()
        for method, path in routes:
            if method == "GET":
                answer = await client.get(path, headers=signed_in)
                assert answer.status_code < 500, (path, answer.text[:300])
                continue
            form = {"csrf": token, "confirmed": "yes", "stream_id": "user-x", "run_id": str(uuid4()),
                    "requeue_id": str(uuid4())}
            for sent, headers in (({k: v for k, v in form.items() if k != "csrf"}, {}),
                                  ({**form, "csrf": "0" * 64}, {}),
                                  ({**form, "csrf": "é" * 64}, {}),  # hmac.compare_digest raises on non-ASCII
                                  (form, {"Sec-Fetch-Site": "cross-site"}),
                                  (form, {"Sec-Fetch-Site": "same-site"}),
                                  (form, {"Origin": "https://evil.example"}),
                                  (form, {"Origin": "null"}),
                                  (form, {"Referer": "https://evil.example/console"})):
                answer = await client.post(path, data=sent, headers=signed_in | headers)
                assert answer.status_code == 403, (path, headers, answer.text[:300])
                assert "Nothing was changed" in answer.text and "set-cookie" not in answer.headers
        assert await fresh_store.head() == head


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


async def _dead_letters_in_the_queue(store, topology, amqp, count: int, distinct: int | None = None,
                                     declare: bool = True) -> None:
    """`count` dead letters of `DEAD_LETTERS_OF` straight in its dead-letter queue (as a reactor leaves them), of
    `distinct` events (each its own by default); its queues declared as the consumers do unless `declare` is off."""
    channel = await amqp.channel()
    if declare:
        await topology.declare_reactor(channel, DEAD_LETTERS_OF, [], [])
    events = []
    for n in range(count if distinct is None else distinct):
        job_id = uuid4()
        await handle(store, job, job_id, CreateJob(job_id=job_id, company_id=uuid4(), title=f"poison {n}",
                                                     fee_bps=1000, by="u", at=NOW))
        events.append((await store.read_stream(f"job-{job_id}"))[0])
    for n in range(count):
        event = events[n % len(events)]
        body, headers = encode(event, event.position)
        await channel.default_exchange.publish(aio_pika.Message(body, headers=headers),
                                               routing_key=topology.dead_letter_queue(DEAD_LETTERS_OF))
    await channel.close()


async def test_a_requeue_form_posted_twice_at_once_moves_the_letters_and_records_them_once(fresh_store, topology,
                                                                                         amqp):
    store, letters = fresh_store, 150
    settings = console_settings(store, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix)
    async with console_site(store, settings, consumers={"relay"}) as (base_url, client, _):
        await _dead_letters_in_the_queue(store, topology, amqp, letters)
        signed_in = _cookie(f"dev:{OPERATOR}")
        path = f"{PREFIX}/dead-letters/{DEAD_LETTERS_OF}/requeue"
        page = (await client.get(path, headers=signed_in)).text.split('id="confirm"', 1)[1]
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
        # A double click: the same form, twice, at once.
        answers = await asyncio.gather(*[client.post(path, data=form, headers=signed_in | {"Origin": base_url})
                                         for _ in range(2)])
        assert [a.status_code for a in answers] == [200, 200]
        assert sum("already done" in a.text for a in answers) == 1, [re.findall(r"id=\"result\"[^<]*<[^<]*<[^<]*", a.text) for a in answers]

        assert await dead_letter_count(amqp, topology, DEAD_LETTERS_OF) == 0
        recorded = await store.read_stream(stream_id_for(dead_letters, DEAD_LETTERS_OF))
        assert [(e.data["requeue_id"], e.data["moved"]) for e in recorded] == [(form["requeue_id"], letters)]


async def test_a_page_that_refreshes_itself_stops_asking_once_the_session_has_ended(fresh_store, tmp_path):
    """A Clerk session ends (or the admin role is taken away) while a consumers page is left open: its refresh
    is refused, and every refused request counts against the office's address like an anonymous one; asked again
    every few seconds all night, they would use up that address's budget for everyone behind it."""
    async with console_site(fresh_store, consumers=set()) as (base_url, _, _):
        async with console_browser(base_url, OPERATOR, tmp_path) as browser:
            page = await browser.open("/console/consumers")
            asked: list[int] = []
            page.on("response", lambda r: asked.append(r.status) if "/consumers/live" in r.url else None)
            await browser.context.clear_cookies()  # signed out elsewhere: the session cookie is gone
            await page.wait_for_timeout(2 * CONSUMERS_REFRESH_MS + 1500)
            assert asked == [401], asked


async def test_a_reactors_dead_letters_page_takes_no_more_letters_from_the_queue_than_it_shows(fresh_store, topology,
                                                                                            amqp):
    """Listing takes the letters off the queue and puts them back; the page shows the oldest `SHOWN`. It took
    every letter, held in the API process's memory at once: a queue of a day's failures (hundreds of thousands)
    on one page view, or on each of a hostile page's navigations to it."""
    store, letters = fresh_store, SHOWN + 20
    settings = console_settings(store, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix)
    async with console_site(store, settings, consumers={"relay"}) as (_, client, _):
        await _dead_letters_in_the_queue(store, topology, amqp, letters, distinct=1)
        signed_in = _cookie(f"dev:{OPERATOR}")
        confirm = await client.get(f"{PREFIX}/dead-letters/{DEAD_LETTERS_OF}/requeue", headers=signed_in)
        assert confirm.status_code == 200 and f"The {letters} dead letters" in confirm.text

        channel = await amqp.channel()
        queue = await channel.get_queue(topology.dead_letter_queue(DEAD_LETTERS_OF), ensure=False)
        touched = []
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            touched.append(message.redelivered)
        await channel.close()  # every letter goes back to the queue
        assert len(touched) == letters
        assert sum(touched) == SHOWN, f"{sum(touched)} of {letters} letters were taken off the queue by one page view"

        async def returned() -> bool:
            return await dead_letter_count(amqp, topology, DEAD_LETTERS_OF) == letters

        await wait_until(returned)
        page = await client.get(f"{PREFIX}/dead-letters/{DEAD_LETTERS_OF}", headers=signed_in)
        assert page.status_code == 200
        assert f"{letters} dead letters; the oldest {SHOWN} are shown" in page.text
        assert page.text.count('<tr data-event-id="') == SHOWN


async def test_development_sign_in_takes_only_a_clerk_user_id_its_cookie_can_hold(fresh_store):
    """`\\w` took any letter: an id outside Latin-1 made the Set-Cookie header unwritable (a 500), one inside it an
    octal-escaped cookie naming someone else. A Clerk user id is ASCII."""
    async with console_site(fresh_store, consumers=set()) as (_, client, _):
        for clerk_user_id in ("用户", "usér"):
            answer = await client.post(f"{PREFIX}/sign-in", data={"clerk_user_id": clerk_user_id})
            assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html"), answer.text
            assert "set-cookie" not in answer.headers
        for other_site in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                           {"Origin": "https://evil.example"}):  # login CSRF: signing the browser in as someone
            answer = await client.post(f"{PREFIX}/sign-in", data={"clerk_user_id": OPERATOR}, headers=other_site)
            assert answer.status_code == 403 and "set-cookie" not in answer.headers, other_site
        answer = await client.post(f"{PREFIX}/sign-in", data={"clerk_user_id": OPERATOR})
        assert answer.status_code == 303 and f"{SESSION}=dev:{OPERATOR};" in answer.headers["set-cookie"]
        assert "HttpOnly" in answer.headers["set-cookie"] and "SameSite=strict" in answer.headers["set-cookie"]


async def test_a_requeue_the_broker_cuts_short_records_the_letters_it_sent_back(fresh_store, topology, amqp):
    """RabbitMQ refuses part-way through a requeue (here the reactor's queue is full and refuses more; a broker
    going away mid-way is the same): the letters sent back before are back, so the requeue happened, for them."""
    store, letters, room = fresh_store, 10, 4
    settings = console_settings(store, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix)
    async with console_site(store, settings, consumers={"relay"}) as (base_url, client, _):
        channel = await amqp.channel()
        await channel.declare_queue(topology.reactor_queue(DEAD_LETTERS_OF), durable=True,
                                    arguments={"x-max-length": room, "x-overflow": "reject-publish"})
        await channel.declare_queue(topology.dead_letter_queue(DEAD_LETTERS_OF), durable=True,
                                    arguments={"x-queue-type": "quorum"})
        await channel.close()
        await _dead_letters_in_the_queue(store, topology, amqp, letters, declare=False)
        signed_in = _cookie(f"dev:{OPERATOR}")
        path = f"{PREFIX}/dead-letters/{DEAD_LETTERS_OF}/requeue"
        page = (await client.get(path, headers=signed_in)).text.split('id="confirm"', 1)[1]
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
        answer = await client.post(path, data=form, headers=signed_in | {"Origin": base_url})

        assert answer.status_code == 503 and "Nothing was changed" not in answer.text, answer.text[-600:]
        assert f"{room} dead letters went back" in answer.text
        assert await dead_letter_count(amqp, topology, DEAD_LETTERS_OF) == letters - room
        recorded = await store.read_stream(stream_id_for(dead_letters, DEAD_LETTERS_OF))
        assert [(e.data["requeue_id"], e.data["moved"]) for e in recorded] == [(form["requeue_id"], room)]
        assert recorded[0].data["operator"] == OPERATOR


async def test_a_careless_operator_cannot_start_every_projections_replay_at_once(fresh_store):
    """Each replay runs on database connections of its own: a replay of each of the projections at once (a click
    down the replays page) would take the connections the API and the consumers live on."""
    store = fresh_store
    async with console_site(store, consumers=set()) as (base_url, client, _):
        for projection in ("ats", "network"):  # running, started a moment ago by another API process
            assert await replay_runs.begin_run(store.pool, uuid4(), projection)
        third = next(name for name in sorted(all_projections()) if name not in ("ats", "network"))
        signed_in = _cookie(f"dev:{OPERATOR}")
        path = f"{PREFIX}/replays/{third}/start"
        page = (await client.get(path, headers=signed_in)).text.split('id="confirm"', 1)[1]
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
        head = await store.head()
        answer = await client.post(path, data=form, headers=signed_in | {"Origin": base_url})
        assert answer.status_code == 409 and "Too many replays at once" in answer.text, answer.text[-500:]
        assert (await replay_runs.latest_runs(store.pool)).get(third) is None
        assert await store.head() == head
