"""The marketplace's schedules (domain §14): idle applications are warned, then expire; placements
complete their guarantee. The read model proposes; each decider checks on its own stream and `at`."""

from __future__ import annotations

from commands.ats import application as applications
from commands.ats import placement as placements
from consumers.runtime.scheduler import Schedule, deadline_schedule

BY = "scheduler"

# The expiry instant of each stage that expires: last activity + the stage's idle limit.
_DEADLINE = "CASE stage " + " ".join(
    f"WHEN '{stage}' THEN last_activity_at + interval '{int(limit.total_seconds())} seconds'"
    for stage, limit in applications.IDLE_LIMITS.items()
) + " END"
_LEAD = f"interval '{int(applications.WARNING_LEAD.total_seconds())} seconds'"
_EXPIRING = "(" + ", ".join(f"'{stage}'" for stage in applications.IDLE_LIMITS) + ")"


def ats_schedules() -> list[Schedule]:
    return [
        deadline_schedule(
            "application-expiry-warning",
            f"SELECT id, deadline FROM (SELECT id, expiry_warned_at, last_activity_at, {_DEADLINE} AS deadline"
            f"  FROM ats.applications WHERE stage IN {_EXPIRING}) a"
            f" WHERE deadline - {_LEAD} <= %(now)s AND deadline > %(now)s"
            "  AND (expiry_warned_at IS NULL OR expiry_warned_at < last_activity_at)"
            " ORDER BY deadline LIMIT %(limit)s",
            applications.application,
            lambda row, now: applications.RecordExpiryWarning(application_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "application-expiry",
            f"SELECT id, deadline FROM (SELECT id, {_DEADLINE} AS deadline FROM ats.applications"
            f"  WHERE stage IN {_EXPIRING}) a WHERE deadline <= %(now)s ORDER BY deadline LIMIT %(limit)s",
            applications.application,
            lambda row, now: applications.ExpireApplication(application_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "placement-guarantee",
            "SELECT id, guarantee_expires_at FROM ats.placements WHERE state IN ('hired', 'active')"
            " AND guarantee_expires_at <= %(now)s ORDER BY guarantee_expires_at LIMIT %(limit)s",
            placements.placement,
            lambda row, now: placements.CompletePlacementGuarantee(placement_id=row[0], by=BY, at=now),
        ),
    ]
