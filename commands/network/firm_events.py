"""The events of a firm (stream `firm-<firm_id>`: the firm owns its members and its invitations).

Invitation tokens never appear here: an event holds the SHA-256 hex digest of the token, so that a leaked
event log does not leak live invitation links. Take rates are integer basis points.

Like every context's events, these carry types but not the business limits of the commands: a rule
tightened later must not make old streams unreadable. commands/network/events.py re-exports them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

FirmStatus = Literal["active", "suspended"]
FirmRole = Literal["owner", "admin", "member"]
FirmInvitationRole = Literal["admin", "member"]
FirmInvitationStatus = Literal["pending", "accepted", "revoked", "expired"]


class FirmCreated(Event):
    """Always followed by `FirmMemberAdded` for the owner."""

    firm_id: UUID
    name: str
    slug: str
    owner_user_id: UUID
    admin_take_rate_bps: int
    by: str
    at: datetime

    not_personal = frozenset({"name", "slug"})  # a firm's trading name, the business's


class FirmMemberAdded(Event):
    """`recruiter_id` is the member's recruiter (derived from the user), whose splits the take rate applies to."""

    firm_id: UUID
    user_id: UUID
    recruiter_id: UUID
    role: FirmRole
    invitation_id: UUID | None
    by: str
    at: datetime


class FirmMemberRoleChanged(Event):
    firm_id: UUID
    user_id: UUID
    recruiter_id: UUID
    from_role: FirmRole
    to_role: FirmRole
    by: str
    at: datetime


class FirmMemberRemoved(Event):
    firm_id: UUID
    user_id: UUID
    recruiter_id: UUID
    role: FirmRole
    by: str
    at: datetime


class FirmOwnershipTransferred(Event):
    """The new owner was a member; the previous owner stays on as an admin."""

    firm_id: UUID
    from_user_id: UUID
    to_user_id: UUID
    by: str
    at: datetime


class FirmAdminTakeRateSet(Event):
    firm_id: UUID
    from_bps: int
    to_bps: int
    by: str
    at: datetime


class FirmSuspended(Event):
    firm_id: UUID
    reason: str | None
    by: str
    at: datetime

    not_personal = frozenset({"reason"})  # why the platform suspended a firm: its standing as a business


class FirmReactivated(Event):
    firm_id: UUID
    by: str
    at: datetime


class FirmInvitationCreated(Event):
    firm_id: UUID
    invitation_id: UUID
    email: str
    role: FirmInvitationRole
    invited_by_user_id: UUID | None
    expires_at: datetime
    by: str
    at: datetime

    personal = Personal(("email",), kind="invitation", key="invitation_id")


class FirmInvitationAccepted(Event):
    """Always followed by `FirmMemberAdded` for the accepting user."""

    firm_id: UUID
    invitation_id: UUID
    email: str
    role: FirmInvitationRole
    user_id: UUID
    by: str
    at: datetime

    personal = Personal(("email",), kind="invitation", key="invitation_id")


class FirmInvitationRevoked(Event):
    firm_id: UUID
    invitation_id: UUID
    by: str
    at: datetime


class FirmInvitationExpired(Event):
    firm_id: UUID
    invitation_id: UUID
    expires_at: datetime
    by: str
    at: datetime
