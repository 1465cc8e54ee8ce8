"""The HTTP contract of candidate records: profile, privacy, visibility and verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, StringConstraints

from api.responses import Pagination
from api.bounds import Cents, Email, Flag, LongText, Name, WebUrl, text
from commands.ats.events import EmploymentType
from api.ats.base_models import StatusReason, _Body

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
