"""Fraud signals for platform admins (domain §3.5): the list, one signal, and its review — resolved when it
was real, false positive when it was not. Only an active signal moves; the notes say why.

Signals are raised by the `fraud-signals` reactor, never through the API.
"""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, StringConstraints

from api.ats.models import Pagination
from api.bounds import NO_NUL, Limit, Page
from api.consistency import read_after
from api.deps import CommandMetadata, Db, Now, PlatformAdmin, Store
from api.responses import CommandResponse
from commands.automation import fraud
from commands.automation.fraud_events import Severity, SignalStatus, SignalType
from commands.core import NotFound
from eventstore import Position, handle
from projections.fraud import queries

router = APIRouter(prefix="/v1/admin/fraud-signals", tags=["fraud"])
FreshFraud = Annotated[Position | None, Depends(read_after("fraud"))]


class SignalOut(BaseModel):
    id: UUID
    signal_type: SignalType
    severity: Severity
    status: SignalStatus
    confidence_score: int
    recruiter_id: UUID | None
    candidate_id: UUID | None
    job_id: UUID | None
    application_id: UUID | None
    trigger_event_id: UUID
    signal_data: dict[str, Any]
    raised_by: str
    created_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_notes: str | None
    updated_at: datetime


class SignalPage(BaseModel):
    data: list[SignalOut]
    pagination: Pagination


class SignalEnvelope(BaseModel):
    data: SignalOut


class ReviewBody(BaseModel):
    notes: Annotated[fraud.Notes, StringConstraints(pattern=NO_NUL)]


@router.get("", response_model=SignalPage, responses={401: {}, 403: {}})
async def list_signals(
    _: PlatformAdmin, __: FreshFraud, db: Db, status: SignalStatus | None = None,
    signal_type: SignalType | None = None, page: Page = 1, limit: Limit = 25,
) -> SignalPage:
    """Signals, newest first, filtered by status and type."""
    rows, total = await queries.list_signals(db, status=status, signal_type=signal_type, page=page, limit=limit)
    return SignalPage(data=[SignalOut(**r) for r in rows], pagination=Pagination(
        total=total, page=page, limit=limit, total_pages=ceil(total / limit) if total else 0))


@router.get("/{signal_id}", response_model=SignalEnvelope, responses={401: {}, 403: {}, 404: {}})
async def get_signal(signal_id: UUID, _: PlatformAdmin, __: FreshFraud, db: Db) -> SignalEnvelope:
    row = await queries.get_signal(db, signal_id)
    if row is None:
        raise NotFound(f"fraud signal {signal_id} not found", signal_id=str(signal_id))
    return SignalEnvelope(data=SignalOut(**row))


@router.post("/{signal_id}/resolve", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def resolve_signal(signal_id: UUID, body: ReviewBody, _: PlatformAdmin, store: Store,
                         meta: CommandMetadata, now: Now) -> CommandResponse:
    """The signal was real and has been dealt with."""
    command = fraud.ResolveSignal(signal_id=signal_id, notes=body.notes, by=meta.actor, at=now)
    return CommandResponse.of(signal_id, await handle(store, fraud.fraud_signal, signal_id, command, meta))


@router.post("/{signal_id}/false-positive", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def mark_false_positive(signal_id: UUID, body: ReviewBody, _: PlatformAdmin, store: Store,
                              meta: CommandMetadata, now: Now) -> CommandResponse:
    """Nothing was wrong behind the signal."""
    command = fraud.MarkFalsePositive(signal_id=signal_id, notes=body.notes, by=meta.actor, at=now)
    return CommandResponse.of(signal_id, await handle(store, fraud.fraud_signal, signal_id, command, meta))
