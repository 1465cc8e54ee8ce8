"""Recruiter routes (domain §7.4): the caller's own recruiter, the marketplace, and status by platform admins.

Who sees a recruiter: the marketplace (and so anyone) sees active recruiters who list themselves
publicly; a `limited` profile is shown to signed-in callers only; a `hidden` or not active one only to
its own user and platform admins. Anyone else is answered 404, as for a recruiter that does not exist.
"""

from __future__ import annotations

from math import ceil
from uuid import UUID

from fastapi import APIRouter, HTTPException

from api.bounds import FilterText, Limit, Page, SearchText
from api.deps import CommandMetadata, CurrentUser, Db, MaybeUser, Now, PlatformAdmin, Store
from api.network.common import FreshNetwork, known
from api.network.models import (
    CreateRecruiterBody,
    Pagination,
    RecruiterOut,
    RecruiterPage,
    RecruiterPublic,
    RecruiterStatusBody,
    UpdateRecruiterBody,
)
from api.responses import CommandResponse
from api.visibility import viewer_of_recruiter
from commands.core import Conflict
from commands.network import recruiter as recruiters
from eventstore import handle
from projections.identity.access import Access
from projections.network import queries
from projections.network.queries import RecruiterFilter, RecruiterSort

router = APIRouter(prefix="/recruiters", tags=["recruiters"])


async def _slug_free(db: Db, slug: str | None, recruiter_id: UUID) -> None:
    # Slugs are unique across recruiters, a question about all of them: checked on the read model.
    if slug is not None and await queries.recruiter_slug_taken(db, slug, recruiter_id):
        raise Conflict(f"the slug {slug!r} is taken by another recruiter", slug=slug)


@router.post("", status_code=201, responses={401: {}, 403: {}, 409: {}})
async def create_recruiter(body: CreateRecruiterBody, user: CurrentUser, store: Store, db: Db,
                           meta: CommandMetadata, now: Now) -> CommandResponse:
    """Create the caller's own recruiter (active). Idempotent: a second call changes nothing (use PATCH /me)."""
    user_id = known(user)
    recruiter_id = recruiters.recruiter_id_for(user_id)
    await _slug_free(db, body.slug, recruiter_id)
    command = recruiters.CreateRecruiter(user_id=user_id, by=meta.actor, at=now, **body.model_dump())
    return CommandResponse.of(recruiter_id, await handle(store, recruiters.recruiter, recruiter_id, command, meta))


@router.get("", response_model=RecruiterPage)
async def marketplace(
    _: FreshNetwork,
    db: Db,
    search: SearchText = None,
    industry: FilterText = None,
    specialty: FilterText = None,
    location: SearchText = None,
    candidate_recruiter: bool | None = None,
    company_recruiter: bool | None = None,
    sort: RecruiterSort = "-created_at",
    page: Page = 1,
    limit: Limit = 25,
) -> RecruiterPage:
    """The marketplace: active recruiters listed publicly, filtered, sorted and paginated. Anyone may look."""
    where = RecruiterFilter(search=search, industry=industry, specialty=specialty, location=location,
                            candidate_recruiter=candidate_recruiter, company_recruiter=company_recruiter)
    rows, total = await queries.list_marketplace_recruiters(db, where, sort, page, limit)
    return RecruiterPage(data=[RecruiterPublic.from_row(r) for r in rows],
                         pagination=Pagination(total=total, page=page, limit=limit,
                                               total_pages=ceil(total / limit) if total else 0))


@router.get("/me", responses={401: {}, 403: {}, 404: {}})
async def my_recruiter(_: FreshNetwork, user: CurrentUser, db: Db) -> dict[str, RecruiterOut]:
    row = await queries.get_recruiter(db, recruiters.recruiter_id_for(known(user)))
    if row is None:
        raise HTTPException(404, "you have no recruiter yet: POST /v1/recruiters")
    return {"data": RecruiterOut(**row)}


@router.patch("/me", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def update_my_recruiter(body: UpdateRecruiterBody, user: CurrentUser, store: Store, db: Db,
                              meta: CommandMetadata, now: Now) -> CommandResponse:
    user_id = known(user)
    recruiter_id = recruiters.recruiter_id_for(user_id)
    given = body.model_dump(exclude_unset=True)
    await _slug_free(db, given.get("slug"), recruiter_id)
    command = recruiters.UpdateRecruiterProfile(recruiter_id=recruiter_id, by_user_id=user_id, by=meta.actor,
                                                at=now, **given)
    return CommandResponse.of(recruiter_id, await handle(store, recruiters.recruiter, recruiter_id, command, meta))


def _shown(user: Access, row: dict) -> bool:
    if row["status"] != "active" or not row["marketplace_enabled"]:
        return False
    return row["marketplace_visibility"] == "public" or (
        row["marketplace_visibility"] == "limited" and not user.is_anonymous)


@router.get("/{recruiter_id}", responses={404: {}})
async def get_recruiter(recruiter_id: UUID, _: FreshNetwork, user: MaybeUser,
                        db: Db) -> dict[str, RecruiterOut | RecruiterPublic]:
    """The whole profile for its own user and platform admins; the marketplace profile for anyone it is shown to."""
    row = await queries.get_recruiter(db, recruiter_id)
    if row is not None and viewer_of_recruiter(user, row) != "public":
        return {"data": RecruiterOut(**row)}
    if row is None or not _shown(user, row):
        raise HTTPException(404, f"recruiter {recruiter_id} not found")
    return {"data": RecruiterPublic.from_row(row)}


@router.put("/{recruiter_id}/status", responses={401: {}, 403: {}, 404: {}})
async def change_status(recruiter_id: UUID, body: RecruiterStatusBody, admin: PlatformAdmin, store: Store,
                        meta: CommandMetadata, now: Now) -> CommandResponse:
    """Platform admins move a recruiter between pending, active, suspended and inactive."""
    command = recruiters.ChangeRecruiterStatus(recruiter_id=recruiter_id, status=body.status, reason=body.reason,
                                               by_user_id=admin.user_id, is_platform_admin=True, by=meta.actor,
                                               at=now)
    return CommandResponse.of(recruiter_id, await handle(store, recruiters.recruiter, recruiter_id, command, meta))
