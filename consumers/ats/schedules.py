"""The marketplace's schedules (domain §14): idle applications are warned, then expire; placements
complete their guarantee. The read model proposes; each decider checks on its own stream and `at`."""

from __future__ import annotations

from commands.ats import application as applications
from commands.ats import placement as placements
from consumers.runtime.scheduler import Schedule, deadline_schedule
from projections.ats.application_queries import (
    APPLICATIONS_EXPIRED,
    APPLICATIONS_TO_WARN,
    PLACEMENT_GUARANTEES_ENDED,
)

BY = "scheduler"


def ats_schedules() -> list[Schedule]:
    return [
        deadline_schedule(
            "application-expiry-warning",
            APPLICATIONS_TO_WARN,
            applications.application,
            lambda row, now: applications.RecordExpiryWarning(application_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "application-expiry",
            APPLICATIONS_EXPIRED,
            applications.application,
            lambda row, now: applications.ExpireApplication(application_id=row[0], by=BY, at=now),
        ),
        deadline_schedule(
            "placement-guarantee",
            PLACEMENT_GUARANTEES_ENDED,
            placements.placement,
            lambda row, now: placements.CompletePlacementGuarantee(placement_id=row[0], by=BY, at=now),
        ),
    ]
