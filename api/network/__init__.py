"""The network context's routes: recruiters, their relationships with candidates and companies, firms, referral
codes and company platform invitations."""

from __future__ import annotations

from fastapi import APIRouter

from api.network import (
    company_invitations,
    firms,
    recruiter_candidates,
    recruiter_codes,
    recruiter_companies,
    recruiters,
)

router = APIRouter(prefix="/v1")
for feature in (recruiters, recruiter_candidates, recruiter_companies, firms, recruiter_codes, company_invitations):
    router.include_router(feature.router)

__all__ = ["router"]
