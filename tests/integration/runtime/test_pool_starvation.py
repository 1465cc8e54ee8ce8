"""A reactor's handler holds at most one pool connection at a time (issue 15, reproduction 5).

The notifier held one connection for its whole plan while `load()` took another; with every connection of the
pool held by a handler waiting for a second, none came back and the consumers stalled on PoolTimeout.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from consumers.notifications.reactions import notifications_reactor
from consumers.runtime.reactor import ReactorContext, ReactorRunner
from eventstore import EventStore, Metadata, handle
from eventstore.db import NestedConnection, create_pool, one_connection_per_task
from infra.bootstrap import event_registry
from adapters.mail import mailer_for
from adapters.payments import payments_for
from adapters.settings import Settings

SEED = Metadata(actor="test", source="test")


async def test_a_second_connection_while_holding_one_is_refused_at_once_in_a_handler(fresh_store) -> None:
    pool = fresh_store.pool
    with one_connection_per_task():
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        async with pool.connection() as conn:  # one after another is fine
            await conn.execute("SELECT 1")
        with pytest.raises(NestedConnection):
            async with pool.connection(), pool.connection():
                pass

        async def inner() -> None:  # a task started while holding one inherits the hold
            async with pool.connection():
                pass

        async with pool.connection():
            with pytest.raises(NestedConnection):
                await asyncio.create_task(inner())
    # Outside a handler the pool behaves as before (the API's request connection is not a handler's).
    async with pool.connection(), pool.connection() as second:
        await second.execute("SELECT 1")


async def test_the_notifier_plans_and_tells_on_a_pool_of_one_connection(fresh_store) -> None:
    store, now = fresh_store, datetime.now(UTC)
    job_id, candidate_id, application_id, company_id = uuid4(), uuid4(), uuid4(), uuid4()
    await handle(store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=company_id, title="Staff Engineer", fee_bps=2000, by="cora", at=now), SEED)
    await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, full_name="Cami Candidate", email=f"cami_{candidate_id.hex[:8]}@example.com",
        created_by_user_id=uuid4(), by="rex", at=now), SEED)
    await handle(store, applications.application, application_id, applications.CreateApplication(
        application_id=application_id, job_id=job_id, candidate_id=candidate_id, company_id=company_id, source="recruiter",
        candidate_recruiter_id=uuid4(), by="rex",
        at=now), SEED)
    moved = await handle(store, applications.application, application_id, applications.MoveStage(
        application_id=application_id, to="rejected", reason="filled", may_advance=True, by="rex",
        by_role="candidate_recruiter", at=now), SEED)
    recorded = (await store.read_stream(moved.stream_id))[-1]

    settings = Settings(database_url=store.pool.conninfo)
    # One connection: a handler that holds one and asks for another can never get it.
    async with create_pool(store.pool.conninfo, min_size=1, max_size=1) as one:
        one.timeout = 5.0
        narrow = EventStore(one, event_registry())
        runner = ReactorRunner(notifications_reactor, one, narrow, narrow.registry,
                               ReactorContext(settings, payments_for(settings), mailer_for(settings)))
        await runner.react(recorded)
    assert runner.stats.handled == 1

    sent = [e.type for s in await _notification_streams(store) for e in await store.read_stream(s)]
    assert sent == ["EmailSent"]  # the candidate (no account: email only) was told


async def _notification_streams(store: EventStore) -> list[str]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT stream_id FROM eventstore.streams WHERE stream_id LIKE 'notification-%'")
        return [r[0] for r in await cur.fetchall()]
