"""A recruiter invites a company to the platform (domain §3.3 CompanyPlatformInvitation, §4.4, §5.2).

One stream per invitation, `company_invitation-<invitation_id>`. The invitation carries a short invite code
(`SPLITS-XXXXXX`, for reading out) and a link token (HMAC of the invitation id with the token secret, as for
candidate invitations; only its digest is recorded). It is valid 30 days.

Acceptance is by a signed-in user holding the link's token. The route makes the organization (with the user as
its company admin) and its company first, with the existing identity and ats commands, at ids derived from the
invitation so that a retried acceptance lands on the same streams; `CompanyPlatformInvitationAccepted` then
names them, and the process managers make the inviting recruiter the company's sourcer (ats) and an active
`sourcer` relationship between them (network).

What we decided where the domain is silent: an expired invitation is not recorded as such (its status is read
from `expires_at`), and neither an expired nor a revoked one can be accepted or revoked again; the recruiter's
own account cannot accept it; once accepted by one user, another user's acceptance is a 409.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, StringConstraints

from commands.core import Command, Conflict, Decider, Forbidden, NotFound, RuleViolation
from commands.identity.fields import Actor, Email
from commands.network.company_invitation_events import (
    CompanyInvitationStatus,
    CompanyPlatformInvitationAccepted,
    CompanyPlatformInvitationCreated,
    CompanyPlatformInvitationRevoked,
)
from commands.network.recruiter import recruiter_id_for
from commands.network.recruiter_code import CODE_ALPHABET

VALID_FOR = timedelta(days=30)
INVITE_CODE_PATTERN = rf"^SPLITS-[{CODE_ALPHABET}]{{6}}$"
InviteCode = Annotated[str, StringConstraints(pattern=INVITE_CODE_PATTERN)]
Token = Annotated[str, StringConstraints(min_length=32, max_length=256)]
Hint = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=r"^[^\x00]*$")]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000,
                                           pattern=r"^[^\x00]*$")]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationNotPending(RuleViolation):
    code = "invitation_not_pending"

    def __init__(self, invitation_id: UUID | None, status: CompanyInvitationStatus, action: str) -> None:
        super().__init__(f"invitation {invitation_id} is {status}: it can no longer be {action}",
                         invitation_id=str(invitation_id), invitation_status=status)


class InvitationTokenMismatch(Forbidden):
    code = "invitation_token_mismatch"


class OwnInvitation(RuleViolation):
    code = "own_invitation"


class InviteCompanyToPlatform(Command):
    invitation_id: UUID
    recruiter_id: UUID
    invite_code: InviteCode
    token: Token
    invited_email: Email
    company_name_hint: Hint | None = None
    personal_message: Message | None = None
    by: Actor
    at: AwareDatetime


class RevokeCompanyInvitation(Command):
    invitation_id: UUID
    by_recruiter_id: UUID
    by: Actor
    at: AwareDatetime


class AcceptCompanyInvitation(Command):
    invitation_id: UUID
    token: Token
    user_id: UUID
    organization_id: UUID
    company_id: UUID
    by: Actor
    at: AwareDatetime


CompanyInvitationCommand = InviteCompanyToPlatform | RevokeCompanyInvitation | AcceptCompanyInvitation
CompanyInvitationEvent = (CompanyPlatformInvitationCreated | CompanyPlatformInvitationRevoked
                          | CompanyPlatformInvitationAccepted)


@dataclass(frozen=True)
class CompanyInvitation:
    exists: bool = False
    id: UUID | None = None
    recruiter_id: UUID | None = None
    invite_code: str | None = None
    token_digest: str = ""
    invited_email: str | None = None
    expires_at: datetime | None = None
    recorded_status: CompanyInvitationStatus = "pending"
    accepted_by_user_id: UUID | None = None
    organization_id: UUID | None = None
    company_id: UUID | None = None

    def status_at(self, at: datetime) -> CompanyInvitationStatus:
        if self.recorded_status == "pending" and self.expires_at is not None and at >= self.expires_at:
            return "expired"
        return self.recorded_status


def initial_state() -> CompanyInvitation:
    return CompanyInvitation()


def evolve(s: CompanyInvitation, e: CompanyInvitationEvent) -> CompanyInvitation:
    match e:
        case CompanyPlatformInvitationCreated():
            return CompanyInvitation(True, e.invitation_id, e.recruiter_id, e.invite_code, e.token_digest,
                                     e.invited_email, e.expires_at)
        case CompanyPlatformInvitationRevoked():
            return replace(s, recorded_status="revoked")
        case CompanyPlatformInvitationAccepted():
            return replace(s, recorded_status="accepted", accepted_by_user_id=e.accepted_by_user_id,
                           organization_id=e.organization_id, company_id=e.company_id)
        case _:
            return s


def decide(cmd: CompanyInvitationCommand, s: CompanyInvitation) -> list[CompanyInvitationEvent]:
    match cmd:
        case InviteCompanyToPlatform():
            return _invite(cmd, s)
        case _ if not s.exists:
            raise NotFound(f"invitation {cmd.invitation_id} not found", invitation_id=str(cmd.invitation_id))
        case RevokeCompanyInvitation():
            return _revoke(cmd, s)
        case AcceptCompanyInvitation():
            return _accept(cmd, s)
    raise TypeError(f"the company_invitation decider has no case for {type(cmd).__name__}")


def _invite(cmd: InviteCompanyToPlatform, s: CompanyInvitation) -> list[CompanyInvitationEvent]:
    digest = token_digest(cmd.token)
    if s.exists:
        if hmac.compare_digest(digest, s.token_digest) and s.recruiter_id == cmd.recruiter_id:
            return []  # a retried invitation records nothing
        raise Conflict(f"invitation {cmd.invitation_id} already exists", invitation_id=str(cmd.invitation_id))
    return [CompanyPlatformInvitationCreated(
        invitation_id=cmd.invitation_id, recruiter_id=cmd.recruiter_id, invite_code=cmd.invite_code,
        token_digest=digest, invited_email=cmd.invited_email, company_name_hint=cmd.company_name_hint,
        personal_message=cmd.personal_message, expires_at=cmd.at + VALID_FOR, by=cmd.by, at=cmd.at)]


def _revoke(cmd: RevokeCompanyInvitation, s: CompanyInvitation) -> list[CompanyInvitationEvent]:
    if cmd.by_recruiter_id != s.recruiter_id:
        raise Forbidden(f"only the recruiter who sent invitation {s.id} can revoke it", invitation_id=str(s.id))
    status = s.status_at(cmd.at)
    if status == "revoked":
        return []  # a retried revocation records nothing
    if status != "pending":
        raise InvitationNotPending(s.id, status, "revoked")
    return [CompanyPlatformInvitationRevoked(invitation_id=s.id, recruiter_id=s.recruiter_id, by=cmd.by, at=cmd.at)]


def _accept(cmd: AcceptCompanyInvitation, s: CompanyInvitation) -> list[CompanyInvitationEvent]:
    if not hmac.compare_digest(token_digest(cmd.token), s.token_digest):
        raise InvitationTokenMismatch("this is not the token of the invitation", invitation_id=str(s.id))
    if s.recorded_status == "accepted":
        if s.accepted_by_user_id == cmd.user_id:
            return []  # a retried acceptance records nothing
        raise Conflict(f"invitation {s.id} was accepted by someone else", invitation_id=str(s.id))
    status = s.status_at(cmd.at)
    if status != "pending":
        raise InvitationNotPending(s.id, status, "accepted")
    if s.recruiter_id == recruiter_id_for(cmd.user_id):
        raise OwnInvitation("a recruiter cannot accept their own company invitation", invitation_id=str(s.id))
    assert s.recruiter_id is not None
    return [CompanyPlatformInvitationAccepted(
        invitation_id=cmd.invitation_id, recruiter_id=s.recruiter_id, accepted_by_user_id=cmd.user_id,
        organization_id=cmd.organization_id, company_id=cmd.company_id, by=cmd.by, at=cmd.at)]


company_invitation: Decider[CompanyInvitationCommand, CompanyInvitationEvent, CompanyInvitation] = Decider(
    "company_invitation", initial_state, evolve, decide,
    events=(CompanyPlatformInvitationCreated, CompanyPlatformInvitationRevoked, CompanyPlatformInvitationAccepted),
)
