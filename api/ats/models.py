"""The HTTP contract of the ats routes (jobs and their details, companies, candidates, sourcers): request
bodies and responses, apart from events and commands."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from api.responses import Pagination  # noqa: F401 (the one definition; routes import it from here)
from api.bounds import (
    SLUG, Cents, Email, Flag, Line, LongText, Moment, Name, Reason, ShortText, Slug, Tag, WebUrl, percentage, text, whole,
)
from commands.ats.events import CommuteType, EmploymentType, JobLevel

# Percentages travel as JSON numbers (22.5), are validated as decimals and stored as basis points.
Percentage = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
# ... and arrive as JSON numbers of at most 2 decimal places (api/bounds.py).
FeePercentage = percentage(description="e.g. 20 or 22.5")


def percentage_to_bps(value: Decimal) -> int:
    return int(value * 100)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


JobTitle = text(200)
StatusReason = text(500)
JobDescription = text(20_000)
GuaranteeDays = whole(0, 365)
CommuteTypes = Annotated[list[CommuteType], Field(max_length=6)]


class CreateJobBody(_Body):
    company_id: UUID | None = None
    source_firm_id: UUID | None = None
    title: JobTitle
    department: Name | None = None
    location: Name | None = None
    recruiter_description: JobDescription | None = None
    candidate_description: JobDescription | None = None
    salary_min_cents: Cents | None = None
    salary_max_cents: Cents | None = None
    show_salary_range: Flag = True
    fee_percentage: FeePercentage
    guarantee_days: GuaranteeDays = 90
    employment_type: EmploymentType = "full_time"
    commute_types: CommuteTypes = []
    job_level: JobLevel | None = None
    open_to_relocation: Flag = False
    is_early_access: Flag = False
    activates_at: Moment | None = None
    closes_at: Moment | None = None
    is_priority: Flag = False
    job_owner_recruiter_id: UUID | None = None


class EditJobBody(_Body):
    """Only the fields sent change; a field sent as null is cleared (title and the terms cannot be)."""

    title: JobTitle = None  # type: ignore[assignment]
    department: Name | None = None
    location: Name | None = None
    recruiter_description: JobDescription | None = None
    candidate_description: JobDescription | None = None
    salary_min_cents: Cents | None = None
    salary_max_cents: Cents | None = None
    show_salary_range: Flag = None  # type: ignore[assignment]
    fee_percentage: FeePercentage = None  # type: ignore[assignment]
    guarantee_days: GuaranteeDays = None  # type: ignore[assignment]
    employment_type: EmploymentType = None  # type: ignore[assignment]
    commute_types: CommuteTypes = None  # type: ignore[assignment]
    job_level: JobLevel | None = None
    open_to_relocation: Flag = None  # type: ignore[assignment]
    is_early_access: Flag = None  # type: ignore[assignment]
    activates_at: Moment | None = None
    closes_at: Moment | None = None
    is_priority: Flag = None  # type: ignore[assignment]


class StatusBody(_Body):
    reason: StatusReason | None = None


class JobOut(BaseModel):
    """A job as one caller sees it (api/visibility.py): the fields their role does not see are left out."""

    id: UUID
    company_id: UUID | None
    source_firm_id: UUID | None = None
    title: str
    department: str | None
    location: str | None
    recruiter_description: str | None = None
    candidate_description: str | None
    salary_min_cents: int | None = None
    salary_max_cents: int | None = None
    show_salary_range: bool
    fee_percentage: Percentage | None = None
    guarantee_days: int | None = None
    employment_type: str
    commute_types: list[str]
    job_level: str | None
    open_to_relocation: bool
    is_early_access: bool
    activates_at: datetime | None
    closes_at: datetime | None
    is_priority: bool | None = None
    job_owner_recruiter_id: UUID | None = None
    status: Literal["draft", "pending", "active", "paused", "filled", "closed"]
    created_by: str | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JobOut:
        return cls(**{k: v for k, v in row.items() if k != "fee_bps"}, fee_percentage=Decimal(row["fee_bps"]) / 100)


class JobPage(BaseModel):
    data: list[JobOut]
    pagination: Pagination


class JobEnvelope(BaseModel):
    data: JobOut


# --- companies ---------------------------------------------------------------------------------------
# Bodies carry the commands' limits (commands/ats/company.py: lengths, slug pattern, URL form, list sizes), so
# the document shows them; the command checks them again.

CompanyStatusOut = Literal["active", "inactive"]
FoundedYear = whole(1800, 2100)
EmployeeCount = whole(0, 10_000_000)  # more than any employer has; an integer column holds it
TechStack = Annotated[list[Tag], Field(max_length=50)]
LinkName = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z0-9_]{1,30}$")]
SocialLinks = Annotated[dict[LinkName, WebUrl], Field(max_length=20)]


class _CompanyProfile(_Body):
    website: WebUrl | None = None
    industry: Tag | None = None
    company_size: Tag | None = None
    headquarters_location: Name | None = None
    description: LongText | None = None
    logo_url: WebUrl | None = None
    stage: Tag | None = None
    founded_year: FoundedYear | None = None
    tagline: Line | None = None
    mission_statement: LongText | None = None
    benefits_summary: LongText | None = None
    employee_count: EmployeeCount | None = None
    hiring_process: LongText | None = None


class CreateCompanyBody(_CompanyProfile):
    """The company of `identity_organization_id`: its id is the one the organization names."""

    identity_organization_id: UUID
    name: Name
    slug: Slug
    tech_stack: TechStack = []
    social_links: SocialLinks = {}
    marketplace_visible: Flag = False


class UpdateCompanyBody(_CompanyProfile):
    """Only the fields sent change; a field sent as null is cleared (name, slug, tech_stack and social_links
    cannot be: send an empty list or map to empty those)."""

    name: Name = None  # type: ignore[assignment]
    slug: Slug = None  # type: ignore[assignment]
    tech_stack: TechStack = None  # type: ignore[assignment]
    social_links: SocialLinks = None  # type: ignore[assignment]


class CompanyVisibilityBody(_Body):
    visible: Flag


class CompanyOut(BaseModel):
    id: UUID
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
    status: CompanyStatusOut
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CompanyOut:
        return cls.model_validate({k: v for k, v in row.items() if k in cls.model_fields})


class CompanyPage(BaseModel):
    data: list[CompanyOut]
    pagination: Pagination


class CompanyEnvelope(BaseModel):
    data: CompanyOut


# --- sourcers ----------------------------------------------------------------------------------------

ProtectionDays = whole(1, 3650)

class ClaimSourcerBody(_Body):
    """A recruiter sends only `source_method` and `notes` (they claim for themself, on the usual terms);
    a platform admin may name the sourcer and set the terms."""

    sourcer_type: Literal["recruiter", "tsn"] = "recruiter"
    sourcer_recruiter_id: UUID | None = None
    source_method: Tag | None = None
    sourced_at: Moment | None = None
    protection_window_days: ProtectionDays = None  # type: ignore[assignment]  (null is not a window)
    notes: Reason | None = None


class SourcerOut(BaseModel):
    sourcer_type: Literal["recruiter", "tsn"]
    sourcer_recruiter_id: UUID | None
    source_method: str | None
    sourced_at: datetime
    protection_window_days: int
    protection_expires_at: datetime
    protected: bool = Field(description="whether the protection still runs now")
    notes: str | None


class SourcerEnvelope(BaseModel):
    data: SourcerOut | None


# --- candidates --------------------------------------------------------------------------------------

MarketplaceVisibilityIn = Literal["public", "limited", "hidden"]
VerificationStatusIn = Literal["unverified", "pending", "verified", "rejected"]


# commands/ats/candidate.py: digits, spaces, ( ) . - and a leading +, 5 to 30 characters (at least 5 digits).
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().\-]{5,30}$")]
Availability = text(50)


class _CandidateProfile(_Body):
    phone: Phone | None = None
    location: Name | None = None
    linkedin_url: WebUrl | None = None
    github_url: WebUrl | None = None
    portfolio_url: WebUrl | None = None
    current_title: Name | None = None
    current_company: Name | None = None
    bio: LongText | None = None
    desired_salary_min_cents: Cents | None = None
    desired_salary_max_cents: Cents | None = None
    desired_job_type: EmploymentType | None = None
    availability: Availability | None = None


class CreateCandidateBody(_CandidateProfile):
    full_name: Name
    email: Email
    open_to_remote: Flag = False
    open_to_relocation: Flag = False
    marketplace_visibility: MarketplaceVisibilityIn = "public"
    show_email: Flag = False
    show_phone: Flag = False
    show_location: Flag = True
    show_current_company: Flag = True
    show_salary_expectations: Flag = False


class UpdateCandidateBody(_CandidateProfile):
    """Only the fields sent change; a field sent as null is cleared (name, email and open_to_* cannot be)."""

    full_name: Name = None  # type: ignore[assignment]
    email: Email = None  # type: ignore[assignment]
    open_to_remote: Flag = None  # type: ignore[assignment]
    open_to_relocation: Flag = None  # type: ignore[assignment]


class CandidatePrivacyBody(_Body):
    """The flags sent are set; the others keep their value."""

    show_email: Flag = None  # type: ignore[assignment]
    show_phone: Flag = None  # type: ignore[assignment]
    show_location: Flag = None  # type: ignore[assignment]
    show_current_company: Flag = None  # type: ignore[assignment]
    show_salary_expectations: Flag = None  # type: ignore[assignment]


class CandidateVisibilityBody(_Body):
    visibility: MarketplaceVisibilityIn


class VerificationBody(_Body):
    to_status: VerificationStatusIn
    reason: StatusReason | None = None


class CandidateOut(BaseModel):
    """A candidate as one caller sees it (api/visibility.py): the fields the candidate keeps private, and the
    accounts behind the record, are left out (not null) for anyone but a platform admin and whoever controls
    the record."""

    id: UUID
    user_id: UUID | None = None
    created_by_user_id: UUID | None = None
    full_name: str
    email: str | None = None
    phone: str | None = None
    location: str | None = None
    linkedin_url: str | None
    github_url: str | None
    portfolio_url: str | None
    current_title: str | None
    current_company: str | None = None
    bio: str | None
    desired_salary_min_cents: int | None = None
    desired_salary_max_cents: int | None = None
    desired_job_type: str | None
    open_to_remote: bool
    open_to_relocation: bool
    availability: str | None
    marketplace_visibility: MarketplaceVisibilityIn
    verification_status: VerificationStatusIn
    show_email: bool
    show_phone: bool
    show_location: bool
    show_current_company: bool
    show_salary_expectations: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def shown(cls, row: dict[str, Any], withheld: frozenset[str]) -> dict[str, Any]:
        """The JSON object of the row without the withheld fields."""
        return cls.model_validate({k: v for k, v in row.items() if k in cls.model_fields}).model_dump(
            mode="json", exclude=set(withheld))


class CandidatePage(BaseModel):
    data: list[CandidateOut]
    pagination: Pagination


class CandidateEnvelope(BaseModel):
    data: CandidateOut


# --- job details -------------------------------------------------------------------------------------

# commands/ats/job.py: the same lengths and list sizes.
SortOrder = whole(0, 10_000)


class RequirementIn(_Body):
    requirement_type: Literal["mandatory", "preferred"]
    description: Reason
    sort_order: SortOrder | None = None


class SkillIn(_Body):
    name: Tag
    slug: Annotated[str, StringConstraints(strip_whitespace=True, pattern=SLUG, max_length=100)] | None = None
    is_required: Flag = False


class QuestionIn(_Body):
    question_id: UUID | None = None
    question: Reason
    question_type: Literal["text", "yes_no", "select", "multi_select"]
    options: Annotated[list[ShortText], Field(max_length=50)] = []
    is_required: Flag = False
    disclaimer: Reason | None = None


class RequirementsBody(_Body):
    requirements: Annotated[list[RequirementIn], Field(max_length=50)]


class SkillsBody(_Body):
    skills: Annotated[list[SkillIn], Field(max_length=50)]


class QuestionsBody(_Body):
    questions: Annotated[list[QuestionIn], Field(max_length=25)]


class JobOwnerBody(_Body):
    """null leaves the job without an owner."""

    job_owner_recruiter_id: UUID | None
    reason: StatusReason | None = None


class RequirementOut(BaseModel):
    requirement_type: str
    description: str
    sort_order: int


class SkillOut(BaseModel):
    name: str
    slug: str
    is_required: bool


class QuestionOut(BaseModel):
    question_id: UUID
    question: str
    question_type: str
    options: list[str]
    is_required: bool
    disclaimer: str | None


class JobDetailsOut(BaseModel):
    job_id: UUID
    requirements: list[RequirementOut]
    skills: list[SkillOut]
    pre_screen_questions: list[QuestionOut]


class JobDetailsEnvelope(BaseModel):
    data: JobDetailsOut
