"""Recomputing one stream's hash chain on the server (eventstore/hashing.py), a part at a time and within bounds.

The stream is read in one read-only REPEATABLE READ transaction, so its events and its row's tip are one moment's
even while it is appended to; `CHUNK` events at a time by version, so a long stream is never held whole. The check
stops after `max_events` events or `max_seconds` seconds and says so (`capped`): what it checked is then verified,
and the tip is not compared. Personal fields are verified as stored: sealed, never opened.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from eventstore.browse import MAX_PAGE, stream_events
from eventstore.hashing import ChainProblem, verify_chain

CHUNK = 200
MAX_EVENTS = 100_000
MAX_SECONDS = 10.0
# Problems kept for the report: the first one says where the history broke, the rest are mostly its echo.
_KEPT_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """What a check of one stream's chain found."""

    stream_id: str
    exists: bool
    version: int
    """The stream's version (its row's) when checked."""
    events_checked: int
    problems: tuple[ChainProblem, ...]
    """The first problems found (at most 20)."""
    problem_count: int
    capped: str | None
    """Why the check stopped before the stream's end (a limit of events or time), None when it read it all."""

    @property
    def ok(self) -> bool:
        """No problem in what was checked (the whole stream, tip included, unless `capped`)."""
        return self.exists and not self.problems


async def verify_stream(
    pool: AsyncConnectionPool,
    stream_id: str,
    *,
    max_events: int = MAX_EVENTS,
    max_seconds: float = MAX_SECONDS,
    chunk: int = CHUNK,
) -> ChainVerdict:
    """Check `stream_id`'s chain from version 1 against its stored hashes and its row's tip, within the bounds."""
    if max_events < 1 or max_seconds <= 0 or chunk < 1:
        raise ValueError("the bounds of a chain check must be positive")
    started = time.monotonic()
    problems: list[ChainProblem] = []
    checked, previous, capped = 0, b"", None
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur = await conn.execute("SELECT version, last_hash FROM eventstore.streams WHERE stream_id = %s", (stream_id,))
        row = await cur.fetchone()
        if row is None:
            return ChainVerdict(stream_id, False, 0, 0, (), 0, None)
        version, tip = row[0], bytes(row[1])
        after = 0
        while True:
            if checked >= max_events:
                capped = f"stopped after {checked} events (at most {max_events} are checked at a time)"
                break
            if time.monotonic() - started > max_seconds:
                capped = f"stopped after {max_seconds:g} seconds, {checked} events checked"
                break
            events = await stream_events(conn, stream_id, after_version=after, limit=min(chunk, MAX_PAGE, max_events - checked))
            if not events:
                break
            problems += verify_chain(events, previous=previous, from_version=after + 1)
            checked += len(events)
            previous, after = events[-1].hash, events[-1].version
        if capped is None:
            if after != version:
                problems.append(ChainProblem(stream_id, after, f"the stream's row is at version {version}"))
            elif previous != tip:
                problems.append(ChainProblem(stream_id, after, "stream tip differs from the recorded tip"))
    return ChainVerdict(stream_id, True, version, checked, tuple(problems[:_KEPT_PROBLEMS]), len(problems), capped)
