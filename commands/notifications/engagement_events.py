"""The engagement mail's events (domain §10 "cron engagement"): each scheduled email a person is due, recorded
once per person, kind and period on the person's engagement stream before the notifications reactor sends it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event

EngagementKind = Literal[
    "weekly_digest", "monthly_hiring_report", "candidate_reminder", "recruiter_inactivity", "aftercare",
]


class EngagementMailDue(Event):
    """`kind`'s email for `period` is due to the user: an ISO week (`2026-W49`), a month (`2026-11`), or for
    aftercare the placement and its milestone (`<placement id>/day-30`, `<placement id>/guarantee-ending`)."""

    user_id: UUID
    kind: EngagementKind
    period: str
    at: datetime
