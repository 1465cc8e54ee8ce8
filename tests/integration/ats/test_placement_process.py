"""The placements process manager on the real store: a hire becomes one placement, with the job's terms and
the five recruiters credited as they stood at the hire, however late or often the hire is delivered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from commands.ats.placement import placement_id_for
from commands.ats import application as applications
from commands.ats import job as jobs
from commands.ats import placement as placements
from commands.ats import sourcer as sourcers
from commands.network import recruiter as recruiters
from consumers.ats.process import placements_process as reactor
from consumers.runtime.reactor import PermanentError, Reaction
from eventstore import EventStore, handle, load, stream_id_for
from tests.api import SEEDER
from tests.integration.ats.test_applications_api import stored

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HIRED_AT = AT + timedelta(days=30)


async def _recruiter(store: EventStore, status: str = "active") -> UUID:
    user_id = uuid4()
    recruiter_id = recruiters.recruiter_id_for(user_id)
    await handle(store, recruiters.recruiter, recruiter_id,
                 recruiters.CreateRecruiter(user_id=user_id, by="test", at=AT), SEEDER)
    if status != "active":
        await handle(store, recruiters.recruiter, recruiter_id, recruiters.ChangeRecruiterStatus(
            recruiter_id=recruiter_id, status=status, is_platform_admin=True, by="admin", at=AT), SEEDER)
    return recruiter_id


async def _job(store: EventStore, company_id: UUID | None, owner: UUID | None = None, fee_bps: int = 2000,
               firm_id: UUID | None = None) -> UUID:
    job_id = uuid4()
    await handle(store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=company_id, source_firm_id=firm_id, title="Staff Engineer", fee_bps=fee_bps,
        guarantee_days=90, job_owner_recruiter_id=owner, by="test", at=AT), SEEDER)
    return job_id


async def _hire(store: EventStore, job_id: UUID, company_id: UUID | None, candidate_id: UUID, *,
                candidate_recruiter: UUID | None = None, salary_cents: int = 15_000_000) -> Reaction:
    """An application taken from draft to hired, with the command each step needs; returns the hire's delivery."""
    app_id = uuid4()
    company_role = "company" if company_id is not None else "company_recruiter"
    source = {"source": "recruiter", "candidate_recruiter_id": candidate_recruiter} if candidate_recruiter else {}
    steps = [
        applications.CreateApplication(application_id=app_id, job_id=job_id, candidate_id=candidate_id,
                                       company_id=company_id, by="c", at=AT, **source),
        applications.TriggerAIReview(application_id=app_id, by="c", by_role="candidate", at=AT),
        applications.RecordAIReviewCompleted(application_id=app_id, review_id=uuid4(), by="ai", at=AT),
        applications.SubmitApplication(application_id=app_id, by="r", at=AT,
                                       by_role="candidate_recruiter" if candidate_recruiter else "candidate"),
        applications.MoveStage(application_id=app_id, to="company_review", by="co", by_role=company_role, at=AT,
                               may_advance=True),
        applications.MoveStage(application_id=app_id, to="offer", by="co", by_role=company_role, at=AT,
                               may_advance=True),
        applications.AcceptOffer(application_id=app_id, by="c", by_role="candidate", at=AT),
        applications.HireCandidate(application_id=app_id, placement_id=placement_id_for(app_id),
                                   salary_cents=salary_cents, start_date=date(2027, 1, 4), guarantee_days=90, by="co",
                                   by_role=company_role, at=HIRED_AT),
    ]
    for step in steps:
        await handle(store, applications.application, app_id, step, SEEDER)
    recorded = (await store.read_stream(f"application-{app_id}"))[-1]
    assert recorded.type == "ApplicationHired"
    return Reaction(store.registry.decode(recorded), recorded, reactor.name, store)


async def _placement(store: EventStore, reaction: Reaction) -> placements.Placement:
    state, _, _ = await load(store, placements.placement,
                             stream_id_for(placements.placement, reaction.event.placement_id))
    return state


async def test_a_hire_becomes_one_placement_with_terms_and_attribution(fresh_store: EventStore) -> None:
    store, company, candidate = fresh_store, uuid4(), uuid4()
    owner, closer, discovery, bd = [await _recruiter(store) for _ in range(4)]
    await handle(store, sourcers.candidate_sourcer, candidate, sourcers.ClaimCandidateSourcer(
        candidate_id=candidate, sourcer_recruiter_id=discovery, by="t", at=AT), SEEDER)
    await handle(store, sourcers.company_sourcer, company, sourcers.ClaimCompanySourcer(
        company_id=company, sourcer_recruiter_id=bd, by="t", at=AT), SEEDER)
    job_id = await _job(store, company, owner=owner, fee_bps=2250)
    reaction = await _hire(store, job_id, company, candidate, candidate_recruiter=closer, salary_cents=12_345_679)

    await reactor.handler(reaction)
    head = await stored(store)
    await reactor.handler(reaction)  # redelivered
    assert await stored(store) == head

    p = await _placement(store, reaction)
    assert (p.state, p.salary_cents, p.fee_bps, p.fee_cents) == ("hired", 12_345_679, 2250, 2_777_778)
    assert (p.application_id, p.job_id, p.candidate_id, p.company_id) == (
        reaction.event.application_id, job_id, candidate, company)
    assert (p.hired_at, p.start_date, p.guarantee_days) == (HIRED_AT, date(2027, 1, 4), 90)
    assert (p.candidate_recruiter_id, p.company_recruiter_id, p.job_owner_recruiter_id,
            p.candidate_sourcer_recruiter_id, p.company_sourcer_recruiter_id) == (closer, None, owner, discovery, bd)
    created = await store.read_stream(f"placement-{reaction.event.placement_id}")
    assert len(created) == 1 and created[0].metadata["causation_id"] == str(reaction.recorded.event_id)


async def test_what_changes_after_the_hire_does_not_change_the_placement(fresh_store: EventStore) -> None:
    store, company, candidate = fresh_store, uuid4(), uuid4()
    owner, late_sourcer = await _recruiter(store), await _recruiter(store)
    job_id = await _job(store, company, owner=owner, fee_bps=2000)
    reaction = await _hire(store, job_id, company, candidate)
    # After the hire, before the process runs: new terms, a new owner, a sourcer claimed late.
    await handle(store, jobs.job, job_id, jobs.EditJob(job_id=job_id, fee_bps=3000, guarantee_days=30, by="t",
                                                       at=HIRED_AT), SEEDER)
    await handle(store, sourcers.candidate_sourcer, candidate, sourcers.ClaimCandidateSourcer(
        candidate_id=candidate, sourcer_recruiter_id=late_sourcer, sourced_at=AT, by="t", at=HIRED_AT), SEEDER)
    await reactor.handler(reaction)
    p = await _placement(store, reaction)
    assert (p.fee_bps, p.guarantee_days, p.fee_cents) == (2000, 90, 3_000_000)
    assert (p.job_owner_recruiter_id, p.candidate_sourcer_recruiter_id) == (owner, None)


@pytest.mark.parametrize("why", ["protection over", "recruiter suspended", "platform sourced", "nobody claimed"])
async def test_a_sourcer_is_credited_only_while_protected_and_active(fresh_store: EventStore, why: str) -> None:
    store, company, candidate = fresh_store, uuid4(), uuid4()
    if why != "nobody claimed":
        sourcer = await _recruiter(store, "suspended" if why == "recruiter suspended" else "active")
        claim = {"sourcer_type": "tsn"} if why == "platform sourced" else {"sourcer_recruiter_id": sourcer}
        if why == "protection over":
            claim |= {"sourced_at": AT - timedelta(days=340), "protection_window_days": 365}
        await handle(store, sourcers.candidate_sourcer, candidate, sourcers.ClaimCandidateSourcer(
            candidate_id=candidate, by="t", at=AT, **claim), SEEDER)
        await handle(store, sourcers.company_sourcer, company, sourcers.ClaimCompanySourcer(
            company_id=company, by="t", at=AT, **claim), SEEDER)
    reaction = await _hire(store, await _job(store, company), company, candidate)
    await reactor.handler(reaction)
    p = await _placement(store, reaction)
    assert p.exists and (p.candidate_sourcer_recruiter_id, p.company_sourcer_recruiter_id) == (None, None)


async def test_a_firm_job_placement_has_no_company_and_no_company_sourcer(fresh_store: EventStore) -> None:
    store, candidate = fresh_store, uuid4()
    reaction = await _hire(store, await _job(store, None, fee_bps=1500, firm_id=uuid4()), None, candidate)
    await reactor.handler(reaction)
    p = await _placement(store, reaction)
    assert (p.company_id, p.company_sourcer_recruiter_id, p.job_owner_recruiter_id, p.fee_cents) == (
        None, None, None, 2_250_000)


async def test_a_hire_on_a_job_with_no_record_is_dead_lettered_at_once(fresh_store: EventStore) -> None:
    reaction = await _hire(fresh_store, uuid4(), uuid4(), uuid4())
    with pytest.raises(PermanentError):
        await reactor.handler(reaction)
