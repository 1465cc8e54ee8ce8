"""Candidate routes: create, read and list (role-scoped, private fields left out), the profile, privacy,
marketplace visibility, verification, archive and restore, claiming a recruiter-managed record, and
the candidate's sourcer.

A candidate record belongs to its user account (`user_id`) or, while recruiter-managed, to the
recruiter who created it. The `candidate` role naming the record, through which the access context
knows a user's candidate id, follows from the record's creation or linking (the candidate-accounts
process manager), not from these routes.
"""

from __future__ import annotations

from math import ceil
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import APIRouter, Depends
from psycopg import AsyncConnection

from api.ats.models import CandidateOut as Out
from api.ats.models import (
    CandidateEnvelope,
    CandidatePage,
    CandidatePrivacyBody,
    CandidateVisibilityBody,
    ClaimSourcerBody,
    CreateCandidateBody,
    MarketplaceVisibilityIn,
    Pagination,
    SourcerEnvelope,
    StatusBody,
    UpdateCandidateBody,
    VerificationBody,
    VerificationStatusIn,
)
from api.ats.policy import (
    CandidateScope,
    candidate_listing,
    candidate_visibility,
    check_may_change_candidate,
    check_may_claim_candidate_sourcer,
    may_see_candidate,
)
from api.ats.sourcers import claim_terms, sourcer_out
from api.bounds import Limit, Page, SearchText
from api.consistency import read_after
from api.deps import (
    Caller,
    CommandMetadata,
    CurrentUser,
    Db,
    ExpectedVersion,
    Now,
    PlatformAdmin,
    Store,
    SystemDep,
)
from api.identity.users_verified import verified_email
from api.responses import CommandResponse
from api.visibility import CANDIDATE, viewer_of_candidate
from commands.ats import candidate as candidates
from commands.ats import sourcer as sourcers
from commands.core import Conflict, Forbidden, NotFound
from commands.ats.candidate import candidate_id_for
from commands.ats.saved_items import OnlyRecruitersSaveCandidates
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from projections.ats.candidate_queries import (
    CandidateFilter,
    CandidateSort,
    candidate_of_user,
    candidate_with_email,
    get_candidate,
    get_candidate_sourcer,
    list_candidates,
    recruiter_managed_with_email,
)
from projections.ats.hire_queries import companies_that_hired
from projections.identity.access import Access

router = APIRouter(prefix="/v1/candidates", tags=["candidates"])

# Waits for the command's consistency token (if given) before a connection is taken for the query.
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]


def _known(user: Access) -> UUID:
    if user.user_id is None:
        raise Forbidden("register first: POST /v1/users/register")
    return user.user_id


def _own_candidate_id(user: Access, user_id: UUID) -> UUID:
    """The id of a candidate's own record: the one their candidate role names, else the one derived from
    their account (as at a candidate-app sign-up), so that a retry lands on the same stream."""
    return user.candidate_id or candidate_id_for(user_id)


def _not_found(candidate_id: UUID) -> NotFound:
    return NotFound(f"candidate {candidate_id} not found", candidate_id=str(candidate_id))


async def _visible(store: EventStore, user: Access, candidate_id: UUID) -> candidates.Candidate:
    state, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    if not may_see_candidate(user, state):
        raise _not_found(candidate_id)
    return state


async def _changeable(store: EventStore, user: Access, candidate_id: UUID) -> candidates.Candidate:
    """The candidate, if this caller may change it: 404 if they cannot see it, 403 if they only see it."""
    state = await _visible(store, user, candidate_id)
    check_may_change_candidate(user, state)
    return state


async def _check_email(db: AsyncConnection, email: str | None, candidate_id: UUID) -> None:
    if email is not None and await candidate_with_email(db, email, candidate_id) is not None:
        raise Conflict("a candidate with this email already exists; if it is you, claim it: "
                       "POST /v1/candidates/claim")


def _shown(user: Access, row: dict[str, Any], hired_by: frozenset[UUID] = frozenset()) -> dict[str, Any]:
    """The record as this caller sees it (api/visibility.py): its privacy flags, whose account it is, and
    whether the caller's company hired them (`hired_by`: the caller's companies that did)."""
    return CANDIDATE.project(viewer_of_candidate(user, row, hired_by=hired_by), Out.shown(row, frozenset()))


async def _hires(db: AsyncConnection, user: Access, rows: list[dict[str, Any]]) -> dict[UUID, frozenset[UUID]]:
    """Which of the caller's companies hired each of these candidates (a company user's question only)."""
    if not user.is_company_user or not rows:
        return {}
    return await companies_that_hired(db, [r["id"] for r in rows], user.company_ids)


@router.post("", status_code=201, responses={401: {}, 403: {}, 409: {}, 422: {}})
async def create_candidate(
    body: CreateCandidateBody, user: CurrentUser, store: Store, db: Db, meta: CommandMetadata, now: Now,
) -> CommandResponse:
    """A recruiter (or a platform admin) creates a recruiter-managed candidate; a candidate creates
    their own record. A caller who is both a recruiter and a candidate creates as a recruiter."""
    user_id = _known(user)
    fields = body.model_dump()
    if user.is_recruiter or user.is_platform_admin:
        key = meta.idempotency_key
        candidate_id = uuid5(NAMESPACE_URL, f"candidate:{meta.actor}:{key}") if key else uuid4()
        command = candidates.CreateCandidate(candidate_id=candidate_id, created_by_user_id=user_id, by=meta.actor,
                                             at=now, **fields)
    elif "candidate" in user.roles:
        candidate_id = _own_candidate_id(user, user_id)
        if (mine := await candidate_of_user(db, user_id)) is not None and mine["id"] != candidate_id:
            raise Conflict("you already have a candidate record", candidate_id=str(mine["id"]))
        command = candidates.CreateCandidate(candidate_id=candidate_id, user_id=user_id, by=meta.actor, at=now,
                                             **fields)
    else:
        raise Forbidden("recruiters create candidates for others, and candidates their own record")
    await _check_email(db, command.email, candidate_id)
    return CommandResponse.of(candidate_id, await handle(store, candidates.candidate, candidate_id, command, meta))


@router.post("/claim", responses={401: {}, 403: {}, 404: {}, 409: {}, 503: {}})
async def claim_record(user: CurrentUser, caller: Caller, store: Store, system: SystemDep, db: Db,
                       meta: CommandMetadata, now: Now) -> CommandResponse:
    """The signed-in user takes over the recruiter-managed record made with their account's primary email,
    once Clerk has verified it (asked now when a Backend API key is set): an address only typed in claims
    nothing (403 `email_unverified`). At a candidate-app sign-up this happens by itself; this is for a record
    a recruiter made afterwards."""
    user_id = _known(user)
    email = await verified_email(store, system.settings, caller, user_id, meta, now)
    if (mine := await candidate_of_user(db, user_id)) is not None:
        raise Conflict("you already have a candidate record", candidate_id=str(mine["id"]))
    found = await recruiter_managed_with_email(db, email)
    if found is None:
        raise NotFound("no recruiter-managed candidate record has your email")
    candidate_id = found["id"]
    command = candidates.LinkCandidateUser(candidate_id=candidate_id, user_id=user_id, by=meta.actor, at=now)
    return CommandResponse.of(candidate_id, await handle(store, candidates.candidate, candidate_id, command, meta))


@router.get("/me", response_model=CandidateEnvelope, response_model_exclude_unset=True,
            responses={401: {}, 403: {}, 404: {}})
async def my_record(_: FreshAts, user: CurrentUser, db: Db) -> dict[str, dict[str, Any]]:
    row = await candidate_of_user(db, _known(user))
    if row is None:
        raise NotFound("you have no candidate record yet: POST /v1/candidates")
    return {"data": _shown(user, row)}


@router.get("", response_model=CandidatePage, response_model_exclude_unset=True, responses={401: {}, 403: {}})
async def list_all(
    _: FreshAts,
    user: CurrentUser,
    db: Db,
    scope: CandidateScope = "browse",
    search: SearchText = None,
    verification_status: VerificationStatusIn | None = None,
    marketplace_visibility: MarketplaceVisibilityIn | None = None,
    archived: bool = False,
    sort: CandidateSort = "-created_at",
    page: Page = 1,
    limit: Limit = 25,
) -> dict[str, Any]:
    """Role-scoped (domain §2.3): platform admins all (hidden too); recruiters and company users browse
    the marketplace, recruiters' `scope=mine` the candidates they created or represent, `scope=saved` those they
    saved (and still may see); candidates their own record."""
    visible, creator = candidate_listing(user, scope)
    saved_by = None
    if scope == "saved":
        if user.recruiter_id is None:
            raise OnlyRecruitersSaveCandidates("candidate" if user.candidate_id else "caller")
        saved_by = user.recruiter_id
    where = CandidateFilter(search=search, verification_status=verification_status,
                            marketplace_visibility=marketplace_visibility, created_by_user_id=creator,
                            represented_by=user.recruiter_id if creator else None, archived=archived,
                            saved_by_recruiter_id=saved_by)
    rows, total = await list_candidates(db, visible, where, sort, page, limit)
    pagination = Pagination(total=total, page=page, limit=limit, total_pages=ceil(total / limit) if total else 0)
    hires = await _hires(db, user, rows)
    return {"data": [_shown(user, r, hires.get(r["id"], frozenset())) for r in rows],
            "pagination": pagination.model_dump()}


@router.get("/{candidate_id}", response_model=CandidateEnvelope, response_model_exclude_unset=True,
            responses={401: {}, 404: {}})
async def get_one(candidate_id: UUID, _: FreshAts, user: CurrentUser, db: Db) -> dict[str, dict[str, Any]]:
    row = await get_candidate(db, candidate_id, candidate_visibility(user))
    if row is None:
        raise _not_found(candidate_id)
    hires = await _hires(db, user, [row])
    return {"data": _shown(user, row, hires.get(candidate_id, frozenset()))}


@router.patch("/{candidate_id}", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def update_profile(
    candidate_id: UUID, body: UpdateCandidateBody, user: CurrentUser, store: Store, db: Db, meta: CommandMetadata,
    if_match: ExpectedVersion, now: Now,
) -> CommandResponse:
    await _changeable(store, user, candidate_id)
    command = candidates.UpdateCandidateProfile(candidate_id=candidate_id, by=meta.actor, at=now,
                                                **body.model_dump(exclude_unset=True))
    await _check_email(db, command.email, candidate_id)
    result = await handle(store, candidates.candidate, candidate_id, command, meta, expected_version=if_match)
    return CommandResponse.of(candidate_id, result)


async def _run(store: EventStore, candidate_id: UUID, command: candidates.CandidateCommand,
               meta: Metadata) -> CommandResponse:
    return CommandResponse.of(candidate_id, await handle(store, candidates.candidate, candidate_id, command, meta))


@router.post("/{candidate_id}/privacy", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def set_privacy(
    candidate_id: UUID, body: CandidatePrivacyBody, user: CurrentUser, store: Store, meta: CommandMetadata, now: Now,
) -> CommandResponse:
    """Which private fields others may see; the flags not sent keep their value."""
    await _changeable(store, user, candidate_id)
    return await _run(store, candidate_id, candidates.SetCandidatePrivacy(
        candidate_id=candidate_id, by=meta.actor, at=now, **body.model_dump(exclude_unset=True)), meta)


@router.post("/{candidate_id}/marketplace-visibility", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def set_visibility(
    candidate_id: UUID, body: CandidateVisibilityBody, user: CurrentUser, store: Store, meta: CommandMetadata,
    now: Now,
) -> CommandResponse:
    await _changeable(store, user, candidate_id)
    return await _run(store, candidate_id, candidates.SetCandidateMarketplaceVisibility(
        candidate_id=candidate_id, visibility=body.visibility, by=meta.actor, at=now), meta)


@router.post("/{candidate_id}/verification", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def change_verification(
    candidate_id: UUID, body: VerificationBody, _: PlatformAdmin, store: Store, meta: CommandMetadata, now: Now,
) -> CommandResponse:
    """Platform admins."""
    return await _run(store, candidate_id, candidates.ChangeCandidateVerification(
        candidate_id=candidate_id, to_status=body.to_status, reason=body.reason, by=meta.actor, at=now), meta)


@router.post("/{candidate_id}/archive", responses={401: {}, 403: {}, 404: {}})
async def archive(
    candidate_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata, now: Now,
    body: StatusBody | None = None,
) -> CommandResponse:
    await _changeable(store, user, candidate_id)
    return await _run(store, candidate_id, candidates.ArchiveCandidate(
        candidate_id=candidate_id, reason=body.reason if body else None, by=meta.actor, at=now), meta)


@router.post("/{candidate_id}/restore", responses={401: {}, 403: {}, 404: {}})
async def restore(candidate_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                  now: Now) -> CommandResponse:
    await _changeable(store, user, candidate_id)
    return await _run(store, candidate_id, candidates.RestoreCandidate(candidate_id=candidate_id, by=meta.actor,
                                                                       at=now), meta)


# --- the candidate's sourcer --------------------------------------------------------------------------

@router.post("/{candidate_id}/sourcer", status_code=201, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def claim_sourcer(
    candidate_id: UUID, body: ClaimSourcerBody, user: CurrentUser, store: Store, meta: CommandMetadata, now: Now,
) -> CommandResponse:
    """A recruiter claims for themself a candidate whose record they created; a platform admin names
    anyone. The first sourcer stays: a claim by anyone else answers 409."""
    state = await _visible(store, user, candidate_id)
    terms = claim_terms(body, user)
    check_may_claim_candidate_sourcer(user, state, terms.get("sourcer_recruiter_id"))
    command = sourcers.ClaimCandidateSourcer(candidate_id=candidate_id, by=meta.actor, at=now, **terms)
    return CommandResponse.of(candidate_id, await handle(store, sourcers.candidate_sourcer, candidate_id, command,
                                                         meta))


@router.get("/{candidate_id}/sourcer", response_model=SourcerEnvelope, responses={401: {}, 404: {}})
async def get_sourcer(candidate_id: UUID, _: FreshAts, user: CurrentUser, db: Db, now: Now) -> SourcerEnvelope:
    """Whoever may see the candidate; `data` is null while nobody has claimed them."""
    if await get_candidate(db, candidate_id, candidate_visibility(user)) is None:
        raise _not_found(candidate_id)
    row = await get_candidate_sourcer(db, candidate_id)
    return SourcerEnvelope(data=sourcer_out(row, now) if row else None)
