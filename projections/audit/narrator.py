"""The timeline of an audit bundle: one row per event, in feed order, each with its actor's name and role and a
one-line human summary of its event, told from the event's data.

Every value from an event is untrusted text: a summary collapses its whitespace and cuts long free text (the
event keeps all of it); the CSV and the report escape it as their format needs (`timeline_csv`, `report`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from eventstore.personal import ERASED
from projections.audit.formatting import Line, dollars, percent
from projections.audit.parties import Parties


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
