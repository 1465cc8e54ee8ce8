"""The lag history behind the console's chart, on the real PostgreSQL: buckets, two samplers, the hour's ring.

Times are given, not waited for: each sample names its moment, as the sampler's clock would.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aio_pika

from adapters.settings import Settings
from consumers.reactors import all_reactors
from consumers.runtime.app import Consumers
from consumers.runtime.lag_history import bucket_of, lag_history, record_sample, sample_lag
from consumers.runtime.status import queue_depths, read_status, report
from eventstore import EventStore
from infra.bootstrap import system_for
from tests.conftest import RABBITMQ_URL
from tests.integration.runtime.test_status import append_jobs, checkpoint

T0 = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)


async def behind(store: EventStore) -> None:
    """Two consumers: projection:ats 4 events behind the head, reactor:mailer caught up."""
    feed = await append_jobs(store, 6)
    await checkpoint(store, "projection:ats", feed[1])
    await checkpoint(store, "reactor:mailer", feed[-1])
    await report(store.pool, "projection:ats", "projection", "live")


async def rows(store: EventStore) -> list[tuple[str, datetime, int]]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT name, sampled_at, lag_events FROM eventstore.consumer_lag ORDER BY 2, 1")
        return await cur.fetchall()


def test_a_sample_time_is_truncated_to_its_bucket() -> None:
    assert bucket_of(T0 + timedelta(seconds=29, microseconds=999)) == T0
    assert bucket_of(T0 + timedelta(seconds=30)) == T0 + timedelta(seconds=30)
    assert bucket_of(T0 + timedelta(seconds=59), every_s=60) == T0


async def test_samples_in_one_bucket_are_written_once(fresh_store) -> None:
    store = fresh_store
    await behind(store)

    assert await sample_lag(store.pool, T0 + timedelta(seconds=7)) == 2
    assert await sample_lag(store.pool, T0 + timedelta(seconds=29)) == 0  # the same bucket: left as it was
    assert await sample_lag(store.pool, T0 + timedelta(seconds=31)) == 2

    assert await rows(store) == [("projection:ats", T0, 4), ("reactor:mailer", T0, 0),
                                 ("projection:ats", T0 + timedelta(seconds=30), 4),
                                 ("reactor:mailer", T0 + timedelta(seconds=30), 0)]


async def test_two_samplers_writing_one_bucket_insert_it_once(fresh_store) -> None:
    store = fresh_store
    await behind(store)
    status = await read_status(store.pool)

    # Both read the status before either writes (two consumers processes at the same moment).
    written = await asyncio.gather(*(record_sample(store.pool, status, T0 + timedelta(seconds=s)) for s in (3, 11)))

    assert sorted(written) == [0, 2]
    assert await rows(store) == [("projection:ats", T0, 4), ("reactor:mailer", T0, 0)]


async def test_samples_older_than_an_hour_are_deleted_and_the_series_covers_the_hour(fresh_store) -> None:
    store = fresh_store
    await behind(store)
    for minutes in (0, 20, 40, 61):
        await sample_lag(store.pool, T0 + timedelta(minutes=minutes))

    assert sorted({at for _, at, _ in await rows(store)}) == [T0 + timedelta(minutes=m) for m in (20, 40, 61)]
    series = await lag_history(store.pool, T0 + timedelta(minutes=61))
    assert [s.name for s in series] == ["projection:ats", "reactor:mailer"]
    ats = series[0]
    assert [p.sampled_at for p in ats.points] == [T0 + timedelta(minutes=m) for m in (20, 40, 61)]
    assert [p.lag_events for p in ats.points] == [4, 4, 4] and all(p.lag_seconds >= 0 for p in ats.points)
    # Asked about an earlier moment, the series stops there (nothing from its future).
    earlier = await lag_history(store.pool, T0 + timedelta(minutes=30))
    assert [p.sampled_at for p in earlier[0].points] == [T0 + timedelta(minutes=20)]


async def test_a_reactor_on_rabbitmq_is_sampled_by_its_queue(fresh_store, amqp, topology) -> None:
    store = fresh_store
    await behind(store)
    notifier = next(r for r in all_reactors() if r.name == "notifier")
    channel = await amqp.channel()
    await topology.declare_reactor(channel, "notifier", notifier.routing_keys(store.registry),
                                   notifier.retry_delays_ms())
    for _ in range(3):  # ready in the queue, nobody consuming
        await channel.default_exchange.publish(aio_pika.Message(b"{}"), routing_key=topology.reactor_queue("notifier"))
    await report(store.pool, "reactor:notifier", "reactor", "live")  # a reactor on RabbitMQ keeps no checkpoint

    assert await sample_lag(store.pool, T0, depths=lambda: queue_depths(RABBITMQ_URL, topology, ["notifier"])) == 3
    assert ("reactor:notifier", T0, 3) in await rows(store)

    # RabbitMQ away: the sample is still taken, of what the database knows.
    away = "amqp://guest:guest@127.0.0.1:1/"
    assert await sample_lag(store.pool, T0 + timedelta(seconds=30),
                            depths=lambda: queue_depths(away, topology, ["notifier"])) == 2
    assert {name for name, at, _ in await rows(store) if at > T0} == {"projection:ats", "reactor:mailer"}


async def test_a_sample_that_cannot_be_written_does_not_end_the_consumers(fresh_store) -> None:
    store = fresh_store
    await behind(store)
    consumers = Consumers(system_for(Settings(database_url=store.pool.conninfo), store), only=set(), lag_sample_s=1)
    async with store.pool.connection() as conn:  # every sample now fails, as with the table or server away
        await conn.execute("ALTER TABLE eventstore.consumer_lag RENAME TO consumer_lag_away")
    stop = asyncio.Event()
    run = asyncio.create_task(consumers.run(stop))
    try:
        await asyncio.sleep(2.5)  # at least two failed samples
        assert not run.done(), "the consumers ended when a lag sample failed"
        async with store.pool.connection() as conn:
            await conn.execute("ALTER TABLE eventstore.consumer_lag_away RENAME TO consumer_lag")
        for _ in range(100):  # the next sample is written
            if await rows(store):
                break
            await asyncio.sleep(0.1)
        assert {name for name, _, _ in await rows(store)} == {"projection:ats", "reactor:mailer"}
    finally:
        stop.set()
        await asyncio.wait_for(run, timeout=10)
