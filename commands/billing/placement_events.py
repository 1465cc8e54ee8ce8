"""The money of one placement, all on its own stream `placementbilling-<placement id>` (domain §3.4, §4.5, §5):
the snapshot frozen at the hire, the splits and payout transactions computed from it, the invoice to the
company, the payout schedules and transfers, escrow holds and disputes.

One stream per placement keeps the rules that span them (an open dispute or an active hold blocks payouts;
a transaction is paid at most once) inside one decider, and makes the placement's money trail one stream to
export. Money is integer cents, rates integer basis points.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from commands.billing.events import PayeeKind, PlanTier
from commands.core import Event

Role = Literal["candidate_recruiter", "company_recruiter", "job_owner", "candidate_sourcer", "company_sourcer"]
ROLES: tuple[Role, ...] = ("candidate_recruiter", "company_recruiter", "job_owner", "candidate_sourcer",
                           "company_sourcer")
TransactionKind = Literal["member_payout", "firm_admin_take"]
InvoiceStatus = Literal["draft", "open", "paid", "uncollectible", "void", "failed"]
CollectionMethod = Literal["charge_automatically", "send_invoice"]
PayoutTrigger = Literal["invoice_paid", "hold_released", "retry", "manual", "connect_onboarded"]
DisputeType = Literal["fee_amount", "fee_split", "placement_validity", "service_quality", "other"]
DisputeRole = Literal["company_admin", "recruiter", "platform_admin"]


# --- snapshot, splits, transactions ----------------------------------------------------------------------

class _Part(BaseModel):
    """A value inside an event (not an event of its own)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class RoleSnapshot(_Part):
    """One role as it stood at the hire. An empty role has no recruiter, tier or rate; its share stays with
    the platform. `firm_take_bps` is the firm's admin take on this recruiter's split (0 for the firm's owner)."""

    role: Role
    recruiter_id: UUID | None
    user_id: UUID | None
    tier: PlanTier | None
    rate_bps: int | None
    firm_id: UUID | None
    firm_take_bps: int | None


class PlacementSnapshotFrozen(Event):
    placement_id: UUID
    application_id: UUID
    job_id: UUID
    company_id: UUID | None
    fee_cents: int
    hired_at: datetime
    roles: list[RoleSnapshot]
    at: datetime


class Split(_Part):
    role: Role
    recruiter_id: UUID
    tier: PlanTier
    rate_bps: int
    amount_cents: int
    firm_id: UUID | None
    firm_take_bps: int
    firm_take_cents: int
    net_cents: int


class PayoutTransaction(_Part):
    transaction_id: UUID
    role: Role
    kind: TransactionKind
    payee_kind: PayeeKind
    payee_id: UUID
    amount_cents: int


class PlacementSplitsComputed(Event):
    """fee_cents == Σ split amount_cents + platform_remainder_cents, exactly; the transactions pay out
    every split (net to the recruiter, the take to the firm)."""

    placement_id: UUID
    fee_cents: int
    splits: list[Split]
    transactions: list[PayoutTransaction]
    platform_remainder_cents: int
    at: datetime


# --- the invoice to the company -----------------------------------------------------------------------------

class InvoiceRequested(Event):
    """A platform admin asks for the invoice now (the automatic one, at the guarantee's end, could not be made)."""

    placement_id: UUID
    by: str
    at: datetime


class InvoiceIssued(Event):
    """Created (and finalized) in Stripe: the fee plus a processing-fee line."""

    placement_id: UUID
    invoice_id: UUID
    company_id: UUID | None
    stripe_customer_id: str
    stripe_invoice_id: str
    billing_terms: str
    collection_method: CollectionMethod
    fee_cents: int
    processing_fee_cents: int
    amount_due_cents: int
    currency: str
    status: InvoiceStatus
    number: str | None
    hosted_invoice_url: str | None
    invoice_pdf_url: str | None
    due_date: date | None
    by: str
    at: datetime

    not_personal = frozenset({"hosted_invoice_url", "invoice_pdf_url"})  # Stripe's links to the company's invoice


class InvoiceFinalized(Event):
    placement_id: UUID
    invoice_id: UUID
    number: str | None
    hosted_invoice_url: str | None
    invoice_pdf_url: str | None
    due_date: date | None
    at: datetime

    not_personal = frozenset({"hosted_invoice_url", "invoice_pdf_url"})  # see InvoiceIssued


class InvoicePaid(Event):
    """Payouts may start 7 days after payment (`collectible_at`), when the payment can no longer bounce."""

    placement_id: UUID
    invoice_id: UUID
    amount_paid_cents: int
    paid_at: datetime
    collectible_at: datetime
    at: datetime


class InvoicePaymentFailed(Event):
    placement_id: UUID
    invoice_id: UUID
    reason: str
    at: datetime

    not_personal = frozenset({"reason"})  # the card network's or Stripe's decline reason for the company's payment


class InvoiceClosed(Event):
    """Voided or marked uncollectible in Stripe: nothing will be collected, nothing paid out."""

    placement_id: UUID
    invoice_id: UUID
    status: Literal["void", "uncollectible"]
    at: datetime


class InvoiceFundsAvailable(Event):
    placement_id: UUID
    invoice_id: UUID
    detected_by: Literal["payout", "balance"]
    at: datetime


# --- payouts ---------------------------------------------------------------------------------------------------

class PayoutScheduled(Event):
    placement_id: UUID
    schedule_id: UUID
    scheduled_for: datetime
    trigger: PayoutTrigger
    at: datetime


class PayoutsStarted(Event):
    """The payout reactor transfers each listed transaction; the schedule is processing until each has an outcome."""

    placement_id: UUID
    schedule_id: UUID | None
    transaction_ids: list[UUID]
    trigger: PayoutTrigger
    by: str
    at: datetime


class PayoutTransferred(Event):
    """A Stripe transfer was made for the transaction (its id is the transfer's idempotency key)."""

    placement_id: UUID
    transaction_id: UUID
    stripe_transfer_id: str
    stripe_account_id: str
    amount_cents: int
    at: datetime


class PayoutTransferFailed(Event):
    """`final` once the retries are spent: the transaction is failed and waits for an admin."""

    placement_id: UUID
    transaction_id: UUID
    reason: str
    retry_count: int
    final: bool
    at: datetime

    not_personal = frozenset({"reason"})  # Stripe's error on the transfer


class PayoutConnectRequired(Event):
    """The payee has no onboarded Connect account: the transaction waits, and is paid once they onboard."""

    placement_id: UUID
    transaction_id: UUID
    payee_kind: PayeeKind
    payee_id: UUID
    amount_cents: int
    reason: Literal["no_connect_account", "not_onboarded"]
    at: datetime


class PayoutTransferReversed(Event):
    placement_id: UUID
    transaction_id: UUID
    stripe_transfer_id: str
    at: datetime


class PayoutReachedBank(Event):
    """The connected account's Stripe payout that carried the transfer was paid out to the bank.

    `supersedes`: the earlier payouts of the same money that failed or were canceled, whose returned funds this
    payout carried (newest first); their results no longer speak for the transaction."""

    placement_id: UUID
    transaction_id: UUID
    stripe_payout_id: str
    supersedes: list[str] = []
    at: datetime


class PayoutBankFailed(Event):
    """The connected account's Stripe payout that carried the transfer failed (or was canceled): the money is back
    on the account, the transaction failed. `supersedes` as for `PayoutReachedBank`."""

    placement_id: UUID
    transaction_id: UUID
    stripe_payout_id: str
    supersedes: list[str] = []
    reason: str
    at: datetime

    not_personal = frozenset({"reason"})  # Stripe's failure code for the bank payout


class PayoutScheduleCompleted(Event):
    """Every transaction of the run has an outcome: processed (even when some wait for Connect) or failed."""

    placement_id: UUID
    schedule_id: UUID
    status: Literal["processed", "failed"]
    at: datetime


class PayoutScheduleCancelled(Event):
    placement_id: UUID
    schedule_id: UUID
    reason: str
    by: str
    at: datetime

    not_personal = frozenset({"reason"})  # why an admin cancelled a payout run


# --- escrow holds and disputes ----------------------------------------------------------------------------------

class EscrowHoldPlaced(Event):
    placement_id: UUID
    hold_id: UUID
    amount_cents: int | None
    reason: str
    release_on: datetime | None
    by: str
    at: datetime

    not_personal = frozenset({"reason"})  # why money is held: part of the placement's money trail


class EscrowHoldReleased(Event):
    placement_id: UUID
    hold_id: UUID
    automatic: bool
    by: str
    at: datetime


class EscrowHoldCancelled(Event):
    placement_id: UUID
    hold_id: UUID
    by: str
    at: datetime


class DisputeOpened(Event):
    """Holds the placement's unpaid payouts until it is resolved or dismissed."""

    placement_id: UUID
    dispute_id: UUID
    dispute_type: DisputeType
    reason: str
    raised_by: str
    raised_by_role: DisputeRole
    at: datetime

    # A dispute's reason and outcome notes are the parties' business case about the fee, kept with the money
    # trail that audit bundles carry; they are about the placement, not a person's own data.
    not_personal = frozenset({"reason"})


class DisputeUnderReview(Event):
    placement_id: UUID
    dispute_id: UUID
    by: str
    at: datetime


class DisputeClosed(Event):
    placement_id: UUID
    dispute_id: UUID
    outcome: Literal["resolved", "dismissed"]
    notes: str
    by: str
    at: datetime

    not_personal = frozenset({"notes"})  # see DisputeOpened
