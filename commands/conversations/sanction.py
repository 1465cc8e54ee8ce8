"""A user's messaging sanctions (domain §3.5 `chat_moderation_audit`) on `messagingsanctions-<user id>`.

A platform admin warns a user, mutes them until a moment, suspends their messaging until lifted, or lifts what
is in force; each action names the admin and a reason, and may name the report it resolves. The stream is the
user's moderation trail; the conversation routes read it (`Sanctions.in_force`) before a send, so a sanction holds
from its answer on.

Decisions where the domain is silent:
- a mute lasts from one hour to MAX_MUTE; a new mute replaces the one in force (shorter or longer: the admin's
  latest word), and a mute past its end has ended without an event (the decider compares with the command's
  moment);
- a suspension replaces a mute; a muted or warned user may be suspended, but a suspended user is not muted
  (422 `messaging_suspended`: lift the suspension first) nor suspended again (409
  `messaging_already_suspended`);
- a warning is always recorded, whatever is in force: it is a note to the user and to the trail;
- lifting needs something in force (422 `no_messaging_sanction`);
- the domain's `ban_user` is the identity context's suspension of the account, not a messaging sanction;
- no admin sanctions themself (403 `cannot_sanction_yourself`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Self
from uuid import UUID

from pydantic import AwareDatetime, model_validator

from commands.conversations.report import Reason
from commands.conversations.sanction_events import (
    MessagingSanctionLifted,
    MessagingUserMuted,
    MessagingUserSuspended,
    MessagingUserWarned,
    Restriction,
    SanctionEvent,
)
from commands.core import Command, Conflict, Decider, Forbidden, RuleViolation

MIN_MUTE = timedelta(hours=1)
MAX_MUTE = timedelta(days=365)


class _SanctionCommand(Command):
    user_id: UUID
    sanction_id: UUID
    reason: Reason
    admin_id: UUID
    at: AwareDatetime


class WarnUser(_SanctionCommand):
    report_id: UUID | None = None


class MuteUser(_SanctionCommand):
    report_id: UUID | None = None
    until: AwareDatetime

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if not MIN_MUTE <= self.until - self.at <= MAX_MUTE:
            raise ValueError("a mute lasts from one hour to 365 days")
        return self


class SuspendMessaging(_SanctionCommand):
    report_id: UUID | None = None


class LiftSanction(_SanctionCommand):
    pass


SanctionCommand = WarnUser | MuteUser | SuspendMessaging | LiftSanction


class CannotSanctionYourself(Forbidden):
    code = "cannot_sanction_yourself"

    def __init__(self) -> None:
        super().__init__("an admin does not sanction themself")


class MessagingSuspended(RuleViolation):
    code = "messaging_suspended"

    def __init__(self, user_id: UUID) -> None:
        super().__init__(f"user {user_id}'s messaging is suspended: lift the suspension first", user_id=str(user_id))


class AlreadySuspended(Conflict):
    code = "messaging_already_suspended"

    def __init__(self, user_id: UUID) -> None:
        super().__init__(f"user {user_id}'s messaging is already suspended", user_id=str(user_id))


class NothingToLift(RuleViolation):
    code = "no_messaging_sanction"

    def __init__(self, user_id: UUID) -> None:
        super().__init__(f"user {user_id} is neither muted nor suspended", user_id=str(user_id))


@dataclass(frozen=True)
class Sanctions:
    restriction: Restriction | None = None
    until: datetime | None = None  # a mute's end

    def in_force(self, at: datetime) -> Restriction | None:
        if self.restriction == "mute" and self.until is not None and self.until <= at:
            return None
        return self.restriction


def initial_state() -> Sanctions:
    return Sanctions()


def evolve(s: Sanctions, e: SanctionEvent) -> Sanctions:
    match e:
        case MessagingUserMuted():
            return Sanctions("mute", e.until)
        case MessagingUserSuspended():
            return Sanctions("suspend_messaging")
        case MessagingSanctionLifted():
            return Sanctions()
    return s


def decide(cmd: SanctionCommand, s: Sanctions) -> list[SanctionEvent]:
    if cmd.admin_id == cmd.user_id:
        raise CannotSanctionYourself()
    in_force = s.in_force(cmd.at)
    common = {"user_id": cmd.user_id, "sanction_id": cmd.sanction_id, "reason": cmd.reason, "admin_id": cmd.admin_id,
              "at": cmd.at}
    match cmd:
        case WarnUser():
            return [MessagingUserWarned(**common, report_id=cmd.report_id)]
        case MuteUser() if in_force == "suspend_messaging":
            raise MessagingSuspended(cmd.user_id)
        case MuteUser():
            return [MessagingUserMuted(**common, report_id=cmd.report_id, until=cmd.until)]
        case SuspendMessaging() if in_force == "suspend_messaging":
            raise AlreadySuspended(cmd.user_id)
        case SuspendMessaging():
            return [MessagingUserSuspended(**common, report_id=cmd.report_id)]
        case LiftSanction() if in_force is None:
            raise NothingToLift(cmd.user_id)
        case LiftSanction():
            return [MessagingSanctionLifted(**common, lifted=in_force)]
    raise TypeError(f"the sanctions decider has no case for {type(cmd).__name__}")


messaging_sanctions: Decider[SanctionCommand, SanctionEvent, Sanctions] = Decider(
    "messagingsanctions", initial_state, evolve, decide,
    events=(MessagingUserWarned, MessagingUserMuted, MessagingUserSuspended, MessagingSanctionLifted),
)
