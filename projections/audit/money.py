"""The money table of an audit report: a placement's money as its events tell it, and the checks that tie it
together (`money_fold.money_table` builds it from the events). Amounts are integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple


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
