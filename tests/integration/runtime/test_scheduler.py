"""The scheduler with a clock moved by hand: each schedule fires its command once, when due, however
often and by however many schedulers it runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

from commands.identity import invitation as invitations
from consumers.runtime.projector import Projector
from consumers.runtime.scheduler import Schedule, Scheduler
from consumers.schedules import all_schedules
from eventstore import EventStore, handle
from adapters.clock import FixedClock
from projections.registry import all_projections
from tests.api import SEEDER
from tests.helpers import NOW, feed_settled


async def project(store: EventStore) -> None:
    """Bring every read model up to the store's head (what the consumers would do)."""
    await feed_settled(store)
    for projection in all_projections().values():
        await Projector(store.pool, projection, store.registry).catch_up()


async def types_on(store: EventStore, stream: str) -> list[str]:
    return [e.type for e in await store.read_stream(stream)]


async def test_invitation_expires_once_when_its_seven_days_are_over(fresh_store: EventStore) -> None:
    invitation_id = uuid4()
    await handle(fresh_store, invitations.invitation, invitation_id, invitations.CreateInvitation(
        invitation_id=invitation_id, email="late@example.com", organization_id=uuid4(), role="hiring_manager",
        by="admin", at=NOW), SEEDER)
    await project(fresh_store)
    clock = FixedClock(NOW)
    scheduler = Scheduler(fresh_store.pool, fresh_store, all_schedules(), clock)

    clock.at = NOW + timedelta(days=7) - timedelta(seconds=1)
    assert (await scheduler.run_once()).sent == {}
    clock.at = NOW + timedelta(days=7)
    assert (await scheduler.run_once()).sent == {"invitation-expiry": 1}
    # Before the projection sees the expiry, the next passes find it again: recorded once all the same.
    clock.at = NOW + timedelta(days=8)
    again = await asyncio.gather(*(Scheduler(fresh_store.pool, fresh_store, all_schedules(), clock).run_once()
                                   for _ in range(3)))
    assert all(r.sent == {} for r in again)
    assert await types_on(fresh_store, f"invitation-{invitation_id}") == ["InvitationCreated", "InvitationExpired"]
    await project(fresh_store)
    assert (await scheduler.run_once()).unchanged == {}  # no longer pending in the read model


async def test_one_scheduler_runs_at_a_time_and_a_standby_takes_over(fresh_store: EventStore) -> None:
    passes: list[str] = []

    def probe(name: str) -> Schedule:
        async def find(conn, now):
            passes.append(name)
            return []
        return Schedule("probe", find)

    first = Scheduler(fresh_store.pool, fresh_store, [probe("first")], FixedClock(NOW))
    second = Scheduler(fresh_store.pool, fresh_store, [probe("second")], FixedClock(NOW))
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(first.run(stop_first, every_s=0.05))
    await asyncio.sleep(0.2)
    standby = asyncio.create_task(second.run(stop_second, every_s=0.05))
    await asyncio.sleep(0.3)
    assert "first" in passes and "second" not in passes
    stop_first.set()
    await asyncio.wait_for(running, 5)
    await asyncio.sleep(0.3)
    assert passes[-1] == "second"
    stop_second.set()
    await asyncio.wait_for(standby, 5)


async def test_jobs_leave_early_access_and_close_on_their_dates_once(fresh_store: EventStore) -> None:
    from commands.ats import job as jobs

    early, closing = uuid4(), uuid4()
    await handle(fresh_store, jobs.job, early, jobs.CreateJob(
        job_id=early, company_id=uuid4(), title="Early", fee_bps=2000, is_early_access=True,
        activates_at=NOW + timedelta(days=1), by="t", at=NOW), SEEDER)
    await handle(fresh_store, jobs.job, closing, jobs.CreateJob(
        job_id=closing, company_id=uuid4(), title="Closing", fee_bps=2000, closes_at=NOW + timedelta(days=3),
        by="t", at=NOW), SEEDER)
    await handle(fresh_store, jobs.job, closing, jobs.PublishJob(job_id=closing, billing_ready=True, by="t", at=NOW), SEEDER)
    await project(fresh_store)
    clock = FixedClock(NOW)
    scheduler = Scheduler(fresh_store.pool, fresh_store, all_schedules(), clock)

    clock.at = NOW + timedelta(hours=23)
    assert (await scheduler.run_once()).sent == {}
    clock.at = NOW + timedelta(days=1)
    assert (await scheduler.run_once()).sent == {"job-early-access": 1}
    clock.at = NOW + timedelta(days=3)
    assert (await scheduler.run_once()).sent == {"job-closing": 1}
    for _ in range(2):
        await project(fresh_store)
        assert (await scheduler.run_once()).sent == {}
    assert (await types_on(fresh_store, f"job-{early}"))[-1] == "JobEarlyAccessEnded"
    closed = await fresh_store.read_stream(f"job-{closing}")
    assert [e.type for e in closed] == ["JobCreated", "JobStatusChanged", "JobStatusChanged"]
    assert closed[-1].data["to_status"] == "closed"
