"""The commands of a firm (domain §2.4, §3.3, §4.4, §13), checked when they are built.

A command that depends on who acts carries `by_user_id` (and `is_platform_admin`): the decider in
commands/network/firm.py, which re-exports these, judges it from the acting user's role in the firm.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field

from commands.core import Command
from commands.identity.fields import Actor, Email, Slug, Text
from commands.network.firm_events import FirmInvitationRole

TakeRateBps = Annotated[int, Field(ge=0, le=10_000)]


class _FirmCommand(Command):
    firm_id: UUID
    by: Actor
    at: AwareDatetime


class ActingCommand(_FirmCommand):
    """`by_user_id` is the acting user, whose role in the firm decides what they may do."""

    by_user_id: UUID | None = None
    is_platform_admin: bool = False


class CreateFirm(_FirmCommand):
    """`may_create_firms` is the creator's `firm_creation` entitlement, looked up by the caller."""

    name: Text
    slug: Slug
    by_user_id: UUID
    may_create_firms: bool
    admin_take_rate_bps: TakeRateBps = 0


class SetFirmAdminTakeRate(ActingCommand):
    admin_take_rate_bps: TakeRateBps


class InviteToFirm(ActingCommand):
    invitation_id: UUID
    email: Email
    role: FirmInvitationRole = "member"


class AcceptFirmInvitation(_FirmCommand):
    """`user_email` is the accepting user's email, looked up by the caller; it must be the invited one."""

    invitation_id: UUID
    user_id: UUID
    user_email: Email


class RevokeFirmInvitation(ActingCommand):
    invitation_id: UUID


class ExpireFirmInvitation(_FirmCommand):
    """Sent by the scheduler; a no-op unless the invitation is pending and past its expiry."""

    invitation_id: UUID


class ChangeFirmMemberRole(ActingCommand):
    """Ownership is not a role one is given: see TransferFirmOwnership."""

    user_id: UUID
    role: FirmInvitationRole


class RemoveFirmMember(ActingCommand):
    """A member removing themself leaves the firm."""

    user_id: UUID


class TransferFirmOwnership(ActingCommand):
    """`target_may_create_firms` is the new owner's `firm_creation` entitlement, looked up by the caller."""

    to_user_id: UUID
    target_may_create_firms: bool


class SuspendFirm(ActingCommand):
    reason: str | None = None


class ReactivateFirm(ActingCommand):
    pass


FirmCommand = (
    CreateFirm | SetFirmAdminTakeRate | InviteToFirm | AcceptFirmInvitation | RevokeFirmInvitation
    | ExpireFirmInvitation | ChangeFirmMemberRole | RemoveFirmMember | TransferFirmOwnership | SuspendFirm
    | ReactivateFirm
)
