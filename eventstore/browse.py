"""Reading the store as an operator does: streams found by id, prefix or type; events found by type, correlation,
causation or time; a stream's events a page at a time. Every page is bounded (`MAX_PAGE`) and keyset-paged.

What we decided where nothing else says:
- a stream id prefix is matched as text, byte by byte (the C collation): `%` and `_` are characters like any other,
  never wildcards. It is a range over `(stream_id COLLATE "C")`, which migration 0007 indexes; a stream type `T`
  is the prefix `T-` (`stream_type_of`), so the same index answers both;
- events are listed newest first (the 3 a.m. question is "what just happened"), paged by position: the next page
  is the events before the last position shown;
- a stream's events are listed in version order from a version on;
- correlation and causation ids are the texts of `metadata.correlation_id` / `metadata.causation_id`
  (eventstore/types.py `Metadata`); the events an event caused are those whose causation id is its event id.

The events are as stored: sealed personal fields stay sealed (nothing here loads a key), the hash covers them so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from eventstore.store import _COLUMNS, _recorded
from eventstore.types import RecordedEvent

MAX_PAGE = 200
"""The most rows one call returns."""

MAX_TEXT = 300
"""The longest id, prefix, type or correlation/causation id a search takes (stream ids are far shorter)."""

SEARCH_TIMEOUT_MS = 5_000
"""The longest a search may run on the server: every criterion alone is indexed, but a combination the planner
reads badly on a very large store is cut short (`SearchTooSlow`) rather than left to hold a connection."""


class SearchTooSlow(Exception):
    """A search ran past `SEARCH_TIMEOUT_MS` and was cancelled: narrow it (a time range, a type, a stream)."""

_CORRELATION = "(metadata->>'correlation_id')"
_CAUSATION = "(metadata->>'causation_id')"
# The prefix index's expression, spelled as migration 0007 spells it.
_STREAM_ID_C = 'stream_id COLLATE "C"'


@dataclass(frozen=True, slots=True)
class StreamSummary:
    """A stream's row: its type, version, chain tip and when it was created and last appended to."""

    stream_id: str
    stream_type: str
    version: int
    last_hash: bytes
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StreamPage:
    streams: list[StreamSummary]
    next_after: str | None
    """The stream id to pass as `after` for the next page; None on the last page."""


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[RecordedEvent]
    next_before: int | None
    """The position to pass as `before` for the next (older) page; None on the last page."""


@dataclass(frozen=True, slots=True)
class EventSearch:
    """What events to find; every criterion given must hold. An empty search lists every event."""

    type: str | None = None
    stream_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    recorded_from: datetime | None = None
    """Inclusive."""
    recorded_to: datetime | None = None
    """Exclusive."""

    def __post_init__(self) -> None:
        for name in ("type", "stream_id", "correlation_id", "causation_id"):
            _check_text(name, getattr(self, name))
        for name in ("recorded_from", "recorded_to"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} must carry its UTC offset")


def _check_text(name: str, value: str | None) -> None:
    if value is None:
        return
    if not value or len(value) > MAX_TEXT or "\x00" in value:
        raise ValueError(f"{name} must be 1 to {MAX_TEXT} characters without NUL")


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")


def prefix_upper_bound(prefix: str) -> str | None:
    """The least text above every text starting with `prefix`, in code point order (the C collation's order for
    UTF-8); None when there is none (a prefix of only U+10FFFF)."""
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        # Step over the surrogates, which PostgreSQL's UTF-8 text cannot hold.
        following = 0xE000 if last + 1 == 0xD800 else last + 1
        if following <= 0x10FFFF:
            return "".join(chars) + chr(following)
    return None


async def get_stream(conn: psycopg.AsyncConnection, stream_id: str) -> StreamSummary | None:
    """The stream's row, or None when no stream has this id."""
    _check_text("stream_id", stream_id)
    cur = await conn.execute(
        "SELECT stream_id, stream_type, version, last_hash, created_at, updated_at"
        " FROM eventstore.streams WHERE stream_id = %s",
        (stream_id,),
    )
    row = await cur.fetchone()
    return None if row is None else _summary(row)


async def search_streams(
    conn: psycopg.AsyncConnection,
    *,
    prefix: str | None = None,
    stream_type: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> StreamPage:
    """Streams whose id starts with `prefix` (as text, no wildcards) and whose type is `stream_type`, in id order
    (C collation), after the stream id `after`; at most `limit` (≤ `MAX_PAGE`)."""
    statement = streams_statement(prefix=prefix, stream_type=stream_type, after=after, limit=limit)
    rows = [_summary(row) for row in await _bounded(conn, statement, binary=False)]
    more = len(rows) > limit
    rows = rows[:limit]
    return StreamPage(rows, rows[-1].stream_id if more else None)


def streams_statement(
    *, prefix: str | None, stream_type: str | None, after: str | None, limit: int
) -> tuple[str, tuple[Any, ...]]:
    """The query of `search_streams` and its parameters (one row more than `limit`: is there a next page?)."""
    _check_text("prefix", prefix)
    _check_text("stream_type", stream_type)
    _check_text("after", after)
    _check_limit(limit)
    where: list[str] = []
    params: list[Any] = []
    for start in (prefix, None if stream_type is None else f"{stream_type}-"):
        if start is None:
            continue
        where.append(f"{_STREAM_ID_C} >= %s")
        params.append(start)
        if (upper := prefix_upper_bound(start)) is not None:
            where.append(f"{_STREAM_ID_C} < %s")
            params.append(upper)
    if stream_type is not None:
        where.append("stream_type = %s")
        params.append(stream_type)
    if after is not None:
        where.append(f"{_STREAM_ID_C} > %s")
        params.append(after)
    return (
        "SELECT stream_id, stream_type, version, last_hash, created_at, updated_at FROM eventstore.streams"
        f"{_where(where)} ORDER BY {_STREAM_ID_C} LIMIT %s",
        (*params, limit + 1),
    )


async def search_events(
    conn: psycopg.AsyncConnection, search: EventSearch, *, before: int | None = None, limit: int = 50
) -> EventPage:
    """The events matching `search`, newest first (by position), before position `before`; at most `limit`
    (≤ `MAX_PAGE`)."""
    events = [_recorded(row) for row in await _bounded(conn, events_statement(search, before=before, limit=limit))]
    more = len(events) > limit
    events = events[:limit]
    return EventPage(events, events[-1].position.pos if more else None)


def events_statement(search: EventSearch, *, before: int | None, limit: int) -> tuple[str, tuple[Any, ...]]:
    """The query of `search_events` and its parameters (one row more than `limit`: is there a next page?)."""
    _check_limit(limit)
    if before is not None and before < 1:
        raise ValueError("before must be a position, 1 or more")
    where: list[str] = []
    params: list[Any] = []
    for clause, value in (
        ("type = %s", search.type),
        ("stream_id = %s", search.stream_id),
        (f"{_CORRELATION} = %s", search.correlation_id),
        (f"{_CAUSATION} = %s", search.causation_id),
        ("recorded_at >= %s", search.recorded_from),
        ("recorded_at < %s", search.recorded_to),
        ("position < %s", before),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    return (
        f"SELECT {_COLUMNS} FROM eventstore.events{_where(where)} ORDER BY position DESC LIMIT %s",
        (*params, limit + 1),
    )


async def stream_events(
    conn: psycopg.AsyncConnection, stream_id: str, *, after_version: int = 0, limit: int = 50
) -> list[RecordedEvent]:
    """The stream's events after version `after_version`, in version order; at most `limit` (≤ `MAX_PAGE`)."""
    _check_text("stream_id", stream_id)
    _check_limit(limit)
    if after_version < 0:
        raise ValueError("after_version must be 0 or more")
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM eventstore.events WHERE stream_id = %s AND version > %s ORDER BY version LIMIT %s",
        (stream_id, after_version, limit),
        binary=True,
    )
    return [_recorded(row) for row in await cur.fetchall()]


async def get_event(conn: psycopg.AsyncConnection, event_id: UUID) -> RecordedEvent | None:
    """The event with this id, as stored, or None."""
    cur = await conn.execute(f"SELECT {_COLUMNS} FROM eventstore.events WHERE event_id = %s", (event_id,), binary=True)
    row = await cur.fetchone()
    return None if row is None else _recorded(row)


async def events_caused_by(
    conn: psycopg.AsyncConnection, event_id: UUID, *, before: int | None = None, limit: int = 50
) -> EventPage:
    """The events whose causation id is `event_id` (what a reactor or process manager did because of it)."""
    return await search_events(conn, EventSearch(causation_id=str(event_id)), before=before, limit=limit)


async def events_of_correlation(
    conn: psycopg.AsyncConnection, correlation_id: str, *, before: int | None = None, limit: int = 50
) -> EventPage:
    """The events recorded under one correlation id (one request and what followed from it)."""
    return await search_events(conn, EventSearch(correlation_id=correlation_id), before=before, limit=limit)


async def _bounded(conn: psycopg.AsyncConnection, statement: tuple[str, tuple[Any, ...]], *,
                   binary: bool = True) -> list[tuple[Any, ...]]:
    """The statement's rows, run in a transaction of its own under `SEARCH_TIMEOUT_MS`."""
    try:
        async with conn.transaction():
            await conn.execute(f"SET LOCAL statement_timeout = {SEARCH_TIMEOUT_MS}")
            cur = await conn.execute(*statement, binary=binary)
            return await cur.fetchall()
    except psycopg.errors.QueryCanceled:
        raise SearchTooSlow(f"the search ran past {SEARCH_TIMEOUT_MS / 1000:g} s and was stopped") from None


def _where(clauses: list[str]) -> str:
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


def _summary(row: tuple[Any, ...]) -> StreamSummary:
    return StreamSummary(row[0], row[1], row[2], bytes(row[3]), row[4], row[5])
