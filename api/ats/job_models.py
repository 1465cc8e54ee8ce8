"""The HTTP contract of jobs and their details (requirements, skills, questions, owner)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from api.responses import Pagination
from api.bounds import SLUG, Cents, Flag, Moment, Name, Reason, ShortText, Tag, text, whole
from commands.ats.events import CommuteType, EmploymentType, JobLevel
from api.ats.base_models import FeePercentage, Percentage, StatusReason, _Body

JobTitle = text(200)
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
