"""The events of a recruiter's profile and status (stream `recruiter-<recruiter_id>`).

Like every context's events, these carry types but not the business limits of the commands: a rule
tightened later must not make old streams unreadable. commands/network/events.py re-exports them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

RecruiterStatus = Literal["pending", "active", "suspended", "inactive"]
MarketplaceVisibility = Literal["public", "limited", "hidden"]
RecruiterProfileField = Literal[
    "slug",
    "bio",
    "tagline",
    "location",
    "years_experience",
    "industries",
    "specialties",
    "phone",
    "marketplace_enabled",
    "marketplace_visibility",
    "show_success_metrics",
    "show_contact_info",
    "candidate_recruiter",
    "company_recruiter",
]
ProfileValue = str | int | bool | list[str] | None


class RecruiterCreated(Event):
    """The recruiter with its whole initial profile. A process manager grants the user the recruiter role."""

    recruiter_id: UUID
    user_id: UUID
    status: RecruiterStatus
    slug: str | None
    bio: str | None
    tagline: str | None
    location: str | None
    years_experience: int | None
    industries: list[str]
    specialties: list[str]
    phone: str | None
    marketplace_enabled: bool
    marketplace_visibility: MarketplaceVisibility
    show_success_metrics: bool
    show_contact_info: bool
    candidate_recruiter: bool
    company_recruiter: bool
    by: str
    at: datetime

    # The public profile: the slug is chosen by the recruiter and usually spells their name.
    personal = Personal(
        ("slug", "bio", "tagline", "location", "years_experience", "industries", "specialties", "phone"),
        kind="recruiter", key="recruiter_id",
    )


class RecruiterProfileUpdated(Event):
    """Only the fields that changed, each with its new value (None clears it)."""

    recruiter_id: UUID
    changes: dict[RecruiterProfileField, ProfileValue]
    by: str
    at: datetime

    personal = Personal(("changes",), kind="recruiter", key="recruiter_id")


class RecruiterStatusChanged(Event):
    recruiter_id: UUID
    from_status: RecruiterStatus
    to_status: RecruiterStatus
    reason: str | None
    by: str
    at: datetime

    personal = Personal(("reason",), kind="recruiter", key="recruiter_id")
