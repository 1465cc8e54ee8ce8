"""The firm decider: a recruiting firm, its members, their roles, the admin take rate and the
invitations to join (domain §2.4, §3.3, §4.4, §13).

Members and invitations live in the firm's stream, so every role rule is checked against one
consistent state and accepting an invitation adds the member in the same append. Members are keyed
by user id; each member's recruiter is `recruiter_id_for(user_id)`.

Who may do what, judged from the firm's own state (`by_user_id`), never from elsewhere:
  * the owner manages admins and members, sets the take rate and transfers ownership;
  * an admin manages members (not other admins) and sets the take rate;
  * a member may only leave; the owner cannot be removed (transfer ownership first);
  * a platform admin acts with the owner's authority, and alone suspends and reactivates.
A suspended firm does not grow and does not change its take rate; it may still shrink, revoke
invitations and hand ownership to someone whose plan allows firms.

The role table and the errors are in commands/network/firm_rules.py, the commands in
commands/network/firm_commands.py; both are re-exported here so a caller imports one module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from commands.core import Conflict, Decider, NotFound, RuleViolation
from commands.network.firm_commands import (
    AcceptFirmInvitation,
    ActingCommand,
    ChangeFirmMemberRole,
    CreateFirm,
    ExpireFirmInvitation,
    FirmCommand,
    InviteToFirm,
    ReactivateFirm,
    RemoveFirmMember,
    RevokeFirmInvitation,
    SetFirmAdminTakeRate,
    SuspendFirm,
    TakeRateBps,
    TransferFirmOwnership,
)
from commands.network.firm_events import (
    FirmAdminTakeRateSet,
    FirmCreated,
    FirmInvitationAccepted,
    FirmInvitationCreated,
    FirmInvitationExpired,
    FirmInvitationRevoked,
    FirmInvitationRole,
    FirmInvitationStatus,
    FirmMemberAdded,
    FirmMemberRemoved,
    FirmMemberRoleChanged,
    FirmOwnershipTransferred,
    FirmReactivated,
    FirmRole,
    FirmStatus,
    FirmSuspended,
)
from commands.network.firm_rules import (
    INVITATION_VALID_FOR,
    MANAGES,
    TAKE_RATE_SETTERS,
    AlreadyFirmMember,
    FirmCreationNotAllowed,
    FirmInvitationEmailMismatch,
    FirmInvitationHasExpired,
    FirmInvitationNotPending,
    FirmIsSuspended,
    FirmOwnerCannotBeRemoved,
    FirmOwnershipTargetNotAllowed,
    FirmRoleRequired,
)
from commands.network.recruiter import recruiter_id_for

__all__ = [
    "INVITATION_VALID_FOR", "MANAGES", "TAKE_RATE_SETTERS",
    "AcceptFirmInvitation", "AlreadyFirmMember", "ChangeFirmMemberRole", "CreateFirm", "ExpireFirmInvitation",
    "Firm", "FirmCommand", "FirmCreationNotAllowed", "FirmEvent", "FirmInvitation", "FirmInvitationEmailMismatch",
    "FirmInvitationHasExpired", "FirmInvitationNotPending", "FirmIsSuspended", "FirmOwnerCannotBeRemoved",
    "FirmOwnershipTargetNotAllowed", "FirmRoleRequired", "InviteToFirm", "ReactivateFirm", "RemoveFirmMember",
    "RevokeFirmInvitation", "SetFirmAdminTakeRate", "SuspendFirm", "TakeRateBps", "TransferFirmOwnership",
    "decide", "evolve", "firm", "initial_state",
]

FirmEvent = (
    FirmCreated | FirmMemberAdded | FirmMemberRoleChanged | FirmMemberRemoved | FirmOwnershipTransferred
    | FirmAdminTakeRateSet | FirmSuspended | FirmReactivated | FirmInvitationCreated | FirmInvitationAccepted
    | FirmInvitationRevoked | FirmInvitationExpired
)


@dataclass(frozen=True)
class FirmInvitation:
    id: UUID
    email: str
    role: FirmInvitationRole
    expires_at: datetime
    status: FirmInvitationStatus = "pending"
    accepted_by: UUID | None = None


@dataclass(frozen=True)
class Firm:
    exists: bool = False
    id: UUID | None = None
    name: str = ""
    slug: str = ""
    status: FirmStatus = "active"
    owner_user_id: UUID | None = None
    admin_take_rate_bps: int = 0
    members: Mapping[UUID, FirmRole] = field(default_factory=dict)
    invitations: Mapping[UUID, FirmInvitation] = field(default_factory=dict)
    created_with: tuple[str, str, UUID, int] | None = None  # (name, slug, creator, take rate): spots a retry


def initial_state() -> Firm:
    return Firm()


def evolve(s: Firm, e: FirmEvent) -> Firm:
    match e:
        case FirmCreated():
            return Firm(exists=True, id=e.firm_id, name=e.name, slug=e.slug, owner_user_id=e.owner_user_id,
                        admin_take_rate_bps=e.admin_take_rate_bps,
                        created_with=(e.name, e.slug, e.owner_user_id, e.admin_take_rate_bps))
        case FirmMemberAdded(role=role) | FirmMemberRoleChanged(to_role=role):
            return replace(s, members={**s.members, e.user_id: role})
        case FirmMemberRemoved(user_id=user_id):
            return replace(s, members={k: v for k, v in s.members.items() if k != user_id})
        case FirmOwnershipTransferred(from_user_id=old, to_user_id=new):
            return replace(s, owner_user_id=new, members={**s.members, old: "admin", new: "owner"})
        case FirmAdminTakeRateSet(to_bps=bps):
            return replace(s, admin_take_rate_bps=bps)
        case FirmSuspended():
            return replace(s, status="suspended")
        case FirmReactivated():
            return replace(s, status="active")
        case FirmInvitationCreated():
            invitation = FirmInvitation(id=e.invitation_id, email=e.email, role=e.role, expires_at=e.expires_at)
            return replace(s, invitations={**s.invitations, e.invitation_id: invitation})
        case FirmInvitationAccepted(user_id=user_id):
            return _invitation_is(s, e.invitation_id, "accepted", accepted_by=user_id)
        case FirmInvitationRevoked():
            return _invitation_is(s, e.invitation_id, "revoked")
        case FirmInvitationExpired():
            return _invitation_is(s, e.invitation_id, "expired")
        case _:
            return s


def _invitation_is(s: Firm, invitation_id: UUID, status: FirmInvitationStatus, **changes: UUID) -> Firm:
    invitation = replace(s.invitations[invitation_id], status=status, **changes)
    return replace(s, invitations={**s.invitations, invitation_id: invitation})


def decide(cmd: FirmCommand, s: Firm) -> list[FirmEvent]:
    match cmd:
        case CreateFirm():
            return _create(cmd, s)
        case _ if not s.exists:
            raise NotFound(f"firm {cmd.firm_id} does not exist", firm_id=str(cmd.firm_id))
        case SuspendFirm() | ReactivateFirm() if not cmd.is_platform_admin:
            raise FirmRoleRequired(s.id, cmd.by_user_id, _role(cmd, s), "suspend or reactivate it")
        case SuspendFirm() if s.status == "suspended":
            return []
        case SuspendFirm():
            return [FirmSuspended(firm_id=cmd.firm_id, reason=cmd.reason, by=cmd.by, at=cmd.at)]
        case ReactivateFirm() if s.status == "active":
            return []
        case ReactivateFirm():
            return [FirmReactivated(firm_id=cmd.firm_id, by=cmd.by, at=cmd.at)]
        case SetFirmAdminTakeRate():
            return _set_take_rate(cmd, s)
        case InviteToFirm():
            return _invite(cmd, s)
        case AcceptFirmInvitation():
            return _accept(cmd, s)
        case RevokeFirmInvitation():
            invitation = _invitation(s, cmd.invitation_id)
            _require_manages(cmd, s, invitation.role, f"revoke an invitation as {invitation.role}")
            if invitation.status == "revoked":
                return []  # a retried revoke records nothing
            if invitation.status != "pending":
                raise FirmInvitationNotPending(invitation.id, invitation.status, "revoked")
            return [FirmInvitationRevoked(firm_id=cmd.firm_id, invitation_id=invitation.id, by=cmd.by, at=cmd.at)]
        case ExpireFirmInvitation():
            invitation = _invitation(s, cmd.invitation_id)
            if invitation.status != "pending" or cmd.at < invitation.expires_at:
                return []
            return [FirmInvitationExpired(firm_id=cmd.firm_id, invitation_id=invitation.id,
                                          expires_at=invitation.expires_at, by=cmd.by, at=cmd.at)]
        case ChangeFirmMemberRole():
            return _change_role(cmd, s)
        case RemoveFirmMember():
            return _remove(cmd, s)
        case TransferFirmOwnership():
            return _transfer(cmd, s)
        case _:
            raise TypeError(f"the firm decider has no case for {type(cmd).__name__}")


def _create(cmd: CreateFirm, s: Firm) -> list[FirmEvent]:
    if s.exists:
        if s.created_with == (cmd.name, cmd.slug, cmd.by_user_id, cmd.admin_take_rate_bps):
            return []  # a retried creation records nothing
        raise Conflict(f"firm {cmd.firm_id} already exists", firm_id=str(cmd.firm_id))
    if not cmd.may_create_firms:
        raise FirmCreationNotAllowed(cmd.firm_id)
    return [FirmCreated(firm_id=cmd.firm_id, name=cmd.name, slug=cmd.slug, owner_user_id=cmd.by_user_id,
                        admin_take_rate_bps=cmd.admin_take_rate_bps, by=cmd.by, at=cmd.at),
            FirmMemberAdded(firm_id=cmd.firm_id, user_id=cmd.by_user_id, recruiter_id=recruiter_id_for(cmd.by_user_id),
                            role="owner", invitation_id=None, by=cmd.by, at=cmd.at)]


def _set_take_rate(cmd: SetFirmAdminTakeRate, s: Firm) -> list[FirmEvent]:
    if _role(cmd, s) not in TAKE_RATE_SETTERS:
        raise FirmRoleRequired(s.id, cmd.by_user_id, _role(cmd, s), "set the admin take rate")
    if cmd.admin_take_rate_bps == s.admin_take_rate_bps:
        return []
    if s.status == "suspended":
        raise FirmIsSuspended(s.id, "change its admin take rate")
    return [FirmAdminTakeRateSet(firm_id=cmd.firm_id, from_bps=s.admin_take_rate_bps,
                                 to_bps=cmd.admin_take_rate_bps, by=cmd.by, at=cmd.at)]


def _invite(cmd: InviteToFirm, s: Firm) -> list[FirmEvent]:
    _require_manages(cmd, s, cmd.role, f"invite a new {cmd.role}")
    existing = s.invitations.get(cmd.invitation_id)
    if existing is not None:
        if (existing.email, existing.role) == (cmd.email, cmd.role):
            return []  # a retried invitation records nothing
        raise Conflict(f"firm invitation {cmd.invitation_id} already exists", invitation_id=str(cmd.invitation_id))
    if s.status == "suspended":
        raise FirmIsSuspended(s.id, "invite new members")
    for other in s.invitations.values():
        if other.email == cmd.email and other.status == "pending" and cmd.at < other.expires_at:
            raise Conflict(f"{cmd.email} already has a pending invitation to firm {s.id}; revoke it first",
                           firm_id=str(s.id), invitation_id=str(other.id))
    return [FirmInvitationCreated(firm_id=cmd.firm_id, invitation_id=cmd.invitation_id, email=cmd.email,
                                  role=cmd.role, invited_by_user_id=cmd.by_user_id,
                                  expires_at=cmd.at + INVITATION_VALID_FOR, by=cmd.by, at=cmd.at)]


def _accept(cmd: AcceptFirmInvitation, s: Firm) -> list[FirmEvent]:
    invitation = _invitation(s, cmd.invitation_id)
    # The email is checked first so that someone else's attempt learns nothing about the invitation.
    if cmd.user_email != invitation.email:
        raise FirmInvitationEmailMismatch(invitation.id)
    if invitation.status == "accepted" and invitation.accepted_by == cmd.user_id:
        return []  # a retried accept records nothing
    if invitation.status != "pending":
        raise FirmInvitationNotPending(invitation.id, invitation.status, "accepted")
    if cmd.at >= invitation.expires_at:
        raise FirmInvitationHasExpired(invitation.id, invitation.expires_at)
    if s.status == "suspended":
        raise FirmIsSuspended(s.id, "take new members")
    if (current := s.members.get(cmd.user_id)) is not None:
        raise AlreadyFirmMember(s.id, cmd.user_id, current)
    return [FirmInvitationAccepted(firm_id=cmd.firm_id, invitation_id=invitation.id, email=invitation.email,
                                   role=invitation.role, user_id=cmd.user_id, by=cmd.by, at=cmd.at),
            FirmMemberAdded(firm_id=cmd.firm_id, user_id=cmd.user_id, recruiter_id=recruiter_id_for(cmd.user_id),
                            role=invitation.role, invitation_id=invitation.id, by=cmd.by, at=cmd.at)]


def _change_role(cmd: ChangeFirmMemberRole, s: Firm) -> list[FirmEvent]:
    current = s.members.get(cmd.user_id)
    if current is None:
        raise NotFound(f"user {cmd.user_id} is not a member of firm {s.id}", firm_id=str(s.id),
                       user_id=str(cmd.user_id))
    if current == "owner":
        raise RuleViolation(f"user {cmd.user_id} owns firm {s.id}: transfer the ownership to change their role",
                            firm_id=str(s.id), user_id=str(cmd.user_id))
    _require_manages(cmd, s, current, f"change the role of a {current}")
    _require_manages(cmd, s, cmd.role, f"make someone a {cmd.role}")
    if current == cmd.role:
        return []
    return [FirmMemberRoleChanged(firm_id=cmd.firm_id, user_id=cmd.user_id, recruiter_id=recruiter_id_for(cmd.user_id),
                                  from_role=current, to_role=cmd.role, by=cmd.by, at=cmd.at)]


def _remove(cmd: RemoveFirmMember, s: Firm) -> list[FirmEvent]:
    leaving = cmd.by_user_id == cmd.user_id
    current = s.members.get(cmd.user_id)
    if current == "owner":
        raise FirmOwnerCannotBeRemoved(s.id, cmd.user_id)
    if current is None:
        if leaving or MANAGES[_role(cmd, s) or "member"]:
            return []  # already gone: a retried removal records nothing
        raise FirmRoleRequired(s.id, cmd.by_user_id, _role(cmd, s), "remove members")
    if not leaving:
        _require_manages(cmd, s, current, f"remove a {current}")
    return [FirmMemberRemoved(firm_id=cmd.firm_id, user_id=cmd.user_id, recruiter_id=recruiter_id_for(cmd.user_id),
                              role=current, by=cmd.by, at=cmd.at)]


def _transfer(cmd: TransferFirmOwnership, s: Firm) -> list[FirmEvent]:
    if cmd.to_user_id == s.owner_user_id:
        return []  # already theirs: a retried transfer (its sender is no longer the owner) records nothing
    if _role(cmd, s) != "owner":
        raise FirmRoleRequired(s.id, cmd.by_user_id, _role(cmd, s), "transfer its ownership")
    assert s.owner_user_id is not None
    if cmd.to_user_id not in s.members:
        raise FirmOwnershipTargetNotAllowed(s.id, cmd.to_user_id, "they are not a member")
    if not cmd.target_may_create_firms:
        raise FirmOwnershipTargetNotAllowed(
            s.id, cmd.to_user_id, "their plan lacks the firm_creation entitlement (Partner)")
    return [FirmOwnershipTransferred(firm_id=cmd.firm_id, from_user_id=s.owner_user_id, to_user_id=cmd.to_user_id,
                                     by=cmd.by, at=cmd.at)]


def _role(cmd: ActingCommand, s: Firm) -> FirmRole | None:
    """The authority the acting user holds in the firm; a platform admin holds the owner's."""
    if cmd.is_platform_admin:
        return "owner"
    return s.members.get(cmd.by_user_id) if cmd.by_user_id is not None else None


def _require_manages(cmd: ActingCommand, s: Firm, role: FirmRole, action: str) -> None:
    actor = _role(cmd, s)
    if actor is None or role not in MANAGES[actor]:
        raise FirmRoleRequired(s.id, cmd.by_user_id, actor, action)


def _invitation(s: Firm, invitation_id: UUID) -> FirmInvitation:
    invitation = s.invitations.get(invitation_id)
    if invitation is None:
        raise NotFound(f"firm {s.id} has no invitation {invitation_id}", firm_id=str(s.id),
                       invitation_id=str(invitation_id))
    return invitation


firm: Decider[FirmCommand, FirmEvent, Firm] = Decider(
    "firm",
    initial_state,
    evolve,
    decide,
    events=(FirmCreated, FirmMemberAdded, FirmMemberRoleChanged, FirmMemberRemoved, FirmOwnershipTransferred,
            FirmAdminTakeRateSet, FirmSuspended, FirmReactivated, FirmInvitationCreated, FirmInvitationAccepted,
            FirmInvitationRevoked, FirmInvitationExpired),
)
