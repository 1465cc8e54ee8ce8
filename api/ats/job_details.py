"""A job's requirements, skills and pre-screen questions (each replaced as a whole list), its job
owner, and a read of the three lists. Changing them takes the same rights as editing the job."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from api.ats.models import (
    JobDetailsEnvelope,
    JobDetailsOut,
    JobOwnerBody,
    QuestionsBody,
    RequirementsBody,
    SkillsBody,
)
from api.ats.entitlements import VisibleJobs
from api.ats.policy import check_may_change, may_see
from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, Db, ExpectedVersion, Now, Store
from api.responses import CommandResponse
from commands.ats import job as jobs
from commands.core import Forbidden, NotFound
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from projections.ats.job_detail_queries import get_job_details
from projections.ats.queries import get_job
from projections.identity.access import Access

# Included before the jobs router: POST /v1/jobs/{id}/owner must not be taken for a status move.
router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

FreshAts = Annotated[Position | None, Depends(read_after("ats"))]


async def _changeable(store: EventStore, user: Access, job_id: UUID) -> jobs.Job:
    """404 if the caller cannot see the job, 403 if they see it but may not change it."""
    state, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, job_id))
    if not state.exists or not may_see(user, state):
        raise NotFound(f"job {job_id} not found", job_id=str(job_id))
    check_may_change(user, state)
    return state


class JobOwnerChosenByCompany(Forbidden):
    code = "job_owner_chosen_by_company"


async def _run(store: EventStore, job_id: UUID, command: jobs.JobCommand, meta: Metadata,
               if_match: int | None) -> CommandResponse:
    return CommandResponse.of(job_id, await handle(store, jobs.job, job_id, command, meta, expected_version=if_match))


@router.put("/{job_id}/requirements", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def replace_requirements(
    job_id: UUID, body: RequirementsBody, user: CurrentUser, store: Store, meta: CommandMetadata,
    if_match: ExpectedVersion, now: Now,
) -> CommandResponse:
    await _changeable(store, user, job_id)
    command = jobs.ReplaceJobRequirements(job_id=job_id, by=meta.actor, at=now,
                                          requirements=[r.model_dump() for r in body.requirements])
    return await _run(store, job_id, command, meta, if_match)


@router.put("/{job_id}/skills", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def replace_skills(
    job_id: UUID, body: SkillsBody, user: CurrentUser, store: Store, meta: CommandMetadata, if_match: ExpectedVersion,
    now: Now,
) -> CommandResponse:
    await _changeable(store, user, job_id)
    command = jobs.ReplaceJobSkills(job_id=job_id, by=meta.actor, at=now, skills=[s.model_dump() for s in body.skills])
    return await _run(store, job_id, command, meta, if_match)


@router.put("/{job_id}/pre-screen-questions", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def replace_questions(
    job_id: UUID, body: QuestionsBody, user: CurrentUser, store: Store, meta: CommandMetadata,
    if_match: ExpectedVersion, now: Now,
) -> CommandResponse:
    await _changeable(store, user, job_id)
    command = jobs.ReplaceJobPreScreenQuestions(job_id=job_id, by=meta.actor, at=now,
                                                questions=[q.model_dump() for q in body.questions])
    return await _run(store, job_id, command, meta, if_match)


@router.post("/{job_id}/owner", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def change_owner(
    job_id: UUID, body: JobOwnerBody, user: CurrentUser, store: Store, meta: CommandMetadata,
    if_match: ExpectedVersion, now: Now,
) -> CommandResponse:
    """Name the recruiter credited as job owner on placements from now on (null: none). Firm jobs have none.

    The owner earns a share of every placement's fee, so it is the company's choice (its admins', or a
    platform admin's): a recruiter allowed to edit the job does not name the owner, themself or anyone."""
    job = await _changeable(store, user, job_id)
    if not (user.is_platform_admin or user.is_company_admin_of(job.company_id)):
        raise JobOwnerChosenByCompany("only the company's admins or a platform admin name the job owner",
                                      job_id=str(job_id))
    command = jobs.ChangeJobOwner(job_id=job_id, job_owner_recruiter_id=body.job_owner_recruiter_id,
                                  reason=body.reason, by=meta.actor, at=now)
    return await _run(store, job_id, command, meta, if_match)


@router.get("/{job_id}/details", response_model=JobDetailsEnvelope, responses={404: {}})
async def get_details(job_id: UUID, _: FreshAts, visible: VisibleJobs, db: Db) -> JobDetailsEnvelope:
    """Whoever may see the job (anonymous callers: marketplace jobs; early-access ones as `GET /v1/jobs/{id}`)."""
    if await get_job(db, job_id, visible) is None:
        raise NotFound(f"job {job_id} not found", job_id=str(job_id))
    return JobDetailsEnvelope(data=JobDetailsOut(job_id=job_id, **await get_job_details(db, job_id)))
