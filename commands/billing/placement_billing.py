"""The placement billing decider: a placement's money from the hire to the last transfer (domain §4.5, §5).

    snapshot + splits ─→ invoice issued ─→ paid ─(7 days)→ payout schedule due ─→ payouts started
                                                                                      │
                  each transaction: pending → processing → paid (→ reversed) | pending again (retry, Connect) | failed

Decisions where domain.md is silent or inconsistent:
- The snapshot and the splits are one decision, made once: freezing again records nothing.
- Invoice webhooks may arrive in any order. Stripe's statuses only move forward here — draft → open →
  paid | void | uncollectible (uncollectible may still be paid) — so a late `invoice.finalized` after
  `invoice.payment_succeeded` fills in the invoice's number and links without moving it back to open, and
  a late payment failure after payment records nothing. `failed` is an open invoice whose last charge failed.
- Payment makes the invoice collectible 7 days later and schedules the payout for then.
- Payouts are blocked while any escrow hold is active or any dispute is open or under review. When the last
  block ends and money is waiting, a payout is scheduled at once (not before the invoice is collectible).
- A transfer refused by Stripe is retried an hour later, at most 3 times; the 4th failure is final and
  waits for a platform admin, who may start it again. A payee without an onboarded Connect account is not
  a failure: the transaction waits and is paid once they onboard (the money is already released by then).
- A run (the transactions a schedule started) ends when each has an outcome: `processed`, or `failed` when
  one of them failed for good.
- What the bank did with a transfer is decided by the payout that carried it: commands/billing/placement_bank.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Annotated, Literal, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field, StringConstraints

from commands.billing.placement_bank import RecordBankPayout as RecordBankPayout
from commands.billing.placement_bank import TransferNotRecorded as TransferNotRecorded
from commands.billing.placement_bank import decide_bank_payout
from commands.billing.placement_events import (
    CollectionMethod,
    DisputeClosed,
    DisputeOpened,
    DisputeRole,
    DisputeType,
    DisputeUnderReview,
    EscrowHoldCancelled,
    EscrowHoldPlaced,
    EscrowHoldReleased,
    InvoiceClosed,
    InvoiceFinalized,
    InvoiceFundsAvailable,
    InvoiceIssued,
    InvoicePaid,
    InvoicePaymentFailed,
    InvoiceRequested,
    InvoiceStatus,
    PayoutBankFailed,
    PayoutConnectRequired,
    PayoutReachedBank,
    PayoutScheduleCancelled,
    PayoutScheduleCompleted,
    PayoutScheduled,
    PayoutsStarted,
    PayoutTransaction,
    PayoutTransferFailed,
    PayoutTransferred,
    PayoutTransferReversed,
    PayoutTrigger,
    PlacementSnapshotFrozen,
    PlacementSplitsComputed,
    RoleSnapshot,
)
from commands.billing.splits import (
    compute_splits,
    payout_transactions,
    platform_remainder,
)
from commands.core import Command, Conflict, Decider, Invalid, NotFound, NotYetRecorded, RuleViolation

COLLECTIBLE_AFTER = timedelta(days=7)
RETRY_AFTER = timedelta(hours=1)
MAX_RETRIES = 3
PROCESSING_FEE_BPS = 300  # the 3% processing-fee line on the company's invoice

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Cents = Annotated[int, Field(ge=0)]

TransactionStatus = Literal["pending", "processing", "paid", "failed", "reversed"]
ScheduleStatus = Literal["scheduled", "processing", "processed", "failed", "cancelled"]
DisputeStatus = Literal["open", "under_review", "resolved", "dismissed"]
HoldStatus = Literal["active", "released", "cancelled"]


def processing_fee_cents(fee_cents: int) -> int:
    """3% of the fee, rounded half up (it is charged to the company, not shared)."""
    return (fee_cents * PROCESSING_FEE_BPS + 5000) // 10_000


def first_schedule_id(invoice_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"splits:payout-schedule:{invoice_id}:invoice_paid")


# --- errors ----------------------------------------------------------------------------------------------

class PayoutsBlocked(RuleViolation):
    code = "payouts_blocked"

    def __init__(self, placement_id: UUID | None, holds: int, disputes: int) -> None:
        super().__init__(f"payouts of placement {placement_id} are held: {holds} active escrow hold(s), "
                         f"{disputes} open dispute(s)", placement_id=str(placement_id), active_holds=holds,
                         open_disputes=disputes)


class NotCollectible(RuleViolation):
    code = "invoice_not_collectible"


class InvoiceNotRecorded(NotYetRecorded):
    """A Stripe invoice webhook ahead of our record of the invoice: answered 5xx so that Stripe retries."""

    code = "invoice_not_recorded"


# --- commands --------------------------------------------------------------------------------------------

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
PlacementBillingEvent = (
    PlacementSnapshotFrozen | PlacementSplitsComputed | InvoiceRequested | InvoiceIssued | InvoiceFinalized
    | InvoicePaid | InvoicePaymentFailed | InvoiceClosed | InvoiceFundsAvailable | PayoutScheduled | PayoutsStarted
    | PayoutTransferred | PayoutTransferFailed | PayoutConnectRequired | PayoutTransferReversed | PayoutReachedBank
    | PayoutBankFailed | PayoutScheduleCompleted | PayoutScheduleCancelled | EscrowHoldPlaced | EscrowHoldReleased
    | EscrowHoldCancelled | DisputeOpened | DisputeUnderReview | DisputeClosed
)


# --- state -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Transaction:
    plan: PayoutTransaction
    status: TransactionStatus = "pending"
    retry_count: int = 0
    connect_required: str | None = None
    stripe_transfer_id: str | None = None
    stripe_account_id: str | None = None
    stripe_payout_id: str | None = None
    failure_reason: str | None = None
    bank: Literal["paid", "failed"] | None = None  # the last result of `stripe_payout_id`
    superseded_payouts: frozenset[str] = frozenset()  # payouts whose failed money a later payout carried

    @property
    def id(self) -> UUID:
        return self.plan.transaction_id

    def idempotency_key(self) -> str:
        """The Stripe transfer's key: the transaction id, and after a recorded failure the attempt's number
        (Stripe keeps a refused request's answer under its key, so a retry needs a new one)."""
        return str(self.id) if self.retry_count == 0 else f"{self.id}:retry-{self.retry_count}"


@dataclass(frozen=True)
class Invoice:
    id: UUID
    stripe_invoice_id: str
    status: InvoiceStatus
    amount_due_cents: int
    amount_paid_cents: int = 0
    number: str | None = None
    hosted_invoice_url: str | None = None
    invoice_pdf_url: str | None = None
    due_date: date | None = None
    paid_at: datetime | None = None
    collectible_at: datetime | None = None
    funds_available: bool = False

    def collectible(self, at: datetime) -> bool:
        return self.status == "paid" and (self.funds_available or (self.collectible_at is not None
                                                                   and at >= self.collectible_at))


@dataclass(frozen=True)
class Schedule:
    id: UUID
    scheduled_for: datetime
    trigger: PayoutTrigger
    status: ScheduleStatus = "scheduled"
    batch: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class PlacementBilling:
    snapshot: PlacementSnapshotFrozen | None = None
    transactions: Mapping[UUID, Transaction] = field(default_factory=dict)
    invoice: Invoice | None = None
    schedules: Mapping[UUID, Schedule] = field(default_factory=dict)
    holds: Mapping[UUID, tuple[HoldStatus, datetime | None]] = field(default_factory=dict)
    disputes: Mapping[UUID, DisputeStatus] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.snapshot is not None

    @property
    def remainder_cents(self) -> int:
        """What the platform keeps: the fee less every split (the transactions pay out each split whole)."""
        fee = self.snapshot.fee_cents if self.snapshot else 0
        return fee - sum(t.plan.amount_cents for t in self.transactions.values())

    @property
    def active_holds(self) -> int:
        return sum(1 for status, _ in self.holds.values() if status == "active")

    @property
    def open_disputes(self) -> int:
        return sum(1 for status in self.disputes.values() if status in ("open", "under_review"))

    @property
    def blocked(self) -> bool:
        return bool(self.active_holds or self.open_disputes)

    def unpaid(self) -> list[Transaction]:
        """Not transferred yet. A transfer whose bank payout failed is on the payee's Connect account: Stripe
        pays it out again once their bank details are fixed, so it is never transferred a second time."""
        return [t for t in self.transactions.values()
                if t.status in ("pending", "failed") and t.stripe_transfer_id is None]


def initial_state() -> PlacementBilling:
    return PlacementBilling()


_INVOICE_RANK: Mapping[str, int] = {"draft": 0, "open": 1, "failed": 1, "uncollectible": 2, "paid": 3, "void": 3}


def _txn(s: PlacementBilling, transaction_id: UUID, **changes: object) -> PlacementBilling:
    return replace(s, transactions={**s.transactions, transaction_id: replace(s.transactions[transaction_id],
                                                                              **changes)})


def _schedule(s: PlacementBilling, schedule_id: UUID, **changes: object) -> PlacementBilling:
    return replace(s, schedules={**s.schedules, schedule_id: replace(s.schedules[schedule_id], **changes)})


def evolve(s: PlacementBilling, e: PlacementBillingEvent) -> PlacementBilling:
    match e:
        case PlacementSnapshotFrozen():
            return replace(s, snapshot=e)
        case PlacementSplitsComputed():
            return replace(s, transactions={t.transaction_id: Transaction(plan=t) for t in e.transactions})
        case InvoiceIssued():
            return replace(s, invoice=Invoice(id=e.invoice_id, stripe_invoice_id=e.stripe_invoice_id,
                                              status=e.status, amount_due_cents=e.amount_due_cents, number=e.number,
                                              hosted_invoice_url=e.hosted_invoice_url,
                                              invoice_pdf_url=e.invoice_pdf_url, due_date=e.due_date))
        case InvoiceFinalized() if s.invoice:
            status = "open" if s.invoice.status == "draft" else s.invoice.status
            return replace(s, invoice=replace(s.invoice, status=status, number=e.number, due_date=e.due_date,
                                              hosted_invoice_url=e.hosted_invoice_url,
                                              invoice_pdf_url=e.invoice_pdf_url))
        case InvoicePaid() if s.invoice:
            return replace(s, invoice=replace(s.invoice, status="paid", amount_paid_cents=e.amount_paid_cents,
                                              paid_at=e.paid_at, collectible_at=e.collectible_at))
        case InvoicePaymentFailed() if s.invoice:
            return replace(s, invoice=replace(s.invoice, status="failed"))
        case InvoiceClosed() if s.invoice:
            return replace(s, invoice=replace(s.invoice, status=e.status))
        case InvoiceFundsAvailable() if s.invoice:
            return replace(s, invoice=replace(s.invoice, funds_available=True))
        case PayoutScheduled():
            return replace(s, schedules={**s.schedules, e.schedule_id: Schedule(e.schedule_id, e.scheduled_for,
                                                                                 e.trigger)})
        case PayoutsStarted():
            started = {t: replace(s.transactions[t], status="processing") for t in e.transaction_ids}
            s = replace(s, transactions={**s.transactions, **started})
            if e.schedule_id is not None and e.schedule_id in s.schedules:
                s = _schedule(s, e.schedule_id, status="processing", batch=tuple(e.transaction_ids))
            return s
        case PayoutTransferred():
            return _txn(s, e.transaction_id, status="paid", stripe_transfer_id=e.stripe_transfer_id,
                        stripe_account_id=e.stripe_account_id, connect_required=None, failure_reason=None)
        case PayoutTransferFailed():
            return _txn(s, e.transaction_id, status="failed" if e.final else "pending", retry_count=e.retry_count,
                        failure_reason=e.reason, connect_required=None)
        case PayoutConnectRequired():
            return _txn(s, e.transaction_id, status="pending", connect_required=e.reason)
        case PayoutTransferReversed():
            return _txn(s, e.transaction_id, status="reversed")
        case PayoutReachedBank() | PayoutBankFailed():
            # A reversed transfer stays reversed whatever its bank payout did (the reversal took the money back).
            t = s.transactions[e.transaction_id]
            paid = isinstance(e, PayoutReachedBank)
            return _txn(s, e.transaction_id, status="reversed" if t.status == "reversed" else
                        "paid" if paid else "failed", stripe_payout_id=e.stripe_payout_id,
                        bank="paid" if paid else "failed", failure_reason=None if paid else e.reason,
                        superseded_payouts=t.superseded_payouts | set(e.supersedes))
        case PayoutScheduleCompleted():
            return _schedule(s, e.schedule_id, status=e.status)
        case PayoutScheduleCancelled():
            return _schedule(s, e.schedule_id, status="cancelled")
        case EscrowHoldPlaced():
            return replace(s, holds={**s.holds, e.hold_id: ("active", e.release_on)})
        case EscrowHoldReleased():
            return replace(s, holds={**s.holds, e.hold_id: ("released", s.holds[e.hold_id][1])})
        case EscrowHoldCancelled():
            return replace(s, holds={**s.holds, e.hold_id: ("cancelled", s.holds[e.hold_id][1])})
        case DisputeOpened():
            return replace(s, disputes={**s.disputes, e.dispute_id: "open"})
        case DisputeUnderReview():
            return replace(s, disputes={**s.disputes, e.dispute_id: "under_review"})
        case DisputeClosed():
            return replace(s, disputes={**s.disputes, e.dispute_id: e.outcome})
    return s


# --- decide --------------------------------------------------------------------------------------------------

def decide(cmd: PlacementBillingCommand, s: PlacementBilling) -> list[PlacementBillingEvent]:
    match cmd:
        case FreezeSnapshot() if s.exists:
            return []  # frozen once, at the hire
        case FreezeSnapshot():
            return _freeze(cmd)
        case _ if not s.exists:
            raise NotFound(f"placement {cmd.placement_id} has no billing record yet",
                           placement_id=str(cmd.placement_id))
        case RequestInvoice() if s.invoice is not None:
            return []  # invoiced already
        case RequestInvoice():
            return [InvoiceRequested(placement_id=cmd.placement_id, by=cmd.by, at=cmd.at)]
        case RecordInvoiceIssued():
            return _issue(cmd, s)
        case ApplyInvoiceUpdate():
            return _apply_invoice(cmd, s)
        case MarkFundsAvailable() if s.invoice is None or s.invoice.status != "paid" or s.invoice.funds_available:
            return []
        case MarkFundsAvailable():
            return [InvoiceFundsAvailable(placement_id=cmd.placement_id, invoice_id=s.invoice.id,
                                          detected_by=cmd.detected_by, at=cmd.at)]
        case StartPayouts():
            return _start(cmd, s)
        case RecordBankPayout() if cmd.transaction_id not in s.transactions:
            raise NotFound(f"placement {cmd.placement_id} has no payout transaction {cmd.transaction_id}",
                           transaction_id=str(cmd.transaction_id))
        case RecordBankPayout():
            return list(decide_bank_payout(cmd, s.transactions[cmd.transaction_id]))
        case RecordTransfer() | RecordTransferFailure() | RecordConnectRequired():
            return _outcome(cmd, s)
        case RecordTransferReversed():
            return _reversed(cmd, s)
        case CancelPayoutSchedule():
            return _cancel_schedule(cmd, s)
        case PlaceEscrowHold() | ReleaseEscrowHold() | CancelEscrowHold():
            return _hold(cmd, s)
        case OpenDispute() | ReviewDispute() | CloseDispute():
            return _dispute(cmd, s)
    raise TypeError(f"the placement billing decider has no case for {type(cmd).__name__}")


def _freeze(cmd: FreezeSnapshot) -> list[PlacementBillingEvent]:
    roles = [r.role for r in cmd.roles]
    out_of_range = [r.role for r in cmd.roles
                    if not 0 <= (r.rate_bps or 0) <= 10_000 or not 0 <= (r.firm_take_bps or 0) <= 10_000]
    if out_of_range:
        raise Invalid("each rate and firm take is between 0 and 10000 bps (0–100%)", roles=out_of_range)
    if len(set(roles)) != len(roles):
        raise Invalid("each role appears at most once in a snapshot", roles=roles)
    rates = sum(r.rate_bps or 0 for r in cmd.roles if r.recruiter_id is not None)
    if rates > 10_000:
        raise Invalid(f"the roles' rates add up to {rates} bps, more than the whole fee", rates_bps=rates)
    splits = compute_splits(cmd.fee_cents, cmd.roles)
    return [
        PlacementSnapshotFrozen(**cmd.model_dump(exclude={"roles"}), roles=cmd.roles),
        PlacementSplitsComputed(placement_id=cmd.placement_id, fee_cents=cmd.fee_cents, splits=splits,
                                transactions=payout_transactions(cmd.placement_id, splits),
                                platform_remainder_cents=platform_remainder(cmd.fee_cents, splits), at=cmd.at),
    ]


def _issue(cmd: RecordInvoiceIssued, s: PlacementBilling) -> list[PlacementBillingEvent]:
    if s.invoice is not None and s.invoice.stripe_invoice_id == cmd.stripe_invoice_id:
        return []
    if s.invoice is not None:
        raise Conflict(f"placement {cmd.placement_id} is already invoiced ({s.invoice.stripe_invoice_id})",
                       placement_id=str(cmd.placement_id), stripe_invoice_id=s.invoice.stripe_invoice_id)
    return [InvoiceIssued(**cmd.model_dump())]


def _apply_invoice(cmd: ApplyInvoiceUpdate, s: PlacementBilling) -> list[PlacementBillingEvent]:
    invoice = s.invoice
    if invoice is None or invoice.stripe_invoice_id != cmd.stripe_invoice_id:
        raise InvoiceNotRecorded(f"invoice {cmd.stripe_invoice_id} of placement {cmd.placement_id} is not recorded "
                                 "yet", stripe_invoice_id=cmd.stripe_invoice_id)
    events: list[PlacementBillingEvent] = []
    known = (invoice.number, invoice.hosted_invoice_url, invoice.invoice_pdf_url, invoice.due_date)
    merged = tuple(new if new is not None else old for new, old in zip(
        (cmd.number, cmd.hosted_invoice_url, cmd.invoice_pdf_url, cmd.due_date), known, strict=True))
    if merged != known or invoice.status == "draft" and _INVOICE_RANK[cmd.status] >= 1:
        number, hosted, pdf, due = merged
        events.append(InvoiceFinalized(placement_id=cmd.placement_id, invoice_id=invoice.id, number=number,
                                       hosted_invoice_url=hosted, invoice_pdf_url=pdf, due_date=due, at=cmd.at))
    current = invoice.status
    match cmd.status:
        case "paid" if current not in ("paid", "void"):
            paid_at = cmd.paid_at or cmd.at
            collectible_at = paid_at + COLLECTIBLE_AFTER
            schedule_id = first_schedule_id(invoice.id)
            events.append(InvoicePaid(placement_id=cmd.placement_id, invoice_id=invoice.id,
                                      amount_paid_cents=cmd.amount_paid_cents or invoice.amount_due_cents,
                                      paid_at=paid_at, collectible_at=collectible_at, at=cmd.at))
            if schedule_id not in s.schedules:
                events.append(PayoutScheduled(placement_id=cmd.placement_id, schedule_id=schedule_id,
                                              scheduled_for=collectible_at, trigger="invoice_paid", at=cmd.at))
        case "failed" if current in ("draft", "open"):
            events.append(InvoicePaymentFailed(placement_id=cmd.placement_id, invoice_id=invoice.id,
                                               reason=cmd.failure_reason or "the payment failed", at=cmd.at))
        case "void" | "uncollectible" if _INVOICE_RANK[cmd.status] > _INVOICE_RANK[current]:
            events.append(InvoiceClosed(placement_id=cmd.placement_id, invoice_id=invoice.id, status=cmd.status,
                                        at=cmd.at))
    return events


def _start(cmd: StartPayouts, s: PlacementBilling) -> list[PlacementBillingEvent]:
    manual = cmd.trigger == "manual"
    schedule = s.schedules.get(cmd.schedule_id) if cmd.schedule_id else None
    if cmd.schedule_id is not None:
        if schedule is None:
            raise NotFound(f"payout schedule {cmd.schedule_id} does not exist", schedule_id=str(cmd.schedule_id))
        if schedule.status not in (("scheduled", "failed") if manual else ("scheduled",)):
            return []  # already run (a repeated trigger)
        if not manual and cmd.at < schedule.scheduled_for:
            return []  # not due yet
    if s.blocked:
        if manual:
            raise PayoutsBlocked(cmd.placement_id, s.active_holds, s.open_disputes)
        return []
    # Once a run has released the money, what waited for a Connect account follows it whatever the clock says.
    released = cmd.trigger == "connect_onboarded" and any(
        x.status in ("processing", "processed", "failed") for x in s.schedules.values())
    if not released and (s.invoice is None or not s.invoice.collectible(cmd.at)):
        if manual:
            raise NotCollectible(f"the invoice of placement {cmd.placement_id} is not collectible yet",
                                 placement_id=str(cmd.placement_id),
                                 invoice_status=s.invoice.status if s.invoice else None)
        return []
    waiting = [t.id for t in s.unpaid() if (manual or t.status == "pending") and (cmd.only is None or t.id in cmd.only)]
    if cmd.trigger == "connect_onboarded":
        waiting = [t for t in waiting if s.transactions[t].connect_required]
    if not waiting and schedule is None:
        return []
    started = PayoutsStarted(placement_id=cmd.placement_id, schedule_id=cmd.schedule_id, transaction_ids=waiting,
                             trigger=cmd.trigger, by=cmd.by, at=cmd.at)
    return [started, *_completion(evolve(s, started), cmd.schedule_id, cmd.at)]


def _outcome(cmd: RecordTransfer | RecordTransferFailure | RecordConnectRequired,
             s: PlacementBilling) -> list[PlacementBillingEvent]:
    t = s.transactions.get(cmd.transaction_id)
    if t is None:
        raise NotFound(f"placement {cmd.placement_id} has no payout transaction {cmd.transaction_id}",
                       transaction_id=str(cmd.transaction_id))
    event: PlacementBillingEvent
    match cmd:
        case RecordTransfer() if t.stripe_transfer_id == cmd.stripe_transfer_id:
            return []
        case RecordTransfer() if t.stripe_transfer_id is not None:
            raise Conflict(f"transaction {t.id} was already paid by transfer {t.stripe_transfer_id}",
                           transaction_id=str(t.id), stripe_transfer_id=t.stripe_transfer_id)
        case RecordTransfer():
            event = PayoutTransferred(placement_id=cmd.placement_id, transaction_id=t.id,
                                      stripe_transfer_id=cmd.stripe_transfer_id,
                                      stripe_account_id=cmd.stripe_account_id, amount_cents=cmd.amount_cents,
                                      at=cmd.at)
        case RecordTransferFailure() | RecordConnectRequired() if t.status != "processing":
            return []  # an outcome of a run that already has one
        case RecordTransferFailure():
            retries = t.retry_count + 1
            event = PayoutTransferFailed(placement_id=cmd.placement_id, transaction_id=t.id, reason=cmd.reason,
                                         retry_count=retries, final=retries > MAX_RETRIES, at=cmd.at)
        case RecordConnectRequired():
            event = PayoutConnectRequired(placement_id=cmd.placement_id, transaction_id=t.id,
                                          payee_kind=t.plan.payee_kind, payee_id=t.plan.payee_id,
                                          amount_cents=t.plan.amount_cents, reason=cmd.reason, at=cmd.at)
    after = evolve(s, event)
    run = next((x.id for x in s.schedules.values() if x.status == "processing" and t.id in x.batch), None)
    if run is None and isinstance(event, PayoutTransferFailed) and not event.final:
        # a run without a schedule (by hand, or on Connect onboarding): the retry gets one of its own
        retry = uuid5(t.id, f"retry-{event.retry_count}")
        return [event, PayoutScheduled(placement_id=cmd.placement_id, schedule_id=retry,
                                       scheduled_for=cmd.at + RETRY_AFTER, trigger="retry", at=cmd.at)]
    return [event, *_completion(after, run, cmd.at)]


def _completion(s: PlacementBilling, schedule_id: UUID | None, at: datetime) -> list[PlacementBillingEvent]:
    """A run ends once none of its transactions is processing; a retryable failure schedules the next run."""
    schedule = s.schedules.get(schedule_id) if schedule_id else None
    if schedule is None or schedule.status != "processing":
        return []
    batch = [s.transactions[t] for t in schedule.batch]
    if any(t.status == "processing" for t in batch):
        return []
    assert s.snapshot is not None
    placement_id = s.snapshot.placement_id
    failed = any(t.status == "failed" for t in batch)
    events: list[PlacementBillingEvent] = [PayoutScheduleCompleted(
        placement_id=placement_id, schedule_id=schedule.id, status="failed" if failed else "processed", at=at)]
    if any(t.status == "pending" and t.failure_reason and not t.connect_required for t in batch):
        attempt = max(t.retry_count for t in batch)
        events.append(PayoutScheduled(placement_id=placement_id,
                                      schedule_id=uuid5(schedule.id, f"retry-{attempt}"),
                                      scheduled_for=at + RETRY_AFTER, trigger="retry", at=at))
    return events


def _reversed(cmd: RecordTransferReversed, s: PlacementBilling) -> list[PlacementBillingEvent]:
    t = next((t for t in s.transactions.values() if t.stripe_transfer_id == cmd.stripe_transfer_id), None)
    if t is None:
        raise NotFound(f"placement {cmd.placement_id} has no transfer {cmd.stripe_transfer_id}",
                       stripe_transfer_id=cmd.stripe_transfer_id)
    if t.status == "reversed":
        return []
    return [PayoutTransferReversed(placement_id=cmd.placement_id, transaction_id=t.id,
                                   stripe_transfer_id=cmd.stripe_transfer_id, at=cmd.at)]


def _cancel_schedule(cmd: CancelPayoutSchedule, s: PlacementBilling) -> list[PlacementBillingEvent]:
    schedule = s.schedules.get(cmd.schedule_id)
    if schedule is None:
        raise NotFound(f"payout schedule {cmd.schedule_id} does not exist", schedule_id=str(cmd.schedule_id))
    if schedule.status == "cancelled":
        return []
    if schedule.status != "scheduled":
        raise RuleViolation(f"payout schedule {cmd.schedule_id} is {schedule.status}: only a scheduled one is "
                            "cancelled", schedule_id=str(cmd.schedule_id), schedule_status=schedule.status)
    return [PayoutScheduleCancelled(placement_id=cmd.placement_id, schedule_id=cmd.schedule_id, reason=cmd.reason,
                                    by=cmd.by, at=cmd.at)]


def _resume(s: PlacementBilling, placement_id: UUID, at: datetime) -> list[PlacementBillingEvent]:
    """The last block has ended: when money waits and no run is scheduled, schedule one (now, or when the
    invoice becomes collectible)."""
    if s.blocked or s.invoice is None or s.invoice.status != "paid":
        return []
    if not any(t.status == "pending" for t in s.transactions.values()):
        return []
    if any(x.status == "scheduled" for x in s.schedules.values()):
        return []
    when = max(at, s.invoice.collectible_at or at)
    return [PayoutScheduled(placement_id=placement_id, schedule_id=uuid5(placement_id, f"resume-{len(s.schedules)}"),
                            scheduled_for=when, trigger="hold_released", at=at)]


def _then_resume(s: PlacementBilling, events: Sequence[PlacementBillingEvent], placement_id: UUID,
                 at: datetime) -> list[PlacementBillingEvent]:
    after = s
    for e in events:
        after = evolve(after, e)
    return [*events, *(_resume(after, placement_id, at) if s.blocked else [])]


def _hold(cmd: PlaceEscrowHold | ReleaseEscrowHold | CancelEscrowHold, s: PlacementBilling
          ) -> list[PlacementBillingEvent]:
    hold = s.holds.get(cmd.hold_id)
    match cmd:
        case PlaceEscrowHold() if hold is not None:
            return []
        case PlaceEscrowHold():
            return [EscrowHoldPlaced(**cmd.model_dump())]
        case _ if hold is None:
            raise NotFound(f"escrow hold {cmd.hold_id} does not exist", hold_id=str(cmd.hold_id))
        case _ if hold[0] != "active":
            if (hold[0], type(cmd)) in (("released", ReleaseEscrowHold), ("cancelled", CancelEscrowHold)):
                return []
            raise RuleViolation(f"escrow hold {cmd.hold_id} is {hold[0]}", hold_id=str(cmd.hold_id),
                                hold_status=hold[0])
        case ReleaseEscrowHold(automatic=True) if hold[1] is None or cmd.at < hold[1]:
            return []  # not its date yet
        case ReleaseEscrowHold():
            event: PlacementBillingEvent = EscrowHoldReleased(placement_id=cmd.placement_id, hold_id=cmd.hold_id,
                                                              automatic=cmd.automatic, by=cmd.by, at=cmd.at)
        case CancelEscrowHold():
            event = EscrowHoldCancelled(placement_id=cmd.placement_id, hold_id=cmd.hold_id, by=cmd.by, at=cmd.at)
    return _then_resume(s, [event], cmd.placement_id, cmd.at)


_DISPUTE_NEXT: Mapping[str, frozenset[str]] = {
    "open": frozenset({"under_review", "resolved", "dismissed"}),
    "under_review": frozenset({"resolved", "dismissed"}),
}


def _dispute(cmd: OpenDispute | ReviewDispute | CloseDispute, s: PlacementBilling) -> list[PlacementBillingEvent]:
    status = s.disputes.get(cmd.dispute_id)
    match cmd:
        case OpenDispute() if status is not None:
            return []
        case OpenDispute():
            return [DisputeOpened(**cmd.model_dump())]
        case _ if status is None:
            raise NotFound(f"dispute {cmd.dispute_id} does not exist", dispute_id=str(cmd.dispute_id))
        case ReviewDispute() if status == "under_review":
            return []
        case CloseDispute() if status == cmd.outcome:
            return []
    target = "under_review" if isinstance(cmd, ReviewDispute) else cmd.outcome
    if target not in _DISPUTE_NEXT.get(status, frozenset()):
        raise RuleViolation(f"dispute {cmd.dispute_id} is {status}: it cannot become {target}",
                            dispute_id=str(cmd.dispute_id), dispute_status=status)
    if isinstance(cmd, ReviewDispute):
        return [DisputeUnderReview(placement_id=cmd.placement_id, dispute_id=cmd.dispute_id, by=cmd.by, at=cmd.at)]
    closed = DisputeClosed(placement_id=cmd.placement_id, dispute_id=cmd.dispute_id, outcome=cmd.outcome,
                           notes=cmd.notes, by=cmd.by, at=cmd.at)
    return _then_resume(s, [closed], cmd.placement_id, cmd.at)


placement_billing: Decider[PlacementBillingCommand, PlacementBillingEvent, PlacementBilling] = Decider(
    "placementbilling", initial_state, evolve, decide, events=get_args(PlacementBillingEvent),
)
