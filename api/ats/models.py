"""The HTTP contract of the ats routes (jobs and their details, companies, candidates, sourcers): request
bodies and responses, apart from events and commands."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

from api.responses import Pagination  # noqa: F401 (the one definition; routes import it from here)
from commands.ats.events import CommuteType, EmploymentType, JobLevel

# Percentages travel as JSON numbers (22.5), are validated as decimals and stored as basis points.
Percentage = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


def percentage_to_bps(value: Decimal) -> int:
    return int(value * 100)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateJobBody(_Body):
    company_id: UUID | None = None
    source_firm_id: UUID | None = None
    title: str = Field(min_length=1, max_length=200)
    department: str | None = None
    location: str | None = None
    recruiter_description: str | None = None
    candidate_description: str | None = None
    salary_min_cents: int | None = Field(default=None, ge=0)
    salary_max_cents: int | None = Field(default=None, ge=0)
    show_salary_range: bool = True
    fee_percentage: Decimal = Field(ge=0, le=100, decimal_places=2, description="e.g. 20 or 22.5")
    guarantee_days: int = Field(default=90, ge=0, le=365)
    employment_type: EmploymentType = "full_time"
    commute_types: list[CommuteType] = []
    job_level: JobLevel | None = None
    open_to_relocation: bool = False
    is_early_access: bool = False
    activates_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    is_priority: bool = False
    job_owner_recruiter_id: UUID | None = None


class EditJobBody(_Body):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    department: str | None = None
    location: str | None = None
    recruiter_description: str | None = None
    candidate_description: str | None = None
    salary_min_cents: int | None = Field(default=None, ge=0)
    salary_max_cents: int | None = Field(default=None, ge=0)
    show_salary_range: bool | None = None
    fee_percentage: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    guarantee_days: int | None = Field(default=None, ge=0, le=365)
    employment_type: EmploymentType | None = None
    commute_types: list[CommuteType] | None = None
    job_level: JobLevel | None = None
    open_to_relocation: bool | None = None
    is_early_access: bool | None = None
    activates_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    is_priority: bool | None = None


class StatusBody(_Body):
    reason: str | None = Field(default=None, max_length=500)


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
# Bodies hold the shape; the commands hold the limits (URL form, lengths, slug pattern), so a value that
# breaks one is refused with 422 when the command is built.

CompanyStatusOut = Literal["active", "inactive"]


class _CompanyProfile(_Body):
    website: str | None = None
    industry: str | None = None
    company_size: str | None = None
    headquarters_location: str | None = None
    description: str | None = None
    logo_url: str | None = None
    stage: str | None = None
    founded_year: int | None = None
    tagline: str | None = None
    mission_statement: str | None = None
    benefits_summary: str | None = None
    employee_count: int | None = None
    hiring_process: str | None = None


class CreateCompanyBody(_CompanyProfile):
    """The company of `identity_organization_id`: its id is the one the organization names."""

    identity_organization_id: UUID
    name: str
    slug: str
    tech_stack: list[str] = []
    social_links: dict[str, str] = {}
    marketplace_visible: bool = False


class UpdateCompanyBody(_CompanyProfile):
    """Only the fields sent change; a field sent as null is cleared (name and slug cannot be)."""

    name: str | None = None
    slug: str | None = None
    tech_stack: list[str] | None = None
    social_links: dict[str, str] | None = None


class CompanyVisibilityBody(_Body):
    visible: bool


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

class ClaimSourcerBody(_Body):
    """A recruiter sends only `source_method` and `notes` (they claim for themself, on the usual terms);
    a platform admin may name the sourcer and set the terms."""

    sourcer_type: Literal["recruiter", "tsn"] = "recruiter"
    sourcer_recruiter_id: UUID | None = None
    source_method: str | None = None
    sourced_at: AwareDatetime | None = None
    protection_window_days: int | None = None
    notes: str | None = None


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


class _CandidateProfile(_Body):
    phone: str | None = None
    location: str | None = None
    linkedin_url: str | None = None
    github_url: str | None = None
    portfolio_url: str | None = None
    current_title: str | None = None
    current_company: str | None = None
    bio: str | None = None
    desired_salary_min_cents: int | None = None
    desired_salary_max_cents: int | None = None
    desired_job_type: EmploymentType | None = None
    availability: str | None = None


class CreateCandidateBody(_CandidateProfile):
    full_name: str
    email: str
    open_to_remote: bool = False
    open_to_relocation: bool = False
    marketplace_visibility: MarketplaceVisibilityIn = "public"
    show_email: bool = False
    show_phone: bool = False
    show_location: bool = True
    show_current_company: bool = True
    show_salary_expectations: bool = False


class UpdateCandidateBody(_CandidateProfile):
    """Only the fields sent change; a field sent as null is cleared (name, email and open_to_* cannot be)."""

    full_name: str | None = None
    email: str | None = None
    open_to_remote: bool | None = None
    open_to_relocation: bool | None = None


class CandidatePrivacyBody(_Body):
    """The flags sent are set; the others keep their value."""

    show_email: bool | None = None
    show_phone: bool | None = None
    show_location: bool | None = None
    show_current_company: bool | None = None
    show_salary_expectations: bool | None = None


class CandidateVisibilityBody(_Body):
    visibility: MarketplaceVisibilityIn


class VerificationBody(_Body):
    to_status: VerificationStatusIn
    reason: str | None = Field(default=None, max_length=500)


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

class RequirementIn(_Body):
    requirement_type: Literal["mandatory", "preferred"]
    description: str
    sort_order: int | None = None


class SkillIn(_Body):
    name: str
    slug: str | None = None
    is_required: bool = False


class QuestionIn(_Body):
    question_id: UUID | None = None
    question: str
    question_type: Literal["text", "yes_no", "select", "multi_select"]
    options: list[str] = []
    is_required: bool = False
    disclaimer: str | None = None


class RequirementsBody(_Body):
    requirements: list[RequirementIn]


class SkillsBody(_Body):
    skills: list[SkillIn]


class QuestionsBody(_Body):
    questions: list[QuestionIn]


class JobOwnerBody(_Body):
    """null leaves the job without an owner."""

    job_owner_recruiter_id: UUID | None
    reason: str | None = Field(default=None, max_length=500)


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
