"""Company routes: the marketplace profile (create, edit, list, read), its marketplace visibility and
status, and its sourcer. Its billing profile, which decides whether its jobs may leave draft, is the
billing context's (`api/billing/accounts.py`).

A company belongs to one organization of the identity context and takes the company id that
organization names, so that the organization's members are its staff. Who manages it is judged from
that organization's own stream (api/ats/policy.py), like organization management itself.
"""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from psycopg import AsyncConnection

from api.ats.models import (
    ClaimSourcerBody,
    CompanyEnvelope,
    CompanyOut,
    CompanyPage,
    CompanyStatusOut,
    CompanyVisibilityBody,
    CreateCompanyBody,
    Pagination,
    SourcerEnvelope,
    StatusBody,
    UpdateCompanyBody,
)
from api.ats.policy import (
    check_may_claim_company_sourcer,
    check_may_create_company,
    check_may_manage_company,
    company_visibility,
    may_see_company,
)
from api.ats.sourcers import claim_terms, sourcer_out
from api.bounds import FilterText, Limit, Page, SearchText
from api.consistency import read_after
from api.deps import (
    CommandMetadata,
    CurrentUser,
    Db,
    ExpectedVersion,
    MaybeUser,
    Now,
    PlatformAdmin,
    Store,
)
from api.responses import CommandResponse
from commands.ats import company as companies
from commands.ats import sourcer as sourcers
from commands.core import Conflict, NotFound
from commands.identity import organization as orgs
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from projections.ats.company_queries import (
    CompanyFilter,
    CompanySort,
    get_company,
    get_company_sourcer,
    list_companies,
    slug_taken,
)
from projections.identity.access import Access

router = APIRouter(prefix="/v1/companies", tags=["companies"])

# Waits for the command's consistency token (if given) before a connection is taken for the query.
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]


async def _organization(store: EventStore, organization_id: UUID) -> orgs.Organization:
    state, _, _ = await load(store, orgs.organization, stream_id_for(orgs.organization, organization_id))
    return state


async def _visible(store: EventStore, user: Access, company_id: UUID) -> companies.Company:
    """The company's current state, if this caller may see it; otherwise it does not exist (404)."""
    state, _, _ = await load(store, companies.company, stream_id_for(companies.company, company_id))
    if not may_see_company(user, state):
        raise NotFound(f"company {company_id} not found", company_id=str(company_id))
    return state


async def _managed(store: EventStore, user: Access, company_id: UUID) -> companies.Company:
    """The company, if this caller may change it: 404 if they cannot see it, 403 if they only see it."""
    state = await _visible(store, user, company_id)
    assert state.identity_organization_id is not None
    check_may_manage_company(user, state, await _organization(store, state.identity_organization_id))
    return state


async def _attach_company(store: EventStore, organization: orgs.Organization, meta: Metadata,
                          now: datetime) -> UUID:
    """An organization Clerk created before organizations got a company id at creation names none: its admin's
    first company gets the id the organization would have been given, recorded on the organization first."""
    assert organization.id is not None
    company_id = orgs.company_id_for(organization.id)
    await handle(store, orgs.organization, organization.id, orgs.AttachCompany(
        organization_id=organization.id, company_id=company_id, by=meta.actor, at=now), meta)
    return company_id


async def _check_slug(db: AsyncConnection, slug: str | None, company_id: UUID) -> None:
    if slug is not None and await slug_taken(db, slug, company_id):
        raise Conflict(f"another company already uses the slug {slug!r}", slug=slug)


@router.post("", status_code=201, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def create_company(
    body: CreateCompanyBody, user: CurrentUser, store: Store, db: Db, meta: CommandMetadata, now: Now,
) -> CommandResponse:
    """A platform admin, or an organization-wide company admin of the organization."""
    organization = await _organization(store, body.identity_organization_id)
    member = user.user_id is not None and any(uid == user.user_id for uid, _ in organization.members)
    if not organization.exists or organization.deleted or not (member or user.is_platform_admin):
        raise NotFound(f"organization {body.identity_organization_id} not found",
                       organization_id=str(body.identity_organization_id))
    check_may_create_company(user, organization)
    company_id = organization.company_id or await _attach_company(store, organization, meta, now)
    command = companies.CreateCompany(company_id=company_id, by=meta.actor, at=now, **body.model_dump())
    await _check_slug(db, command.slug, company_id)
    return CommandResponse.of(company_id, await handle(store, companies.company, company_id, command, meta))


@router.get("", response_model=CompanyPage)
async def list_all(
    _: FreshAts,
    user: MaybeUser,
    db: Db,
    search: SearchText = None,
    industry: FilterText = None,
    status: CompanyStatusOut | None = None,
    identity_organization_id: UUID | None = None,
    sort: CompanySort = "name",
    page: Page = 1,
    limit: Limit = 25,
) -> CompanyPage:
    """The marketplace's companies (active and shown); company staff also see their own, platform admins all."""
    where = CompanyFilter(search=search, industry=industry, status=status,
                          identity_organization_id=identity_organization_id)
    rows, total = await list_companies(db, company_visibility(user), where, sort, page, limit)
    return CompanyPage(data=[CompanyOut.from_row(r) for r in rows],
                       pagination=Pagination(total=total, page=page, limit=limit,
                                             total_pages=ceil(total / limit) if total else 0))


@router.get("/{company_id}", response_model=CompanyEnvelope, responses={404: {}})
async def get_one(company_id: UUID, _: FreshAts, user: MaybeUser, db: Db) -> CompanyEnvelope:
    row = await get_company(db, company_id, company_visibility(user))
    if row is None:
        raise NotFound(f"company {company_id} not found", company_id=str(company_id))
    return CompanyEnvelope(data=CompanyOut.from_row(row))


@router.patch("/{company_id}", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def update_company(
    company_id: UUID, body: UpdateCompanyBody, user: CurrentUser, store: Store, db: Db, meta: CommandMetadata,
    if_match: ExpectedVersion, now: Now,
) -> CommandResponse:
    """The company's admins or a platform admin. Only the fields sent change."""
    await _managed(store, user, company_id)
    command = companies.UpdateCompanyProfile(company_id=company_id, by=meta.actor, at=now,
                                             **body.model_dump(exclude_unset=True))
    await _check_slug(db, command.slug, company_id)
    result = await handle(store, companies.company, company_id, command, meta, expected_version=if_match)
    return CommandResponse.of(company_id, result)


@router.post("/{company_id}/marketplace-visibility", responses={401: {}, 403: {}, 404: {}})
async def set_marketplace_visibility(
    company_id: UUID, body: CompanyVisibilityBody, user: CurrentUser, store: Store, meta: CommandMetadata,
    now: Now,
) -> CommandResponse:
    """The company's admins or a platform admin: show the company on the marketplace, or take it off."""
    await _managed(store, user, company_id)
    command = companies.SetCompanyMarketplaceVisibility(company_id=company_id, visible=body.visible, by=meta.actor,
                                                        at=now)
    return CommandResponse.of(company_id, await handle(store, companies.company, company_id, command, meta))


@router.post("/{company_id}/deactivate", responses={401: {}, 403: {}, 404: {}})
async def deactivate(
    company_id: UUID, _: PlatformAdmin, store: Store, meta: CommandMetadata, now: Now,
    body: StatusBody | None = None,
) -> CommandResponse:
    """Platform admins: an inactive company leaves the marketplace whatever its own visibility says."""
    command = companies.DeactivateCompany(company_id=company_id, reason=body.reason if body else None,
                                          by=meta.actor, at=now)
    return CommandResponse.of(company_id, await handle(store, companies.company, company_id, command, meta))


@router.post("/{company_id}/activate", responses={401: {}, 403: {}, 404: {}})
async def activate(
    company_id: UUID, _: PlatformAdmin, store: Store, meta: CommandMetadata, now: Now,
    body: StatusBody | None = None,
) -> CommandResponse:
    command = companies.ActivateCompany(company_id=company_id, reason=body.reason if body else None,
                                        by=meta.actor, at=now)
    return CommandResponse.of(company_id, await handle(store, companies.company, company_id, command, meta))


# --- the company's sourcer ----------------------------------------------------------------------------

@router.post("/{company_id}/sourcer", status_code=201, responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def claim_sourcer(
    company_id: UUID, body: ClaimSourcerBody, user: CurrentUser, store: Store, meta: CommandMetadata, now: Now,
) -> CommandResponse:
    """A recruiter claims for themself a company they work with; a platform admin names anyone. The first
    sourcer stays: a claim by anyone else answers 409."""
    await _visible(store, user, company_id)
    terms = claim_terms(body, user)
    check_may_claim_company_sourcer(user, company_id, terms.get("sourcer_recruiter_id"))
    command = sourcers.ClaimCompanySourcer(company_id=company_id, by=meta.actor, at=now, **terms)
    return CommandResponse.of(company_id, await handle(store, sourcers.company_sourcer, company_id, command, meta))


@router.get("/{company_id}/sourcer", response_model=SourcerEnvelope, responses={401: {}, 404: {}})
async def get_sourcer(company_id: UUID, _: FreshAts, user: CurrentUser, db: Db, now: Now) -> SourcerEnvelope:
    """Whoever may see the company; `data` is null while nobody has claimed it."""
    if await get_company(db, company_id, company_visibility(user)) is None:
        raise NotFound(f"company {company_id} not found", company_id=str(company_id))
    row = await get_company_sourcer(db, company_id)
    return SourcerEnvelope(data=sourcer_out(row, now) if row else None)
