"""The HTTP contract of the network routes: request bodies and responses, apart from events and commands."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.bounds import NO_NUL, Flag, Line, LongText, Reason, ShortText, Slug, Tag, whole
from api.responses import CommandResponseWith
from api.responses import Pagination  # noqa: F401 (the one definition; routes import it from here)
from commands.network.events import (
    MarketplaceVisibility,
    RecruiterCandidateStatus,
    RecruiterCompanyPermission,
    RecruiterCompanyStatus,
    RecruiterCompanyType,
    RecruiterStatus,
)

# Bodies carry the commands' limits (commands/network/recruiter.py: lengths, slug, years), so the document shows
# them; what a type cannot say (tags that repeat) the command refuses with a 422 all the same.


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- recruiters -------------------------------------------------------------------------------------

YearsExperience = whole(0, 80)


def _once_each(values: list[str]) -> list[str]:
    """A list of tags is a set in order: a repeated tag (once trimmed) is kept once, not refused."""
    return list(dict.fromkeys(values))


Tags = Annotated[list[Tag], Field(max_length=50), AfterValidator(_once_each)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40, pattern=NO_NUL)]


class _Profile(Body):
    slug: Slug | None = None
    bio: LongText | None = None
    tagline: ShortText | None = None
    location: ShortText | None = None
    years_experience: YearsExperience | None = None
    phone: Phone | None = None


class CreateRecruiterBody(_Profile):
    industries: Tags = []
    specialties: Tags = []
    marketplace_enabled: Flag = False
    marketplace_visibility: MarketplaceVisibility = "public"
    show_success_metrics: Flag = True
    show_contact_info: Flag = False
    candidate_recruiter: Flag = False
    company_recruiter: Flag = False


class UpdateRecruiterBody(_Profile):
    """Only the fields given change; one given as null is cleared (lists and flags cannot be)."""

    industries: Tags = None  # type: ignore[assignment]
    specialties: Tags = None  # type: ignore[assignment]
    marketplace_enabled: Flag = None  # type: ignore[assignment]
    marketplace_visibility: MarketplaceVisibility = None  # type: ignore[assignment]
    show_success_metrics: Flag = None  # type: ignore[assignment]
    show_contact_info: Flag = None  # type: ignore[assignment]
    candidate_recruiter: Flag = None  # type: ignore[assignment]
    company_recruiter: Flag = None  # type: ignore[assignment]


class RecruiterStatusBody(Body):
    status: RecruiterStatus
    reason: Line | None = None


class RecruiterPublic(BaseModel):
    """A recruiter as the marketplace shows them: contact details only when they choose to show them."""

    id: UUID
    name: str | None
    slug: str | None
    tagline: str | None
    bio: str | None
    location: str | None
    years_experience: int | None
    industries: list[str]
    specialties: list[str]
    candidate_recruiter: bool
    company_recruiter: bool
    email: str | None = None
    phone: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RecruiterPublic:
        contact = row["show_contact_info"]
        return cls(**{**row, "email": row["email"] if contact else None, "phone": row["phone"] if contact else None})


class RecruiterOut(BaseModel):
    """A recruiter as their own user and platform admins see them."""

    id: UUID
    user_id: UUID
    name: str | None
    email: str | None
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
    created_at: datetime
    updated_at: datetime


class RecruiterPage(BaseModel):
    data: list[RecruiterPublic]
    pagination: Pagination


# --- recruiter ↔ candidate ----------------------------------------------------------------------------

class InviteCandidateBody(Body):
    candidate_id: UUID


class TokenBody(Body):
    token: str = Field(min_length=32, max_length=256, pattern=NO_NUL)


class DeclineCandidateBody(TokenBody):
    reason: Reason | None = None


class ReasonBody(Body):
    reason: Reason


class OptionalReasonBody(Body):
    reason: Reason | None = None


class CandidateInvitationSent(BaseModel):
    invitation_id: UUID
    invitation_token: str | None = Field(
        description="Only under `splits dev`, where no email leaves the machine: the candidate's consent link token "
                    "(elsewhere it reaches the candidate by email only)")


class CandidateInvitationResponse(CommandResponseWith[CandidateInvitationSent]):
    """`id` and `version` are the relationship's; the invitation sent is under `data`."""


class RecruiterCandidateOut(BaseModel):
    id: UUID
    recruiter_id: UUID
    recruiter_name: str | None
    candidate_id: UUID
    status: RecruiterCandidateStatus
    invited_at: datetime
    invitation_expires_at: datetime
    consent_given_at: datetime | None
    declined_at: datetime | None
    decline_reason: str | None
    relationship_start_date: datetime | None
    relationship_end_date: datetime | None
    terminated_by: str | None
    termination_reason: str | None
    created_at: datetime
    updated_at: datetime


class RecruiterCandidatePage(BaseModel):
    data: list[RecruiterCandidateOut]
    pagination: Pagination


class CandidateInvitationPreview(BaseModel):
    """What the holder of an invitation link sees before answering."""

    id: UUID
    recruiter_id: UUID
    recruiter_name: str | None
    status: RecruiterCandidateStatus
    invitation_expires_at: datetime


# --- recruiter ↔ company ------------------------------------------------------------------------------

Permissions = Annotated[list[RecruiterCompanyPermission], Field(max_length=len(get_args(RecruiterCompanyPermission)))]


class InviteRecruiterBody(Body):
    company_id: UUID
    recruiter_id: UUID
    relationship_type: RecruiterCompanyType = "recruiter"
    permissions: Permissions | None = Field(
        default=None, description="Granted on acceptance; omitted: view jobs and applications, submit candidates")
    message: Reason | None = None


class RequestConnectionBody(Body):
    company_id: UUID
    relationship_type: RecruiterCompanyType = "recruiter"
    message: Reason | None = None
    terms_acknowledged: Flag


class AcceptRelationshipBody(Body):
    """The company may set `permissions`; the recruiter must acknowledge the terms."""

    permissions: Permissions | None = None
    terms_acknowledged: Flag = False


class PermissionsBody(Body):
    permissions: Permissions


class RecruiterCompanyOut(BaseModel):
    id: UUID
    recruiter_id: UUID
    recruiter_name: str | None
    company_id: UUID
    relationship_type: RecruiterCompanyType
    status: RecruiterCompanyStatus
    started_by: Literal["recruiter", "company"]
    message: str | None
    proposed_permissions: list[RecruiterCompanyPermission]
    permissions: list[RecruiterCompanyPermission]
    accepted_by: str | None
    terms_acknowledged_at: datetime | None
    relationship_start_date: datetime | None
    relationship_end_date: datetime | None
    declined_by: str | None
    decline_reason: str | None
    terminated_by: str | None
    termination_reason: str | None
    created_at: datetime
    updated_at: datetime


class RecruiterCompanyPage(BaseModel):
    data: list[RecruiterCompanyOut]
    pagination: Pagination
