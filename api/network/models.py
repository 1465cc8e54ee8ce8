"""The HTTP contract of the network routes: request bodies and responses, apart from events and commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

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

# What the commands check more strictly (lengths, slugs, distinct tags) is left to them: a body only
# has the right shape, and a command built from it refuses bad values with a 422 all the same.


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- recruiters -------------------------------------------------------------------------------------

class _Profile(Body):
    slug: str | None = None
    bio: str | None = None
    tagline: str | None = None
    location: str | None = None
    years_experience: int | None = None
    phone: str | None = None


class CreateRecruiterBody(_Profile):
    industries: list[str] = []
    specialties: list[str] = []
    marketplace_enabled: bool = False
    marketplace_visibility: MarketplaceVisibility = "public"
    show_success_metrics: bool = True
    show_contact_info: bool = False
    candidate_recruiter: bool = False
    company_recruiter: bool = False


class UpdateRecruiterBody(_Profile):
    """Only the fields given change; one given as null is cleared (lists and flags cannot be)."""

    industries: list[str] | None = None
    specialties: list[str] | None = None
    marketplace_enabled: bool | None = None
    marketplace_visibility: MarketplaceVisibility | None = None
    show_success_metrics: bool | None = None
    show_contact_info: bool | None = None
    candidate_recruiter: bool | None = None
    company_recruiter: bool | None = None


class RecruiterStatusBody(Body):
    status: RecruiterStatus
    reason: str | None = Field(default=None, max_length=500)


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
    token: str = Field(min_length=32, max_length=256)


class DeclineCandidateBody(TokenBody):
    reason: str | None = Field(default=None, max_length=2000)


class ReasonBody(Body):
    reason: str = Field(min_length=1, max_length=2000)


class OptionalReasonBody(Body):
    reason: str | None = Field(default=None, max_length=2000)


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

class InviteRecruiterBody(Body):
    company_id: UUID
    recruiter_id: UUID
    relationship_type: RecruiterCompanyType = "recruiter"
    permissions: list[RecruiterCompanyPermission] | None = Field(
        default=None, description="Granted on acceptance; omitted: view jobs and applications, submit candidates")
    message: str | None = Field(default=None, max_length=2000)


class RequestConnectionBody(Body):
    company_id: UUID
    relationship_type: RecruiterCompanyType = "recruiter"
    message: str | None = Field(default=None, max_length=2000)
    terms_acknowledged: bool


class AcceptRelationshipBody(Body):
    """The company may set `permissions`; the recruiter must acknowledge the terms."""

    permissions: list[RecruiterCompanyPermission] | None = None
    terms_acknowledged: bool = False


class PermissionsBody(Body):
    permissions: list[RecruiterCompanyPermission]


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
