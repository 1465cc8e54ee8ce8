"""Replay on the real PostgreSQL: shadow build, atomic swap, live traffic, readers and reactors alongside."""

from __future__ import annotations

import asyncio
import io
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql
from rich.console import Console

from commands.ats.events import JobCreated
from commands.ats.job import CreateJob, EditJob, PublishJob, job
from consumers.runtime.projector import Projector
from consumers.runtime.reactor import Reaction, Reactor, ReactorRunner
from consumers.runtime.replay import ReplayInProgress, replay, replay_with_progress
from eventstore import (
    EventStore,
    advisory_key,
    handle,
    load_checkpoint,
    save_checkpoint,
)
from projections.ats import ats
from tests.helpers import NOW, bulk_jobs, create_jobs, feed_settled, wait_until


async def table(store: EventStore, schema: str = "ats") -> list[dict]:
    """Every row and column of `<schema>.jobs`, in id order."""
    async with store.pool.connection() as conn:
        query = sql.SQL("SELECT to_jsonb(j) FROM {}.jobs j ORDER BY id").format(sql.Identifier(schema))
        return [row[0] for row in await (await conn.execute(query)).fetchall()]


async def from_scratch(store: EventStore, schema: str = "ats_reference") -> list[dict]:
    """The projection built by a brand-new projector into a schema of its own: what a replay must equal."""
    reference = Projector(store.pool, ats, store.registry, schema=schema, checkpoint=f"projection:{schema}")
    await reference.ensure_schema()
    await reference.catch_up()
    return await table(store, schema)


async def edit_some(store: EventStore, ids: list[UUID]) -> None:
    for i, job_id in enumerate(ids):
        await handle(store, job, job_id, EditJob(job_id=job_id, title=f"Edited {i}", salary_min_cents=1000 * i, by="u", at=NOW))
        if i % 2:
            await handle(store, job, job_id, PublishJob(job_id=job_id, billing_ready=True, by="u", at=NOW))


async def checkpoint_of(store: EventStore, name: str):
    async with store.pool.connection() as conn:
        return await load_checkpoint(conn, name)


async def schemas(store: EventStore) -> set[str]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ats%%'")
        return {row[0] for row in await cur.fetchall()}


async def live_projector_at_head(store: EventStore, projector: Projector) -> bool:
    position, _ = await projector.position()
    return position == await store.head()


async def test_replay_after_edits_equals_a_from_scratch_build(fresh_store) -> None:
    store = fresh_store
    await bulk_jobs(store, 2000)
    edited = await create_jobs(store, 40)
    await edit_some(store, edited)
    live = Projector(store.pool, ats, store.registry)
    await live.ensure_schema()
    await live.catch_up()
    await live.apply([], stream_offset=42)  # as if it followed the broker's log
    async with store.pool.connection() as conn:  # drift, as a buggy handler would leave it
        await conn.execute("UPDATE ats.jobs SET title = 'drifted' WHERE id = ANY(%s)", (edited[:10],))
        await conn.execute("DELETE FROM ats.jobs WHERE id = %s", (edited[-1],))
    await create_jobs(store, 5)  # the live projector has not seen these: the shadow ends ahead of it
    await feed_settled(store)
    calls: list[tuple[int, int]] = []

    result = await replay(store.pool, ats, store.registry, batch_size=300, progress=lambda d, t: calls.append((d, t)))

    expected = await from_scratch(store)
    assert len(expected) == 2045
    assert await table(store) == expected
    assert result.projection == "ats" and result.events == 2000 + 40 + 40 + 20 + 5
    assert result.events_per_s > 0
    assert len(calls) > 5 and calls[-1] == (result.events, result.events)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    live_checkpoint = await checkpoint_of(store, "projection:ats")
    assert live_checkpoint.position == await store.head()
    assert live_checkpoint.stream_offset == 42  # the live consumer's place in the log is kept
    assert await checkpoint_of(store, "projection:ats__rebuild") is None
    assert await schemas(store) == {"ats", "ats_reference"}


async def test_replay_when_the_live_projector_moved_ahead_catches_the_shadow_up_before_the_swap(fresh_store) -> None:
    store = fresh_store
    await create_jobs(store, 30)
    await feed_settled(store)
    live = Projector(store.pool, ats, store.registry)
    await live.ensure_schema()
    await live.catch_up()
    # Hold the live projector's batch lock, as a live batch in flight does, so the replay waits at its swap.
    holder = await psycopg.AsyncConnection.connect(store.pool.conninfo, autocommit=True)
    try:
        await holder.execute("SELECT pg_advisory_lock(%s)", (advisory_key("projection:ats"),))
        task = asyncio.create_task(replay(store.pool, ats, store.registry, batch_size=7))
        await wait_until(lambda: _waits_on_advisory_lock(holder))
        late = await create_jobs(store, 5)
        await feed_settled(store)
        # The live batch commits: the live checkpoint is now past everything the shadow was built from.
        await save_checkpoint(holder, "projection:ats", await store.head())
        await holder.execute("SELECT pg_advisory_unlock(%s)", (advisory_key("projection:ats"),))
        result = await task
    finally:
        await holder.close()

    swapped = await table(store)
    assert set(late) <= {UUID(row["id"]) for row in swapped}
    assert swapped == await from_scratch(store)
    assert result.events == 35
    assert (await checkpoint_of(store, "projection:ats")).position == await store.head()


@pytest.mark.slow
async def test_replay_under_live_traffic_matches_a_from_scratch_build_and_reads_never_fail(fresh_store) -> None:
    store = fresh_store
    await bulk_jobs(store, 5000)
    ids = await create_jobs(store, 50)
    await edit_some(store, ids)
    live = Projector(store.pool, ats, store.registry)
    stop_live, stop_traffic = asyncio.Event(), asyncio.Event()
    live_task = asyncio.create_task(live.run_from_feed(stop_live))
    await wait_until(lambda: live_projector_at_head(store, live), timeout=60)
    reads = {"prepared": 0, "plain": 0}
    errors: list[str] = []
    tasks = [asyncio.create_task(_traffic(store, stop_traffic, list(ids), seed)) for seed in range(4)]
    tasks += [asyncio.create_task(_reader(store, stop_traffic, kind, reads, errors)) for kind in reads]
    try:
        await wait_until(lambda: _all_read(reads))
        before = dict(reads)
        # Traffic never stops during the replay: it must still converge rather than chase the head.
        result = await asyncio.wait_for(replay(store.pool, ats, store.registry, batch_size=500), timeout=120)
        during = {kind: reads[kind] - before[kind] for kind in reads}
        await asyncio.sleep(0.5)  # traffic goes on after the swap, into the swapped-in schema
    finally:
        stop_traffic.set()
        written = await asyncio.gather(*tasks)
    await feed_settled(store)
    assert errors == []

    async def live_settled() -> bool:
        if live_task.done():
            live_task.result()  # the live projector stopped: show why, rather than time out
        return await live_projector_at_head(store, live)

    await wait_until(live_settled, timeout=60)
    stop_live.set()
    await live_task
    assert all(n > 0 for n in during.values()), during
    assert sum(n for n in written if n is not None) > 0
    assert result.events >= 5000 + 50 + 50 + 25
    assert await table(store) == await from_scratch(store)
    assert await schemas(store) == {"ats", "ats_reference"}


async def test_reactor_does_not_refire_during_or_after_a_replay(fresh_store) -> None:
    store = fresh_store
    calls: list[str] = []

    async def on_job_created(reaction: Reaction) -> None:
        calls.append(reaction.idempotency_key)

    runner = ReactorRunner(Reactor("audit", [JobCreated], on_job_created), store.pool, store, store.registry)
    stop = asyncio.Event()
    reactor_task = asyncio.create_task(runner.run_from_feed(stop, idle_poll_s=0.01))
    try:
        await create_jobs(store, 30)
        await wait_until(lambda: _handled(runner, 30))
        reactor_checkpoint = await checkpoint_of(store, "reactor:audit")

        await replay(store.pool, ats, store.registry, batch_size=10)
        await replay(store.pool, ats, store.registry, batch_size=10)
        await asyncio.sleep(0.3)  # room for any re-fire to show

        assert len(calls) == 30
        assert await checkpoint_of(store, "reactor:audit") == reactor_checkpoint
        await create_jobs(store, 5)  # and it carries on as before
        await wait_until(lambda: _handled(runner, 35))
    finally:
        stop.set()
        await reactor_task
    assert len(calls) == len(set(calls)) == 35
    assert runner.stats.duplicates == 0


async def test_second_replay_in_a_row_rebuilds_again(fresh_store) -> None:
    store = fresh_store
    ids = await create_jobs(store, 60)
    await edit_some(store, ids[:20])
    await feed_settled(store)
    await replay(store.pool, ats, store.registry, batch_size=25)  # also the first build: no live schema yet
    async with store.pool.connection() as conn:
        await conn.execute("TRUNCATE ats.jobs")

    second = await replay(store.pool, ats, store.registry, batch_size=25)

    assert second.events == 60 + 20 + 10
    assert len(await table(store)) == 60
    assert await table(store) == await from_scratch(store)
    assert await schemas(store) == {"ats", "ats_reference"}


async def test_leftovers_of_a_crashed_replay_are_discarded(fresh_store) -> None:
    store = fresh_store
    await create_jobs(store, 20)
    await feed_settled(store)
    leftover = Projector(store.pool, ats, store.registry, schema="ats__rebuild", checkpoint="projection:ats__rebuild")
    await leftover.ensure_schema()
    await leftover.catch_up()
    async with store.pool.connection() as conn:
        await conn.execute("DELETE FROM ats__rebuild.jobs")  # its checkpoint says done, its rows say otherwise
        await conn.execute("CREATE SCHEMA ats__old")

    await replay(store.pool, ats, store.registry)

    assert len(await table(store)) == 20
    assert await table(store) == await from_scratch(store)
    assert await checkpoint_of(store, "projection:ats__rebuild") is None
    assert await schemas(store) == {"ats", "ats_reference"}


async def test_concurrent_replay_of_the_same_projection_is_refused(fresh_store) -> None:
    store = fresh_store
    await create_jobs(store, 10)
    await feed_settled(store)
    holder = await psycopg.AsyncConnection.connect(store.pool.conninfo, autocommit=True)
    try:
        await holder.execute("SELECT pg_advisory_lock(%s)", (advisory_key("projection:ats"),))
        first = asyncio.create_task(replay(store.pool, ats, store.registry))
        await wait_until(lambda: _waits_on_advisory_lock(holder))  # the first is at its swap

        with pytest.raises(ReplayInProgress):
            await replay(store.pool, ats, store.registry)

        await holder.execute("SELECT pg_advisory_unlock(%s)", (advisory_key("projection:ats"),))
        await first
    finally:
        await holder.close()
    assert await table(store) == await from_scratch(store)


async def _waits_on_advisory_lock(conn: psycopg.AsyncConnection) -> bool:
    cur = await conn.execute(
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
    )
    return await cur.fetchone() is not None


async def _traffic(store: EventStore, stop: asyncio.Event, ids: list[UUID], seed: int) -> int:
    """Create and edit jobs through the command path until `stop`; returns the commands handled."""
    n = 0
    while not stop.is_set():
        new = uuid4()
        await handle(store, job, new, CreateJob(job_id=new, company_id=uuid4(), title=f"Live {seed}.{n}", fee_bps=1500, by="u", at=NOW))
        ids.append(new)
        target = ids[(n * 7 + seed) % len(ids)]
        await handle(store, job, target, EditJob(job_id=target, title=f"Live edit {seed}.{n}", by="u", at=NOW))
        n += 2
    return n


async def _reader(store: EventStore, stop: asyncio.Event, kind: str, reads: dict[str, int], errors: list[str]) -> None:
    """Query the live schema in a loop, as the API does; a prepared reader also exercises plan invalidation."""
    conn = await psycopg.AsyncConnection.connect(
        store.pool.conninfo, autocommit=True, prepare_threshold=0 if kind == "prepared" else None
    )
    try:
        while not stop.is_set():
            try:
                await (await conn.execute("SELECT count(*), max(updated_at) FROM ats.jobs WHERE status <> 'x'")).fetchone()
                reads[kind] += 1
            except psycopg.Error as exc:
                errors.append(f"{kind}: {exc!r}")
            await asyncio.sleep(0.002)  # an API's pace, not a busy loop starving the rest of the test
    finally:
        await conn.close()


async def _all_read(reads: dict[str, int]) -> bool:
    return all(n > 0 for n in reads.values())


async def _handled(runner: ReactorRunner, n: int) -> bool:
    return runner.stats.handled >= n


async def test_replay_with_progress_shows_events_done_of_total_and_rate(fresh_store) -> None:
    store = fresh_store
    await create_jobs(store, 12)
    await feed_settled(store)
    console = Console(file=io.StringIO(), width=150, record=True)

    result = await replay_with_progress(store.pool, ats, store.registry, batch_size=5, console=console)

    shown = console.export_text()
    assert result.events == 12
    assert "replay ats" in shown and "12/12" in shown and "ev/s" in shown
    assert await table(store) == await from_scratch(store)
