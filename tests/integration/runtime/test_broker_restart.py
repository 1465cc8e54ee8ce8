"""RabbitMQ stopped and started under load: nothing is lost, everything reconnects by itself.

DESIGN.md §5, invariant 5 for the broker. This test stops the machine's RabbitMQ application for a few
seconds (`rabbitmqctl stop_app` / `start_app`), so it runs alone in its module.
"""

from __future__ import annotations

import asyncio
import subprocess
from uuid import uuid4

import pytest

from commands.ats.job import CreateJob, job
from consumers.runtime.app import Consumers
from eventstore import EventStore, handle
from infra.bootstrap import system_for
from adapters.settings import Settings
from tests.conftest import RABBITMQ_URL
from tests.helpers import NOW, rows, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.restarts]


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


async def produce(store: EventStore, stop: asyncio.Event, created: list) -> None:
    while not stop.is_set():
        job_id = uuid4()
        await handle(store, job, job_id, CreateJob(job_id=job_id, company_id=uuid4(), title="During", fee_bps=2000, by="u", at=NOW))
        created.append(job_id)
        await asyncio.sleep(0.01)


async def test_broker_restart_under_load_loses_nothing(fresh_store, topology) -> None:
    store = fresh_store
    settings = Settings(database_url=store.pool.conninfo, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix)
    consumers = Consumers(system_for(settings, store))
    stop_consumers, stop_producing = asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(consumers.run(stop_consumers))
    created: list = []
    producing = asyncio.create_task(produce(store, stop_producing, created))
    try:
        await wait_until(lambda: _rows_at_least(store, 20))
        await asyncio.to_thread(rabbitmqctl, "stop_app")
        try:
            stopped_at = len(created)
            await asyncio.sleep(3)
        finally:  # whatever happens, the machine's broker is left running
            await asyncio.to_thread(rabbitmqctl, "start_app")
            await asyncio.to_thread(rabbitmqctl, "await_startup")
        await asyncio.sleep(2)
        stop_producing.set()
        await producing
        assert len(created) > stopped_at + 50, "commands kept coming while the broker was down"

        projector = consumers.projectors[0]
        head = await store.head()
        await wait_until(lambda: _at(projector, head), timeout=90)
        # The projector can catch up from the store alone; the relay, once leader again, publishes the rest.
        await wait_until(lambda: _published(consumers, len(created)), timeout=90)
    finally:
        stop_producing.set()
        stop_consumers.set()
        await asyncio.gather(producing, running, return_exceptions=True)
    table = await rows(store)
    assert set(table) == set(created)
    assert consumers.relay_instance is not None and consumers.relay_instance.stats.published >= len(created)


async def _published(consumers: Consumers, n: int) -> bool:
    return consumers.relay_instance is not None and consumers.relay_instance.stats.published >= n


async def _rows_at_least(store: EventStore, n: int) -> bool:
    return len(await rows(store)) >= n


async def _at(projector, head) -> bool:
    return (await projector.position())[0] >= head
