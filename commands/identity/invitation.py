"""The invitation decider: an invitation to join an organization (domain §3.1, §4.4).

    pending → accepted | revoked | expired        (expires 7 days after it is created)

Accepting also changes two other streams, which this decider cannot touch: the organization gains
a membership and the user's onboarding is completed. `InvitationAccepted` therefore carries the
organization_id, company_id, role and user_id, so that a process manager reacting to it can issue
`AddMember` to the organization (idempotent, so redelivery is harmless) and `ProgressOnboarding`
(status completed) to the user.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime

from commands.core import Command, Conflict, Decider, Forbidden, NotFound, RuleViolation
from commands.identity.events import (
    InvitationAccepted,
    InvitationCreated,
    InvitationExpired,
    InvitationRevoked,
    MembershipRole,
)
from commands.identity.fields import Actor, Email

InvitationStatus = Literal["pending", "accepted", "revoked", "expired"]
VALID_FOR = timedelta(days=7)


class InvitationNotPending(RuleViolation):
    def __init__(self, invitation_id: UUID | None, status: InvitationStatus, action: str) -> None:
        super().__init__(f"invitation {invitation_id} is {status}: only a pending invitation can be {action}",
                         invitation_id=str(invitation_id), invitation_status=status)


class InvitationHasExpired(RuleViolation):
    def __init__(self, invitation_id: UUID | None, expires_at: datetime | None) -> None:
        super().__init__(f"invitation {invitation_id} expired at {expires_at}; ask for a new invitation",
                         invitation_id=str(invitation_id), expires_at=str(expires_at))


class InvitationEmailMismatch(Forbidden):
    def __init__(self, invitation_id: UUID | None) -> None:
        super().__init__(f"invitation {invitation_id} was sent to another email address",
                         invitation_id=str(invitation_id))


class _InvitationCommand(Command):
    invitation_id: UUID
    by: Actor
    at: AwareDatetime


class CreateInvitation(_InvitationCommand):
    email: Email
    organization_id: UUID
    company_id: UUID | None = None
    role: MembershipRole


class AcceptInvitation(_InvitationCommand):
    """`user_email` is the accepting user's email, looked up by the caller; it must be the invited one."""

    user_id: UUID
    user_email: Email


class RevokeInvitation(_InvitationCommand):
    pass


class ExpireInvitation(_InvitationCommand):
    """Sent by the scheduler; a no-op unless the invitation is pending and past its expiry."""


InvitationCommand = CreateInvitation | AcceptInvitation | RevokeInvitation | ExpireInvitation
InvitationEvent = InvitationCreated | InvitationAccepted | InvitationRevoked | InvitationExpired


@dataclass(frozen=True)
class Invitation:
    exists: bool = False
    id: UUID | None = None
    status: InvitationStatus = "pending"
    email: str = ""
    organization_id: UUID | None = None
    company_id: UUID | None = None
    role: MembershipRole = "hiring_manager"
    expires_at: datetime | None = None
    accepted_by: UUID | None = None


def initial_state() -> Invitation:
    return Invitation()


def evolve(s: Invitation, e: InvitationEvent) -> Invitation:
    match e:
        case InvitationCreated():
            return Invitation(exists=True, id=e.invitation_id, email=e.email, organization_id=e.organization_id,
                              company_id=e.company_id, role=e.role, expires_at=e.expires_at)
        case InvitationAccepted(user_id=user_id):
            return replace(s, status="accepted", accepted_by=user_id)
        case InvitationRevoked():
            return replace(s, status="revoked")
        case InvitationExpired():
            return replace(s, status="expired")
        case _:
            return s


def decide(cmd: InvitationCommand, s: Invitation) -> list[InvitationEvent]:
    match cmd:
        case CreateInvitation() if s.exists:
            raise Conflict(f"invitation {cmd.invitation_id} already exists", invitation_id=str(cmd.invitation_id))
        case CreateInvitation():
            return [InvitationCreated(invitation_id=cmd.invitation_id, email=cmd.email,
                                      organization_id=cmd.organization_id, company_id=cmd.company_id,
                                      role=cmd.role, invited_by=cmd.by, expires_at=cmd.at + VALID_FOR, at=cmd.at)]
        case _ if not s.exists:
            raise NotFound(f"invitation {cmd.invitation_id} does not exist", invitation_id=str(cmd.invitation_id))
        case AcceptInvitation():
            return _accept(cmd, s)
        case RevokeInvitation() if s.status == "revoked":
            return []  # a retried revoke records nothing
        case RevokeInvitation() if s.status != "pending":
            raise InvitationNotPending(s.id, s.status, "revoked")
        case RevokeInvitation():
            return [InvitationRevoked(invitation_id=cmd.invitation_id, by=cmd.by, at=cmd.at)]
        case ExpireInvitation(at=at) if s.status != "pending" or s.expires_at is None or at < s.expires_at:
            return []
        case ExpireInvitation():
            assert s.expires_at is not None
            return [InvitationExpired(invitation_id=cmd.invitation_id, expires_at=s.expires_at, by=cmd.by, at=cmd.at)]
        case _:
            raise TypeError(f"the invitation decider has no case for {type(cmd).__name__}")


def _accept(cmd: AcceptInvitation, s: Invitation) -> list[InvitationEvent]:
    # The email is checked first so that someone else's attempt learns nothing about the invitation.
    if cmd.user_email != s.email:
        raise InvitationEmailMismatch(s.id)
    if s.status == "accepted" and s.accepted_by == cmd.user_id:
        return []  # a retried accept records nothing
    if s.status != "pending":
        raise InvitationNotPending(s.id, s.status, "accepted")
    assert s.expires_at is not None and s.organization_id is not None
    if cmd.at >= s.expires_at:
        raise InvitationHasExpired(s.id, s.expires_at)
    return [InvitationAccepted(invitation_id=cmd.invitation_id, organization_id=s.organization_id,
                               company_id=s.company_id, role=s.role, user_id=cmd.user_id, email=s.email,
                               by=cmd.by, at=cmd.at)]


invitation: Decider[InvitationCommand, InvitationEvent, Invitation] = Decider(
    "invitation",
    initial_state,
    evolve,
    decide,
    events=(InvitationCreated, InvitationAccepted, InvitationRevoked, InvitationExpired),
)
