"""The scheduler's deadline queries over the billing read schema (consumers/billing/schedules.py runs them through
`deadline_schedule`, consumers/runtime/scheduler.py): rows (placement id, deadline, ...) due at %(now)s, at most
%(limit)s of them."""

from __future__ import annotations

# Due payout schedules, except on placements held by an active escrow hold or an open dispute: rows
# (placement id, scheduled for, schedule id, trigger).
PAYOUT_SCHEDULES_DUE = (
    "SELECT s.placement_id, s.scheduled_for, s.id, s.trigger FROM billing.payout_schedules s"
    " WHERE s.status = 'scheduled' AND s.scheduled_for <= %(now)s"
    "  AND NOT EXISTS (SELECT 1 FROM billing.escrow_holds h WHERE h.placement_id = s.placement_id"
    "                  AND h.status = 'active')"
    "  AND NOT EXISTS (SELECT 1 FROM billing.disputes d WHERE d.placement_id = s.placement_id"
    "                  AND d.status IN ('open', 'under_review'))"
    " ORDER BY s.scheduled_for LIMIT %(limit)s")

# Active escrow holds whose release date has come: rows (placement id, release on, hold id).
ESCROW_HOLDS_TO_RELEASE = (
    "SELECT placement_id, release_on, id FROM billing.escrow_holds"
    " WHERE status = 'active' AND release_on <= %(now)s ORDER BY release_on LIMIT %(limit)s")
