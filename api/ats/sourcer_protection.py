"""Whether a candidate or a company is under a sourcer's protection now (domain §3.2, §5.2; the original's
`GET /candidate-sourcers/check-protection/:candidate_id` and its company twin).

A recruiter asks before bringing a candidate or a company in: if another recruiter's protection holds, that
recruiter earns the sourcer share of a placement made now. Read from the sourcer's stream (a claim just made
counts). Whoever may see the candidate or company may ask (404 for anyone else); the answer says whether it is
protected, until when, and whether the protection is the caller's own. The sourcer's identity and the sourcing
date are shown to that sourcer and to platform admins only (`ProtectionOut`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends

from api.ats.policy import candidate_visibility, company_visibility
from api.ats.protection_models import ProtectionEnvelope, ProtectionOut
from api.consistency import read_after
from api.deps import CurrentUser, Db, Now, Store
from commands.ats import sourcer as sourcers
from commands.core import NotFound
from eventstore import EventStore, Position, load, stream_id_for
from projections.ats.candidate_queries import get_candidate
from projections.ats.company_queries import get_company
from projections.identity.access import Access

router = APIRouter(prefix="/v1", tags=["sourcers"])
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]


async def _protection(store: EventStore, decider: Any, subject_id: UUID, user: Access, now: datetime) -> ProtectionOut:
    s, _, _ = await load(store, decider, stream_id_for(decider, subject_id))
    protected = s.protected_at(now)
    yours = protected and s.sourcer_recruiter_id is not None and s.sourcer_recruiter_id == user.recruiter_id
    expires_at = s.protection_expires_at if s.exists else None
    if user.is_platform_admin or yours:
        return ProtectionOut(protected=protected, protection_expires_at=expires_at, yours=yours,
                             sourcer_recruiter_id=s.sourcer_recruiter_id, sourced_at=s.sourced_at)
    # Who the sourcer is and since when: left out for anyone else, not sent as null (which would say "none").
    return ProtectionOut(protected=protected, protection_expires_at=expires_at, yours=yours)


@router.get("/candidates/{candidate_id}/sourcer/check-protection", response_model=ProtectionEnvelope,
            response_model_exclude_unset=True,
            responses={401: {}, 404: {}})
async def candidate_protection(candidate_id: UUID, _: FreshAts, user: CurrentUser, store: Store, db: Db,
                               now: Now) -> ProtectionEnvelope:
    if await get_candidate(db, candidate_id, candidate_visibility(user)) is None:
        raise NotFound(f"candidate {candidate_id} not found", candidate_id=str(candidate_id))
    return ProtectionEnvelope(data=await _protection(store, sourcers.candidate_sourcer, candidate_id, user, now))


@router.get("/companies/{company_id}/sourcer/check-protection", response_model=ProtectionEnvelope,
            response_model_exclude_unset=True,
            responses={401: {}, 404: {}})
async def company_protection(company_id: UUID, _: FreshAts, user: CurrentUser, store: Store, db: Db,
                             now: Now) -> ProtectionEnvelope:
    if await get_company(db, company_id, company_visibility(user)) is None:
        raise NotFound(f"company {company_id} not found", company_id=str(company_id))
    return ProtectionEnvelope(data=await _protection(store, sourcers.company_sourcer, company_id, user, now))
