"""The feed's readers are woken by appends instead of polling: the after-commit hint, its coalescing, and the
relay and feed-driven consumers waking on it (with a safety poll far longer than the waits measured here)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import psycopg

from consumers.runtime.projector import Projector
from consumers.runtime.relay import Relay
from consumers.runtime.waiting import FeedWakeups
from eventstore import START, Position
from eventstore.wakeups import listen, woken
from projections.ats import ats
from tests.helpers import create_jobs, wait_until

SAFETY_POLL_S = 30.0  # far longer than any wait below: only a wake-up can explain a prompt read


async def test_an_append_notifies_after_commit_with_its_position(fresh_store) -> None:
    store = fresh_store
    listener = await psycopg.AsyncConnection.connect(store.pool.conninfo, autocommit=True)
    try:
        await listen(listener)
        [job_id] = await create_jobs(store, 1)
        hint = await woken(listener, 5.0)
        assert hint is not None
        assert hint == await _last_stored(store)  # the append's own position
    finally:
        await listener.close()


async def test_concurrent_appends_share_notifies(fresh_store) -> None:
    """At most one notify in flight per process: 200 appends at once cost a handful, and the last names the
    highest position appended."""
    store = fresh_store
    listener = await psycopg.AsyncConnection.connect(store.pool.conninfo, autocommit=True)
    try:
        await listen(listener)
        await asyncio.gather(*(create_jobs(store, 10) for _ in range(20)))
        await store.signal.flushed()
        names: list[Position] = []
        while (hint := await woken(listener, 0.5)) is not None:
            names.append(hint)
        assert 1 <= len(names) < 100
        assert max(names) == await _last_stored(store)
    finally:
        await listener.close()


async def test_a_store_that_does_not_wake_sends_nothing(fresh_database_url) -> None:
    from eventstore import EventStore, create_pool
    from infra.bootstrap import event_registry

    async with create_pool(fresh_database_url, min_size=1, max_size=4) as pool:
        store = EventStore(pool, event_registry(), wake_readers=False)
        listener = await psycopg.AsyncConnection.connect(pool.conninfo, autocommit=True)
        try:
            await listen(listener)
            await create_jobs(store, 3)
            assert await woken(listener, 0.5) is None
        finally:
            await listener.close()


@contextlib.asynccontextmanager
async def waiting_relay(store, broker, amqp, topology) -> AsyncIterator[Relay]:
    """A leading relay whose first read found the feed empty and which now waits, its safety poll far away."""
    channel = await amqp.channel()
    await topology.declare_events(channel)
    relay = Relay(store.pool, broker, topology, store.registry, idle_poll_s=SAFETY_POLL_S)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await wait_until(_leader(relay))
        await asyncio.sleep(0.3)
        yield relay
    finally:
        stop.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_relay_publishes_on_a_wake_up_not_at_its_poll(fresh_store, broker, amqp, topology) -> None:
    async with waiting_relay(fresh_store, broker, amqp, topology) as relay:
        assert relay.stats.published == 0
        await create_jobs(fresh_store, 3)
        await wait_until(_published(relay, 3), timeout=5)


async def test_the_relay_rereads_while_an_older_transaction_holds_the_woken_events_back(
    fresh_store, broker, amqp, topology
) -> None:
    """The hint arrives while an older transaction is open, so the feed does not show the event yet; the relay
    reads again soon after and publishes it once that transaction ends, long before its safety poll."""
    older = await psycopg.AsyncConnection.connect(fresh_store.pool.conninfo)
    try:
        async with waiting_relay(fresh_store, broker, amqp, topology) as relay:
            await older.execute("SELECT pg_current_xact_id()")  # takes an xid: the feed's xmin stays below it
            await create_jobs(fresh_store, 1)
            await asyncio.sleep(0.5)
            assert relay.stats.published == 0  # held back, as the feed must
            await older.commit()
            await wait_until(_published(relay, 1), timeout=5)
    finally:
        await older.close()


async def test_a_feed_driven_projector_wakes_on_appends(fresh_store) -> None:
    store = fresh_store
    wakeups = FeedWakeups(store.pool.conninfo)
    projector = Projector(store.pool, ats, store.registry)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(wakeups.run(stop)),
             asyncio.create_task(projector.run_from_feed(stop, wakeups, idle_poll_s=SAFETY_POLL_S))]
    try:
        await wait_until(_live(projector))
        await asyncio.sleep(0.3)
        await create_jobs(store, 2)
        await wait_until(_applied(projector, 2), timeout=5)
        assert wakeups.received >= 1
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)


async def _last_stored(store) -> Position:
    """The position of the last event stored (not the feed's head: other databases' open transactions on
    this server can hold that back)."""
    async with store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT tx_id::text, position FROM eventstore.events ORDER BY tx_id DESC, position DESC LIMIT 1")
        tx, pos = await cur.fetchone()
    return Position(int(tx), pos)


def _leader(relay: Relay):
    async def check() -> bool:
        return relay.stats.is_leader
    return check


def _published(relay: Relay, n: int):
    async def check() -> bool:
        return relay.stats.published >= n
    return check


def _live(projector: Projector):
    async def check() -> bool:
        return projector.stats.mode == "live"
    return check


def _applied(projector: Projector, n: int):
    async def check() -> bool:
        return projector.stats.applied >= n and projector.stats.position > START
    return check


async def test_closing_the_pool_while_a_wake_up_is_in_flight_leaves_the_event_loop_clean(fresh_database_url) -> None:
    """The pool's close waits for the wake-up being sent on its side connection. Closing the socket under it
    left the event loop watching a closed descriptor, and the next connection given the same number failed
    to connect ("connection socket closed"), in whichever test or process ran next on that loop."""
    from eventstore import EventStore, create_pool
    from infra.bootstrap import event_registry

    async with create_pool(fresh_database_url, min_size=1, max_size=2) as pool:
        store = EventStore(pool, event_registry())
        await create_jobs(store, 1)
        await store.signal.flushed()  # the side connection is open
        side_fd = pool._side.fileno()
        await create_jobs(store, 1)
        for _ in range(10_000):  # until the wake-up's statement is on the wire
            if pool._side.lock.locked():
                break
            await asyncio.sleep(0)
        assert pool._side.lock.locked()
    # The descriptor numbers just freed are handed out again, lowest first: one of these gets the side's.
    opened: list[psycopg.AsyncConnection] = []
    try:
        while side_fd not in [conn.fileno() for conn in opened] and len(opened) < 8:
            opened.append(conn := await psycopg.AsyncConnection.connect(fresh_database_url, autocommit=True))
            assert (await (await conn.execute("SELECT 1")).fetchone()) == (1,)
        assert side_fd in [conn.fileno() for conn in opened]
    finally:
        for conn in opened:
            await conn.close()
