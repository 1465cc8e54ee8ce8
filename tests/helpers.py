"""What many integration tests share: building jobs, reading the jobs table, waiting for conditions."""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from commands.ats.events import JobCreated
from commands.ats.job import CreateJob, job
from eventstore import NO_STREAM, EventStore, Position, handle

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


async def create_jobs(store: EventStore, n: int) -> list:
    ids = [uuid4() for _ in range(n)]
    for job_id in ids:
        await handle(store, job, job_id, CreateJob(job_id=job_id, company_id=uuid4(), title=f"Job {job_id}", fee_bps=2000, by="u", at=NOW))
    return ids


async def rows(store: EventStore, schema: str = "ats") -> dict:
    async with store.pool.connection() as conn:
        cur = await conn.execute(f"SELECT id, title, status FROM {schema}.jobs")
        return {r[0]: (r[1], r[2]) for r in await cur.fetchall()}


async def wait_until(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def job_created(job_id):
    """A complete JobCreated event, for appending straight to the store."""
    return JobCreated(
        job_id=job_id, company_id=uuid4(), source_firm_id=None, title="Bulk", department=None, location=None,
        recruiter_description=None, candidate_description=None, salary_min_cents=None, salary_max_cents=None,
        show_salary_range=True, fee_bps=2000, guarantee_days=90, employment_type="full_time", commute_types=[],
        job_level=None, open_to_relocation=False, is_early_access=False, activates_at=None, closes_at=None,
        is_priority=False, job_owner_recruiter_id=None, created_by="bench", at=NOW,
    )


async def bulk_jobs(store: EventStore, n: int) -> None:
    registry = store.registry
    for start in range(0, n, 500):
        await asyncio.gather(*(
            store.append(f"job-{job_id}", [registry.encode(job_created(job_id))], NO_STREAM)
            for job_id in (uuid4() for _ in range(min(500, n - start)))
        ))


async def feed_settled(store: EventStore) -> None:
    """Wait until the feed's head is the last event stored. The feed holds back events behind any open
    transaction in the cluster (other test runs share it), and exact counts need the whole feed."""

    async def at_last() -> bool:
        async with store.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT tx_id::text AS tx, position FROM eventstore.events ORDER BY tx_id DESC, position DESC LIMIT 1"
            )
            last = await cur.fetchone()
        return last is None or await store.head() == Position(int(last[0]), last[1])

    await wait_until(at_last, timeout=60)


async def settled_head(store: EventStore) -> Position:
    """The feed's head once it has reached the last event stored: "nothing was written" compares these, since
    a bare head can move by itself while another database's transaction holds the cluster's xmin back."""
    await feed_settled(store)
    return await store.head()


async def dump_schema(store: EventStore, schema: str) -> dict[str, list[str]]:
    """Every row of every table of a read schema, as sorted JSON text: two schemas built from the same
    events must dump equal."""
    from psycopg import sql

    async with store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name", (schema,))
        tables = [r[0] for r in await cur.fetchall()]
        dump: dict[str, list[str]] = {}
        for name in tables:
            query = sql.SQL("SELECT to_jsonb(t)::text FROM {}.{} t").format(sql.Identifier(schema), sql.Identifier(name))
            dump[name] = sorted(r[0] for r in await (await conn.execute(query)).fetchall())
        return dump


async def publish_settled(store: EventStore, relay: Any) -> None:
    """Publish every stored event to the log, as a running relay would: the feed first settles (it holds back
    events behind other runs' open transactions, and a relay run before that publishes nothing of them)."""
    await feed_settled(store)
    while await relay.publish_batch(await relay._checkpoint()):
        pass


async def notifier_settled(store: EventStore) -> None:
    """Wait until the notifier (run by `running_consumers`) has handled every event of its types stored so far.
    It tells of what was seeded (a registration's welcome, a company's first job) whenever it gets to it, and its
    records landing in the middle of a test would move the head a "nothing was written" compares."""
    from consumers.notifications.reactions import notifications_reactor

    types = sorted(t.__name__ for t in notifications_reactor.events)

    async def handled() -> bool:
        async with store.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*) FROM eventstore.events e WHERE e.type = ANY(%s) AND NOT EXISTS"
                " (SELECT 1 FROM eventstore.inbox i WHERE i.reactor = %s AND i.event_id = e.event_id)",
                (types, notifications_reactor.name))
            row = await cur.fetchone()
        return row is not None and row[0] == 0

    await wait_until(handled, timeout=60)


def chromium() -> str:
    """Debian's Chromium, which the audit report's and the console's tests render in; a clear failure without it."""
    import pytest

    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
    if found is None:
        pytest.fail("Chromium is not installed; pages are checked in a real browser. Install it with "
                    "`apt-get install -y chromium` (Debian's package; CI installs it in .ci/run).", pytrace=False)
    return found


async def holding(store: EventStore, key: int):
    """A connection of its own holding the advisory lock `key` (as another process would), for `release`."""
    import psycopg

    conn = await psycopg.AsyncConnection.connect(store.pool.conninfo, autocommit=True)
    await conn.execute("SELECT pg_advisory_lock(%s)", (key,))
    return conn


async def release(holder) -> None:
    """Unlock, then close (the server ends a closed session's locks a moment after the client has gone)."""
    await holder.execute("SELECT pg_advisory_unlock_all()")
    await holder.close()
