"""A person's engagement mail (domain §10 "cron engagement", §14): the scheduled emails they are due, one per
kind and period. The scheduler records each on the person's stream (`engagement-<user id>`); recording the same
kind and period again records nothing, whichever scheduler, pass or clock asks, so the notifications reactor
sends each once. Whether it is sent at all (plan, preference, something to say) is the reactor's to decide when
it writes the email."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, StringConstraints

from commands.core import Command, Decider
from commands.notifications.engagement_events import EngagementKind, EngagementMailDue

Period = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class RecordEngagementMailDue(Command):
    user_id: UUID
    kind: EngagementKind
    period: Period
    at: AwareDatetime


@dataclass(frozen=True)
class Engagement:
    recorded: frozenset[tuple[str, str]] = frozenset()  # (kind, period)


def initial_state() -> Engagement:
    return Engagement()


def evolve(s: Engagement, e: EngagementMailDue) -> Engagement:
    return Engagement(s.recorded | {(e.kind, e.period)})


def decide(cmd: RecordEngagementMailDue, s: Engagement) -> list[EngagementMailDue]:
    if (cmd.kind, cmd.period) in s.recorded:
        return []  # already due for this period: once per person, kind and period
    return [EngagementMailDue(**cmd.model_dump())]


engagement: Decider[RecordEngagementMailDue, EngagementMailDue, Engagement] = Decider(
    "engagement", initial_state, evolve, decide, events=(EngagementMailDue,),
)
