"""Saved items: candidates save jobs; recruiters save jobs and candidates (domain §13 `max_saved_jobs`,
`max_saved_candidates`). Saving what is saved, or unsaving what is not, answers 200 and records nothing.

A save needs the job or candidate to be one the caller may see (404 otherwise, as for a missing one); an unsave
does not (a job that closed since can still be taken off the list). The limit is the saver's plan's (a
candidate's a fixed bound), decided on the saver's own stream: past it the save is refused with 422
`max_saved_jobs_reached` / `max_saved_candidates_reached` and nothing is written. The lists are
`GET /v1/jobs?scope=saved` and `GET /v1/candidates?scope=saved`.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from api.ats.entitlements import may_see_job, saved_limit
from api.ats.policy import may_see_candidate, saver_of
from api.deps import CommandMetadata, CurrentUser, Now, Store
from api.responses import CommandResponse
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.ats.saved_items import (
    OnlyRecruitersSaveCandidates,
    SaveCandidate,
    SavedItemCommand,
    SaveJob,
    UnsaveCandidate,
    UnsaveJob,
    saved_items,
    saver_key,
)
from commands.core import NotFound
from eventstore import EventStore, Metadata, handle, load, stream_id_for

router = APIRouter(prefix="/v1/saved", tags=["saved items"])

_REFUSALS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}, 422: {}}


async def _run(store: EventStore, item_id: UUID, command: SavedItemCommand, meta: Metadata) -> CommandResponse:
    key = saver_key(command.saver_kind, command.saver_id)
    return CommandResponse.of(item_id, await handle(store, saved_items, key, command, meta))


@router.put("/jobs/{job_id}", responses=_REFUSALS)
async def save_job(job_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata, now: Now) -> CommandResponse:
    """A recruiter or a candidate saves a job they may see (an early-access one with a plan that grants it)."""
    kind, saver_id = saver_of(user)
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, job_id))
    if not job.exists or not await may_see_job(store, user, job, now):
        raise NotFound(f"job {job_id} not found", job_id=str(job_id))
    limit = await saved_limit(store, user, kind, "jobs", now)
    return await _run(store, job_id, SaveJob(saver_kind=kind, saver_id=saver_id, job_id=job_id, limit=limit,
                                             by=meta.actor, at=now), meta)


@router.delete("/jobs/{job_id}", responses={401: {}, 403: {}})
async def unsave_job(job_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                     now: Now) -> CommandResponse:
    kind, saver_id = saver_of(user)
    return await _run(store, job_id, UnsaveJob(saver_kind=kind, saver_id=saver_id, job_id=job_id, by=meta.actor,
                                               at=now), meta)


@router.put("/candidates/{candidate_id}", responses=_REFUSALS)
async def save_candidate(candidate_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                         now: Now) -> CommandResponse:
    """A recruiter saves a candidate they may see (the marketplace's, and the records they manage)."""
    kind, saver_id = saver_of(user)
    if kind != "recruiter":
        raise OnlyRecruitersSaveCandidates(kind)
    state, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    if not may_see_candidate(user, state):
        raise NotFound(f"candidate {candidate_id} not found", candidate_id=str(candidate_id))
    limit = await saved_limit(store, user, kind, "candidates", now)
    return await _run(store, candidate_id, SaveCandidate(saver_kind=kind, saver_id=saver_id, candidate_id=candidate_id,
                                                         limit=limit, by=meta.actor, at=now), meta)


@router.delete("/candidates/{candidate_id}", responses={401: {}, 403: {}})
async def unsave_candidate(candidate_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                           now: Now) -> CommandResponse:
    kind, saver_id = saver_of(user)
    return await _run(store, candidate_id, UnsaveCandidate(saver_kind=kind, saver_id=saver_id,
                                                           candidate_id=candidate_id, by=meta.actor, at=now), meta)
