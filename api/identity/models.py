"""The HTTP contract of the identity routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.bounds import NO_NUL, Email, Flag, ShortText, Slug, text, whole
from commands.identity.events import MembershipRole, OnboardingStatus, UserRole


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


PersonName = text(200)
ImageUrl = text(2000)
OnboardingStep = whole(1, 4)
ConsentSource = text(50)
# The wizard's own notes: a small JSON object whose texts are bounded and numbers fit 64 bits.
# (At its fullest it still fits the 1 MiB body limit.)
_Scalar = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)] | whole(-(2**53), 2**53) | Flag | None
OnboardingMetadata = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_NUL)],
         _Scalar | Annotated[list[_Scalar], Field(max_length=20)]],
    Field(max_length=20),
]


class RegisterBody(_Body):
    # Only for a development sign-in (no Clerk to ask); otherwise the email is read from Clerk and giving one
    # is refused with 422.
    email: Email | None = Field(default=None, description="development sign-in only: the email comes from Clerk")
    name: PersonName | None = None
    image_url: ImageUrl | None = None
    # No `referred_by_recruiter_id`: who referred a user is the recruiter of the code they registered with
    # (`?rec_code=`), never a recruiter id the user typed.


class ProfileBody(_Body):
    """No `email`: it is Clerk's (change it in the account there); sending one is a 422 naming the field."""

    name: PersonName | None = None
    image_url: ImageUrl | None = None


class OnboardingBody(_Body):
    status: OnboardingStatus
    step: OnboardingStep
    metadata: OnboardingMetadata | None = None


class ConsentBody(_Body):
    functional: Flag
    analytics: Flag
    marketing: Flag
    source: ConsentSource = "web"


class RoleBody(_Body):
    role: UserRole
    role_entity_id: UUID | None = None


class OrganizationBody(_Body):
    name: ShortText
    slug: Slug
    company_id: UUID | None = Field(default=None, description="the company this organization runs (new if omitted)")


class RenameBody(_Body):
    name: ShortText
    slug: Slug = None  # type: ignore[assignment]  # omitted: kept; it cannot be cleared


class MemberBody(_Body):
    user_id: UUID
    role: MembershipRole
    company_id: UUID | None = Field(default=None, description="set for a membership scoped to one company")


class MemberRoleBody(_Body):
    role: MembershipRole
    company_id: UUID | None = None


class InvitationBody(_Body):
    email: Email
    organization_id: UUID
    company_id: UUID | None = None
    role: MembershipRole


class Membership(BaseModel):
    organization_id: UUID
    organization_name: str | None
    company_id: UUID | None
    role: str


class Me(BaseModel):
    id: UUID
    clerk_user_id: str
    email: str
    name: str | None
    image_url: str | None
    onboarding_status: str
    onboarding_step: int
    onboarding_completed_at: datetime | None
    last_active_at: datetime | None
    roles: list[str]
    recruiter_id: UUID | None
    candidate_id: UUID | None
    is_platform_admin: bool
    memberships: list[Membership]


class OrganizationOut(BaseModel):
    id: UUID
    name: str
    slug: str
    company_id: UUID | None
    created_at: datetime


class MemberOut(BaseModel):
    user_id: UUID
    email: str | None
    name: str | None
    company_id: UUID | None
    role: str
    added_at: datetime


class InvitationOut(BaseModel):
    id: UUID
    email: str
    organization_id: UUID
    company_id: UUID | None
    role: str
    status: Literal["pending", "accepted", "expired", "revoked"]
    expires_at: datetime
    created_at: datetime


class InvitationPreview(BaseModel):
    """What the invitee sees before signing in: no email, nothing about other members."""

    id: UUID
    organization_name: str
    role: str
    status: str
    expires_at: datetime


class ConsentOut(BaseModel):
    necessary: bool
    functional: bool
    analytics: bool
    marketing: bool
    source: str
    recorded_at: datetime
