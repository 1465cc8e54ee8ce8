"""An address email is no longer sent to, on `emailsuppression-<address id>` (issue 20 item 6).

A hard bounce (the receiving server says the mailbox does not exist) or a spam complaint suppresses the
address: the notifier records every later email to it as failed, with the reason, and sends nothing. A soft
bounce (a full mailbox, a server down) suppresses nothing: Resend retries those itself.

"Until it changes", decided where the issue is silent: the suppression belongs to the address, not to the
person, so a user whose email changes is emailed at the new address at once, and the old one stays suppressed
for whoever still uses it. The user whose current address it is may also clear it themselves (after fixing
their mailbox, or to take back a complaint); a later hard bounce or complaint suppresses it again. Suppressing
an address already suppressed, or clearing one that is not, records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, StringConstraints, model_validator

from commands.core import Command, Decider
from commands.notifications.addresses import address_id_for, normalized_address
from commands.notifications.delivery_events import EmailAddressSuppressed, EmailSuppressionCleared, SuppressionReason

Text = Annotated[str, StringConstraints(min_length=1)]


class SuppressAddress(Command):
    address_id: UUID
    address: Text
    reason: SuppressionReason
    provider_message_id: str | None = None
    svix_id: Text
    at: AwareDatetime

    @model_validator(mode="after")
    def _the_address_is_its_id(self) -> SuppressAddress:
        if address_id_for(self.address) != self.address_id:
            raise ValueError("the address id is not the id of the address")
        return self

    @classmethod
    def of(cls, address: str, **rest: object) -> SuppressAddress:
        bare = normalized_address(address)
        return cls(address_id=address_id_for(bare), address=bare, **rest)  # type: ignore[arg-type]


class ClearSuppression(Command):
    address_id: UUID
    by_user_id: UUID
    at: AwareDatetime


SuppressionCommand = SuppressAddress | ClearSuppression
SuppressionEvent = EmailAddressSuppressed | EmailSuppressionCleared


@dataclass(frozen=True)
class Suppression:
    suppressed: bool = False
    reason: SuppressionReason | None = None
    since: datetime | None = None


def initial_state() -> Suppression:
    return Suppression()


def evolve(s: Suppression, e: SuppressionEvent) -> Suppression:
    match e:
        case EmailAddressSuppressed():
            return Suppression(suppressed=True, reason=e.reason, since=e.at)
        case EmailSuppressionCleared():
            return Suppression()
    return s


def decide(cmd: SuppressionCommand, s: Suppression) -> list[SuppressionEvent]:
    match cmd:
        case SuppressAddress() if s.suppressed:
            return []
        case SuppressAddress():
            return [EmailAddressSuppressed(**cmd.model_dump())]
        case ClearSuppression() if not s.suppressed:
            return []
        case ClearSuppression():
            return [EmailSuppressionCleared(**cmd.model_dump())]
    raise TypeError(f"the suppression decider has no case for {type(cmd).__name__}")


suppression: Decider[SuppressionCommand, SuppressionEvent, Suppression] = Decider(
    "emailsuppression", initial_state, evolve, decide, events=(EmailAddressSuppressed, EmailSuppressionCleared)
)
