"""A projector stopped mid-batch, again and again, still applies every event exactly once.

The projection here counts events per stream, so applying one twice (or losing one) shows in the
counts; its rows and its checkpoint must commit together (DESIGN.md §5, invariant 3).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from uuid import uuid4

from commands.core import Event
from consumers.runtime.projector import Projector
from consumers.runtime.relay import Relay
from eventstore import NO_STREAM, EventRegistry, EventStore, NewEvent
from projections.core import Projection, Sql
from tests.conftest import RABBITMQ_URL
from tests.helpers import create_jobs, publish_settled, rows, settled_head, wait_until


class Ticked(Event):
    stream: str


counter = Projection(
    name="ticks",
    ddl=["CREATE TABLE IF NOT EXISTS ticks (stream text PRIMARY KEY, n integer NOT NULL)"],
)


@counter.handles(Ticked)
def _(e: Ticked) -> Sql:
    return Sql("INSERT INTO ticks VALUES (%s, 1) ON CONFLICT (stream) DO UPDATE SET n = ticks.n + 1", (e.stream,))


async def _tick(store: EventStore, streams: list[str], per_stream: int) -> Counter:
    expected: Counter = Counter()
    for version in range(per_stream):
        await asyncio.gather(*(
            store.append(s, [NewEvent("Ticked", {"stream": s}, uuid4())], version or NO_STREAM) for s in streams
        ))
        expected.update(streams)
    return expected


async def test_projector_cancelled_mid_batch_repeatedly_counts_each_event_once(fresh_store, broker, amqp, topology) -> None:
    store = fresh_store
    registry = EventRegistry([Ticked])
    channel = await amqp.channel()
    await topology.declare_events(channel)
    streams = [f"tick-{uuid4()}" for _ in range(40)]
    relay = Relay(store.pool, broker, topology, registry)
    stop_relay = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop_relay))
    producing = asyncio.create_task(_tick(store, streams, 60))  # 2,400 events while the projector dies
    try:
        kills = 0
        while not producing.done() or kills < 3:
            projector = Projector(store.pool, counter, registry, batch_size=50)
            task = asyncio.create_task(projector.run_from_log(asyncio.Event(), amqp, topology, linger_s=0.001))
            await asyncio.sleep(random.uniform(0.02, 0.12))
            task.cancel()  # dies wherever it is: mid-transaction, between commit and ack, ...
            done, _ = await asyncio.wait([task], timeout=15)
            if not done:
                task.print_stack(file=sys.stderr)
                raise AssertionError("a cancelled projector did not stop within 15 s")
            kills += 1
        expected = await producing

        projector = Projector(store.pool, counter, registry)
        stop = asyncio.Event()
        task = asyncio.create_task(projector.run_from_log(stop, amqp, topology))
        head = await settled_head(store)  # every tick, not only those no other transaction holds back
        try:
            await wait_until(lambda: _reached(projector, head))
        finally:
            stop.set()
            await task
    finally:
        producing.cancel()
        stop_relay.set()
        await asyncio.gather(producing, relay_task, return_exceptions=True)

    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT stream, n FROM ticks.ticks")
        counted = dict(await cur.fetchall())
    assert counted == dict(expected)
    assert kills >= 3


async def _reached(projector: Projector, head) -> bool:
    return (await projector.position())[0] >= head


async def test_consumers_process_killed_and_restarted_keeps_every_row_once(fresh_store, broker, amqp, topology) -> None:
    """A real `splits consumers` process, SIGKILLed while the log flows, then started again."""
    store = fresh_store
    channel = await amqp.channel()
    await topology.declare_events(channel)
    relay = Relay(store.pool, broker, topology, store.registry)
    env = os.environ | {
        "DATABASE_URL": store.pool.conninfo, "RABBITMQ_URL": RABBITMQ_URL, "RABBITMQ_PREFIX": topology.prefix,
        "LOG_LEVEL": "warning", "ENVIRONMENT": "test",
    }
    splits = str(Path(sys.executable).parent / "splits")
    ids = await create_jobs(store, 300)
    await publish_settled(store, relay)

    proc = subprocess.Popen([splits, "consumers", "--only", "ats"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await wait_until(lambda: _some_rows(store), timeout=30)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        more = await create_jobs(store, 200)
        await publish_settled(store, relay)
        proc = subprocess.Popen([splits, "consumers", "--only", "ats"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        await wait_until(lambda: _row_count(store, 500), timeout=60)
    finally:
        proc.terminate()
        stderr = proc.communicate(timeout=30)[1].decode()
    assert proc.returncode == 0, stderr
    table = await rows(store)
    assert set(table) == set(ids) | set(more)
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*), count(DISTINCT id) FROM ats.jobs")
        assert await cur.fetchone() == (500, 500)


async def _some_rows(store: EventStore) -> bool:
    try:
        return len(await rows(store)) > 0
    except Exception:
        return False


async def _row_count(store: EventStore, n: int) -> bool:
    try:
        return len(await rows(store)) == n
    except Exception:
        return False
