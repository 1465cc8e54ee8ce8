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

The state and its fold (`evolve`) are in commands/billing/placement_billing_state.py, the decisions of a payout
run in commands/billing/placement_billing_payouts.py, the delays, tables and errors in
commands/billing/placement_billing_rules.py and the commands in commands/billing/placement_billing_commands.py;
all but the payout run are re-exported here so a caller imports one module. The events are in
commands/billing/placement_events.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import get_args
from uuid import UUID, uuid5

from commands.billing.placement_bank import RecordBankPayout, TransferNotRecorded, decide_bank_payout
from commands.billing.placement_billing_commands import (
    Actor,
    ApplyInvoiceUpdate,
    CancelEscrowHold,
    CancelPayoutSchedule,
    Cents,
    CloseDispute,
    FreezeSnapshot,
    MarkFundsAvailable,
    OpenDispute,
    PlaceEscrowHold,
    PlacementBillingCommand,
    RecordConnectRequired,
    RecordInvoiceIssued,
    RecordTransfer,
    RecordTransferFailure,
    RecordTransferReversed,
    ReleaseEscrowHold,
    RequestInvoice,
    ReviewDispute,
    StartPayouts,
    Text,
)
from commands.billing.placement_billing_payouts import (
    decide_cancel_schedule,
    decide_start_payouts,
    decide_transfer_outcome,
    decide_transfer_reversed,
)
from commands.billing.placement_billing_rules import (
    COLLECTIBLE_AFTER,
    DISPUTE_NEXT,
    INVOICE_RANK,
    MAX_RETRIES,
    PROCESSING_FEE_BPS,
    RETRY_AFTER,
    InvoiceNotRecorded,
    NotCollectible,
    PayoutsBlocked,
    first_schedule_id,
    processing_fee_cents,
)
from commands.billing.placement_billing_state import (
    DisputeStatus,
    HoldStatus,
    Invoice,
    PlacementBilling,
    PlacementBillingEvent,
    Schedule,
    ScheduleStatus,
    Transaction,
    TransactionStatus,
    evolve,
    initial_state,
)
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
    PayoutScheduled,
    PlacementSnapshotFrozen,
    PlacementSplitsComputed,
)
from commands.billing.splits import compute_splits, payout_transactions, platform_remainder
from commands.core import Conflict, Decider, Invalid, NotFound, RuleViolation

__all__ = [
    "COLLECTIBLE_AFTER", "DISPUTE_NEXT", "INVOICE_RANK", "MAX_RETRIES", "PROCESSING_FEE_BPS", "RETRY_AFTER",
    "Actor", "ApplyInvoiceUpdate", "CancelEscrowHold", "CancelPayoutSchedule", "Cents", "CloseDispute",
    "DisputeStatus", "FreezeSnapshot", "HoldStatus", "Invoice", "InvoiceNotRecorded", "MarkFundsAvailable",
    "NotCollectible", "OpenDispute", "PayoutsBlocked", "PlaceEscrowHold", "PlacementBilling",
    "PlacementBillingCommand", "PlacementBillingEvent", "RecordBankPayout", "RecordConnectRequired",
    "RecordInvoiceIssued", "RecordTransfer", "RecordTransferFailure", "RecordTransferReversed", "ReleaseEscrowHold",
    "RequestInvoice", "ReviewDispute", "Schedule", "ScheduleStatus", "StartPayouts", "Text", "Transaction",
    "TransactionStatus", "TransferNotRecorded", "decide", "evolve", "first_schedule_id", "initial_state",
    "placement_billing", "processing_fee_cents",
]

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
            return decide_start_payouts(cmd, s)
        case RecordBankPayout() if cmd.transaction_id not in s.transactions:
            raise NotFound(f"placement {cmd.placement_id} has no payout transaction {cmd.transaction_id}",
                           transaction_id=str(cmd.transaction_id))
        case RecordBankPayout():
            return list(decide_bank_payout(cmd, s.transactions[cmd.transaction_id]))
        case RecordTransfer() | RecordTransferFailure() | RecordConnectRequired():
            return decide_transfer_outcome(cmd, s)
        case RecordTransferReversed():
            return decide_transfer_reversed(cmd, s)
        case CancelPayoutSchedule():
            return decide_cancel_schedule(cmd, s)
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
    if merged != known or invoice.status == "draft" and INVOICE_RANK[cmd.status] >= 1:
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
        case "void" | "uncollectible" if INVOICE_RANK[cmd.status] > INVOICE_RANK[current]:
            events.append(InvoiceClosed(placement_id=cmd.placement_id, invoice_id=invoice.id, status=cmd.status,
                                        at=cmd.at))
    return events


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
    if target not in DISPUTE_NEXT.get(status, frozenset()):
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
