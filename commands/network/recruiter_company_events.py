"""The events of a recruiter ↔ company relationship (stream `recruiter_company-<relationship_id>`, one
per pair, so a pair has one relationship at a time).

Like every context's events, these carry types but not the business limits of the commands: a rule
tightened later must not make old streams unreadable. commands/network/events.py re-exports them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from commands.core import Event, Personal

RecruiterCompanyStatus = Literal["pending", "active", "declined", "terminated"]
RecruiterCompanySide = Literal["recruiter", "company"]
RecruiterCompanyType = Literal["sourcer", "recruiter"]
RecruiterCompanyPermission = Literal[
    "can_view_jobs",
    "can_create_jobs",
    "can_edit_jobs",
    "can_advance_candidates",
    "can_view_applications",
    "can_submit_candidates",
]


class RecruiterCompanyInvited(Event):
    """The company invites the recruiter; `permissions` (the granted names) take effect on acceptance."""

    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    relationship_type: RecruiterCompanyType
    permissions: list[RecruiterCompanyPermission]
    message: str | None
    by: str
    at: datetime

    personal = Personal(("message",), kind="recruiter", key="recruiter_id")


class RecruiterCompanyConnectionRequested(Event):
    """The recruiter asks to work with the company, acknowledging the terms as they ask."""

    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    relationship_type: RecruiterCompanyType
    message: str | None
    terms_acknowledged_by: str
    terms_acknowledged_at: datetime
    by: str
    at: datetime

    personal = Personal(("message",), kind="recruiter", key="recruiter_id")


class RecruiterCompanyAccepted(Event):
    """The side that did not start the relationship accepted it: active from `at` with `permissions`."""

    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    relationship_type: RecruiterCompanyType
    permissions: list[RecruiterCompanyPermission]
    accepted_by: RecruiterCompanySide
    terms_acknowledged_by: str
    terms_acknowledged_at: datetime
    by: str
    at: datetime


class RecruiterCompanyDeclined(Event):
    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    declined_by: RecruiterCompanySide
    reason: str | None
    by: str
    at: datetime

    personal = Personal(("reason",), kind="recruiter", key="recruiter_id")


class RecruiterCompanyTerminated(Event):
    """The relationship ends at `at` (or a pending one is withdrawn); jobs the recruiter owns need a decision."""

    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    terminated_by: RecruiterCompanySide
    reason: str
    by: str
    at: datetime

    personal = Personal(("reason",), kind="recruiter", key="recruiter_id")


class RecruiterCompanyPermissionsChanged(Event):
    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    from_permissions: list[RecruiterCompanyPermission]
    to_permissions: list[RecruiterCompanyPermission]
    by: str
    at: datetime


# What becomes of a job the recruiter owns at the company when their relationship ends (domain §4.3): it stays as
# it is, it is paused, or it is closed.
JobEnding = Literal["keep", "pause", "close"]


class JobEndingItem(BaseModel):
    """One job owned by the recruiter at the company and what the party ending the relationship decided for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: UUID
    decision: JobEnding


class RecruiterCompanyTerminationDecided(Event):
    """Recorded with the termination when the recruiter owned open jobs at the company: the decision for each of
    them (every one, `keep` where the party ending it chose nothing). The relationship-endings process carries it
    out."""

    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    decided_by: RecruiterCompanySide
    jobs: list[JobEndingItem]
    by: str
    at: datetime
