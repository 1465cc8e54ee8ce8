"""The HTTP contract of the jobs routes: request bodies and responses, apart from events and commands."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

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


class BillingReadinessBody(_Body):
    ready: bool


class JobOut(BaseModel):
    id: UUID
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
    fee_percentage: Percentage
    guarantee_days: int
    employment_type: str
    commute_types: list[str]
    job_level: str | None
    open_to_relocation: bool
    is_early_access: bool
    activates_at: datetime | None
    closes_at: datetime | None
    is_priority: bool
    job_owner_recruiter_id: UUID | None
    status: Literal["draft", "pending", "active", "paused", "filled", "closed"]
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JobOut:
        return cls(**{k: v for k, v in row.items() if k != "fee_bps"}, fee_percentage=Decimal(row["fee_bps"]) / 100)


class Pagination(BaseModel):
    total: int
    page: int
    limit: int
    total_pages: int


class JobPage(BaseModel):
    data: list[JobOut]
    pagination: Pagination


class JobEnvelope(BaseModel):
    data: JobOut
