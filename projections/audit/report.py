"""The two files of an audit bundle a person reads: `timeline.csv` and `report.html` (domain §5, §12).

Both are pure functions of the trail's events (in feed order) and of the parties' names. The export gives them
the events with their personal fields opened (`events.jsonl` keeps them sealed, as stored, so the chains
verify) and the names looked up at export time (`parties.py`); an erased field reads `[erased]`, an erased
person `erased`. The money table needs nothing personal: it is rebuilt from the events alone — never from a read
model — so that it shows what the trail says, and whoever holds only the bundle can recompute it from
`events.jsonl` and compare; its checks show whether the trail adds up to the cent.

Every value from an event is untrusted text: the CSV neutralises spreadsheet formulas; the HTML is rendered
with autoescaping, under a Content-Security-Policy that forbids scripts and every external resource. Money
stays integer cents until it is rendered as dollars.

One module on purpose: the audit package is not a read schema, and keeping the template here (rather than in a
package data file) means it ships with the code however the package is installed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple, get_args

from jinja2 import Environment, StrictUndefined, Template

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
from projections.audit.parties import Party, parties_rows

Line = Mapping[str, Any]
"""One parsed line of `events.jsonl`: position, stream_id, stream_type, version, event_id, type,
schema_version, recorded_at, data, metadata, hash."""

TIMELINE_COLUMNS = ("position", "recorded_at", "stream_id", "version", "event_type", "actor", "actor_name",
                    "actor_role", "summary")

Parties = Mapping[str, Party]
"""The trail's people and firms by id (`parties.trail_parties`); empty when the names are not at hand."""


# --- formatting ------------------------------------------------------------------------------------------------

def dollars(cents: int) -> str:
    """Integer cents as US dollars, `$1,234.56` (`-$0.05` when negative): exact, no floats."""
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}${whole:,}.{part:02d}"


def percent(bps: int | None) -> str:
    """Basis points as a percentage: 4000 → `40%`, 1250 → `12.5%`; nothing for no rate."""
    if bps is None:
        return ""
    whole, part = divmod(bps, 100)
    return f"{whole}%" if part == 0 else f"{whole}.{part:02d}".rstrip("0") + "%"


def _when(value: datetime | date | None) -> str:
    """A time to the second for reading (the events keep the microseconds)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return "" if value is None else value.isoformat()


# --- the money table -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SplitRow:
    role: str
    recruiter_id: str
    tier: str
    rate_bps: int
    amount_cents: int
    firm_id: str | None
    firm_take_bps: int
    firm_take_cents: int
    net_cents: int


@dataclass(frozen=True)
class InvoiceRow:
    invoice_id: str
    stripe_invoice_id: str
    number: str | None
    collection_method: str
    fee_cents: int
    processing_fee_cents: int
    amount_due_cents: int
    currency: str
    status: str
    amount_paid_cents: int = 0
    paid_at: datetime | None = None
    due_date: date | None = None
    failure_reason: str | None = None


@dataclass(frozen=True)
class TransactionRow:
    """A payout transaction as the trail leaves it; `transferred_cents` is what the Stripe transfer moved."""

    transaction_id: str
    role: str
    kind: str
    payee_kind: str
    payee_id: str
    amount_cents: int
    status: str = "pending"
    stripe_transfer_id: str | None = None
    stripe_account_id: str | None = None
    transferred_cents: int | None = None
    stripe_payout_id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class HoldRow:
    hold_id: str
    amount_cents: int | None
    reason: str
    release_on: datetime | None
    placed_by: str
    status: str = "active"


@dataclass(frozen=True)
class DisputeRow:
    dispute_id: str
    dispute_type: str
    reason: str
    raised_by: str
    raised_by_role: str
    status: str = "open"
    notes: str | None = None


class Check(NamedTuple):
    """One reconciliation: what the trail says it should be, what it adds up to, and whether they agree."""

    label: str
    expected_cents: int
    actual_cents: int
    ok: bool


@dataclass(frozen=True)
class MoneyTable:
    """A placement's money as its events tell it: the fee, its splits, the invoice, the payouts, the holds
    and disputes, and the checks that tie them together. `skipped` names each money event that could not be
    taken into account (unreadable, of another placement, about an unknown transaction): any makes the trail
    not reconcile, since the table would otherwise silently leave money out."""

    placement_id: str | None
    fee_cents: int | None
    splits: tuple[SplitRow, ...]
    platform_remainder_cents: int | None
    invoice: InvoiceRow | None
    transactions: tuple[TransactionRow, ...]
    holds: tuple[HoldRow, ...]
    disputes: tuple[DisputeRow, ...]
    checks: tuple[Check, ...]
    skipped: tuple[str, ...]

    @property
    def reconciles(self) -> bool:
        """Every check holds and no money event was skipped. With no checks (no splits yet) there is nothing
        that reconciles, so it is False rather than vacuously True."""
        return bool(self.checks) and all(c.ok for c in self.checks) and not self.skipped

    @property
    def splits_cents(self) -> int:
        return sum(s.amount_cents for s in self.splits)

    @property
    def transactions_cents(self) -> int:
        return sum(t.amount_cents for t in self.transactions)

    @property
    def paid_out_cents(self) -> int:
        """What Stripe transferred for the transactions that stand paid (not reversed, not bounced)."""
        return sum(t.transferred_cents or 0 for t in self.transactions if t.status == "paid")

    @property
    def waiting_cents(self) -> int:
        """Not transferred yet (a transfer whose bank payout failed is on the payee's account, not waiting)."""
        return sum(t.amount_cents for t in self.transactions
                   if t.status in ("pending", "processing", "failed") and t.stripe_transfer_id is None)


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


# --- the timeline ----------------------------------------------------------------------------------------------

class TimelineRow(NamedTuple):
    position: str
    recorded_at: str
    stream_id: str
    version: str
    event_type: str
    actor: str
    actor_name: str
    actor_role: str
    summary: str


_SPACE = re.compile(r"\s+")
_SUMMARY_TEXT = 160  # untrusted free text (reasons, notes) is cut in a summary; the event keeps all of it


def _text(value: Any, limit: int = _SUMMARY_TEXT) -> str:
    """Any value as one line of text: whitespace (newlines included) collapsed, long text cut."""
    text = _SPACE.sub(" ", "" if value is None else str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _usd(value: Any) -> str:
    """An untrusted amount in cents as dollars; `erased` for an erased one, `?` when it is not an integer."""
    if value == ERASED:
        return "erased"
    return dollars(value) if isinstance(value, int) and not isinstance(value, bool) else "?"


def _rate(value: Any) -> str:
    return percent(value) if isinstance(value, int) and not isinstance(value, bool) else "?"


class _Narrator:
    """One-line summaries of events, remembering what later events refer to by id (the Stripe invoice of our
    invoice id; the payee and kind of a transaction), and naming the parties it knows beside their ids."""

    def __init__(self, parties: Parties | None = None) -> None:
        self.invoices: dict[str, str] = {}
        self.transactions: dict[str, str] = {}
        self.parties = parties or {}

    def _who(self, value: Any) -> str:
        """An id as a summary shows it: `Name (role; id)` for a known party, else the id alone."""
        party = self.parties.get(str(value)) if value is not None else None
        if party is None:
            return _text(value)
        name = _text(party.name or "name unknown", 80)
        return f"{name} ({_text(party.role, 80) + '; ' if party.roles else ''}{_text(value)})"

    def _invoice(self, d: Mapping[str, Any]) -> str:
        return self.invoices.get(str(d.get("invoice_id")), _text(d.get("invoice_id")))

    def _txn(self, d: Mapping[str, Any]) -> str:
        return self.transactions.get(str(d.get("transaction_id")), f"transaction {_text(d.get('transaction_id'))}")

    def summary(self, kind: str, d: Mapping[str, Any]) -> str:
        """One case per event type it knows; any other is summarised by its type."""
        match kind:
            case "PlacementCreated":
                candidate = f" of candidate {self._who(d.get('candidate_id'))}" if str(
                    d.get("candidate_id")) in self.parties else ""
                return (f"Placement created{candidate}: salary {_usd(d.get('salary_cents'))}, fee "
                        f"{_rate(d.get('fee_bps'))} = {_usd(d.get('fee_cents'))}, guarantee "
                        f"{_text(d.get('guarantee_days'))} days")
            case "PlacementStateChanged":
                why = f" ({_text(d['reason'])})" if d.get("reason") else ""
                return f"Placement {_text(d.get('from_state'))} → {_text(d.get('to_state'))}{why}"
            case "ApplicationHired":
                return (f"Hired ({_text(d.get('from_stage'))} → hired): salary {_usd(d.get('salary_cents'))}, "
                        f"starts {_text(d.get('start_date'))}")
            case "PlacementSnapshotFrozen":
                roles = d.get("roles") or []
                filled = sum(1 for r in roles if isinstance(r, Mapping) and r.get("recruiter_id"))
                return f"Snapshot frozen: fee {_usd(d.get('fee_cents'))}, {filled} of {len(roles)} roles filled"
            case "PlacementSplitsComputed":
                splits, txns = d.get("splits") or [], d.get("transactions") or []
                for t in txns:
                    if isinstance(t, Mapping):
                        self.transactions[str(t.get("transaction_id"))] = (
                            f"{_text(t.get('kind'))} ({_text(t.get('role'))}) to {_text(t.get('payee_kind'))} "
                            f"{self._who(t.get('payee_id'))}")
                total = sum(s.get("amount_cents", 0) for s in splits if isinstance(s, Mapping)
                            and isinstance(s.get("amount_cents"), int))
                return (f"Fee {_usd(d.get('fee_cents'))} split: {len(splits)} split(s) totalling {_usd(total)}, "
                        f"{len(txns)} payout transaction(s), platform remainder "
                        f"{_usd(d.get('platform_remainder_cents'))}")
            case "InvoiceRequested":
                return f"Invoice requested by {_text(d.get('by'))}"
            case "InvoiceIssued":
                self.invoices[str(d.get("invoice_id"))] = _text(d.get("stripe_invoice_id"))
                return (f"Invoice {_text(d.get('stripe_invoice_id'))} issued: fee {_usd(d.get('fee_cents'))} + "
                        f"processing {_usd(d.get('processing_fee_cents'))} = {_usd(d.get('amount_due_cents'))} due "
                        f"({_text(d.get('status'))}, {_text(d.get('collection_method'))})")
            case "InvoiceFinalized":
                return (f"Invoice {self._invoice(d)} finalized: number {_text(d.get('number'))}, "
                        f"due {_text(d.get('due_date'))}")
            case "InvoicePaid":
                return f"Invoice {self._invoice(d)} paid: {_usd(d.get('amount_paid_cents'))}"
            case "InvoicePaymentFailed":
                return f"Invoice {self._invoice(d)} payment failed: {_text(d.get('reason'))}"
            case "InvoiceClosed":
                return f"Invoice {self._invoice(d)} closed: {_text(d.get('status'))}"
            case "InvoiceFundsAvailable":
                return f"Invoice {self._invoice(d)}: funds available (seen in a Stripe {_text(d.get('detected_by'))})"
            case "PayoutScheduled":
                return f"Payout scheduled for {_text(d.get('scheduled_for'))} ({_text(d.get('trigger'))})"
            case "PayoutsStarted":
                return (f"Payouts started: {len(d.get('transaction_ids') or [])} transaction(s) "
                        f"({_text(d.get('trigger'))}, by {_text(d.get('by'))})")
            case "PayoutTransferred":
                return (f"Transfer {_text(d.get('stripe_transfer_id'))} of {_usd(d.get('amount_cents'))} to "
                        f"{_text(d.get('stripe_account_id'))} ({self._txn(d)})")
            case "PayoutTransferFailed":
                final = ", final" if d.get("final") else ""
                return (f"Transfer failed, attempt {_text(d.get('retry_count'))}{final} ({self._txn(d)}): "
                        f"{_text(d.get('reason'))}")
            case "PayoutConnectRequired":
                return (f"Transfer of {_usd(d.get('amount_cents'))} waits for a Connect account "
                        f"({_text(d.get('reason'))}; {self._txn(d)})")
            case "PayoutTransferReversed":
                return f"Transfer {_text(d.get('stripe_transfer_id'))} reversed ({self._txn(d)})"
            case "PayoutReachedBank":
                return f"Stripe payout {_text(d.get('stripe_payout_id'))} reached the bank ({self._txn(d)})"
            case "PayoutBankFailed":
                return (f"Stripe payout {_text(d.get('stripe_payout_id'))} failed ({self._txn(d)}): "
                        f"{_text(d.get('reason'))}")
            case "PayoutScheduleCompleted":
                return f"Payout run {_text(d.get('status'))}"
            case "PayoutScheduleCancelled":
                return f"Payout schedule cancelled by {_text(d.get('by'))}: {_text(d.get('reason'))}"
            case "EscrowHoldPlaced":
                amount = _usd(d["amount_cents"]) if d.get("amount_cents") is not None else "all payouts"
                return f"Escrow hold placed on {amount} by {_text(d.get('by'))}: {_text(d.get('reason'))}"
            case "EscrowHoldReleased":
                return f"Escrow hold released{' automatically' if d.get('automatic') else ''} by {_text(d.get('by'))}"
            case "EscrowHoldCancelled":
                return f"Escrow hold cancelled by {_text(d.get('by'))}"
            case "DisputeOpened":
                by = self._who(d.get("raised_by")) if str(d.get("raised_by")) in self.parties else (
                    f"{_text(d.get('raised_by'))} ({_text(d.get('raised_by_role'))})")
                return f"Dispute opened ({_text(d.get('dispute_type'))}) by {by}: {_text(d.get('reason'))}"
            case "DisputeUnderReview":
                return f"Dispute under review by {_text(d.get('by'))}"
            case "DisputeClosed":
                return f"Dispute {_text(d.get('outcome'))} by {_text(d.get('by'))}: {_text(d.get('notes'))}"
            case "StripeWebhookReceived":
                payload = d.get("payload")
                obj = payload.get("data", {}).get("object", {}) if isinstance(payload, Mapping) else {}
                about = f" for {_text(obj.get('id'))}" if isinstance(obj, Mapping) and obj.get("id") else ""
                return f"Stripe {_text(d.get('event_type'))}{about} received ({_text(d.get('stripe_event_id'))})"
            case "StripeWebhookProcessed":
                why = f": {_text(d['reason'])}" if d.get("reason") else ""
                return f"Stripe {_text(d.get('stripe_event_id'))} {_text(d.get('outcome'))}{why}"
            case "EmailSent":
                return (f"Email “{_text(d.get('subject'))}” sent to {_text(d.get('recipient_email'))} "
                        f"({_text(d.get('template'))})")
            case "EmailFailed":
                return f"Email “{_text(d.get('subject'))}” to {_text(d.get('recipient_email'))} failed: " \
                       f"{_text(d.get('reason'))}"
            case "AuditBundleExported":
                by = self._who(d.get("exporter")) if str(d.get("exporter")) in self.parties else (
                    f"{_text(d.get('exporter'))} ({_text(d.get('exporter_role'))})")
                return (f"Audit bundle exported by {by} at "
                        f"feed position {_text(d.get('feed_position'))}: {_text(d.get('event_count'))} events, "
                        f"manifest sha256 {_text(d.get('manifest_sha256'), 16)}")
            case _ if d.get("from_stage") and d.get("to_stage"):
                why = f" ({_text(d['reason'])})" if d.get("reason") else ""
                return f"{_text(kind)}: {_text(d.get('from_stage'))} → {_text(d.get('to_stage'))}{why}"
        return _text(kind)


def timeline(lines: Sequence[Line], parties: Parties | None = None) -> list[TimelineRow]:
    """One row per line, in feed order, each with its actor's name and role when `parties` knows them and a
    one-line human summary of its event."""
    narrator, rows = _Narrator(parties), []
    for line in lines:
        data, meta = line.get("data"), line.get("metadata")
        kind = _text(line.get("type"))
        actor = _text(meta.get("actor") if isinstance(meta, Mapping) else None)
        party = narrator.parties.get(actor)
        rows.append(TimelineRow(
            position=_text(line.get("position")), recorded_at=_text(line.get("recorded_at")),
            stream_id=_text(line.get("stream_id")), version=_text(line.get("version")), event_type=kind,
            actor=actor, actor_name=_text(party.name if party else None, 80),
            actor_role=_text(party.role if party else None, 80),
            summary=narrator.summary(kind, data if isinstance(data, Mapping) else {}),
        ))
    return rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A spreadsheet would run a cell starting with one of these as a formula (OWASP CSV injection):
    a leading apostrophe makes it text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def timeline_csv(lines: Sequence[Line], rows: Sequence[TimelineRow] | None = None) -> str:
    """`timeline.csv`: RFC 4180 (CRLF line ends, quoted as needed), a header row then one row per event.
    `rows` is `timeline(lines, parties)` when the caller has it already (the actors' names come with it)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")
    writer.writerow(TIMELINE_COLUMNS)
    writer.writerows([_cell(v) for v in row] for row in (timeline(lines) if rows is None else rows))
    return out.getvalue()


# --- the report ------------------------------------------------------------------------------------------------

def report_html(export: Mapping[str, Any], lines: Sequence[Line], money: MoneyTable,
                rows: Sequence[TimelineRow] | None = None, parties: Parties | None = None) -> str:
    """`report.html`: one self-contained page (inline CSS, no scripts, no external resources) with the export's
    header, the parties by name and role, the money table and its checks, the payouts with their Stripe ids, and
    the timeline (`rows`, when the caller has `timeline(lines, parties)` already)."""
    failing = [c for c in money.checks if not c.ok]
    parties = parties or {}
    return _template().render(export=export, money=money, failing=failing, parties=parties,
                              party_rows=parties_rows(parties),
                              timeline=timeline(lines, parties) if rows is None else rows)


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(usd=dollars, pct=percent, when=_when)
    return env.from_string(_REPORT)


_REPORT = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Audit report: placement {{ export.placement_id }}</title>
<style>
:root { color-scheme: light; }
body { font: 10.5pt/1.4 "Liberation Sans", "DejaVu Sans", Arial, Helvetica, sans-serif; color: #111;
       background: #fff; margin: 0 auto; padding: 24px; max-width: 1100px; }
h1 { font-size: 17pt; margin: 0 0 8px; }
h2 { font-size: 13pt; margin: 22px 0 8px; padding-bottom: 2px; border-bottom: 1px solid #888; }
h3 { font-size: 11pt; margin: 14px 0 6px; }
table { width: 100%; border-collapse: collapse; margin: 0 0 10px; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #eef1f4; font-weight: 600; }
td.id, span.id, dd.id { word-break: break-all; }
.free { overflow-wrap: anywhere; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.id { font-family: "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 0.88em; }
.muted { color: #555; }
tfoot td, tr.total td { font-weight: 700; border-top: 2px solid #666; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 8px; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.verdict { border: 2px solid; padding: 6px 10px; margin: 10px 0; font-weight: 700; }
.verdict.ok { border-color: #1a7f37; background: #eaf6ee; color: #0f5323; }
.verdict.fail { border-color: #b42318; background: #fdecea; color: #7a150d; }
td.result { white-space: nowrap; font-weight: 700; }
td.result.ok { color: #1a7f37; }
td.result.fail { color: #b42318; }
tr.fail td { background: #fdecea; }
table.timeline { font-size: 8.5pt; }
table.timeline col.when { width: 17%; }
table.timeline col.stream { width: 22%; }
table.timeline col.event { width: 19%; }
@page { margin: 14mm 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9pt; }
  thead { display: table-header-group; }
  tfoot { display: table-row-group; }
  tr, th, td, dl.meta, .verdict { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  section.timeline { break-before: page; page-break-before: always; }
  th, .verdict, tr.fail td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
</head>
<body>
<header>
<h1>Audit report: placement <span class="id">{{ export.placement_id }}</span></h1>
<dl class="meta">
  <dt>Placement</dt><dd class="id">{{ export.placement_id }}</dd>
  <dt>Exported at</dt><dd>{{ export.exported_at }}</dd>
  <dt>Exporter</dt><dd class="free">{{ export.exporter }}</dd>
  <dt>Feed position</dt><dd class="id">{{ export.feed_position }}</dd>
  <dt>Events</dt><dd>{{ export.event_count }} in {{ export.stream_count }} stream(s)</dd>
{% if export.redacted is defined and export.redacted.events %}
  <dt>Redacted</dt><dd>{{ export.redacted.events | length }} event(s) not yours to read, for a
    {{ export.redacted.for | replace("_", " ") }}: kept in events.jsonl by their content digest, so every
    hash chain still verifies; left out of this report and the timeline</dd>
{% endif %}
</dl>
{% if money.reconciles %}
<p class="verdict ok" id="verdict">✓ The money trail reconciles to the cent: all {{ money.checks | length }}
checks hold.</p>
{% elif not money.checks %}
<p class="verdict fail" id="verdict">✗ Nothing to reconcile: the trail has no splits yet.</p>
{% else %}
<p class="verdict fail" id="verdict">✗ The money trail does NOT reconcile:
{% if failing %}{{ failing | length }} of {{ money.checks | length }} checks fail{% endif %}
{%- if failing and money.skipped %}; {% endif %}
{%- if money.skipped %}{{ money.skipped | length }} money event(s) could not be taken into account{% endif %}.</p>
{% endif %}
</header>

{% if party_rows %}
<section class="parties">
<h2>Parties</h2>
<table id="parties">
<thead><tr><th>Role</th><th>Name</th><th>Id</th></tr></thead>
<tbody>
{% for p in party_rows %}
<tr><td>{{ p.role or p.kind }}</td><td class="free">{{ p.name or "name unknown" }}</td>
<td><span class="muted">{{ p.kind }}</span> <span class="id">{{ p.id }}</span></td></tr>
{% endfor %}
</tbody>
</table>
</section>
{% endif %}

<section class="money">
<h2>Money</h2>
<h3>Fee and splits</h3>
<table id="splits">
<thead><tr><th>Role</th><th>Recruiter</th><th>Tier</th><th class="num">Rate</th><th class="num">Amount</th>
<th>Firm</th><th class="num">Firm take</th><th class="num">Net</th></tr></thead>
<tbody>
{% for s in money.splits %}
<tr><td>{{ s.role }}</td><td>{% if s.recruiter_id in parties %}<span class="free">{{ parties[s.recruiter_id].name or "name unknown" }}</span><br>{% endif %}<span class="id">{{ s.recruiter_id }}</span></td><td>{{ s.tier }}</td>
<td class="num">{{ s.rate_bps | pct }}</td><td class="num">{{ s.amount_cents | usd }}</td>
<td>{% if s.firm_id in parties %}<span class="free">{{ parties[s.firm_id].name }}</span><br>{% endif %}<span class="id">{{ s.firm_id or "" }}</span></td>
<td class="num">{{ s.firm_take_cents | usd }}
{%- if s.firm_take_bps %} <span class="muted">({{ s.firm_take_bps | pct }})</span>{% endif %}</td>
<td class="num">{{ s.net_cents | usd }}</td></tr>
{% else %}
<tr><td colspan="8" class="muted">No splits recorded.</td></tr>
{% endfor %}
{% if money.platform_remainder_cents is not none %}
<tr><td colspan="4">Platform remainder</td><td class="num">{{ money.platform_remainder_cents | usd }}</td>
<td colspan="3"></td></tr>
{% endif %}
</tbody>
<tfoot><tr><td colspan="4">Placement fee</td>
<td class="num" id="fee">{{ money.fee_cents | usd if money.fee_cents is not none else "not recorded" }}</td>
<td colspan="3"></td></tr></tfoot>
</table>

<h3>Invoice to the company</h3>
{% if money.invoice %}
{% set i = money.invoice %}
<table id="invoice">
<thead><tr><th>Stripe invoice</th><th>Number</th><th>Status</th><th class="num">Fee line</th>
<th class="num">Processing fee</th><th class="num">Amount due</th><th class="num">Amount paid</th>
<th>Paid at</th></tr></thead>
<tbody><tr><td class="id">{{ i.stripe_invoice_id }}</td><td>{{ i.number or "" }}</td>
<td class="free">{{ i.status }}{% if i.failure_reason %}: {{ i.failure_reason }}{% endif %}</td>
<td class="num">{{ i.fee_cents | usd }}</td><td class="num">{{ i.processing_fee_cents | usd }}</td>
<td class="num">{{ i.amount_due_cents | usd }}</td><td class="num">{{ i.amount_paid_cents | usd }}</td>
<td>{{ i.paid_at | when }}</td></tr></tbody>
</table>
<p class="muted">{{ i.currency | upper }}, {{ i.collection_method }}
{%- if i.due_date %}, due {{ i.due_date | when }}{% endif %};
our invoice id <span class="id">{{ i.invoice_id }}</span>.</p>
{% else %}
<p class="muted">No invoice issued.</p>
{% endif %}

<h3>Payouts and Stripe transfers</h3>
<table id="transactions">
<thead><tr><th>Transaction</th><th>Payee</th><th class="num">Amount</th><th>Status</th><th>Stripe transfer</th>
<th>Destination account</th><th>Stripe payout</th></tr></thead>
<tbody>
{% for t in money.transactions %}
<tr><td>{{ t.kind }} <span class="muted">({{ t.role }})</span><br>
<span class="id muted">{{ t.transaction_id }}</span></td>
<td>{{ t.payee_kind }}{% if t.payee_id in parties %} <span class="free">{{ parties[t.payee_id].name or "name unknown" }}</span>{% endif %} <span class="id">{{ t.payee_id }}</span></td>
<td class="num">{{ t.amount_cents | usd }}
{%- if t.transferred_cents is not none and t.transferred_cents != t.amount_cents %}
<br>transferred {{ t.transferred_cents | usd }}{% endif %}</td>
<td>{{ t.status }}{% if t.note %}<br><span class="muted free">{{ t.note }}</span>{% endif %}</td>
<td class="id">{{ t.stripe_transfer_id or "" }}</td><td class="id">{{ t.stripe_account_id or "" }}</td>
<td class="id">{{ t.stripe_payout_id or "" }}</td></tr>
{% else %}
<tr><td colspan="7" class="muted">No payout transactions.</td></tr>
{% endfor %}
</tbody>
<tfoot>
<tr><td colspan="2">Paid out</td><td class="num" id="paid-out">{{ money.paid_out_cents | usd }}</td>
<td colspan="4"></td></tr>
<tr><td colspan="2">Waiting (pending, processing, failed)</td><td class="num">{{ money.waiting_cents | usd }}</td>
<td colspan="4"></td></tr>
</tfoot>
</table>

{% if money.holds %}
<h3>Escrow holds</h3>
<table id="holds">
<thead><tr><th>Hold</th><th class="num">Amount</th><th>Reason</th><th>Release on</th><th>Placed by</th>
<th>Status</th></tr></thead>
<tbody>
{% for h in money.holds %}
<tr><td class="id">{{ h.hold_id }}</td>
<td class="num">{{ h.amount_cents | usd if h.amount_cents is not none else "all payouts" }}</td>
<td class="free">{{ h.reason }}</td><td>{{ h.release_on | when }}</td><td class="free">{{ h.placed_by }}</td>
<td>{{ h.status }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}

{% if money.disputes %}
<h3>Disputes</h3>
<table id="disputes">
<thead><tr><th>Dispute</th><th>Type</th><th>Raised by</th><th>Reason</th><th>Status</th><th>Notes</th></tr></thead>
<tbody>
{% for d in money.disputes %}
<tr><td class="id">{{ d.dispute_id }}</td><td>{{ d.dispute_type }}</td>
<td class="free">{% if d.raised_by in parties %}{{ parties[d.raised_by].label }}<br><span class="id muted">{{ d.raised_by }}</span>{% else %}{{ d.raised_by }} ({{ d.raised_by_role }}){% endif %}</td>
<td class="free">{{ d.reason }}</td><td>{{ d.status }}</td><td class="free">{{ d.notes or "" }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}

<h3>Reconciliation</h3>
<table id="checks">
<thead><tr><th>Check</th><th class="num">Expected</th><th class="num">Actual</th><th>Result</th></tr></thead>
<tbody>
{% for c in money.checks %}
<tr class="{{ 'ok' if c.ok else 'fail' }}"><td>{{ c.label }}</td><td class="num">{{ c.expected_cents | usd }}</td>
<td class="num">{{ c.actual_cents | usd }}</td>
<td class="result {{ 'ok' if c.ok else 'fail' }}">{{ "✓ holds" if c.ok else "✗ fails" }}</td></tr>
{% else %}
<tr><td colspan="4" class="muted">Nothing to reconcile yet.</td></tr>
{% endfor %}
</tbody>
</table>
{% if money.skipped %}
<h3>Money events not taken into account</h3>
<ul id="skipped">
{% for s in money.skipped %}<li>✗ {{ s }}</li>{% endfor %}
</ul>
{% endif %}
</section>

<section class="timeline">
<h2>Timeline</h2>
<p class="muted">Every event of the export in feed order; <code>timeline.csv</code> holds the same rows.</p>
<table class="timeline" id="timeline">
<colgroup><col class="when"><col class="stream"><col class="event"><col></colgroup>
<thead><tr><th>Recorded at / position</th><th>Stream / version</th><th>Event / actor</th><th>Summary</th></tr></thead>
<tbody>
{% for r in timeline %}
<tr><td>{{ r.recorded_at | replace("T", " ", 1) }}<br><span class="id muted">{{ r.position }}</span></td>
<td class="id">{{ r.stream_id }} <span class="muted">v{{ r.version }}</span></td>
<td><strong>{{ r.event_type }}</strong><br>{% if r.actor_name %}<span class="free">{{ r.actor_name }}{% if r.actor_role %} ({{ r.actor_role }}){% endif %}</span><br>{% endif %}<span class="muted free">{{ r.actor }}</span></td>
<td class="free">{{ r.summary }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
</body>
</html>
"""
