"""The HTTP contract of the firm routes: request bodies and responses, apart from events and commands."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from api.bounds import Email, ShortText, Slug, percentage
from api.network.models import Body
from api.responses import CommandResponseWith
from commands.network.events import FirmInvitationRole


TakeRate = percentage(description="The firm's cut of its members' splits, in percent")


class CreateFirmBody(Body):
    name: ShortText
    slug: Slug
    admin_take_rate: TakeRate = Decimal(0)


class TakeRateBody(Body):
    admin_take_rate: TakeRate


class FirmInvitationBody(Body):
    email: Email
    role: FirmInvitationRole = "member"


class MemberRoleBody(Body):
    role: FirmInvitationRole


class TransferBody(Body):
    user_id: UUID


class FirmInvitationSent(BaseModel):
    invitation_id: UUID


class FirmInvitationResponse(CommandResponseWith[FirmInvitationSent]):
    """`id` and `version` are the firm's (its stream holds the invitations); the invitation sent is under `data`."""


class FirmOut(BaseModel):
    id: UUID
    name: str
    slug: str
    owner_user_id: UUID
    status: Literal["active", "suspended"]
    admin_take_rate: float
    suspended_reason: str | None
    member_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FirmOut:
        return cls(**row, admin_take_rate=row["admin_take_rate_bps"] / 100)


class FirmMemberOut(BaseModel):
    user_id: UUID
    recruiter_id: UUID
    name: str | None
    email: str | None
    role: Literal["owner", "admin", "member"]
    joined_at: datetime


class FirmInvitationOut(BaseModel):
    id: UUID
    firm_id: UUID
    email: str
    role: FirmInvitationRole
    status: Literal["pending", "accepted", "revoked", "expired"]
    invited_by_user_id: UUID | None
    expires_at: datetime
    accepted_by: UUID | None
    accepted_at: datetime | None
    created_at: datetime


class MyFirmInvitation(BaseModel):
    id: UUID
    firm_id: UUID
    firm_name: str
    role: FirmInvitationRole
    status: Literal["pending"]
    expires_at: datetime
