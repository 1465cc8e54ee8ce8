"""The HTTP contract of referral codes and company platform invitations: bodies and responses, per audience.

Audiences: the recruiter who owns a code or an invitation (`RecruiterCodeOut`, `CompanyInvitationOut`); anyone
holding a code (`RecruiterCodeLookup`: the recruiter's public slug, their name only when their marketplace
profile is public, whether the code can be used) or an invitation link (`CompanyInvitationPreview`: no email,
no message recipient other than the holder).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.bounds import Email, Name, Reason, ShortText, Slug, Tag
from api.responses import CommandResponseWith
from commands.network.company_invitation_events import CompanyInvitationStatus

# Codes are read case-insensitively: what a person types or a link carries, bounded before any lookup.
CODE_FORMAT = r"^[A-Za-z0-9]{6,32}$"
CodePath = Annotated[str, Path(min_length=6, max_length=32, pattern=CODE_FORMAT)]
RecCode = Annotated[str | None, Query(min_length=6, max_length=32, pattern=CODE_FORMAT,
                                      description="a recruiter's referral code: the recruiter becomes your sourcer")]
InvitationToken = Annotated[str, StringConstraints(min_length=32, max_length=256, pattern=r"^[A-Za-z0-9_\-]+$")]
TokenPath = Annotated[str, Path(min_length=32, max_length=256, pattern=r"^[A-Za-z0-9_\-]+$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecruiterCodeBody(_Body):
    label: Tag | None = None


class RecruiterCodeOut(BaseModel):
    id: UUID
    code: str
    label: str | None
    is_default: bool
    status: Literal["active", "inactive"]
    redemptions: int = Field(description="users who registered with this code")
    created_at: datetime
    deactivated_at: datetime | None


class ReferralOut(BaseModel):
    """A user who registered with one of the recruiter's codes, and what the recruiter sources of theirs now.
    `pending`: nothing yet (a business whose company is not made, a candidate whose record is not)."""

    user_id: UUID
    user_name: str | None
    code: str
    redeemed_at: datetime
    sourced_candidate_id: UUID | None
    sourced_company_ids: list[UUID]
    pending: bool


class RecruiterCodeLookup(BaseModel):
    code: str
    active: bool = Field(description="whether registering with this code makes its recruiter your sourcer")
    recruiter_slug: str | None
    recruiter_name: str | None = Field(description="only when the recruiter's marketplace profile is public")


class CompanyInvitationBody(_Body):
    invited_email: Email
    company_name_hint: Name | None = None
    personal_message: Reason | None = None


class CompanyInvitationSent(BaseModel):
    invitation_id: UUID
    invite_code: str
    expires_at: datetime
    invitation_token: str | None = Field(
        description="Only under `splits dev`, where no email leaves the machine: the link's token (elsewhere it "
                    "reaches the invited address by email only)")


class CompanyInvitationResponse(CommandResponseWith[CompanyInvitationSent]):
    """`id` and `version` are the invitation's."""


class CompanyInvitationOut(BaseModel):
    id: UUID
    invite_code: str
    invited_email: str
    company_name_hint: str | None
    personal_message: str | None
    status: CompanyInvitationStatus
    expires_at: datetime
    accepted_by_user_id: UUID | None
    organization_id: UUID | None
    company_id: UUID | None
    created_at: datetime


class CompanyInvitationPreview(BaseModel):
    """What the holder of the link sees before accepting."""

    invite_code: str
    company_name_hint: str | None
    personal_message: str | None
    status: CompanyInvitationStatus
    expires_at: datetime
    recruiter_name: str | None


class AcceptCompanyInvitationBody(_Body):
    token: InvitationToken
    organization_name: ShortText
    organization_slug: Slug
    company_name: Name | None = Field(default=None, description="the organization's name if omitted")


class CompanyInvitationAccepted(BaseModel):
    organization_id: UUID
    company_id: UUID


class AcceptCompanyInvitationResponse(CommandResponseWith[CompanyInvitationAccepted]):
    """`id` and `version` are the invitation's; the organization and company made for you are under `data`."""

