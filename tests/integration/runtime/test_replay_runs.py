"""The console's replay runs on the real PostgreSQL: the rows every API process reads (progress, the end, an
abandoned run) and the runner that replays in the background and records each run as events."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import psycopg
import pytest

from adapters.clock import FixedClock
from commands.operations.replay_events import ReplayCompleted, ReplayFailed, ReplayRequested
from consumers.runtime import replay_runs
from consumers.runtime.projector import Projector
from consumers.runtime.replay import ReplayInProgress
from consumers.runtime.replay_runner import ReplayRunner, UnknownProjection, describe
from eventstore import EventStore, Metadata, advisory_key, create_pool
from projections.ats import ats
from tests.helpers import NOW, create_jobs, feed_settled, holding, release, wait_until
from tests.integration.runtime.test_replay import from_scratch, table

OPERATOR = "user_operator_1"


async def run_rows(store: EventStore) -> int:
    async with store.pool.connection() as conn:
        return (await (await conn.execute("SELECT count(*) FROM eventstore.replay_runs")).fetchone())[0]


async def age(store: EventStore, run_id, seconds: float) -> None:
    """As if nothing had updated the run for `seconds`."""
    async with store.pool.connection() as conn:
        await conn.execute("UPDATE eventstore.replay_runs SET updated_at = now() - make_interval(secs => %s)"
                           " WHERE run_id = %s", (seconds, run_id))


async def test_a_run_records_its_progress_and_its_end(fresh_store) -> None:
    store = fresh_store
    run_id = uuid4()
    assert await replay_runs.begin_run(store.pool, run_id, "ats")

    assert not await replay_runs.begin_run(store.pool, uuid4(), "ats")  # one running replay per projection
    assert await run_rows(store) == 1
    assert await replay_runs.begin_run(store.pool, other := uuid4(), "network")  # another projection is free
    started = await replay_runs.get_run(store.pool, run_id)
    assert (started.state, started.done, started.total, started.finished) == ("running", 0, None, False)
    await replay_runs.record_progress(store.pool, run_id, 40, 100)
    running = await replay_runs.get_run(store.pool, run_id)
    assert (running.done, running.total, running.shown_state) == (40, 100, "running")
    await replay_runs.complete_run(store.pool, run_id, 120, 2.0, "7.3")
    await replay_runs.record_progress(store.pool, run_id, 50, 100)  # a late report changes an ended run not

    done = await replay_runs.get_run(store.pool, run_id)
    assert (done.state, done.done, done.total, done.events, done.seconds, done.position) == (
        "completed", 120, 120, 120, 2.0, "7.3")
    assert done.finished and done.finished_at is not None and done.events_per_s == 60.0
    await replay_runs.fail_run(store.pool, other, "RuntimeError: " + "x" * 900)
    latest = await replay_runs.latest_runs(store.pool)
    assert {name: run.state for name, run in latest.items()} == {"ats": "completed", "network": "failed"}
    assert len(latest["network"].error) == replay_runs.ERROR_CHARS
    assert await replay_runs.get_run(store.pool, uuid4()) is None
    assert await replay_runs.begin_run(store.pool, uuid4(), "ats")  # the ended run no longer blocks


async def test_a_quiet_run_without_its_lock_is_abandoned_and_no_longer_blocks(fresh_store) -> None:
    store = fresh_store
    run_id = uuid4()
    assert await replay_runs.begin_run(store.pool, run_id, "ats")
    await age(store, run_id, replay_runs.ABANDONED_AFTER_S - 5)
    assert (await replay_runs.get_run(store.pool, run_id)).shown_state == "running"  # quiet, not long enough
    assert not await replay_runs.begin_run(store.pool, uuid4(), "ats")
    await age(store, run_id, replay_runs.ABANDONED_AFTER_S + 5)

    assert (await replay_runs.get_run(store.pool, run_id)).shown_state == "abandoned"
    assert (await replay_runs.latest_runs(store.pool))["ats"].finished
    after = uuid4()
    assert await replay_runs.begin_run(store.pool, after, "ats")
    old = await replay_runs.get_run(store.pool, run_id)
    assert (old.state, old.finished_at is not None) == ("abandoned", True)
    assert (await replay_runs.latest_runs(store.pool))["ats"].run_id == after


async def test_a_quiet_run_whose_lock_is_held_is_still_running(fresh_store) -> None:
    store = fresh_store
    run_id = uuid4()
    assert await replay_runs.begin_run(store.pool, run_id, "ats")
    await age(store, run_id, replay_runs.ABANDONED_AFTER_S + 60)
    holder = await holding(store, replay_runs.replay_lock_key("ats"))
    try:
        run = await replay_runs.get_run(store.pool, run_id)
        assert (run.lock_held, run.shown_state) == (True, "running")
        assert not await replay_runs.begin_run(store.pool, uuid4(), "ats")
        assert await replay_runs.replays_locked(store.pool, ["ats", "network"]) == {"ats"}
    finally:
        await release(holder)
    assert await replay_runs.replays_locked(store.pool, ["ats", "network"]) == set()
    assert (await replay_runs.get_run(store.pool, run_id)).shown_state == "abandoned"


async def test_a_replay_outside_the_console_blocks_a_start(fresh_store) -> None:
    store = fresh_store
    holder = await holding(store, replay_runs.replay_lock_key("ats"))  # as `splits replay ats` holds it
    try:
        assert not await replay_runs.begin_run(store.pool, uuid4(), "ats")
    finally:
        await release(holder)
    assert await run_rows(store) == 0


def runner(store: EventStore, **options) -> ReplayRunner:
    return ReplayRunner(store, FixedClock(NOW), {"ats": ats}, **options)


async def test_the_runner_replays_in_the_background_and_records_the_run(fresh_store) -> None:
    store = fresh_store
    await create_jobs(store, 30)
    await feed_settled(store)
    live = Projector(store.pool, ats, store.registry)
    await live.ensure_schema()
    await live.catch_up()
    before = await table(store)
    assert len(before) == 30
    replays = runner(store, batch_size=7, report_every_s=0.05, heartbeat_s=0.2)
    metadata = Metadata(actor=OPERATOR, correlation_id="console-1")
    # Hold the live projector's batch lock, as a live batch does: the replay waits at its swap.
    holder = await holding(store, advisory_key("projection:ats"))
    try:
        run_id = await replays.start("ats", OPERATOR, metadata)

        async def built() -> bool:
            run = await replay_runs.get_run(store.pool, run_id)
            return run.done >= 30 and run.total is not None
        await wait_until(built)
        with pytest.raises(ReplayInProgress):
            await replays.start("ats", OPERATOR, metadata)
        await asyncio.sleep(1.5)  # the heartbeat keeps a run that waits fresh
        waiting = await replay_runs.get_run(store.pool, run_id)
        assert (waiting.shown_state, waiting.lock_held) == ("running", True) and waiting.quiet_s < 1.0
        assert replays.running == {run_id}
    finally:
        await release(holder)

    async def ended() -> bool:
        return (await replay_runs.get_run(store.pool, run_id)).finished
    await wait_until(ended)
    run = await replay_runs.get_run(store.pool, run_id)
    assert (run.state, run.done, run.total, run.error) == ("completed", run.events, run.events, None)
    assert run.events in (30, 31)  # the jobs, and the request if the build read it (else the live projector does)
    assert run.position == str((await live.position())[0])  # where the live projector carries on from
    assert await table(store) == before == await from_scratch(store)
    recorded = await store.read_stream(f"replayrun-{run_id}")
    assert [e.type for e in recorded] == ["ReplayRequested", "ReplayCompleted"]
    assert all(e.metadata["actor"] == OPERATOR and e.metadata["correlation_id"] == "console-1" for e in recorded)
    requested, completed = (store.registry.decode(e) for e in recorded)
    assert requested == ReplayRequested(run_id=run_id, projection="ats", operator=OPERATOR, at=NOW)
    assert isinstance(completed, ReplayCompleted) and completed.operator == OPERATOR
    assert (completed.events, completed.position) == (run.events, run.position)
    assert replays.running == set()


async def test_stopping_the_runner_ends_its_replay_as_failed(fresh_store) -> None:
    store = fresh_store
    await create_jobs(store, 5)
    await feed_settled(store)
    replays = runner(store, batch_size=2)
    holder = await holding(store, advisory_key("projection:ats"))
    try:
        run_id = await replays.start("ats", OPERATOR, Metadata(actor=OPERATOR))
        await wait_until(lambda: _waits_on_a_lock(holder))
        await replays.stop()
    finally:
        await release(holder)

    run = await replay_runs.get_run(store.pool, run_id)
    assert (run.state, run.error) == ("failed", "cancelled: the process running it stopped")
    recorded = [store.registry.decode(e) for e in await store.read_stream(f"replayrun-{run_id}")]
    assert isinstance(recorded[-1], ReplayFailed) and recorded[-1].operator == OPERATOR
    assert await replay_runs.replays_locked(store.pool, ["ats"]) == set()
    assert await replay_runs.begin_run(store.pool, uuid4(), "ats")


async def test_a_running_replay_leaves_the_api_pool_to_the_requests(fresh_store) -> None:
    await create_jobs(fresh_store, 20)
    await feed_settled(fresh_store)
    # The API's pool, as small as can be: the replay's lock, its build and its swap would take all of it.
    async with create_pool(fresh_store.pool.conninfo, min_size=1, max_size=2) as small:
        store = EventStore(small, fresh_store.registry)
        replays = runner(store, batch_size=5, report_every_s=0.05)
        holder = await holding(store, advisory_key("projection:ats"))
        try:
            run_id = await replays.start("ats", OPERATOR, Metadata(actor=OPERATOR))
            await wait_until(lambda: _waits_on_a_lock(holder))  # built, and waiting at its swap
            for _ in range(3):  # requests still get both connections at once, promptly
                async with small.connection(timeout=2) as one, small.connection(timeout=2) as two:
                    await one.execute("SELECT 1")
                    await two.execute("SELECT 1")
        finally:
            await release(holder)

        async def ended() -> bool:
            return (await replay_runs.get_run(small, run_id)).finished
        await wait_until(ended)
        assert (await replay_runs.get_run(small, run_id)).state == "completed"


async def test_the_runner_refuses_an_unknown_projection_and_writes_nothing(fresh_store) -> None:
    store = fresh_store
    with pytest.raises(UnknownProjection):
        await runner(store).start("nope", OPERATOR, Metadata(actor=OPERATOR))
    assert await run_rows(store) == 0


def test_a_recorded_error_is_its_type_and_first_line() -> None:
    error = psycopg.errors.UniqueViolation('duplicate key value violates unique constraint "x"\n'
                                           "DETAIL:  Key (email)=(someone@example.com) already exists.")
    assert describe(error) == 'UniqueViolation: duplicate key value violates unique constraint "x"'
    assert describe(RuntimeError()) == "RuntimeError"


async def _waits_on_a_lock(holder: psycopg.AsyncConnection) -> bool:
    cur = await holder.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    return (await cur.fetchone())[0] > 0
