"""The events of the ats context: the one definition of each.

Events are facts already accepted, so they carry types but not the business limits of the
commands (fee range, salary order, ...): a rule tightened later must not make old streams
unreadable. Every field is JSON-native or has a lossless JSON form (UUID, datetime); money is
integer cents and percentages are integer basis points, never floats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event

JobStatus = Literal["draft", "pending", "active", "paused", "filled", "closed"]
EmploymentType = Literal["full_time", "part_time", "contract", "temporary"]
CommuteType = Literal["remote", "hybrid_1", "hybrid_2", "hybrid_3", "hybrid_4", "in_office"]
JobLevel = Literal["entry", "mid", "senior", "lead", "manager", "director", "vp", "c_suite"]

# The fields an EditJob may change. Ownership (company, firm, job owner) is not here: it decides
# who is paid on a placement, so changing it deserves its own command and event.
EditableJobField = Literal[
    "title",
    "department",
    "location",
    "recruiter_description",
    "candidate_description",
    "salary_min_cents",
    "salary_max_cents",
    "show_salary_range",
    "fee_bps",
    "guarantee_days",
    "employment_type",
    "commute_types",
    "job_level",
    "open_to_relocation",
    "is_early_access",
    "activates_at",
    "closes_at",
    "is_priority",
]

# Datetimes travel as ISO-8601 strings inside `changes`, so the event stays plain JSON.
ChangeValue = str | int | bool | list[str] | None


class JobCreated(Event):
    job_id: UUID
    company_id: UUID | None
    source_firm_id: UUID | None
    title: str
    department: str | None
    location: str | None
    recruiter_description: str | None
    candidate_description: str | None
    salary_min_cents: int | None
    salary_max_cents: int | None
    show_salary_range: bool
    fee_bps: int
    guarantee_days: int
    employment_type: EmploymentType
    commute_types: list[CommuteType]
    job_level: JobLevel | None
    open_to_relocation: bool
    is_early_access: bool
    activates_at: datetime | None
    closes_at: datetime | None
    is_priority: bool
    job_owner_recruiter_id: UUID | None
    created_by: str
    at: datetime


class JobEdited(Event):
    job_id: UUID
    changes: dict[EditableJobField, ChangeValue]
    by: str
    at: datetime


class JobStatusChanged(Event):
    job_id: UUID
    from_status: JobStatus
    to_status: JobStatus
    reason: str | None
    by: str
    at: datetime


class CompanyBillingReadinessSet(Event):
    """Whether the company may put jobs on the market. Until the billing context owns this (a complete
    billing profile: billing email, Stripe customer, default payment method), it is a company setting."""

    company_id: UUID
    ready: bool
    by: str
    at: datetime
