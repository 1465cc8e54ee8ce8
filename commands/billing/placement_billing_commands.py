"""The commands of a placement's money (domain §4.5, §5), checked when they are built. They come from the
hire (the snapshot), the billing reactors and Stripe's webhooks (invoices, transfers), the scheduler (payout
runs, escrow releases) and platform admins (manual runs, escrow holds, disputes). The bank outcome of a
transfer, `RecordBankPayout`, is in commands/billing/placement_bank.py. The decider in
commands/billing/placement_billing.py re-exports these.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from commands.billing.placement_bank import RecordBankPayout
from commands.billing.placement_events import (
    CollectionMethod,
    DisputeRole,
    DisputeType,
    InvoiceStatus,
    PayoutTrigger,
    RoleSnapshot,
)
from commands.core import Command

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Cents = Annotated[int, Field(ge=0)]


class _Command(Command):
    placement_id: UUID
    at: AwareDatetime


class FreezeSnapshot(_Command):
    application_id: UUID
    job_id: UUID
    company_id: UUID | None
    fee_cents: Annotated[int, Field(gt=0)]
    hired_at: AwareDatetime
    roles: list[RoleSnapshot]


class RequestInvoice(_Command):
    by: Actor


class RecordInvoiceIssued(_Command):
    invoice_id: UUID
    company_id: UUID | None
    stripe_customer_id: str
    stripe_invoice_id: str
    billing_terms: str
    collection_method: CollectionMethod
    fee_cents: Cents
    processing_fee_cents: Cents
    amount_due_cents: Cents
    currency: str = "usd"
    status: InvoiceStatus
    number: str | None = None
    hosted_invoice_url: str | None = None
    invoice_pdf_url: str | None = None
    due_date: date | None = None
    by: Actor


class ApplyInvoiceUpdate(_Command):
    """Stripe's view of the invoice, from a webhook: what it adds to ours is recorded, the rest is not."""

    stripe_invoice_id: str
    status: InvoiceStatus
    amount_paid_cents: Cents = 0
    paid_at: AwareDatetime | None = None
    number: str | None = None
    hosted_invoice_url: str | None = None
    invoice_pdf_url: str | None = None
    due_date: date | None = None
    failure_reason: str | None = None


class MarkFundsAvailable(_Command):
    detected_by: Literal["payout", "balance"]


class StartPayouts(_Command):
    """By the scheduler for a due schedule (`schedule_id`), or by a platform admin (`manual`): a schedule
    that is scheduled or failed, or with no schedule, every transaction not yet paid, failed ones included."""

    schedule_id: UUID | None = None
    trigger: PayoutTrigger
    only: list[UUID] | None = None  # a manual start of some of the transactions
    by: Actor


class RecordTransfer(_Command):
    transaction_id: UUID
    stripe_transfer_id: str
    stripe_account_id: str
    amount_cents: Cents


class RecordTransferFailure(_Command):
    transaction_id: UUID
    reason: Text


class RecordConnectRequired(_Command):
    transaction_id: UUID
    reason: Literal["no_connect_account", "not_onboarded"]


class RecordTransferReversed(_Command):
    stripe_transfer_id: str


class CancelPayoutSchedule(_Command):
    schedule_id: UUID
    reason: Text
    by: Actor


class PlaceEscrowHold(_Command):
    hold_id: UUID
    amount_cents: Annotated[int, Field(gt=0)] | None = None
    reason: Text
    release_on: AwareDatetime | None = None
    by: Actor


class ReleaseEscrowHold(_Command):
    """`automatic` is the scheduler's release on the hold's date; before that date it records nothing."""

    hold_id: UUID
    automatic: bool = False
    by: Actor


class CancelEscrowHold(_Command):
    hold_id: UUID
    by: Actor


class OpenDispute(_Command):
    dispute_id: UUID
    dispute_type: DisputeType
    reason: Text
    raised_by: Actor
    raised_by_role: DisputeRole


class ReviewDispute(_Command):
    dispute_id: UUID
    by: Actor


class CloseDispute(_Command):
    dispute_id: UUID
    outcome: Literal["resolved", "dismissed"]
    notes: Text
    by: Actor


PlacementBillingCommand = (
    FreezeSnapshot | RequestInvoice | RecordInvoiceIssued | ApplyInvoiceUpdate | MarkFundsAvailable | StartPayouts
    | RecordTransfer | RecordTransferFailure | RecordConnectRequired | RecordTransferReversed | RecordBankPayout
    | CancelPayoutSchedule | PlaceEscrowHold | ReleaseEscrowHold | CancelEscrowHold | OpenDispute | ReviewDispute
    | CloseDispute
)
