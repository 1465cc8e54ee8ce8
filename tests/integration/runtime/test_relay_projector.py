"""Relay → RabbitMQ log → projector, on the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio

import pytest

from commands.ats.job import EditJob, PublishJob, job
from consumers.runtime.projector import Projector
from consumers.runtime.relay import Relay
from eventstore import Position, handle
from projections.ats import ats
from tests.helpers import NOW, bulk_jobs, create_jobs, publish_settled, rows, wait_until


class Running:
    """Background tasks sharing one stop flag."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    def start(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self.tasks.append(task)
        return task

    async def close(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@pytest.fixture
async def running():
    r = Running()
    yield r
    await r.close()


async def test_events_flow_from_store_through_log_to_read_model(fresh_store, broker, amqp, topology, running) -> None:
    store = fresh_store
    channel = await amqp.channel()
    await topology.declare_events(channel)
    relay = Relay(store.pool, broker, topology, store.registry)
    projector = Projector(store.pool, ats, store.registry)
    running.start(relay.run(running.stop))
    running.start(projector.run_from_log(running.stop, amqp, topology))
    await wait_until(lambda: _is_live(projector))

    ids = await create_jobs(store, 20)
    result = await handle(store, job, ids[0], PublishJob(job_id=ids[0], billing_ready=True, by="u", at=NOW))
    await handle(store, job, ids[1], EditJob(job_id=ids[1], title="Renamed", by="u", at=NOW))

    async def caught_up() -> bool:
        position, _ = await projector.position()
        return position >= Position.parse(result.token) and len(await rows(store)) == 20

    await wait_until(caught_up)
    await wait_until(lambda: _has_title(store, ids[1], "Renamed"))
    table = await rows(store)
    assert table[ids[0]][1] == "active"
    assert projector.stats.caught_up_from_store == 0  # everything came through the log
    assert relay.stats.published >= 22


async def _has_title(store, job_id, title) -> bool:
    return (await rows(store)).get(job_id, (None,))[0] == title


async def _is_live(projector: Projector) -> bool:
    return projector.stats.mode == "live"


async def test_republished_events_leave_the_read_model_unchanged(fresh_store, broker, amqp, topology, running) -> None:
    """The relay crashed after the broker confirmed, before its checkpoint: everything comes again."""
    store = fresh_store
    channel = await amqp.channel()
    await topology.declare_events(channel)
    relay = Relay(store.pool, broker, topology, store.registry)
    projector = Projector(store.pool, ats, store.registry)
    running.start(projector.run_from_log(running.stop, amqp, topology))
    await wait_until(lambda: _is_live(projector))
    ids = await create_jobs(store, 30)
    await handle(store, job, ids[3], EditJob(job_id=ids[3], title="Edited once", by="u", at=NOW))
    await publish_settled(store, relay)
    await wait_until(lambda: _applied(projector, 31))
    before = await rows(store)

    from eventstore import START

    await relay.publish_batch(START)  # the whole log again, as a restarted relay with a lost checkpoint would
    await wait_until(lambda: _skipped(projector, 31))
    assert await rows(store) == before
    assert projector.stats.applied == 31


@pytest.mark.slow
async def test_new_projection_catches_up_from_the_store_then_follows_the_log(fresh_store, broker, amqp, topology, running) -> None:
    store = fresh_store
    channel = await amqp.channel()
    await topology.declare_events(channel)
    await bulk_jobs(store, 10_000)
    relay = Relay(store.pool, broker, topology, store.registry, batch_size=2000)
    running.start(relay.run(running.stop))

    late = Projector(store.pool, ats, store.registry, schema="ats_late", checkpoint="projection:ats_late")
    running.start(late.run_from_log(running.stop, amqp, topology))
    # Liveness bounds, not speed: each job is two rows now (the job and its activity), on a loaded CI worker.
    await wait_until(lambda: _is_live(late), timeout=150)
    assert late.stats.caught_up_from_store == 10_000

    await create_jobs(store, 5)
    await wait_until(lambda: _applied(late, 10_005), timeout=150)  # behind the relay publishing 10,000 to the log
    assert late.stats.caught_up_from_store == 10_000  # the five new ones came through the log
    assert len(await rows(store, "ats_late")) == 10_005


async def test_projector_finds_a_purged_log_and_catches_up_from_the_store(fresh_store, broker, amqp, topology, running) -> None:
    store = fresh_store
    channel = await amqp.channel()
    await topology.declare_events(channel)
    relay = Relay(store.pool, broker, topology, store.registry)
    projector = Projector(store.pool, ats, store.registry)
    stop_projector = asyncio.Event()
    task = asyncio.create_task(projector.run_from_log(stop_projector, amqp, topology))
    await wait_until(lambda: _is_live(projector))
    await create_jobs(store, 10)
    await publish_settled(store, relay)
    await wait_until(lambda: _applied(projector, 10))
    stop_projector.set()
    await task

    await channel.queue_delete(topology.log)  # retention, an operator, a lost node: the log is gone
    await topology.declare_events(channel)
    await create_jobs(store, 7)
    await publish_settled(store, relay)
    await create_jobs(store, 3)
    await publish_settled(store, relay)

    running.start(projector.run_from_log(running.stop, amqp, topology))
    await wait_until(lambda: _applied(projector, 20))
    assert len(await rows(store)) == 20


async def test_standby_relay_takes_over_and_nothing_is_lost(fresh_store, broker, amqp, topology, running) -> None:
    store = fresh_store
    channel = await amqp.channel()
    await topology.declare_events(channel)
    first = Relay(store.pool, broker, topology, store.registry, standby_poll_s=0.1)
    second = Relay(store.pool, broker, topology, store.registry, standby_poll_s=0.1)
    projector = Projector(store.pool, ats, store.registry)
    running.start(projector.run_from_log(running.stop, amqp, topology))
    await wait_until(lambda: _is_live(projector))
    stop_first = asyncio.Event()
    first_task = asyncio.create_task(first.run(stop_first))
    await wait_until(lambda: _leader(first))
    running.start(second.run(running.stop))
    await create_jobs(store, 25)
    await wait_until(lambda: _applied(projector, 25))
    assert second.stats.published == 0 and not second.stats.is_leader

    first_task.cancel()  # the leader dies without a goodbye; its lock's session ends with it
    await asyncio.gather(first_task, return_exceptions=True)
    await create_jobs(store, 25)
    await wait_until(lambda: _applied(projector, 50))
    assert second.stats.is_leader and second.stats.published >= 25
    assert len(await rows(store)) == 50


async def _relay_position(relay: Relay) -> Position:
    return await relay._checkpoint()


async def _applied(projector: Projector, n: int) -> bool:
    return projector.stats.applied >= n


async def _skipped(projector: Projector, n: int) -> bool:
    return projector.stats.skipped >= n


async def _leader(relay: Relay) -> bool:
    return relay.stats.is_leader


async def test_projector_whose_log_is_deleted_under_it_catches_up_and_reattaches(
    fresh_store, broker, amqp, topology, running
) -> None:
    """The log stops delivering while the relay moves on: the projector reads the store and follows again."""
    store = fresh_store
    channel = await amqp.channel()
    await topology.declare_events(channel)
    relay = Relay(store.pool, broker, topology, store.registry)
    projector = Projector(store.pool, ats, store.registry)
    running.start(projector.run_from_log(running.stop, amqp, topology, stall_s=0.3))
    await wait_until(lambda: _is_live(projector))
    await create_jobs(store, 4)
    await publish_settled(store, relay)
    await wait_until(lambda: _applied(projector, 4))

    await channel.queue_delete(topology.log)  # the consumer goes with it
    await topology.declare_events(channel)
    await create_jobs(store, 3)
    await publish_settled(store, relay)
    await wait_until(lambda: _applied(projector, 7))
    assert projector.stats.reattached >= 1

    await create_jobs(store, 2)  # and once re-attached, the log delivers again
    await publish_settled(store, relay)
    await wait_until(lambda: _applied(projector, 9))
    assert len(await rows(store)) == 9
