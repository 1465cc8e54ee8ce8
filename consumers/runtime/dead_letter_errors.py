"""Why a reactor gave up on an event: its error and attempts, kept beside the dead letter.

RabbitMQ keeps only the reason of a death ('rejected', 'delivery_limit'); the error is known only to the process
that gave up. The reactor runtime records it here before it rejects the message (broker mode) or beside the inbox's
'dead-lettered' outcome (feed mode). A failing record never stops the reject: the letter matters more than its
note. The error kept is the exception's type and message cut to `ERROR_LIMIT` characters — no traceback, no
locals. A requeue forgets the note (the next failure writes a fresh one); the dead-letter retention drops notes
older than its cutoff with the letters themselves.

A letter the quorum queue's delivery limit dead-lettered (a message whose handling killed the process each time)
has no note: no process lived to write one, and `describe` says so from the broker's reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

import psycopg
import structlog
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

if TYPE_CHECKING:  # dlq.py reads the reactor's header, and the reactor writes the notes
    from consumers.runtime.dlq import DeadLetter

log = structlog.get_logger(__name__)

ERROR_LIMIT = 1000
DELIVERY_LIMIT = "delivery limit reached"
NOT_RECORDED = "(no error recorded)"


def error_text(exc: BaseException) -> str:
    """The exception's type and message, at most `ERROR_LIMIT` characters."""
    message = str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"


@dataclass(frozen=True)
class DeadLetterError:
    reactor: str
    event_id: str
    error: str
    attempts: int
    dead_lettered_at: datetime


async def record_dead_letter_error(pool: AsyncConnectionPool, reactor: str, event_id: UUID, error: str,
                                   attempts: int, at: datetime) -> bool:
    """Keep (or replace) the note of `reactor` giving up on `event_id`; False, logged, when it could not be written
    (the caller dead-letters the event all the same)."""
    try:
        async with pool.connection() as conn:
            await conn.execute(
                "INSERT INTO eventstore.dead_letter_errors (reactor, event_id, error, attempts, dead_lettered_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (reactor, event_id) DO UPDATE"
                " SET error = EXCLUDED.error, attempts = EXCLUDED.attempts, dead_lettered_at = EXCLUDED.dead_lettered_at",
                (reactor, event_id, error[:ERROR_LIMIT], attempts, at),
            )
        return True
    except Exception as exc:  # the database is away: the reject must still happen
        log.error("could not record a dead letter's error", reactor=reactor, event_id=str(event_id),
                  failure=type(exc).__name__)
        return False


async def dead_letter_errors(pool: AsyncConnectionPool, reactor: str,
                             event_ids: Iterable[str]) -> dict[str, DeadLetterError]:
    """The notes kept for these events of `reactor`, by event id."""
    ids = [UUID(e) for e in event_ids]
    if not ids:
        return {}
    async with pool.connection() as conn:
        cur = await conn.cursor(row_factory=dict_row).execute(
            "SELECT reactor, event_id::text AS event_id, error, attempts, dead_lettered_at"
            " FROM eventstore.dead_letter_errors WHERE reactor = %s AND event_id = ANY(%s)", (reactor, ids))
        return {row["event_id"]: DeadLetterError(**row) for row in await cur.fetchall()}


async def forget_dead_letter_errors(pool: AsyncConnectionPool, reactor: str, event_ids: Sequence[str]) -> None:
    """Drop the notes of letters sent back to their reactor."""
    if event_ids:
        async with pool.connection() as conn:
            await conn.execute("DELETE FROM eventstore.dead_letter_errors WHERE reactor = %s AND event_id = ANY(%s)",
                               (reactor, [UUID(e) for e in event_ids]))


async def drop_dead_letter_errors_before(conn: psycopg.AsyncConnection, before: datetime) -> int:
    """Drop the notes of letters dead-lettered before `before` (the dead-letter retention); returns how many."""
    cur = await conn.execute("DELETE FROM eventstore.dead_letter_errors WHERE dead_lettered_at < %s", (before,))
    return cur.rowcount


@dataclass(frozen=True)
class DeadLetterView:
    """One dead letter as an operator reads it: the event, why, after how many attempts, and when."""

    reactor: str
    event_id: str
    type: str
    stream_id: str
    position: str
    error: str
    attempts: int | None
    dead_lettered_at: datetime | None


def _utc(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(UTC)


def describe(letter: DeadLetter, note: DeadLetterError | None) -> DeadLetterView:
    """A broker dead letter with its note: the broker's delivery limit speaks for itself (no process lived to note
    anything); otherwise the note, or that none was recorded."""
    if letter.reason == "delivery_limit":  # how often it was delivered, the broker does not keep on the letter
        error, attempts, at = DELIVERY_LIMIT, None, letter.dead_lettered_at
    elif note is not None:
        error, attempts, at = note.error, note.attempts, note.dead_lettered_at
    else:
        error, attempts, at = NOT_RECORDED, None, letter.dead_lettered_at
    return DeadLetterView(letter.reactor, letter.event_id, letter.type, letter.stream_id, letter.position,
                          error, attempts, _utc(at))


async def with_errors(pool: AsyncConnectionPool, reactor: str, letters: Sequence[DeadLetter]) -> list[DeadLetterView]:
    """`list_dead_letters`' letters, in their order, each with its note."""
    notes = await dead_letter_errors(pool, reactor, [letter.event_id for letter in letters])
    return [describe(letter, notes.get(letter.event_id)) for letter in letters]


async def feed_dead_letters(pool: AsyncConnectionPool, reactor: str, limit: int = 500) -> list[DeadLetterView]:
    """What a reactor following the feed (no RabbitMQ: `splits dev`) gave up on, oldest first: the inbox's
    'dead-lettered' outcomes with their events and notes."""
    async with pool.connection() as conn:
        cur = await conn.cursor(row_factory=dict_row).execute(
            "SELECT i.event_id::text AS event_id, e.type, e.stream_id, e.tx_id::text || '.' || e.position AS position,"
            " d.error, d.attempts, coalesce(d.dead_lettered_at, i.processed_at) AS dead_lettered_at"
            " FROM eventstore.inbox i JOIN eventstore.events e ON e.event_id = i.event_id"
            " LEFT JOIN eventstore.dead_letter_errors d ON d.reactor = i.reactor AND d.event_id = i.event_id"
            " WHERE i.reactor = %s AND i.outcome = 'dead-lettered' ORDER BY e.position LIMIT %s", (reactor, limit))
        rows = await cur.fetchall()
    return [DeadLetterView(reactor, r["event_id"], r["type"], r["stream_id"], r["position"],
                           r["error"] or NOT_RECORDED, r["attempts"], _utc(r["dead_lettered_at"])) for r in rows]


async def feed_dead_letter_counts(pool: AsyncConnectionPool, reactors: Sequence[str]) -> dict[str, int]:
    """Per reactor, how many events the feed mode dead-lettered (0 for none)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT reactor, count(*) FROM eventstore.inbox WHERE outcome = 'dead-lettered' AND reactor = ANY(%s)"
            " GROUP BY reactor", (list(reactors),))
        found = {name: n for name, n in await cur.fetchall()}
    return {name: found.get(name, 0) for name in reactors}
