"""The role rules of a firm (domain §2.4, §3.3, §4.4) and the errors that enforce them.

Who may do what is judged from the firm's own state by the decider in commands/network/firm.py, which
re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from uuid import UUID

from commands.core import Conflict, Forbidden, RuleViolation
from commands.network.firm_events import FirmInvitationStatus, FirmRole

INVITATION_VALID_FOR = timedelta(days=7)
# The roles each role manages: invites to, removes from, and changes to or from.
MANAGES: Mapping[FirmRole, frozenset[FirmRole]] = {
    "owner": frozenset({"admin", "member"}),
    "admin": frozenset({"member"}),
    "member": frozenset(),
}
TAKE_RATE_SETTERS: frozenset[FirmRole] = frozenset({"owner", "admin"})


class FirmCreationNotAllowed(Forbidden):
    def __init__(self, firm_id: UUID) -> None:
        super().__init__("creating a firm needs a plan with the firm_creation entitlement (Partner)",
                         firm_id=str(firm_id))


class FirmRoleRequired(Forbidden):
    def __init__(self, firm_id: UUID | None, user_id: UUID | None, role: FirmRole | None, action: str) -> None:
        who = f"a {role}" if role else "not a member"
        super().__init__(f"user {user_id} is {who} of firm {firm_id} and may not {action}",
                         firm_id=str(firm_id), user_id=str(user_id) if user_id else None, firm_role=role)


class FirmIsSuspended(RuleViolation):
    def __init__(self, firm_id: UUID | None, action: str) -> None:
        super().__init__(f"firm {firm_id} is suspended: it cannot {action} until it is reactivated",
                         firm_id=str(firm_id))


class FirmOwnerCannotBeRemoved(RuleViolation):
    def __init__(self, firm_id: UUID | None, user_id: UUID) -> None:
        super().__init__(f"user {user_id} owns firm {firm_id}; transfer the ownership before removing them",
                         firm_id=str(firm_id), user_id=str(user_id))


class FirmOwnershipTargetNotAllowed(RuleViolation):
    def __init__(self, firm_id: UUID | None, user_id: UUID, why: str) -> None:
        super().__init__(f"firm {firm_id} cannot be transferred to user {user_id}: {why}",
                         firm_id=str(firm_id), user_id=str(user_id))


class AlreadyFirmMember(Conflict):
    def __init__(self, firm_id: UUID | None, user_id: UUID, role: FirmRole) -> None:
        super().__init__(f"user {user_id} is already a {role} of firm {firm_id}; change their role instead",
                         firm_id=str(firm_id), user_id=str(user_id), firm_role=role)


class FirmInvitationNotPending(RuleViolation):
    def __init__(self, invitation_id: UUID, status: FirmInvitationStatus, action: str) -> None:
        super().__init__(f"firm invitation {invitation_id} is {status}: only a pending invitation can be {action}",
                         invitation_id=str(invitation_id), invitation_status=status)


class FirmInvitationHasExpired(RuleViolation):
    def __init__(self, invitation_id: UUID, expires_at: datetime) -> None:
        super().__init__(f"firm invitation {invitation_id} expired at {expires_at}; ask for a new invitation",
                         invitation_id=str(invitation_id), expires_at=str(expires_at))


class FirmInvitationEmailMismatch(Forbidden):
    def __init__(self, invitation_id: UUID) -> None:
        super().__init__(f"firm invitation {invitation_id} was sent to another email address",
                         invitation_id=str(invitation_id))
