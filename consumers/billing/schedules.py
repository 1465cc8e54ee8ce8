"""Billing's schedules (domain §5.5, §14): due payout schedules start their payouts, and escrow holds are
released on their date. Placements held by an escrow hold or an open dispute are left out: their schedule
waits, and runs once the last block ends."""

from __future__ import annotations

from commands.billing import placement_billing as money
from consumers.runtime.scheduler import Schedule, deadline_schedule

BY = "scheduler"


def billing_schedules() -> list[Schedule]:
    return [
        deadline_schedule(
            "payout-schedules",
            "SELECT s.placement_id, s.scheduled_for, s.id, s.trigger FROM billing.payout_schedules s"
            " WHERE s.status = 'scheduled' AND s.scheduled_for <= %(now)s"
            "  AND NOT EXISTS (SELECT 1 FROM billing.escrow_holds h WHERE h.placement_id = s.placement_id"
            "                  AND h.status = 'active')"
            "  AND NOT EXISTS (SELECT 1 FROM billing.disputes d WHERE d.placement_id = s.placement_id"
            "                  AND d.status IN ('open', 'under_review'))"
            " ORDER BY s.scheduled_for LIMIT %(limit)s",
            money.placement_billing,
            lambda row, now: money.StartPayouts(placement_id=row[0], schedule_id=row[2], trigger=row[3], by=BY,
                                                at=now),
        ),
        deadline_schedule(
            "escrow-auto-release",
            "SELECT placement_id, release_on, id FROM billing.escrow_holds"
            " WHERE status = 'active' AND release_on <= %(now)s ORDER BY release_on LIMIT %(limit)s",
            money.placement_billing,
            lambda row, now: money.ReleaseEscrowHold(placement_id=row[0], hold_id=row[2], automatic=True, by=BY,
                                                     at=now),
        ),
    ]
