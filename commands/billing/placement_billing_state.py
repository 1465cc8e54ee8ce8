"""The state of a placement's money and its fold (`evolve`): the snapshot, each payout transaction, the
invoice, the payout schedules, the escrow holds and the disputes, as the events left them (domain §4.5, §5).

The decisions on it are in commands/billing/placement_billing.py (which re-exports everything here) and, for
payout runs, commands/billing/placement_billing_payouts.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from commands.billing.placement_events import (
    DisputeClosed,
    DisputeOpened,
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
)

TransactionStatus = Literal["pending", "processing", "paid", "failed", "reversed"]
ScheduleStatus = Literal["scheduled", "processing", "processed", "failed", "cancelled"]
DisputeStatus = Literal["open", "under_review", "resolved", "dismissed"]
HoldStatus = Literal["active", "released", "cancelled"]

PlacementBillingEvent = (
    PlacementSnapshotFrozen | PlacementSplitsComputed | InvoiceRequested | InvoiceIssued | InvoiceFinalized
    | InvoicePaid | InvoicePaymentFailed | InvoiceClosed | InvoiceFundsAvailable | PayoutScheduled | PayoutsStarted
    | PayoutTransferred | PayoutTransferFailed | PayoutConnectRequired | PayoutTransferReversed | PayoutReachedBank
    | PayoutBankFailed | PayoutScheduleCompleted | PayoutScheduleCancelled | EscrowHoldPlaced | EscrowHoldReleased
    | EscrowHoldCancelled | DisputeOpened | DisputeUnderReview | DisputeClosed
)


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
