"""The console's Dead letters pages in Chromium and over HTTP, with RabbitMQ: a reactor that fails until fixed
dead-letters an event; the pages show it with its error and attempts, the same letters as `list_dead_letters`; a
requeue from the page, through its confirmation, reaches the reactor once and is recorded with the operator as
actor; the same form posted again moves nothing; non-admins get 403; bad input is a page that changes nothing.
Without RabbitMQ the page shows what the feed mode recorded and says a requeue needs RabbitMQ."""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import uuid4

from faststream.rabbit import Channel, RabbitBroker

from commands.ats.events import JobCreated
from commands.ats.job import CreateJob, job
from commands.identity.user import user_id_for
from commands.operations.dead_letters import dead_letters
from consumers.runtime.dead_letter_errors import dead_letter_errors
from consumers.runtime.dlq import dead_letter_count, dead_letters_with_errors, list_dead_letters
from consumers.runtime.reactor import Reaction, Reactor, ReactorRunner
from eventstore import EventStore, handle, stream_id_for
from tests.conftest import RABBITMQ_URL
from tests.helpers import NOW, wait_until
from tests.integration.operations.browser import NOT_AN_OPERATOR, OPERATOR, console_browser, console_settings, console_site

# The console knows the deployment's reactors only: a stand-in handler runs under a real reactor's name, on the
# test's own queues (the site runs only the relay and the identity projector).
REACTOR = "fraud-signals"
SESSION = "__session"


def signed_in(clerk_user_id: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION}=dev:{clerk_user_id}"}


class FailsUntilFixed:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fixed = False

    async def __call__(self, reaction: Reaction) -> None:
        self.calls.append(reaction.event.title)
        if reaction.event.title.startswith("poison") and not self.fixed:
            raise RuntimeError(f"the provider refused {reaction.event.title}")


@asynccontextmanager
async def failing_reactor(store: EventStore, topology, amqp):
    effects = FailsUntilFixed()
    reactor = Reactor(REACTOR, [JobCreated], effects, max_attempts=3, retry_base_ms=50)
    channel = await amqp.channel()
    await topology.declare_reactor(channel, REACTOR, reactor.routing_keys(store.registry), reactor.retry_delays_ms())
    runner = ReactorRunner(reactor, store.pool, store, store.registry)
    broker = RabbitBroker(RABBITMQ_URL, default_channel=Channel(on_return_raises=True), log_level=logging.DEBUG)
    runner.subscribe(broker, topology)
    await broker.start()
    try:
        yield runner, effects
    finally:
        await broker.stop()


async def _job(store: EventStore, title: str):
    job_id = uuid4()
    await handle(store, job, job_id, CreateJob(job_id=job_id, company_id=uuid4(), title=title, fee_bps=1000, by="u", at=NOW))
    return next(e for e in await store.read_stream(f"job-{job_id}") if e.type == "JobCreated")


async def _inbox(store: EventStore, event_id) -> list[str]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT outcome FROM eventstore.inbox WHERE reactor = %s AND event_id = %s",
                                 (REACTOR, event_id))
        return [row[0] for row in await cur.fetchall()]


def _cells(text: str) -> list[str]:
    return [cell.strip() for cell in text.split("\t")]


async def test_a_dead_letter_is_shown_with_its_error_and_requeued_once_from_the_page(fresh_store, topology, amqp,
                                                                                     tmp_path: Path) -> None:
    store = fresh_store
    settings = console_settings(store, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix)
    async with console_site(store, settings, consumers={"relay"}) as (base_url, _, _), \
            failing_reactor(store, topology, amqp) as (runner, effects):
        fine, poison = await _job(store, "fine"), await _job(store, "poison pill")

        async def dead_lettered() -> bool:
            return runner.stats.handled >= 1 and await dead_letter_count(amqp, topology, REACTOR) == 1

        await wait_until(dead_lettered, timeout=60)
        letters = await dead_letters_with_errors(RABBITMQ_URL, topology, store.pool, REACTOR)
        assert [v.event_id for v in letters] == [l.event_id for l in await list_dead_letters(amqp, topology, REACTOR)]
        [letter] = letters
        assert (letter.event_id, letter.error, letter.attempts) == (
            str(poison.event_id), "RuntimeError: the provider refused poison pill", 3)

        async with console_browser(base_url, OPERATOR, tmp_path) as browser:
            page = await browser.open("/console/dead-letters")
            assert _cells(await page.inner_text(f"#reactors tr[data-reactor='{REACTOR}']")) == [REACTOR, "1"]
            assert _cells(await page.inner_text("#reactors tr[data-reactor='notifier']")) == ["notifier", "0"]
            await browser.shot(page, "dead-letters")

            async with page.expect_navigation():
                await page.click(f"#reactors tr[data-reactor='{REACTOR}'] a")
            assert page.url == f"{base_url}/console/dead-letters/{REACTOR}"
            rows = await page.query_selector_all("#letters tr[data-event-id]")
            shown = [_cells(await row.inner_text()) for row in rows]
            assert shown == [[letter.event_id, letter.type, letter.stream_id, letter.position, letter.error,
                              str(letter.attempts), letter.dead_lettered_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                              "Requeue…"]]
            await browser.shot(page, "dead-letters-reactor")

            calls_before = effects.calls.count("poison pill")
            effects.fixed = True  # the cause is fixed; now send it back
            async with page.expect_navigation():
                await page.click(f"#letters tr[data-event-id='{poison.event_id}'] a.requeue")
            assert "/requeue?event_id=" in page.url
            assert await dead_letter_count(amqp, topology, REACTOR) == 1  # the confirmation moves nothing
            assert effects.calls.count("poison pill") == calls_before
            await browser.shot(page, "dead-letters-confirm")
            async with page.expect_navigation():
                await page.click("#confirm button")
            assert re.match(r"^1 dead letter sent back", await page.inner_text("#result"))
            await browser.shot(page, "dead-letters-requeued")

            async def handled() -> bool:
                return await _inbox(store, poison.event_id) == ["done"]

            await wait_until(handled)
            await asyncio.sleep(1.0)  # time for a second delivery, were there one
            assert effects.calls.count("poison pill") == calls_before + 1  # reached the reactor once
            assert await dead_letter_count(amqp, topology, REACTOR) == 0
            assert await dead_letter_errors(store.pool, REACTOR, [str(poison.event_id)]) == {}

            page = await browser.open(f"/console/dead-letters/{REACTOR}")
            assert (await page.inner_text("#count")).startswith("0 dead letters")
            assert await page.query_selector("#requeue-all") is None
            browser.assert_clean()

        recorded = await store.read_stream(stream_id_for(dead_letters, REACTOR))
        assert [(e.type, e.data["reactor"], e.data["event_id"], e.data["moved"], e.data["operator"]) for e in recorded] == [
            ("DeadLettersRequeued", REACTOR, str(poison.event_id), 1, OPERATOR)]
        assert recorded[0].metadata["actor"] == str(user_id_for(OPERATOR))
        assert effects.calls.count("fine") == 1 and await _inbox(store, fine.event_id) == ["done"]

        async with console_browser(base_url, NOT_AN_OPERATOR, tmp_path) as browser:
            for path in ("/console/dead-letters", f"/console/dead-letters/{REACTOR}",
                         f"/console/dead-letters/{REACTOR}/requeue"):
                page = await browser.open(path, status=403)
                assert "platform admins only" in await page.inner_text("main")
            browser.assert_clean()


async def _form(client, path: str) -> dict[str, str]:
    page = (await client.get(path, headers=signed_in(OPERATOR))).text
    form = page.split('id="confirm"', 1)[1]
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


async def test_requeue_all_needs_its_confirmation_and_the_same_form_twice_moves_nothing(fresh_store, topology, amqp
                                                                                        ) -> None:
    store = fresh_store
    settings = console_settings(store, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix)
    async with console_site(store, settings, consumers={"relay"}) as (_, client, _), \
            failing_reactor(store, topology, amqp) as (runner, effects):
        poisons = [await _job(store, f"poison {n}") for n in range(2)]

        async def dead_lettered() -> bool:
            return await dead_letter_count(amqp, topology, REACTOR) == 2

        await wait_until(dead_lettered, timeout=60)
        path = f"/console/dead-letters/{REACTOR}/requeue"
        form = await _form(client, path)
        assert set(form) == {"csrf", "requeue_id", "confirmed"} and form["confirmed"] == "yes"

        # Refused, and nothing moves: no confirmation, no requeue id, a bad event id, an unknown reactor.
        refused = [
            (path, {**form, "confirmed": "no"}, 400), (path, {k: v for k, v in form.items() if k != "requeue_id"}, 400),
            (path, {**form, "event_id": "not-a-uuid"}, 400), ("/console/dead-letters/no-such/requeue", form, 404),
            (path, {k: v for k, v in form.items() if k != "csrf"}, 403),
        ]
        for url, data, status in refused:
            answer = await client.post(url, data=data, headers=signed_in(OPERATOR))
            assert answer.status_code == status and "text/html" in answer.headers["content-type"], (data, answer.text)
        for url, status in ((f"/console/dead-letters/{'x' * 5000}", 404), (f"{path}?event_id=nope", 400),
                            ("/console/dead-letters/no-such", 404)):
            answer = await client.get(url, headers=signed_in(OPERATOR))
            assert answer.status_code == status and "nothing was changed" in answer.text, url
        assert await dead_letter_count(amqp, topology, REACTOR) == 2
        assert await store.read_stream(stream_id_for(dead_letters, REACTOR)) == []

        effects.fixed = True
        first = await client.post(path, data=form, headers=signed_in(OPERATOR))
        assert first.status_code == 200 and "2</span> dead letters" in first.text
        again = await client.post(path, data=form, headers=signed_in(OPERATOR))
        assert again.status_code == 200 and "already done" in again.text

        async def handled() -> bool:
            return all([await _inbox(store, p.event_id) == ["done"] for p in poisons])

        await wait_until(handled)
        recorded = await store.read_stream(stream_id_for(dead_letters, REACTOR))
        assert [(e.data["event_id"], e.data["moved"]) for e in recorded] == [(None, 2)]
        assert sorted(effects.calls) == sorted(["poison 0"] * 4 + ["poison 1"] * 4)  # 3 tries, then once more


async def test_without_rabbitmq_the_page_shows_the_feed_modes_letters_and_says_requeue_needs_it(
        fresh_store, tmp_path: Path) -> None:
    store = fresh_store
    poison = await _job(store, "poison in the feed")
    runner = ReactorRunner(Reactor(REACTOR, [JobCreated], FailsUntilFixed(), max_attempts=2, retry_base_ms=10),
                           store.pool, store, store.registry)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_from_feed(stop))
    try:
        await wait_until(lambda: _dead(runner))
    finally:
        stop.set()
        await task
    async with console_site(store) as (base_url, client, _):
        async with console_browser(base_url, OPERATOR, tmp_path) as browser:
            page = await browser.open("/console/dead-letters")
            assert "A requeue needs RabbitMQ" in await page.inner_text("#note")
            assert _cells(await page.inner_text(f"#reactors tr[data-reactor='{REACTOR}']")) == [REACTOR, "1"]
            page = await browser.open(f"/console/dead-letters/{REACTOR}")
            [row] = [_cells(await r.inner_text()) for r in await page.query_selector_all("#letters tr[data-event-id]")]
            assert row[:6] == [str(poison.event_id), "JobCreated", poison.stream_id, str(poison.position),
                               "RuntimeError: the provider refused poison in the feed", "2"]
            assert await page.query_selector("a.requeue") is None and await page.query_selector("#requeue-all") is None
            await browser.shot(page, "dead-letters-feed")
            page = await browser.open(f"/console/dead-letters/{REACTOR}/requeue", status=409)
            assert "Requeue needs RabbitMQ" in await page.inner_text("main")
            browser.assert_clean()


async def _dead(runner: ReactorRunner) -> bool:
    return runner.stats.dead_lettered == 1
