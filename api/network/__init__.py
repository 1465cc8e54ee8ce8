"""The network context's routes: recruiters, their relationships with candidates and companies, firms."""

from __future__ import annotations

from fastapi import APIRouter

from api.network import firms, recruiter_candidates, recruiter_companies, recruiters

router = APIRouter(prefix="/v1")
for feature in (recruiters, recruiter_candidates, recruiter_companies, firms):
    router.include_router(feature.router)

__all__ = ["router"]
