"""The HTTP contract of companies and of sourcer claims on them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from api.responses import Pagination
from api.bounds import Flag, Line, LongText, Moment, Name, Reason, Slug, Tag, WebUrl, whole
from api.ats.base_models import _Body

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
