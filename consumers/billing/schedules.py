"""Billing's schedules (domain §5.5, §14): due payout schedules start their payouts, and escrow holds are
released on their date. Placements held by an escrow hold or an open dispute are left out: their schedule
waits, and runs once the last block ends."""

from __future__ import annotations

from commands.billing import placement_billing as money
from consumers.runtime.scheduler import Schedule, deadline_schedule
from projections.billing.deadlines import ESCROW_HOLDS_TO_RELEASE, PAYOUT_SCHEDULES_DUE

BY = "scheduler"


def billing_schedules() -> list[Schedule]:
    return [
        deadline_schedule(
            "payout-schedules",
            PAYOUT_SCHEDULES_DUE,
            money.placement_billing,
            lambda row, now: money.StartPayouts(placement_id=row[0], schedule_id=row[2], trigger=row[3], by=BY,
                                                at=now),
        ),
        deadline_schedule(
            "escrow-auto-release",
            ESCROW_HOLDS_TO_RELEASE,
            money.placement_billing,
            lambda row, now: money.ReleaseEscrowHold(placement_id=row[0], hold_id=row[2], automatic=True, by=BY,
                                                     at=now),
        ),
    ]
