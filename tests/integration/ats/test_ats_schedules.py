"""The marketplace's schedules with a clock moved by hand (domain §14): an idle submitted application is
warned two days before its fourteen days are up, then expires; a placement completes its guarantee.
Each once, however often the scheduler runs."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

from commands.ats import application as applications
from commands.ats import placement as placements
from consumers.ats.schedules import ats_schedules
from consumers.runtime.scheduler import Scheduler
from eventstore import EventStore, handle
from adapters.clock import FixedClock
from tests.api import SEEDER
from tests.integration.runtime.test_scheduler import project, types_on
from tests.helpers import NOW


async def _submitted(store: EventStore) -> object:
    application_id = uuid4()

    async def send(command) -> None:
        await handle(store, applications.application, application_id, command, SEEDER)

    common = {"application_id": application_id, "by": "t", "at": NOW}
    await send(applications.CreateApplication(job_id=uuid4(), candidate_id=uuid4(), company_id=uuid4(), **common))
    await send(applications.TriggerAIReview(by_role="candidate", **common))
    await send(applications.RecordAIReviewCompleted(review_id=uuid4(), **common))
    await send(applications.SubmitApplication(by_role="candidate", **common))
    return application_id


async def test_an_idle_application_is_warned_then_expires_once_each(fresh_store: EventStore) -> None:
    application_id = await _submitted(fresh_store)
    await project(fresh_store)
    clock = FixedClock(NOW)
    scheduler = Scheduler(fresh_store.pool, fresh_store, ats_schedules(), clock)

    clock.at = NOW + timedelta(days=12) - timedelta(seconds=1)
    assert (await scheduler.run_once()).sent == {}
    clock.at = NOW + timedelta(days=12)
    assert (await scheduler.run_once()).sent == {"application-expiry-warning": 1}
    await project(fresh_store)
    clock.at = NOW + timedelta(days=13)
    assert (await scheduler.run_once()).sent == {}
    clock.at = NOW + timedelta(days=14)
    assert (await scheduler.run_once()).sent == {"application-expiry": 1}
    assert (await scheduler.run_once()).sent == {}
    await project(fresh_store)
    assert (await scheduler.run_once()).sent == {}
    assert (await types_on(fresh_store, f"application-{application_id}"))[-2:] == [
        "ApplicationExpiryWarned", "ApplicationExpired"]


async def test_a_placement_completes_its_guarantee_once(fresh_store: EventStore) -> None:
    placement_id = uuid4()
    await handle(fresh_store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), candidate_id=uuid4(), company_id=uuid4(),
        salary_cents=12_000_000, fee_bps=2000, guarantee_days=90, hired_at=NOW, start_date=date(2026, 12, 1),
        by="t", at=NOW), SEEDER)
    await project(fresh_store)
    clock = FixedClock(NOW)
    scheduler = Scheduler(fresh_store.pool, fresh_store, ats_schedules(), clock)
    end = NOW.replace(year=2027, month=3, day=1, hour=0)  # 2026-12-01 + 90 days, 00:00 UTC
    clock.at = end - timedelta(seconds=1)
    assert (await scheduler.run_once()).sent == {}
    clock.at = end
    assert (await scheduler.run_once()).sent == {"placement-guarantee": 1}
    assert (await scheduler.run_once()).sent == {}
    events = await fresh_store.read_stream(f"placement-{placement_id}")
    assert [e.type for e in events] == ["PlacementCreated", "PlacementStateChanged"]
    assert events[-1].data["to_state"] == "completed"
