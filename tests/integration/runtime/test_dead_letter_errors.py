"""A dead letter keeps its error and attempts (issue 21, dead letters): the reactor notes them where it gives up,
before the reject (broker mode) or beside the inbox's outcome (feed mode); a note that cannot be written does not
hold the reject back; a letter the quorum queue's delivery limit dead-lettered says so; `splits dlq` shows the
errors, and a requeue forgets them."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

import orjson
from faststream.rabbit import Channel, RabbitBroker

from commands.ats.events import JobCreated
from commands.ats.job import CreateJob, job
from consumers.runtime.dead_letter_errors import (
    DELIVERY_LIMIT,
    ERROR_LIMIT,
    NOT_RECORDED,
    error_text,
    feed_dead_letter_counts,
    feed_dead_letters,
    with_errors,
)
from consumers.runtime.dlq import dead_letter_count, list_dead_letters, requeue_and_forget
from consumers.runtime.reactor import PermanentError, Reaction, Reactor, ReactorContext, ReactorRunner
from consumers.runtime.relay import Relay
from adapters.clock import FixedClock
from adapters.payments import SimulatedPayments
from adapters.settings import Settings
from eventstore import handle
from tests.conftest import RABBITMQ_URL
from tests.helpers import NOW, publish_settled, wait_until
from tests.integration.platform.test_cli import SPLITS

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


class Refuses:
    """A side effect that refuses jobs titled "poison…" (a PermanentError for "permanent…") until fixed."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fixed = False

    async def __call__(self, reaction: Reaction) -> None:
        title = reaction.event.title
        self.calls.append(title)
        if self.fixed:
            return
        if title.startswith("poison"):
            raise RuntimeError(f"the provider refused {title}")
        if title.startswith("permanent"):
            raise PermanentError("x" * 5000)


async def _job(store, title: str):
    job_id = uuid4()
    await handle(store, job, job_id, CreateJob(job_id=job_id, company_id=uuid4(), title=title, fee_bps=1000, by="u", at=NOW))
    return next(e for e in await store.read_stream(f"job-{job_id}") if e.type == "JobCreated")


def _context() -> ReactorContext:
    return ReactorContext(settings=Settings(environment="test"), payments=SimulatedPayments(), clock=FixedClock(AT))


@asynccontextmanager
async def _on_broker(store, amqp, topology, reactor: Reactor):
    runner = ReactorRunner(reactor, store.pool, store, store.registry, _context())
    channel = await amqp.channel()
    await topology.declare_reactor(channel, reactor.name, reactor.routing_keys(store.registry), reactor.retry_delays_ms())
    broker = RabbitBroker(RABBITMQ_URL, default_channel=Channel(on_return_raises=True), log_level=logging.DEBUG)
    runner.subscribe(broker, topology)
    await broker.start()
    try:
        yield runner, Relay(store.pool, broker, topology, store.registry)
    finally:
        await broker.stop()
        await topology.delete_all(channel, {reactor.name: reactor.retry_delays_ms()})


async def _rows(store) -> list[tuple]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT reactor, event_id::text, error, attempts, dead_lettered_at"
                                 " FROM eventstore.dead_letter_errors ORDER BY attempts")
        return await cur.fetchall()


async def test_a_dead_letter_keeps_its_error_and_attempts_until_requeued(fresh_store, amqp, topology) -> None:
    store, effects = fresh_store, Refuses()
    reactor = Reactor("audit", [JobCreated], effects, max_attempts=3, retry_base_ms=50)
    async with _on_broker(store, amqp, topology, reactor) as (runner, relay):
        poison, permanent, fine = [await _job(store, t) for t in ("poison pill", "permanent refusal", "fine")]
        await publish_settled(store, relay)

        async def two_letters() -> bool:
            return await dead_letter_count(amqp, topology, "audit") == 2

        await wait_until(two_letters)
        poison_id, permanent_id = str(poison.event_id), str(permanent.event_id)
        long_error = "PermanentError: " + "x" * (ERROR_LIMIT - len("PermanentError: ") - 1) + "…"
        assert await _rows(store) == [
            ("audit", permanent_id, long_error, 1, AT),  # given up at once, cut to the bound
            ("audit", poison_id, "RuntimeError: the provider refused poison pill", 3, AT),
        ]
        letters = await list_dead_letters(amqp, topology, "audit")
        views = await with_errors(store.pool, "audit", letters)
        assert {(v.event_id, v.type, v.stream_id, v.position, v.error, v.attempts, v.dead_lettered_at) for v in views} == {
            (poison_id, "JobCreated", poison.stream_id, str(poison.position), "RuntimeError: the provider refused poison pill", 3, AT),
            (permanent_id, "JobCreated", permanent.stream_id, str(permanent.position), long_error, 1, AT),
        }
        assert [v.event_id for v in views] == [letter.event_id for letter in letters]  # the same letters, in order
        assert all(letter.dead_lettered_at is not None and letter.reason == "rejected" for letter in letters)
        assert str(fine.event_id) not in {v.event_id for v in views}

        # `splits dlq` shows the same errors, and a requeue forgets the note of what it sent back.
        listed = await _splits(store, topology, "list", "audit")
        assert listed.returncode == 0, listed.stderr
        assert "    attempts=3  RuntimeError: the provider refused poison pill" in listed.stdout.splitlines()
        shown = await _splits(store, topology, "show", "audit", permanent_id)
        assert shown.returncode == 0 and orjson.loads(shown.stdout)["error"] == long_error, shown.stderr
        effects.fixed = True
        requeued = await _splits(store, topology, "requeue", "audit", "--id", poison_id)
        assert requeued.returncode == 0 and "requeued 1 dead letter(s)" in requeued.stdout, requeued.stderr
        await wait_until(lambda: _handled(runner, 2))
        assert [r[1] for r in await _rows(store)] == [permanent_id]

        # The console's requeue: sent back, and forgotten.
        assert await requeue_and_forget(RABBITMQ_URL, topology, store.pool, "audit") == 1
        await wait_until(lambda: _handled(runner, 3))
        assert await _rows(store) == []


async def _splits(store, topology, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": store.pool.conninfo, "RABBITMQ_URL": RABBITMQ_URL,
                        "RABBITMQ_PREFIX": topology.prefix, "LOG_LEVEL": "warning", "ENVIRONMENT": "test"}
    return await asyncio.to_thread(subprocess.run, [SPLITS, "dlq", *args], env=env, capture_output=True, text=True,
                                   timeout=120)


async def _handled(runner: ReactorRunner, n: int) -> bool:
    return runner.stats.handled == n


async def test_a_note_that_cannot_be_written_does_not_hold_back_the_reject(fresh_store, amqp, topology) -> None:
    store, effects = fresh_store, Refuses()
    async with store.pool.connection() as conn:
        await conn.execute("DROP TABLE eventstore.dead_letter_errors")  # every note fails
    reactor = Reactor("audit", [JobCreated], effects, max_attempts=2, retry_base_ms=50)
    async with _on_broker(store, amqp, topology, reactor) as (runner, relay):
        poison = await _job(store, "poison again")
        await publish_settled(store, relay)

        async def dead_lettered() -> bool:
            return await dead_letter_count(amqp, topology, "audit") == 1

        await wait_until(dead_lettered)
        [letter] = await list_dead_letters(amqp, topology, "audit")
        assert (letter.event_id, letter.reason, runner.stats.dead_lettered) == (str(poison.event_id), "rejected", 1)


async def test_a_letter_of_the_delivery_limit_says_so(fresh_store, amqp, topology) -> None:
    """A message that kills its consumer each time is dead-lettered by the quorum queue's delivery limit, with no
    note: nacking it back as often as the limit allows is what the broker sees of those crashes."""
    store = fresh_store
    topology = replace(topology, delivery_limit=1)
    reactor = Reactor("audit", [JobCreated], Refuses())
    channel = await amqp.channel()
    await topology.declare_reactor(channel, "audit", reactor.routing_keys(store.registry), reactor.retry_delays_ms())
    broker = RabbitBroker(RABBITMQ_URL, default_channel=Channel(on_return_raises=True), log_level=logging.DEBUG)
    await broker.connect()
    try:
        crash = await _job(store, "crash")
        await publish_settled(store, Relay(store.pool, broker, topology, store.registry))
        queue = await channel.get_queue(topology.reactor_queue("audit"), ensure=False)

        async def dead_lettered() -> bool:  # each delivery ends as a crash does: back to the queue, unhandled
            if (message := await queue.get(no_ack=False, fail=False)) is not None:
                await message.nack(requeue=True)
            return await dead_letter_count(amqp, topology, "audit") == 1

        await wait_until(dead_lettered)
        [view] = await with_errors(store.pool, "audit", await list_dead_letters(amqp, topology, "audit"))
        assert (view.event_id, view.error, view.attempts) == (str(crash.event_id), DELIVERY_LIMIT, None)
        assert view.dead_lettered_at is not None
    finally:
        await broker.stop()
        await topology.delete_all(channel, {"audit": reactor.retry_delays_ms()})


async def test_feed_mode_keeps_the_error_beside_the_inbox_outcome(fresh_store) -> None:
    store, effects = fresh_store, Refuses()
    reactor = Reactor("audit", [JobCreated], effects, max_attempts=2, retry_base_ms=10)
    runner = ReactorRunner(reactor, store.pool, store, store.registry, _context())
    poison = await _job(store, "poison in the feed")
    fine = await _job(store, "fine")
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_from_feed(stop))
    try:
        await wait_until(lambda: _handled(runner, 1))
        await wait_until(lambda: _dead(runner, 1))
    finally:
        stop.set()
        await task
    [view] = await feed_dead_letters(store.pool, "audit")
    assert (view.event_id, view.type, view.stream_id, view.position, view.error, view.attempts, view.dead_lettered_at) == (
        str(poison.event_id), "JobCreated", poison.stream_id, str(poison.position),
        "RuntimeError: the provider refused poison in the feed", 2, AT)
    assert await feed_dead_letter_counts(store.pool, ["audit", "other"]) == {"audit": 1, "other": 0}
    assert str(fine.event_id) != view.event_id and effects.calls.count("poison in the feed") == 2


async def test_a_feed_letter_without_a_note_says_none_was_recorded(fresh_store) -> None:
    store = fresh_store
    event = await _job(store, "old")
    async with store.pool.connection() as conn:  # dead-lettered before notes were kept
        await conn.execute("INSERT INTO eventstore.inbox (reactor, event_id, outcome) VALUES ('audit', %s, 'dead-lettered')",
                           (event.event_id,))
    [view] = await feed_dead_letters(store.pool, "audit")
    assert (view.error, view.attempts) == (NOT_RECORDED, None) and view.dead_lettered_at is not None


async def _dead(runner: ReactorRunner, n: int) -> bool:
    return runner.stats.dead_lettered == n


def test_the_error_kept_is_the_type_and_message_within_the_bound() -> None:
    assert error_text(RuntimeError("no")) == "RuntimeError: no"
    assert error_text(TimeoutError()) == "TimeoutError"
    assert len(error_text(ValueError("é" * 5000))) == ERROR_LIMIT
