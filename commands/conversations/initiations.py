"""One user's conversation initiations, counted per calendar month against their plan's
`messaging_initiations_per_month` (domain §11, §13; the original's `messaging_initiation_counters`).

What we decided where the domain is silent:
- One stream per user (`messaging_initiations-<user id>`): the count is decided on the stream it is appended to,
  so two quick starts cannot both pass a limit of one (a read model a moment behind would let them).
- The period is the calendar month in UTC (`YYYY-MM`), not the billing period: the same for everyone, and a plan
  change within a month keeps what was counted.
- A conversation is counted once: counting it again (a retried start) records nothing and is never refused. Only
  a conversation that did not exist yet is counted; the route checks that on its stream first.
- The limit is the caller's to look up and pass in (`limit`, None for unlimited).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from commands.conversations.conversation_rules import InitiationLimitReached
from commands.conversations.initiation_events import ConversationInitiationCounted
from commands.core import Command, Decider

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def period_of(at: datetime) -> str:
    """The month `at` falls in, in UTC, as `YYYY-MM`."""
    return at.astimezone(UTC).strftime("%Y-%m")


class CountInitiation(Command):
    user_id: UUID
    conversation_id: UUID
    limit: Annotated[int, Field(ge=0)] | None  # None: unlimited
    by: Actor
    at: AwareDatetime


@dataclass(frozen=True)
class Initiations:
    counted: frozenset[UUID] = frozenset()
    per_period: dict[str, int] = field(default_factory=dict)


def initial_state() -> Initiations:
    return Initiations()


def evolve(s: Initiations, e: ConversationInitiationCounted) -> Initiations:
    return replace(s, counted=s.counted | {e.conversation_id},
                   per_period={**s.per_period, e.period: s.per_period.get(e.period, 0) + 1})


def decide(cmd: CountInitiation, s: Initiations) -> list[ConversationInitiationCounted]:
    if cmd.conversation_id in s.counted:
        return []
    period = period_of(cmd.at)
    if cmd.limit is not None and s.per_period.get(period, 0) >= cmd.limit:
        raise InitiationLimitReached(cmd.limit, period)
    return [ConversationInitiationCounted(user_id=cmd.user_id, conversation_id=cmd.conversation_id, period=period,
                                          at=cmd.at)]


initiations: Decider[CountInitiation, ConversationInitiationCounted, Initiations] = Decider(
    stream_type="messaging_initiations",
    initial_state=initial_state,
    evolve=evolve,
    decide=decide,
    events=(ConversationInitiationCounted,),
)
