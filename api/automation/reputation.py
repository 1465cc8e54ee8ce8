"""Reputation through the API: the full reputation of recruiters and companies (counts, rates, score, tier)
for platform admins, and a recruiter's score and tier for their profile, to anyone signed in.

Read-only: the reputation is a read model rebuilt from the marketplace's events; tier changes are recorded
by the `reputation-tiers` reactor, never through a route.
"""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.ats.models import Pagination
from api.bounds import Limit, Page
from api.consistency import read_after
from api.deps import CurrentUser, Db, PlatformAdmin
from commands.automation.reputation_events import Tier
from eventstore import Position
from projections.reputation import queries

router = APIRouter(prefix="/v1", tags=["reputation"])
FreshReputation = Annotated[Position | None, Depends(read_after("reputation"))]


class RecruiterReputationOut(BaseModel):
    recruiter_id: UUID
    score: float
    tier: Tier
    submissions: int
    hires: int
    placements: int
    placements_completed: int
    placements_failed: int
    collaborations: int
    proposals: int
    proposals_accepted: int
    proposals_declined: int
    proposals_timed_out: int
    responses: int
    response_hours: float | None
    pipeline_entered: int
    pipeline_dropped: int
    hire_rate: float | None
    completion_rate: float | None
    collaboration_rate: float | None
    proposal_acceptance_rate: float | None
    last_event_at: datetime | None


class CompanyReputationOut(BaseModel):
    company_id: UUID
    score: float
    tier: Tier
    received: int
    hires: int
    placements: int
    placements_completed: int
    placements_failed: int
    feedbacks: int
    feedback_hours: float | None
    pipeline_entered: int
    pipeline_dropped: int
    hire_rate: float | None
    completion_rate: float | None
    last_event_at: datetime | None


class RecruiterReputationEnvelope(BaseModel):
    data: RecruiterReputationOut


class RecruiterReputationPage(BaseModel):
    data: list[RecruiterReputationOut]
    pagination: Pagination


class CompanyReputationEnvelope(BaseModel):
    data: CompanyReputationOut


class CompanyReputationPage(BaseModel):
    data: list[CompanyReputationOut]
    pagination: Pagination


class ProfileReputationOut(BaseModel):
    """What a recruiter's profile shows: the score and the tier, nothing of the history behind them."""

    recruiter_id: UUID
    score: float
    tier: Tier


class ProfileReputationEnvelope(BaseModel):
    data: ProfileReputationOut


def _pagination(total: int, page: int, limit: int) -> Pagination:
    return Pagination(total=total, page=page, limit=limit, total_pages=ceil(total / limit) if total else 0)


@router.get("/admin/reputation/recruiters", response_model=RecruiterReputationPage, responses={401: {}, 403: {}})
async def list_recruiters(_: PlatformAdmin, __: FreshReputation, db: Db, tier: Tier | None = None, page: Page = 1,
                          limit: Limit = 25) -> RecruiterReputationPage:
    """Recruiters with a history, best score first; `tier` keeps one tier."""
    rows, total = await queries.list_recruiter_reputations(db, tier=tier, page=page, limit=limit)
    return RecruiterReputationPage(data=[RecruiterReputationOut(**r) for r in rows],
                                   pagination=_pagination(total, page, limit))


@router.get("/admin/reputation/recruiters/{recruiter_id}", response_model=RecruiterReputationEnvelope,
            responses={401: {}, 403: {}})
async def get_recruiter(recruiter_id: UUID, _: PlatformAdmin, __: FreshReputation,
                        db: Db) -> RecruiterReputationEnvelope:
    """One recruiter's counts, rates, score and tier (neutral when they have no history yet)."""
    row = await queries.get_recruiter_reputation(db, recruiter_id)
    return RecruiterReputationEnvelope(data=RecruiterReputationOut(**row))


@router.get("/admin/reputation/companies", response_model=CompanyReputationPage, responses={401: {}, 403: {}})
async def list_companies(_: PlatformAdmin, __: FreshReputation, db: Db, tier: Tier | None = None, page: Page = 1,
                         limit: Limit = 25) -> CompanyReputationPage:
    """Companies with a history, best score first; `tier` keeps one tier."""
    rows, total = await queries.list_company_reputations(db, tier=tier, page=page, limit=limit)
    return CompanyReputationPage(data=[CompanyReputationOut(**r) for r in rows],
                                 pagination=_pagination(total, page, limit))


@router.get("/admin/reputation/companies/{company_id}", response_model=CompanyReputationEnvelope,
            responses={401: {}, 403: {}})
async def get_company(company_id: UUID, _: PlatformAdmin, __: FreshReputation, db: Db) -> CompanyReputationEnvelope:
    """One company's counts, rates, score and tier (neutral when it has no history yet)."""
    return CompanyReputationEnvelope(data=CompanyReputationOut(**await queries.get_company_reputation(db, company_id)))


@router.get("/recruiters/{recruiter_id}/reputation", response_model=ProfileReputationEnvelope, responses={401: {}})
async def recruiter_profile_reputation(recruiter_id: UUID, _: CurrentUser, __: FreshReputation,
                                       db: Db) -> ProfileReputationEnvelope:
    """The score and tier a recruiter's profile shows, to any signed-in user."""
    row = await queries.get_recruiter_reputation(db, recruiter_id)
    return ProfileReputationEnvelope(data=ProfileReputationOut(recruiter_id=recruiter_id, score=row["score"],
                                                               tier=row["tier"]))
