"""A consumer that fails is restarted, even when its failure cannot be written to `splits status`.

The database going away is the usual failure, and then the status report fails too. The report's own error
once escaped the supervisor: the consumers process closed its broker while the relay kept running on it,
publishing nothing ("You should connect broker first") until it was restarted by hand.
"""

from __future__ import annotations

import asyncio

import psycopg

from adapters.settings import Settings
from consumers.runtime.app import Consumers
from infra.bootstrap import system_for


async def test_a_consumer_whose_error_cannot_be_reported_is_still_restarted(fresh_store) -> None:
    consumers = Consumers(system_for(Settings(database_url=fresh_store.pool.conninfo), fresh_store), only=set())
    async with fresh_store.pool.connection() as conn:  # every status report now fails, as with the server away
        await conn.execute("ALTER TABLE eventstore.consumer_status RENAME TO consumer_status_away")
    runs: list[int] = []

    async def run() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    await asyncio.wait_for(consumers._supervise("projection:ats", "projection", run, asyncio.Event()), timeout=10)
    assert runs == [0, 1], "the consumer was not started again after its first error"
