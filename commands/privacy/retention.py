"""Retention: how long each kind of data is kept, one rule per row of `RULES`, and the decider that records
each run of a rule once (pure: the scheduler finds what is due and does the removing, see
consumers/privacy/schedules.py).

| rule | data | kept for | how it goes |
|---|---|---|---|
| `applications` | the personal data of a rejected, withdrawn or expired application: its reasons, notes and messages (sealed under `application:<id>`), its documents' files and names; the cover letter, pitch and AI review texts shown with it | `RETENTION_APPLICATIONS_MONTHS` (12) after the application last changed | the application's and its documents' keys are destroyed, the files deleted, and every read model scrubs the application (`RetentionErased`, the same scrub as a person's erasure) |
| `notifications` | in-app notifications | `RETENTION_NOTIFICATIONS_MONTHS` (6) after they were made | removed from the inbox read model |
| `mailbox` | the development mailbox (emails not sent because no `RESEND_API_KEY` is set) | `RETENTION_MAILBOX_DAYS` (14) | removed from the mailbox read model |
| `dead-letters` | dead-lettered messages (a copy of an event a reactor gave up on) | `RETENTION_DEAD_LETTERS_DAYS` (30) after they were dead-lettered | dropped from the reactors' dead-letter queues |

A period of 0 turns its rule off. Logs are the operator's: they go wherever the process's output is sent
and are kept as long as that place keeps them. The legal basis for each period is the operator's to set.

What stays, and why (decided where the issue is silent): hired applications are never removed by retention
(they carry a placement's money facts); an application's cover letter, pitch and AI review texts are sealed
under the application, so they go from the events with it; notifications and mailbox emails leave the read
models while their events stay sealed under their recipient (and the notification), unreadable once either is
erased. Each run is recorded with its cutoff (everything older is removed) and how much it removed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from commands.core import Command, Decider
from commands.privacy.events import RetentionApplied
from commands.privacy.retention_events import RetentionErased

RuleName = Literal["applications", "notifications", "mailbox", "dead-letters"]
Unit = Literal["months", "days"]


@dataclass(frozen=True)
class RetentionRule:
    name: RuleName
    holds: str
    setting: str  # the setting holding its period (in `unit`), e.g. RETENTION_MAILBOX_DAYS
    unit: Unit
    default: int


RULES: tuple[RetentionRule, ...] = (
    RetentionRule("applications", "rejected, withdrawn and expired applications' personal data",
                  "RETENTION_APPLICATIONS_MONTHS", "months", 12),
    RetentionRule("notifications", "in-app notifications", "RETENTION_NOTIFICATIONS_MONTHS", "months", 6),
    RetentionRule("mailbox", "the development mailbox", "RETENTION_MAILBOX_DAYS", "days", 14),
    RetentionRule("dead-letters", "dead-lettered messages", "RETENTION_DEAD_LETTERS_DAYS", "days", 30),
)

RETAINED_STAGES: frozenset[str] = frozenset({"rejected", "withdrawn", "expired"})
"""The application stages whose personal data the `applications` rule removes (never `hired`)."""


def months_before(moment: datetime, months: int) -> datetime:
    """`moment` less whole calendar months, the day clamped to the month's length (as PostgreSQL does)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    days = (datetime(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, days))


def cutoff(rule: RetentionRule, period: int, now: datetime) -> datetime | None:
    """Everything older than this is removed by the run at `now`; None when the rule is off.

    Counted from the start of `now`'s day (UTC as given), so every pass of one day has the same cutoff
    and the same key: a rule runs at most once a day, whichever scheduler runs it.
    """
    if period <= 0:
        return None
    day = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    return months_before(day, period) if rule.unit == "months" else day - timedelta(days=period)


Subject = Annotated[str, StringConstraints(min_length=3, max_length=200, pattern=r"^[a-z][a-z_-]*:[^\x00]+$")]


class ApplyRetention(Command):
    """Record a run of `rule`: everything older than `cutoff` is removed; `removed` is how much."""

    rule: RuleName
    cutoff: AwareDatetime
    removed: Annotated[int, Field(ge=0)]
    subjects: Annotated[list[Subject], Field(max_length=10_000)] = []
    application_ids: Annotated[list[UUID], Field(max_length=10_000)] = []
    document_ids: Annotated[list[UUID], Field(max_length=10_000)] = []
    at: AwareDatetime


RetentionEvent = RetentionApplied | RetentionErased


@dataclass(frozen=True)
class Retention:
    """A stream of runs: of one rule (`retention-<rule>`), or of one application (`retention-application-<id>`)."""

    cutoff: datetime | None = None  # the latest cutoff applied


def initial_state() -> Retention:
    return Retention()


def evolve(s: Retention, e: RetentionEvent) -> Retention:
    if isinstance(e, RetentionApplied):
        return replace(s, cutoff=e.cutoff if s.cutoff is None else max(s.cutoff, e.cutoff))
    return s


def decide(cmd: ApplyRetention, s: Retention) -> list[RetentionEvent]:
    """A run is recorded unless one with the same or a later cutoff is (nothing older would be left)."""
    if s.cutoff is not None and cmd.cutoff <= s.cutoff:
        return []
    applied: list[RetentionEvent] = [RetentionApplied(rule=cmd.rule, cutoff=cmd.cutoff, removed=cmd.removed, at=cmd.at)]
    if cmd.subjects or cmd.application_ids or cmd.document_ids:
        applied.append(RetentionErased(rule=cmd.rule, cutoff=cmd.cutoff, subjects=sorted(set(cmd.subjects)),
                                       application_ids=cmd.application_ids, document_ids=cmd.document_ids,
                                       at=cmd.at))
    return applied


retention: Decider[ApplyRetention, RetentionEvent, Retention] = Decider(
    "retention", initial_state, evolve, decide, events=(RetentionApplied, RetentionErased),
)
