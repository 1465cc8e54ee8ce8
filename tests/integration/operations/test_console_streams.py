"""The console's Streams pages in Chromium and over HTTP: they show what `EventStore.read_stream` holds, as stored
(sealed personal fields sealed), follow causation and correlation, verify a chain on the server (intact, then
broken once a hash is changed in SQL) and record each check with the operator as actor; non-admins get 403; bad
input is a 400 page that changes nothing."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

from commands.identity.user import user_id_for
from commands.operations.chain_check import chain_check, chain_check_id_for
from eventstore import NO_STREAM, EventStore, Metadata, NewEvent, stream_id_for
from eventstore.browse import search_streams
from tests.integration.operations.browser import NOT_AN_OPERATOR, OPERATOR, console_browser, console_site

SESSION = "__session"


def signed_in(clerk_user_id: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION}=dev:{clerk_user_id}"}


async def _story(store: EventStore) -> dict:
    """A request's event on one stream and what a reactor did because of it on another, under one correlation."""
    kind = f"shipment{uuid4().hex[:6]}"
    correlation = f"req-{uuid4()}"
    cause, first, second = uuid4(), uuid4(), uuid4()
    origin = f"{kind}-{uuid4()}"
    await store.append(origin, [NewEvent("ShipmentBooked", {"crates": 3, "note": "50% off_today"}, cause)], NO_STREAM,
                       Metadata(actor="someone", correlation_id=correlation, source="api"))
    await store.append(origin, [NewEvent("ShipmentWeighed", {"kg": 12}, uuid4())], 1,
                       Metadata(actor="someone", correlation_id=correlation, source="api"))
    effect = f"{kind}-{uuid4()}"
    await store.append(effect, [NewEvent("CratesCounted", {"n": 1}, first), NewEvent("CratesCounted", {"n": 2}, second)],
                       NO_STREAM, Metadata(actor="reactor:x", correlation_id=correlation, causation_id=str(cause)))
    return {"kind": kind, "origin": origin, "effect": effect, "cause": cause, "caused": [first, second],
            "correlation": correlation}


async def _rows(page) -> list[dict]:
    return await page.eval_on_selector_all(
        "table.events tr.event",
        "rows => rows.map(r => ({id: r.dataset.eventId, version: +r.querySelector('.version').textContent,"
        " position: +r.querySelector('.position').textContent, type: r.querySelector('.type').textContent.trim(),"
        " hash: r.querySelector('.hash').title}))")


async def test_the_pages_show_the_stored_events_and_follow_their_links(fresh_store, tmp_path: Path) -> None:
    story = await _story(fresh_store)
    async with console_site(fresh_store) as (base_url, _, _), console_browser(base_url, OPERATOR, tmp_path) as browser:
        page = await browser.open(f"/console/streams?q={story['kind']}-&match=prefix")
        listed = [await a.inner_text() for a in await page.query_selector_all("#streams td a")]
        assert listed == sorted([story["origin"], story["effect"]])
        await browser.shot(page, "streams-search")

        async with page.expect_navigation():
            await page.click(f"#streams a:text-is('{story['origin']}')")
        stored = await fresh_store.read_stream(story["origin"])
        assert await _rows(page) == [{"id": str(e.event_id), "version": e.version, "position": e.position.pos,
                                      "type": e.type, "hash": e.hash.hex()} for e in stored]
        assert '"note": "50% off_today"' in await page.text_content("pre.data")
        await browser.shot(page, "stream")

        async with page.expect_navigation():
            await page.click(f"a:text-is('{story['cause']}')")
        caused = await page.eval_on_selector_all("#caused tr.event", "rows => rows.map(r => r.dataset.eventId)")
        assert caused == [str(i) for i in reversed(story["caused"])]
        correlated = await page.eval_on_selector_all("#correlated tr.event", "rows => rows.map(r => r.dataset.eventId)")
        assert len(correlated) == 4 and str(story["cause"]) in correlated
        await browser.shot(page, "event")

        async with page.expect_navigation():
            await page.click(f"#caused a:text-is('{story['caused'][0]}')")
        async with page.expect_navigation():
            await page.click("#cause-link")
        assert page.url.endswith(f"/console/events/{story['cause']}")
        async with page.expect_navigation():
            await page.click("#correlation-link")
        assert len(await _rows(page)) == 4
        async with page.expect_navigation():
            await page.click(f"a:text-is('{story['effect']}') >> nth=0")
        assert await page.inner_text("#stream-id") == story["effect"]

        # A person's stream: the personal fields are shown sealed, as stored, and the address never appears.
        user_stream = f"user-{user_id_for(OPERATOR)}"
        page = await browser.open(f"/console/stream?id={quote(user_stream)}")
        shown = await page.text_content("main")
        assert '"$pii"' in shown and f"{OPERATOR}@example.com" not in shown
        assert [r["id"] for r in await _rows(page)] == [str(e.event_id) for e in await fresh_store.read_stream(user_stream)]
        browser.assert_clean()


async def test_verify_chain_says_intact_then_broken_and_records_each_check(fresh_store, tmp_path: Path) -> None:
    story = await _story(fresh_store)
    origin = story["origin"]
    checks = stream_id_for(chain_check, chain_check_id_for(origin))
    async with console_site(fresh_store) as (base_url, _, _), console_browser(base_url, OPERATOR, tmp_path) as browser:
        page = await browser.open(f"/console/stream?id={quote(origin)}")
        async with page.expect_navigation():
            await page.click("#verify-chain button")
        assert (await page.inner_text("#verdict")).startswith("Intact")
        await browser.shot(page, "verify-intact")

        async with fresh_store.pool.connection() as conn:
            await conn.execute("UPDATE eventstore.events SET hash = sha256(hash) WHERE stream_id = %s AND version = 1",
                               (origin,))
        page = await browser.open(f"/console/stream?id={quote(origin)}")
        async with page.expect_navigation():
            await page.click("#verify-chain button")
        assert (await page.inner_text("#verdict")).startswith("Broken")
        assert (await page.inner_text("#problems")).splitlines()[1].startswith("1")
        await browser.shot(page, "verify-broken")

        page = await browser.open(f"/console/stream?id={quote(origin)}")
        assert [line.split(" ")[0] for line in (await page.inner_text("#checks")).splitlines()] == ["broken", "intact"]
        browser.assert_clean()

    recorded = await fresh_store.read_stream(checks)
    assert [(e.type, e.data["ok"], e.data["operator"], e.data["stream_id"]) for e in recorded] == [
        ("StreamChainVerified", True, OPERATOR, origin), ("StreamChainVerified", False, OPERATOR, origin)]
    assert {e.metadata["actor"] for e in recorded} == {str(user_id_for(OPERATOR))}
    assert recorded[1].data["first_problem_version"] == 1 and recorded[0].data["events_checked"] == 2


async def _checks(store: EventStore) -> list[str]:
    async with store.pool.connection() as conn:
        return [s.stream_id for s in (await search_streams(conn, stream_type="chaincheck")).streams]


async def _csrf(client, path: str) -> str:
    answer = await client.get(path, headers=signed_in(OPERATOR))
    return re.search(r'name="csrf" value="([0-9a-f]+)"', answer.text).group(1)


async def test_non_admins_are_refused_and_bad_input_is_a_page_that_changes_nothing(fresh_store, tmp_path) -> None:
    story = await _story(fresh_store)
    origin = quote(story["origin"])
    async with console_site(fresh_store) as (base_url, client, _):
        async with console_browser(base_url, NOT_AN_OPERATOR, tmp_path) as browser:
            for path in ("/console/streams", f"/console/stream?id={origin}", f"/console/events/{story['cause']}",
                         f"/console/events?correlation={story['correlation']}"):
                page = await browser.open(path, status=403)
                assert "platform admins only" in await page.inner_text("main")
            await browser.shot(page, "streams-refused")
            browser.assert_clean()
        checks_before = await _checks(fresh_store)
        refused = await client.post("/console/stream/verify", data={"stream_id": story["origin"], "csrf": "x"},
                                    headers=signed_in(NOT_AN_OPERATOR))
        assert refused.status_code == 403

        for path in ("/console/streams?match=regex", "/console/streams?type=a-b", f"/console/streams?q={'x' * 301}",
                     "/console/events?start=yesterday", "/console/events?before=0", "/console/events?limit=201",
                     "/console/events?start=2026-12-07T10:00&end=2026-12-07T09:00", "/console/events/not-a-uuid",
                     "/console/stream", f"/console/stream?id={origin}&after=-1", "/console/events?type=%01"):
            answer = await client.get(path, headers=signed_in(OPERATOR))
            assert answer.status_code == 400, (path, answer.text)
            assert "text/html" in answer.headers["content-type"] and "Nothing was changed" in answer.text
        assert (await client.get("/console/stream?id=nope-1", headers=signed_in(OPERATOR))).status_code == 404

        token = await _csrf(client, f"/console/stream?id={origin}")
        missing = await client.post("/console/stream/verify", data={"stream_id": "nope-1", "csrf": token},
                                    headers=signed_in(OPERATOR))
        assert missing.status_code == 404
        forged = await client.post("/console/stream/verify", data={"stream_id": story["origin"], "csrf": "0" * 64},
                                   headers=signed_in(OPERATOR))
        assert forged.status_code == 403
        assert await _checks(fresh_store) == checks_before == []  # nothing was recorded
        exact = await client.get(f"/console/streams?q={origin}&match=exact", headers=signed_in(OPERATOR),
                                 follow_redirects=False)
        assert exact.status_code == 303 and exact.headers["location"] == f"/console/stream?id={origin}"
