"""Job routes: commands (create, edit, status moves) and queries (list, detail)."""

from __future__ import annotations

from datetime import UTC, datetime
from math import ceil
from typing import Annotated, Literal
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import APIRouter, Depends, HTTPException, Query
from psycopg import AsyncConnection

from api.ats.models import (
    CommandResponse,
    CreateJobBody,
    EditJobBody,
    JobEnvelope,
    JobOut,
    JobPage,
    Pagination,
    StatusBody,
    percentage_to_bps,
)
from api.consistency import read_after
from api.deps import CommandMetadata, Db, ExpectedVersion, Store
from commands.ats import job as jobs
from commands.ats.events import JobStatus
from eventstore import CommandResult, EventStore, handle, load, stream_id_for
from projections.ats.queries import (
    JobFilter,
    JobSort,
    company_billing_ready,
    get_job,
    list_jobs,
)

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

# Waits for the command's consistency token (if given) before a connection is taken for the query.
FreshAts = Annotated[None, Depends(read_after("ats"))]


def _response(job_id: UUID, result: CommandResult) -> CommandResponse:
    return CommandResponse(id=job_id, version=result.version, consistency_token=result.token)


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("", status_code=201)
async def create_job(body: CreateJobBody, store: Store, meta: CommandMetadata) -> CommandResponse:
    # With an Idempotency-Key the id is derived from it, so a retried request lands on the same stream.
    job_id = uuid5(NAMESPACE_URL, f"job:{meta.actor}:{meta.idempotency_key}") if meta.idempotency_key else uuid4()
    fields = body.model_dump(exclude={"fee_percentage"})
    command = jobs.CreateJob(
        job_id=job_id, fee_bps=percentage_to_bps(body.fee_percentage), by=meta.actor, at=_now(), **fields
    )
    return _response(job_id, await handle(store, jobs.job, job_id, command, meta))


@router.patch("/{job_id}")
async def edit_job(
    job_id: UUID, body: EditJobBody, store: Store, meta: CommandMetadata, if_match: ExpectedVersion
) -> CommandResponse:
    given = body.model_dump(exclude_unset=True)
    if "fee_percentage" in given:
        percentage = given.pop("fee_percentage")
        given["fee_bps"] = None if percentage is None else percentage_to_bps(percentage)
    command = jobs.EditJob(job_id=job_id, by=meta.actor, at=_now(), **given)
    return _response(job_id, await handle(store, jobs.job, job_id, command, meta, expected_version=if_match))


async def _billing_ready(db: AsyncConnection, store: EventStore, job_id: UUID) -> bool:
    """Looked up here and passed in, so the decider stays pure. Firm jobs wait for the billing context."""
    state, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, job_id))
    return await company_billing_ready(db, state.company_id)


_MOVES = {
    "publish": jobs.PublishJob,
    "submit": jobs.SubmitJobForApproval,
    "pause": jobs.PauseJob,
    "fill": jobs.FillJob,
    "reopen": jobs.ReopenJob,
}


JobMove = Literal["publish", "submit", "pause", "fill", "reopen", "close", "draft"]


@router.post("/{job_id}/{move}", responses={404: {}, 409: {}, 422: {}})
async def move_job(
    job_id: UUID,
    move: JobMove,
    store: Store,
    meta: CommandMetadata,
    db: Db,
    if_match: ExpectedVersion,
    body: StatusBody | None = None,
) -> CommandResponse:
    """Status moves: publish, submit (for approval), pause, fill, reopen, close, draft."""
    reason = body.reason if body else None
    common = {"job_id": job_id, "by": meta.actor, "at": _now(), "reason": reason}
    if move == "close":
        command = jobs.CloseJob(**common)
    elif move == "draft":
        command = jobs.ReturnJobToDraft(**common)
    else:
        command = _MOVES[move](**common, billing_ready=await _billing_ready(db, store, job_id))
    return _response(job_id, await handle(store, jobs.job, job_id, command, meta, expected_version=if_match))


@router.get("")
async def list_all(
    _: FreshAts,
    db: Db,
    status: Annotated[list[JobStatus] | None, Query()] = None,
    company_id: UUID | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    sort: JobSort = "-created_at",
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> JobPage:
    rows, total = await list_jobs(db, JobFilter(status=status, company_id=company_id, search=search), sort, page, limit)
    return JobPage(
        data=[JobOut.from_row(r) for r in rows],
        pagination=Pagination(total=total, page=page, limit=limit, total_pages=ceil(total / limit) if total else 0),
    )


@router.get("/{job_id}")
async def get_one(job_id: UUID, _: FreshAts, db: Db) -> JobEnvelope:
    row = await get_job(db, job_id)
    if row is None:
        raise HTTPException(404, f"job {job_id} not found")
    return JobEnvelope(data=JobOut.from_row(row))
