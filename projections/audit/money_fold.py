"""The money table rebuilt from a placement's events alone — never from a read model — so that it shows what
the trail says, and whoever holds only the bundle can recompute it from `events.jsonl` and compare.

It folds the events in feed order as the placement billing decider's `evolve` does
(`commands.billing.placement_billing`), but with its own fold, on purpose: the decider's state keeps what the
next decision needs, not what an auditor reads — no splits, no platform remainder, no invoice fee or
processing-fee line, no amount a transfer moved, no failure reason, no hold amount or reason, no dispute
details — so several checks could not be made from it. And the report must not fold what the decider would:
an event it cannot place (of another placement, about an unknown transaction, hold or dispute, a second
transfer for a paid transaction) is named in `skipped`, so the trail does not reconcile, where the decider's
`evolve` would fold it in, overwrite or raise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any, get_args

from commands.ats.placement_events import PlacementCreated
from commands.billing.placement_billing import PlacementBillingEvent
from commands.billing.placement_events import (
    DisputeClosed,
    DisputeOpened,
    DisputeUnderReview,
    EscrowHoldCancelled,
    EscrowHoldPlaced,
    EscrowHoldReleased,
    InvoiceClosed,
    InvoiceFinalized,
    InvoiceIssued,
    InvoicePaid,
    InvoicePaymentFailed,
    PayoutBankFailed,
    PayoutConnectRequired,
    PayoutReachedBank,
    PayoutsStarted,
    PayoutTransferFailed,
    PayoutTransferred,
    PayoutTransferReversed,
    PlacementSnapshotFrozen,
    PlacementSplitsComputed,
)
from eventstore.personal import ERASED, is_sealed
from eventstore.registry import EventRegistry, erased_value
from projections.audit.formatting import Line, dollars
from projections.audit.money import (
    Check,
    DisputeRow,
    HoldRow,
    InvoiceRow,
    MoneyTable,
    SplitRow,
    TransactionRow,
)


@lru_cache(maxsize=1)
def _money_events() -> EventRegistry:
    """The event types the money table reads; the registry brings an older stored shape up to date."""
    return EventRegistry((*get_args(PlacementBillingEvent), PlacementCreated))


def _decode(line: Line) -> Any:
    """The typed money event of a line. A personal field still sealed (a line as stored) or erased reads as its
    type's erased value: the money table needs none of them (a placement's salary is the candidate's; its fee
    is the marketplace's), so it comes out the same from `events.jsonl` as from the opened events."""
    registry = _money_events()
    name = line["type"]
    cls = registry.class_of(name)
    data = {field: erased_value(cls, field) if is_sealed(value) or (value == ERASED and _not_text(cls, field)) else value
            for field, value in dict(line["data"]).items()}
    return cls.model_validate(registry.upcast(name, int(line["schema_version"]), data))


def _not_text(cls: Any, field: str) -> bool:
    return erased_value(cls, field) != ERASED


def _where(line: Line) -> str:
    return f"{line.get('position')} {line.get('type')}"


def money_table(lines: Sequence[Line], placement_id: str | None = None) -> MoneyTable:
    """The money of the placement the lines are about (`placement_id`, else the first money event's), folded
    from its events in feed order as the placement billing decider's `evolve` does, with its reconciliation
    checks."""
    placement = placement_id
    created_fee: int | None = None
    snapshot_fee: int | None = None
    splits_fee: int | None = None
    remainder: int | None = None
    splits: tuple[SplitRow, ...] = ()
    invoice: InvoiceRow | None = None
    txns: dict[str, TransactionRow] = {}
    holds: dict[str, HoldRow] = {}
    disputes: dict[str, DisputeRow] = {}
    skipped: list[str] = []

    for line in lines:
        if not isinstance(line.get("type"), str) or line["type"] not in _money_events():
            continue
        if "data" not in line:  # a redacted line: told from its view when it has one, else not the reader's
            if not isinstance(line.get("view"), Mapping):
                continue
            line = {**line, "data": line["view"]}
        try:
            e = _decode(line)
        except (ValueError, LookupError, TypeError, AttributeError) as err:
            skipped.append(f"{_where(line)}: unreadable ({str(err).splitlines()[0]})")
            continue
        pid = str(e.placement_id)
        if placement is None:
            placement = pid
        elif pid != placement:
            skipped.append(f"{_where(line)}: about another placement ({pid})")
            continue
        tid = str(getattr(e, "transaction_id", ""))
        if tid and tid not in txns:
            skipped.append(f"{_where(line)}: about an unknown payout transaction ({tid})")
            continue
        match e:
            case PlacementCreated():
                created_fee = e.fee_cents
            case PlacementSnapshotFrozen():
                snapshot_fee = e.fee_cents
            case PlacementSplitsComputed():
                splits_fee, remainder = e.fee_cents, e.platform_remainder_cents
                splits = tuple(SplitRow(s.role, str(s.recruiter_id), s.tier, s.rate_bps, s.amount_cents,
                                        str(s.firm_id) if s.firm_id else None, s.firm_take_bps, s.firm_take_cents,
                                        s.net_cents) for s in e.splits)
                txns = {str(t.transaction_id): TransactionRow(str(t.transaction_id), t.role, t.kind, t.payee_kind,
                                                              str(t.payee_id), t.amount_cents)
                        for t in e.transactions}
            case InvoiceIssued():
                invoice = InvoiceRow(str(e.invoice_id), e.stripe_invoice_id, e.number, e.collection_method,
                                     e.fee_cents, e.processing_fee_cents, e.amount_due_cents, e.currency, e.status,
                                     due_date=e.due_date)
            case InvoiceFinalized() if invoice:
                invoice = replace(invoice, number=e.number, due_date=e.due_date,
                                  status="open" if invoice.status == "draft" else invoice.status)
            case InvoicePaid() if invoice:
                invoice = replace(invoice, status="paid", amount_paid_cents=e.amount_paid_cents, paid_at=e.paid_at)
            case InvoicePaymentFailed() if invoice:
                invoice = replace(invoice, status="failed", failure_reason=e.reason)
            case InvoiceClosed() if invoice:
                invoice = replace(invoice, status=e.status)
            case InvoiceFinalized() | InvoicePaid() | InvoicePaymentFailed() | InvoiceClosed():
                skipped.append(f"{_where(line)}: about an invoice that was never issued")
            case PayoutsStarted():
                for started in map(str, e.transaction_ids):
                    if started in txns:
                        txns[started] = replace(txns[started], status="processing")
                    else:
                        skipped.append(f"{_where(line)}: starts an unknown payout transaction ({started})")
            case PayoutTransferred() if txns[tid].stripe_transfer_id is not None:
                # the decider never records a second transfer for a transaction: money may have moved twice
                skipped.append(f"{_where(line)}: transfer {e.stripe_transfer_id} of {dollars(e.amount_cents)} for a "
                               f"transaction already paid by {txns[tid].stripe_transfer_id}")
            case PayoutTransferred():
                txns[tid] = replace(txns[tid], status="paid", stripe_transfer_id=e.stripe_transfer_id,
                                    stripe_account_id=e.stripe_account_id, transferred_cents=e.amount_cents,
                                    note=None)
            case PayoutTransferFailed():
                txns[tid] = replace(txns[tid], status="failed" if e.final else "pending",
                                    note=f"transfer failed (attempt {e.retry_count}{', final' if e.final else ''}): "
                                         f"{e.reason}")
            case PayoutConnectRequired():
                txns[tid] = replace(txns[tid], status="pending", note=f"waits for a Connect account ({e.reason})")
            case PayoutTransferReversed():
                txns[tid] = replace(txns[tid], status="reversed", note=f"transfer {e.stripe_transfer_id} reversed")
            case PayoutReachedBank():  # as the decider: a later payout may carry a failed one's money again
                t = txns[tid]
                txns[tid] = replace(t, status="reversed" if t.status == "reversed" else "paid",
                                    stripe_payout_id=e.stripe_payout_id, note=None if t.status == "failed" else t.note)
            case PayoutBankFailed():
                txns[tid] = replace(txns[tid], status="reversed" if txns[tid].status == "reversed" else "failed",
                                    stripe_payout_id=e.stripe_payout_id, note=f"bank payout failed: {e.reason}")
            case EscrowHoldPlaced():
                holds[str(e.hold_id)] = HoldRow(str(e.hold_id), e.amount_cents, e.reason, e.release_on, e.by)
            case EscrowHoldReleased() | EscrowHoldCancelled() if str(e.hold_id) in holds:
                status = "cancelled" if isinstance(e, EscrowHoldCancelled) else (
                    "released automatically" if e.automatic else "released")
                holds[str(e.hold_id)] = replace(holds[str(e.hold_id)], status=status)
            case DisputeOpened():
                disputes[str(e.dispute_id)] = DisputeRow(str(e.dispute_id), e.dispute_type, e.reason, e.raised_by,
                                                         e.raised_by_role)
            case DisputeUnderReview() | DisputeClosed() if str(e.dispute_id) in disputes:
                closed = isinstance(e, DisputeClosed)
                disputes[str(e.dispute_id)] = replace(disputes[str(e.dispute_id)],
                                                      status=e.outcome if closed else "under_review",
                                                      notes=e.notes if closed else None)
            case EscrowHoldReleased() | EscrowHoldCancelled() | DisputeUnderReview() | DisputeClosed():
                skipped.append(f"{_where(line)}: about a hold or dispute that was never opened")

    fee = snapshot_fee if snapshot_fee is not None else splits_fee if splits_fee is not None else created_fee
    table = MoneyTable(placement, fee, splits, remainder, invoice, tuple(txns.values()), tuple(holds.values()),
                       tuple(disputes.values()), (), tuple(skipped))
    return replace(table, checks=tuple(_checks(table, created_fee, snapshot_fee, splits_fee)))


def _check(label: str, expected: int, actual: int) -> Check:
    return Check(label, expected, actual, expected == actual)


def _checks(m: MoneyTable, created_fee: int | None, snapshot_fee: int | None, splits_fee: int | None) -> list[Check]:
    """The reconciliations that apply to how far the trail has come (no invoice yet: no invoice checks)."""
    checks = []
    if created_fee is not None and snapshot_fee is not None:
        checks.append(_check("Fee at the hire (placement) = fee frozen for billing", snapshot_fee, created_fee))
    if m.fee_cents is None or m.platform_remainder_cents is None:
        return checks
    if snapshot_fee is not None and splits_fee is not None:
        checks.append(_check("Fee the splits were computed on = fee frozen for billing", snapshot_fee, splits_fee))
    checks.append(_check("Fee = Σ splits + platform remainder", m.fee_cents,
                         m.splits_cents + m.platform_remainder_cents))
    for s in m.splits:
        checks.append(_check(f"Split {s.role}: amount = net + firm take", s.amount_cents,
                             s.net_cents + s.firm_take_cents))
    checks.append(_check("Σ payout transactions = Σ splits (net + firm takes)",
                         sum(s.net_cents + s.firm_take_cents for s in m.splits), m.transactions_cents))
    if m.invoice is not None:
        i = m.invoice
        checks.append(_check("Invoice fee line = placement fee", m.fee_cents, i.fee_cents))
        checks.append(_check("Invoice amount due = fee + processing fee", i.fee_cents + i.processing_fee_cents,
                             i.amount_due_cents))
    checks.append(_check("Paid out = Σ Stripe transfers of the paid transactions",
                         sum(t.amount_cents for t in m.transactions if t.status == "paid"), m.paid_out_cents))
    if m.invoice is not None and m.invoice.status == "paid":
        checks.append(_check("Invoice amount paid = amount due", m.invoice.amount_due_cents,
                             m.invoice.amount_paid_cents))
    return checks
