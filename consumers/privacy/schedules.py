"""Retention, enforced by the scheduler: each rule of `commands/privacy/retention.py` as a schedule.

What came due, and the key each run is recorded under (so that it is recorded once, whichever scheduler
runs it and however often):

- `retention-applications`: each rejected, withdrawn or expired application that last changed before the
  cutoff and has no retention run yet (`retention-application-<id>`, read from the event store itself, so a
  run is never repeated however far the read models are behind), keyed by the application and that change.
  Before recording, its keys (`application:<id>` and its documents' `document:<id>`) are destroyed and its
  documents' files deleted; the recorded `RetentionErased` makes every read model scrub it.
- `retention-notifications`, `retention-mailbox`, `retention-dead-letters`: once a day, keyed by the day's
  cutoff, recorded even when it removed nothing (so the log shows that retention ran, and later passes of
  the day look no further than the rule's stream). The notifications and mailbox read models remove what is
  older than the recorded cutoff when they apply `RetentionApplied` (so a replay removes the same rows at
  the same point of the log); dead letters are dropped from RabbitMQ, by one scheduler at a time, before the
  run is recorded with how many were dropped.

A rule whose period is 0 has no schedule. Without RabbitMQ (`splits dev` on the feed) there are no dead
letters to drop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg

from commands.privacy.retention import RETAINED_STAGES, RULES, ApplyRetention, RetentionRule, cutoff, retention
from consumers.runtime.dead_letter_errors import drop_dead_letter_errors_before
from consumers.runtime.dead_letter_retention import DeadLetterQueues
from consumers.runtime.scheduler import BATCH, Due, Schedule
from eventstore import Keyring, stream_id_for
from adapters.settings import Settings
from adapters.storage import Storage
from projections.documents.queries import files_of_applications
from projections.notifications.queries import inbox_older_than, mailbox_older_than
from projections.privacy.deadlines import applications_due, claim_dead_letter_sweep, latest_retention_cutoff


@dataclass(frozen=True)
class RetentionPeriods:
    """Each rule's period, in its unit (months or days); 0 turns the rule off."""

    applications: int
    notifications: int
    mailbox: int
    dead_letters: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPeriods:
        return cls(settings.retention_applications_months, settings.retention_notifications_months,
                   settings.retention_mailbox_days, settings.retention_dead_letters_days)

    def of(self, rule: RetentionRule) -> int:
        return getattr(self, rule.name.replace("-", "_"))


_RULE = {rule.name: rule for rule in RULES}


def retention_schedules(periods: RetentionPeriods, keyring: Keyring, storage: Storage,
                        dead_letters: DeadLetterQueues | None = None) -> list[Schedule]:
    """The schedules of the rules that are on."""
    schedules = [
        _applications(periods.applications, keyring, storage),
        _older_rows("notifications", periods.notifications, inbox_older_than),
        _older_rows("mailbox", periods.mailbox, mailbox_older_than),
        _dead_letters(periods.dead_letters, dead_letters) if dead_letters is not None else None,
    ]
    return [s for s in schedules if s is not None]


def _applications(period: int, keyring: Keyring, storage: Storage) -> Schedule | None:
    rule = _RULE["applications"]
    if period <= 0:
        return None

    async def find(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
        before = cutoff(rule, period, now)
        assert before is not None
        due = await applications_due(conn, RETAINED_STAGES, before, BATCH)
        documents: dict[UUID, list[tuple[UUID, str]]] = {}
        for application_id, document_id, key in await files_of_applications(conn, [row[0] for row in due]):
            documents.setdefault(application_id, []).append((document_id, key))
        return [_application_due(application_id, changed, documents.get(application_id, []), before, now,
                                 keyring, storage) for application_id, changed in due]

    return Schedule("retention-applications", find)


def _application_due(application_id: UUID, changed: datetime, documents: list[tuple[UUID, str]], before: datetime,
                     now: datetime, keyring: Keyring, storage: Storage) -> Due:
    subjects = [f"application:{application_id}", *(f"document:{d}" for d, _ in documents)]

    async def remove() -> None:
        await keyring.erase(subjects)
        for _, key in documents:
            await storage.delete(key)

    command = ApplyRetention(rule="applications", cutoff=before, removed=1, subjects=subjects,
                             application_ids=[application_id], document_ids=[d for d, _ in documents], at=now)
    return Due(retention, f"application-{application_id}", command, f"{application_id}:{changed.isoformat()}",
               effect=remove)


def _older_rows(name: str, period: int,
                count: Callable[[psycopg.AsyncConnection, datetime], Awaitable[int]]) -> Schedule | None:
    """A rule over a read table whose projection removes the rows older than the recorded cutoff; `count` tells
    how many rows are older than a cutoff."""
    rule = _RULE[name]  # type: ignore[index]
    if period <= 0:
        return None

    async def find(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
        before = cutoff(rule, period, now)
        assert before is not None
        if await _ran(conn, rule, before):
            return []
        return [_daily(rule, before, await count(conn, before), now)]

    return Schedule(f"retention-{name}", find)


def _dead_letters(period: int, queues: DeadLetterQueues) -> Schedule | None:
    rule = _RULE["dead-letters"]
    if period <= 0:
        return None

    async def find(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
        before = cutoff(rule, period, now)
        assert before is not None
        if await _ran(conn, rule, before):
            return []
        # Dead letters live outside the database: they are dropped here, by one scheduler at a time (a sweep
        # sees the messages another holds as gone, so two at once would each count part of them), and the
        # run is recorded after. A crash in between loses the record of a sweep, never a letter past its time.
        async with conn.transaction():
            if not await claim_dead_letter_sweep(conn):
                return []
            removed = await queues.drop_before(before)
            await drop_dead_letter_errors_before(conn, before)  # their errors go with them
        return [_daily(rule, before, removed, now)]

    return Schedule("retention-dead-letters", find)


async def _ran(conn: psycopg.AsyncConnection, rule: RetentionRule, before: datetime) -> bool:
    """Whether the rule's run for this cutoff (or a later one) is recorded: read from its stream, not a read model."""
    latest = await latest_retention_cutoff(conn, stream_id_for(retention, rule.name))
    return latest is not None and latest >= before


def _daily(rule: RetentionRule, before: datetime, removed: int, now: datetime) -> Due:
    command = ApplyRetention(rule=rule.name, cutoff=before, removed=removed, at=now)
    return Due(retention, rule.name, command, before.isoformat())


