"""Request and response bodies of the placement money routes. Amounts are integer cents, rates basis points."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.ats.models import Pagination
from api.bounds import LongText, Moment, PositiveCents
from commands.billing.placement_events import DisputeType

Text = LongText


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SplitOut(_Row):
    role: str
    recruiter_id: UUID
    tier: str
    rate_bps: int
    amount_cents: int
    firm_id: UUID | None
    firm_take_bps: int
    firm_take_cents: int
    net_cents: int


class TransactionOut(_Row):
    id: UUID
    placement_id: UUID
    role: str
    kind: str
    payee_kind: str
    payee_id: UUID
    amount_cents: int
    status: str
    retry_count: int
    connect_required: str | None
    stripe_transfer_id: str | None
    stripe_account_id: str | None
    stripe_payout_id: str | None
    failure_reason: str | None
    updated_at: datetime


class InvoiceOut(_Row):
    id: UUID
    placement_id: UUID
    company_id: UUID | None
    stripe_invoice_id: str
    number: str | None
    status: str
    billing_terms: str
    collection_method: str
    fee_cents: int
    processing_fee_cents: int
    amount_due_cents: int
    amount_paid_cents: int
    currency: str
    due_date: date | None
    hosted_invoice_url: str | None
    invoice_pdf_url: str | None
    failure_reason: str | None
    paid_at: datetime | None
    collectible_at: datetime | None
    funds_available: bool
    created_at: datetime


class ScheduleOut(_Row):
    id: UUID
    placement_id: UUID
    scheduled_for: datetime
    trigger: str
    status: str
    transaction_ids: list[UUID] = []
    cancellation_reason: str | None = None
    created_at: datetime


class HoldOut(_Row):
    id: UUID
    placement_id: UUID
    amount_cents: int | None
    reason: str
    release_on: datetime | None
    status: str
    placed_by: str
    released_by: str | None
    released_at: datetime | None
    created_at: datetime


class DisputeOut(_Row):
    id: UUID
    placement_id: UUID
    dispute_type: str
    reason: str
    raised_by: str
    raised_by_role: str
    status: str
    resolution_notes: str | None
    closed_by: str | None
    closed_at: datetime | None
    opened_at: datetime


class MoneyTotals(BaseModel):
    fee_cents: int
    splits_cents: int
    platform_remainder_cents: int
    paid_out_cents: int
    pending_cents: int
    on_hold_cents: int


class PlacementMoneyOut(BaseModel):
    placement_id: UUID
    company_id: UUID | None
    fee_cents: int
    hired_at: datetime
    roles: list[dict[str, Any]]
    splits: list[SplitOut]
    transactions: list[TransactionOut]
    invoice: InvoiceOut | None
    schedules: list[ScheduleOut]
    escrow_holds: list[HoldOut]
    disputes: list[DisputeOut]
    totals: MoneyTotals


class PlacementMoneyEnvelope(BaseModel):
    data: PlacementMoneyOut


class TransactionPage(BaseModel):
    data: list[TransactionOut]
    pagination: Pagination


class InvoicePage(BaseModel):
    data: list[InvoiceOut]
    pagination: Pagination


class SchedulePage(BaseModel):
    data: list[ScheduleOut]
    pagination: Pagination


class HoldPage(BaseModel):
    data: list[HoldOut]
    pagination: Pagination


class DisputePage(BaseModel):
    data: list[DisputeOut]
    pagination: Pagination


class DisputeEnvelope(BaseModel):
    data: DisputeOut


class WebhookEventOut(_Row):
    stripe_event_id: str
    event_type: str
    account: str | None
    livemode: bool
    created: datetime
    status: str
    reason: str | None
    received_at: datetime
    processed_at: datetime | None


class WebhookEventPage(BaseModel):
    data: list[WebhookEventOut]
    pagination: Pagination


class OpenDisputeBody(_Body):
    placement_id: UUID
    dispute_type: DisputeType
    reason: Text


class CloseDisputeBody(_Body):
    notes: Text


class PlaceHoldBody(_Body):
    placement_id: UUID
    reason: Text
    amount_cents: PositiveCents | None = None
    release_on: Moment | None = None


class CancelScheduleBody(_Body):
    reason: Text


class ProcessBody(_Body):
    """Which of the placement's unpaid transactions to pay now; all of them when omitted."""

    transaction_ids: Annotated[list[UUID], Field(max_length=100)] | None = None


class ProcessOutcome(BaseModel):
    placement_id: UUID
    started: Literal[True] = True
    consistency_token: str | None
