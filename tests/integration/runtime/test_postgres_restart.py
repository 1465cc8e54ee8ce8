"""PostgreSQL restarted under load: nothing committed is lost, and relay and projector catch up alone.

DESIGN.md §5, invariant 5 for the database. This test restarts the machine's PostgreSQL cluster, so
every connection of the run is cut; the pools replace them as they are next taken.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from commands.ats.job import CreateJob, job
from consumers.runtime.app import Consumers
from eventstore import EventStore, Metadata, handle
from infra.bootstrap import system_for
from adapters.settings import Settings
from tests.conftest import RABBITMQ_URL
from tests.helpers import NOW, rows, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.restarts]


def restart_postgres() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
                   check=True, capture_output=True, timeout=120)


async def produce(store: EventStore, stop: asyncio.Event, created: list, failures: list) -> None:
    """A client that retries: each job is sent with an idempotency key until it is acknowledged once (the
    pool mostly hides the restart by waiting for a new connection; a command cut mid-flight is retried)."""
    while not stop.is_set():
        job_id = uuid4()
        command = CreateJob(job_id=job_id, company_id=uuid4(), title="During", fee_bps=2000, by="u", at=NOW)
        while True:
            try:
                await handle(store, job, job_id, command, Metadata(idempotency_key=f"create:{job_id}"))
                break
            except (psycopg.OperationalError, PoolTimeout) as exc:
                failures.append(repr(exc))
                await asyncio.sleep(0.1)
        created.append(job_id)
        await asyncio.sleep(0.01)


async def test_postgres_restart_under_load_loses_nothing(fresh_store, topology) -> None:
    store = fresh_store
    settings = Settings(database_url=store.pool.conninfo, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix)
    consumers = Consumers(system_for(settings, store), only={"relay", "ats"})
    stop_consumers, stop_producing = asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(consumers.run(stop_consumers))
    created: list = []
    failures: list = []
    producing = asyncio.create_task(produce(store, stop_producing, created, failures))
    try:
        await wait_until(lambda: _rows_at_least(store, 20))
        restarted_at, started = len(created), await _server_started(store)
        await asyncio.to_thread(restart_postgres)
        await wait_until(lambda: _more_than(created, restarted_at + 50), timeout=60)
        stop_producing.set()
        await producing

        head = await store.head()
        await wait_until(lambda: _at(consumers.projectors[0], head, running), timeout=90)
    finally:
        stop_producing.set()
        stop_consumers.set()
        await asyncio.gather(producing, running, return_exceptions=True)
    assert await _server_started(store) > started, "PostgreSQL was not restarted"
    assert set(await rows(store)) == set(created)
    events = [e for e in await _all_job_events(store)]
    assert len(events) == len(created), "a retried command was recorded twice"


async def _server_started(store: EventStore):
    async with store.pool.connection() as conn:
        return (await (await conn.execute("SELECT pg_postmaster_start_time()")).fetchone())[0]


async def _all_job_events(store: EventStore) -> list:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT event_id FROM eventstore.events WHERE type = 'JobCreated'")
        return await cur.fetchall()


async def _more_than(created: list, n: int) -> bool:
    return len(created) > n


async def _rows_at_least(store: EventStore, n: int) -> bool:
    return len(await rows(store)) >= n


async def _at(projector, head, running: asyncio.Task) -> bool:
    if running.done():  # the consumers process gave up: say why rather than wait for a projector that is gone
        running.result()
        raise AssertionError("the consumers stopped before the projector caught up")
    return (await projector.position())[0] >= head
