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

from pydantic import BaseModel, ConfigDict

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

    # A job's text and its salary range are the company's offer, not anyone's personal data.
    not_personal = frozenset({"title", "location", "recruiter_description", "candidate_description",
                              "salary_min_cents", "salary_max_cents"})


class JobEdited(Event):
    job_id: UUID
    changes: dict[EditableJobField, ChangeValue]
    by: str
    at: datetime

    not_personal = frozenset({"changes"})  # the job's own fields (see JobCreated)


class JobStatusChanged(Event):
    job_id: UUID
    from_status: JobStatus
    to_status: JobStatus
    reason: str | None
    by: str
    at: datetime

    not_personal = frozenset({"reason"})  # why a job opened or closed: the company's business


class CompanyBillingReadinessSet(Event):
    """Whether the company may put jobs on the market. Until the billing context owns this (a complete
    billing profile: billing email, Stripe customer, default payment method), it is a company setting."""

    company_id: UUID
    ready: bool
    by: str
    at: datetime


# --- company profile ------------------------------------------------------------------------------

CompanyStatus = Literal["active", "inactive"]
# The fields an UpdateCompanyProfile may change. The organization a company belongs to is not here:
# it decides who may act for the company, so it is set once, at creation.
CompanyProfileField = Literal[
    "name",
    "slug",
    "website",
    "industry",
    "company_size",
    "headquarters_location",
    "description",
    "logo_url",
    "stage",
    "founded_year",
    "tagline",
    "mission_statement",
    "benefits_summary",
    "employee_count",
    "tech_stack",
    "hiring_process",
    "social_links",
]
CompanyChangeValue = str | int | list[str] | dict[str, str] | None


class CompanyCreated(Event):
    company_id: UUID
    identity_organization_id: UUID
    name: str
    slug: str
    website: str | None
    industry: str | None
    company_size: str | None
    headquarters_location: str | None
    description: str | None
    logo_url: str | None
    stage: str | None
    founded_year: int | None
    tagline: str | None
    mission_statement: str | None
    benefits_summary: str | None
    employee_count: int | None
    tech_stack: list[str]
    hiring_process: str | None
    social_links: dict[str, str]
    marketplace_visible: bool
    status: CompanyStatus
    by: str
    at: datetime

    # A company's profile: its name, places, texts and links are the business's, not a person's.
    not_personal = frozenset({"name", "slug", "headquarters_location", "description", "tagline", "mission_statement",
                              "benefits_summary", "logo_url"})


class CompanyProfileUpdated(Event):
    """Only the fields that changed, each with its new value (None clears it)."""

    company_id: UUID
    changes: dict[CompanyProfileField, CompanyChangeValue]
    by: str
    at: datetime

    not_personal = frozenset({"changes"})  # the company's own profile fields (see CompanyCreated)


class CompanyMarketplaceVisibilitySet(Event):
    company_id: UUID
    visible: bool
    by: str
    at: datetime


class CompanyStatusChanged(Event):
    company_id: UUID
    from_status: CompanyStatus
    to_status: CompanyStatus
    reason: str | None
    by: str
    at: datetime

    not_personal = frozenset({"reason"})  # why a company was (de)activated: the business's standing


# --- job content, ownership and the scheduler -------------------------------------------------------

RequirementType = Literal["mandatory", "preferred"]
PreScreenQuestionType = Literal["text", "yes_no", "select", "multi_select"]


class _Item(BaseModel):
    """One entry of a list carried whole by an event; a value, not an event of its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class JobRequirementItem(_Item):
    requirement_type: RequirementType
    description: str
    sort_order: int


class JobSkillItem(_Item):
    name: str
    slug: str
    is_required: bool


class PreScreenQuestionItem(_Item):
    """`question_id` stays the same while the question does, so that answers can refer to it."""

    question_id: UUID
    question: str
    question_type: PreScreenQuestionType
    options: list[str]
    is_required: bool
    disclaimer: str | None


class JobRequirementsReplaced(Event):
    """The job's whole list of requirements after the change, in sort order."""

    job_id: UUID
    requirements: list[JobRequirementItem]
    by: str
    at: datetime

    not_personal = frozenset({"requirements"})  # what the job asks for


class JobSkillsReplaced(Event):
    """The job's whole list of skills after the change."""

    job_id: UUID
    skills: list[JobSkillItem]
    by: str
    at: datetime

    not_personal = frozenset({"skills"})  # what the job asks for


class JobPreScreenQuestionsReplaced(Event):
    """The job's whole list of pre-screen questions after the change, in the order they are asked."""

    job_id: UUID
    questions: list[PreScreenQuestionItem]
    by: str
    at: datetime


class JobOwnerChanged(Event):
    """The recruiter credited as the job owner on placements made from now on (None: no owner)."""

    job_id: UUID
    from_recruiter_id: UUID | None
    to_recruiter_id: UUID | None
    reason: str | None
    by: str
    at: datetime

    not_personal = frozenset({"reason"})  # why the job changed hands: the company's business


class JobEarlyAccessEnded(Event):
    """The early-access period is over (activates_at passed): the job is now shown to every recruiter."""

    job_id: UUID
    activates_at: datetime
    by: str
    at: datetime
