"""The rules of a placement's money (domain §4.5, §5): the delays and limits of invoicing and payouts, the
processing fee, the order of Stripe's invoice statuses and of a dispute's, and the errors that enforce them.
The decider in commands/billing/placement_billing.py re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from commands.core import NotYetRecorded, RuleViolation

COLLECTIBLE_AFTER = timedelta(days=7)
RETRY_AFTER = timedelta(hours=1)
MAX_RETRIES = 3
PROCESSING_FEE_BPS = 300  # the 3% processing-fee line on the company's invoice


def processing_fee_cents(fee_cents: int) -> int:
    """3% of the fee, rounded half up (it is charged to the company, not shared)."""
    return (fee_cents * PROCESSING_FEE_BPS + 5000) // 10_000


def first_schedule_id(invoice_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"splits:payout-schedule:{invoice_id}:invoice_paid")


# The order of Stripe's invoice statuses, which only move forward here (see commands/billing/placement_billing.py).
INVOICE_RANK: Mapping[str, int] = {"draft": 0, "open": 1, "failed": 1, "uncollectible": 2, "paid": 3, "void": 3}
# The moves of a dispute: review, then resolution or dismissal (either may come without a review).
DISPUTE_NEXT: Mapping[str, frozenset[str]] = {
    "open": frozenset({"under_review", "resolved", "dismissed"}),
    "under_review": frozenset({"resolved", "dismissed"}),
}


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


def invoice_id_for(placement_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"splits:placement-invoice:{placement_id}")
