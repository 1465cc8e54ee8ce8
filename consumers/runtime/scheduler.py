"""The scheduler: time-based process managers. Each schedule finds what has come due in a read model
and sends the command that records it.

A schedule's command is keyed by what came due (the entity and the deadline it reached), so however
often a run fires it, and whichever of several scheduler processes does, the command is recorded
once: the key becomes the event ids (see `eventstore.handle`), and the deciders themselves refuse to
act before the deadline. The read model only proposes candidates; the decider, on the stream's own
state and the command's `at`, decides. The clock is injected (the system's, adapters/clock.py), so tests move
time by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from commands.core import DomainError
from consumers.runtime.waiting import sleep_or_stop
from eventstore import EventStore, Metadata, advisory_key, handle
from eventstore.handle import DeciderLike
from adapters.clock import Clock

log = structlog.get_logger(__name__)

@dataclass(frozen=True)
class Due:
    """One command that has come due: sent to `entity_id`'s stream, keyed by `occurrence`."""

    decider: DeciderLike
    entity_id: UUID | str
    command: Any
    occurrence: str  # what came due, e.g. the deadline reached: with the schedule's name, the command's key
    # Done before the command is recorded, when what the command records is a removal outside the event store
    # (destroyed keys, deleted files, dropped messages). It must be idempotent: a pass that crashes after it
    # finds the row still due and does it again, and several schedulers may do it for one row.
    effect: Callable[[], Awaitable[Any]] | None = None


@dataclass(frozen=True)
class Schedule:
    """`find(conn, now)` lists what is due at `now` (from read models); the scheduler sends each."""

    name: str
    find: Callable[[psycopg.AsyncConnection, datetime], Awaitable[Sequence[Due]]]


BATCH = 500  # at most this many of one schedule per pass; the next pass takes the rest


def deadline_schedule(
    name: str, query: str, decider: DeciderLike, command: Callable[[tuple[Any, ...], datetime], Any]
) -> Schedule:
    """A schedule over deadlines. `query` selects rows `(entity id, deadline, ...)` due at `%(now)s`, at most
    `%(limit)s` of them; each row becomes `command(row, now)` on the entity's stream, keyed by the whole row
    (the entity, the deadline reached and anything else the row names)."""

    async def find(conn: psycopg.AsyncConnection, now: datetime) -> Sequence[Due]:
        cur = await conn.execute(query, {"now": now, "limit": BATCH})
        return [
            Due(decider, row[0], command(row, now),
                ":".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in row))
            for row in await cur.fetchall()
        ]

    return Schedule(name, find)


@dataclass
class RunReport:
    sent: dict[str, int] = field(default_factory=dict)  # schedule → commands that recorded something
    unchanged: dict[str, int] = field(default_factory=dict)  # already recorded, or the decider saw nothing due
    refused: dict[str, int] = field(default_factory=dict)  # the decider refused (state moved on meanwhile)
    failed: dict[str, int] = field(default_factory=dict)  # its effect failed: nothing recorded, tried again later


class Scheduler:
    def __init__(self, pool: AsyncConnectionPool, store: EventStore, schedules: Sequence[Schedule],
                 clock: Clock) -> None:
        self.pool = pool
        self.store = store
        self.schedules = list(schedules)
        self.clock = clock

    async def run_once(self) -> RunReport:
        """One pass over every schedule at the clock's current time."""
        now = self.clock.now()
        report = RunReport()
        for schedule in self.schedules:
            async with self.pool.connection() as conn:
                due = await schedule.find(conn, now)
            for item in due:
                outcome = await self._send(schedule, item)
                counts = getattr(report, outcome)
                counts[schedule.name] = counts.get(schedule.name, 0) + 1
        return report

    async def _send(self, schedule: Schedule, item: Due) -> str:
        meta = Metadata(actor=f"scheduler:{schedule.name}", idempotency_key=f"{schedule.name}:{item.occurrence}",
                        source="scheduler")
        if item.effect is not None:
            try:
                await item.effect()
            except Exception as exc:  # nothing is recorded; the row is still due at the next pass
                log.warning("scheduled removal failed; retried at the next pass", schedule=schedule.name,
                            entity_id=str(item.entity_id), error=repr(exc))
                return "failed"
        try:
            result = await handle(self.store, item.decider, item.entity_id, item.command, meta)
        except DomainError as exc:
            log.info("scheduled command refused", schedule=schedule.name, entity_id=str(item.entity_id),
                     reason=exc.message)
            return "refused"
        return "sent" if result.event_types and not result.duplicate else "unchanged"

    async def run(self, stop: asyncio.Event, every_s: float = 60.0) -> None:
        """Run a pass every `every_s` seconds while holding the scheduler lock (one active scheduler;
        others wait as hot standbys), until `stop` is set."""
        async with self.pool.connection() as conn:
            await conn.set_autocommit(True)
            while not stop.is_set():
                cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (advisory_key("scheduler"),))
                row = await cur.fetchone()
                if row and row[0]:
                    break
                await sleep_or_stop(stop, every_s)
            else:
                return
            try:
                while not stop.is_set():
                    try:
                        report = await self.run_once()
                        if report.sent:
                            log.info("scheduler pass", sent=report.sent, refused=report.refused)
                    except (psycopg.OperationalError, OSError) as exc:
                        log.warning("scheduler pass failed; retrying", error=repr(exc))
                    await sleep_or_stop(stop, every_s)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (advisory_key("scheduler"),))
