"""Job routes: commands (create, edit, status moves) and queries (list, detail)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from math import ceil
from typing import Annotated, Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from api.ats.models import (
    CreateJobBody,
    EditJobBody,
    JobEnvelope,
    JobOut,
    JobPage,
    Pagination,
    StatusBody,
    percentage_to_bps,
)
from api.ats.entitlements import visible_jobs
from api.ats.policy import check_may_change, check_may_create, may_see, saver_of
from api.bounds import Limit, Page, SearchText
from api.visibility import JOB, viewer_of_job
from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, ExpectedVersion, MaybeUser, NotAuthenticated, Now, Store
from api.network.common import member_firm
from api.responses import CommandResponse
from commands.ats import job as jobs
from commands.ats.events import JobStatus
from commands.billing import billing_profile as profiles
from commands.core import NotFound, RuleViolation
from eventstore import EventStore, Position, handle, load, new_stream, stream_id_for
from projections.ats.queries import (
    JobFilter,
    JobSort,
    get_job,
    list_jobs,
)
from projections.identity.access import Access

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

# Waits for the command's consistency token (if given) before a connection is taken for the query.
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]



async def _check_poster_knows_owner(store: EventStore, user: Access, company_id: UUID | None,
                                    source_firm_id: UUID | None) -> None:
    """A company the caller has no part in, or a firm they are not a member of, answers 404, as a missing one
    does (`GET /v1/firms/{id}` answers the same): a 403 would tell a stranger that it exists. Its staff, the
    recruiters working with it and the firm's members (who know it) get the 403 of `check_may_create` when they
    lack the right to post."""
    if user.is_platform_admin:
        return
    if company_id is not None:
        if company_id not in user.company_ids and company_id not in user.company_permissions:
            raise NotFound(f"company {company_id} not found", company_id=str(company_id))
    elif source_firm_id is not None:
        await member_firm(store, user, source_firm_id)


@router.post("", status_code=201, responses={401: {}, 403: {}, 404: {}})
async def create_job(
    body: CreateJobBody, store: Store, meta: CommandMetadata, user: CurrentUser, now: Now,
) -> CommandResponse:
    fee_bps = percentage_to_bps(body.fee_percentage)
    await _check_poster_knows_owner(store, user, body.company_id, body.source_firm_id)
    check_may_create(user, body.company_id, body.source_firm_id, fee_bps)
    # With an Idempotency-Key the id is derived from it, so a retried request lands on the same stream.
    job_id = uuid5(NAMESPACE_URL, f"job:{meta.actor}:{meta.idempotency_key}") if meta.idempotency_key else uuid4()
    fields = body.model_dump(exclude={"fee_percentage"})
    if body.company_id is None and body.job_owner_recruiter_id is not None:
        raise RuleViolation("an off-platform firm job has no job owner (domain §5.2)")
    if body.company_id is not None and user.is_recruiter and not user.is_platform_admin:
        # A recruiter who posts a company job owns it (domain §2.4); nobody else can be named owner by them.
        # Off-platform firm jobs have no owner: the firm's recruiters earn through the other roles.
        fields["job_owner_recruiter_id"] = user.recruiter_id
    command = jobs.CreateJob(job_id=job_id, fee_bps=fee_bps, by=meta.actor, at=now, **fields)
    # A minted id names no stream yet: nothing to read before deciding (a keyed retry reads it).
    loaded = None if meta.idempotency_key else new_stream(jobs.job)
    return CommandResponse.of(job_id, await handle(store, jobs.job, job_id, command, meta, loaded=loaded))


async def _changeable(store: EventStore, user: Access, job_id: UUID) -> jobs.Job:
    """The job's current state, if this caller may change it: 404 if they cannot see it, 403 if only see it."""
    state, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, job_id))
    if not state.exists or not may_see(user, state):
        raise HTTPException(404, f"job {job_id} not found")
    check_may_change(user, state)
    return state


@router.patch("/{job_id}", responses={401: {}, 403: {}, 404: {}})
async def edit_job(
    job_id: UUID, body: EditJobBody, store: Store, meta: CommandMetadata, if_match: ExpectedVersion,
    user: CurrentUser, now: Now,
) -> CommandResponse:
    await _changeable(store, user, job_id)
    given = body.model_dump(exclude_unset=True)
    if "fee_percentage" in given:
        percentage = given.pop("fee_percentage")
        given["fee_bps"] = None if percentage is None else percentage_to_bps(percentage)
    command = jobs.EditJob(job_id=job_id, by=meta.actor, at=now, **given)
    return CommandResponse.of(job_id, await handle(store, jobs.job, job_id, command, meta, expected_version=if_match))


async def _billing_ready(store: EventStore, state: jobs.Job) -> bool:
    """Looked up here and passed in, so the decider stays pure. Read from the billing profile's own stream
    (the company's, or for an off-platform job the firm's), as `GET …/billing-readiness` reads it: a copy
    updated in the background could refuse a publish right after readiness said ready."""
    if state.company_id is not None:
        key = profiles.billing_profile_key("company", state.company_id)
    elif state.source_firm_id is not None:
        key = profiles.billing_profile_key("firm", state.source_firm_id)
    else:
        return False
    profile, _, _ = await load(store, profiles.billing_profile, stream_id_for(profiles.billing_profile, key))
    return profile.ready


_MOVES = {
    "publish": jobs.PublishJob,
    "submit": jobs.SubmitJobForApproval,
    "pause": jobs.PauseJob,
    "fill": jobs.FillJob,
    "reopen": jobs.ReopenJob,
}


JobMove = Literal["publish", "submit", "pause", "fill", "reopen", "close", "draft"]


@router.post("/{job_id}/{move}", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def move_job(
    job_id: UUID,
    move: JobMove,
    store: Store,
    meta: CommandMetadata,
    if_match: ExpectedVersion,
    user: CurrentUser,
    now: Now,
    body: StatusBody | None = None,
) -> CommandResponse:
    """Status moves: publish, submit (for approval), pause, fill, reopen, close, draft."""
    state = await _changeable(store, user, job_id)
    reason = body.reason if body else None
    common = {"job_id": job_id, "by": meta.actor, "at": now, "reason": reason}
    if move == "close":
        command = jobs.CloseJob(**common)
    elif move == "draft":
        command = jobs.ReturnJobToDraft(**common)
    else:
        command = _MOVES[move](**common, billing_ready=await _billing_ready(store, state))
    return CommandResponse.of(job_id, await handle(store, jobs.job, job_id, command, meta, expected_version=if_match))


def _shown(user: Access, row: dict[str, Any]) -> dict[str, Any]:
    """The job as this caller's role sees it (api/visibility.py)."""
    return JOB.project(viewer_of_job(user, row), JobOut.from_row(row).model_dump(mode="json"))


async def _catalogue(request: Request, user: Access, token: Position | None,
                     query: Callable[[], Awaitable[bytes]]) -> Response:
    """Anonymous catalogue reads come from the short Redis cache (unless they wait for a token)."""
    cache = request.app.state.gateway.catalogue
    if cache is None or not user.is_anonymous or token is not None:
        return Response(await query(), media_type="application/json")
    key = cache.key(request.url.path, str(sorted(request.query_params.multi_items())))
    return Response(await cache.get_or_compute(key, query), media_type="application/json")


JobScope = Literal["all", "saved"]


@router.get("", response_model=JobPage, responses={401: {}, 403: {}})
async def list_all(
    request: Request,
    token: FreshAts,
    user: MaybeUser,
    store: Store,
    now: Now,
    scope: JobScope = "all",
    status: Annotated[list[JobStatus] | None, Query(max_length=6)] = None,
    company_id: UUID | None = None,
    search: SearchText = None,
    sort: JobSort = "-created_at",
    page: Page = 1,
    limit: Limit = 25,
) -> Response:
    """Jobs the caller may see (anonymous callers: the public marketplace), filtered, sorted and paginated.
    Early-access jobs are in the marketplace for recruiters whose plan grants `early_access_roles`, for others
    from their `activates_at`. `scope=saved`: only the jobs the caller (a recruiter or a candidate) saved."""
    saved_by = None
    if scope == "saved":
        if user.is_anonymous:
            raise NotAuthenticated()
        saved_by = saver_of(user)
    visible = await visible_jobs(store, user, now)
    where = JobFilter(status=status, company_id=company_id, search=search, saved_by=saved_by)

    async def query() -> bytes:
        async with request.app.state.system.pool.connection() as db:
            rows, total = await list_jobs(db, visible, where, sort, page, limit)
        pages = ceil(total / limit) if total else 0
        pagination = Pagination(total=total, page=page, limit=limit, total_pages=pages)
        return orjson.dumps({"data": [_shown(user, r) for r in rows], "pagination": pagination.model_dump()})

    return await _catalogue(request, user, token, query)


@router.get("/{job_id}", response_model=JobEnvelope, responses={404: {}})
async def get_one(job_id: UUID, request: Request, token: FreshAts, user: MaybeUser, store: Store,
                  now: Now) -> Response:
    visible = await visible_jobs(store, user, now)

    async def query() -> bytes:
        async with request.app.state.system.pool.connection() as db:
            row = await get_job(db, job_id, visible)
        if row is None:
            raise HTTPException(404, f"job {job_id} not found")
        return orjson.dumps({"data": _shown(user, row)})

    return await _catalogue(request, user, token, query)
