"""The retention schedules' queries (consumers/privacy/schedules.py): what has come due, and whether a rule's
run is recorded already. Whether a run happened is read from the retention streams in the event store itself, not
a read model, so a run is never repeated however far the read models are behind."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

import psycopg

from eventstore import advisory_key


async def applications_due(conn: psycopg.AsyncConnection, stages: Collection[str], before: datetime,
                           limit: int) -> list[tuple[UUID, datetime]]:
    """Applications in one of `stages` that last changed before `before` and have no retention run yet
    (`retention-application-<id>`), oldest first: (application id, last changed)."""
    cur = await conn.execute("""
        SELECT a.id, a.updated_at FROM ats.applications a
         WHERE a.stage = ANY(%(stages)s) AND a.updated_at < %(cutoff)s
           AND NOT EXISTS (SELECT 1 FROM eventstore.streams s
                            WHERE s.stream_id = 'retention-application-' || a.id::text)
         ORDER BY a.updated_at, a.id LIMIT %(limit)s""", {"stages": sorted(stages), "cutoff": before, "limit": limit})
    return [(row[0], row[1]) for row in await cur.fetchall()]


async def latest_retention_cutoff(conn: psycopg.AsyncConnection, stream_id: str) -> datetime | None:
    """The latest cutoff a rule's runs recorded on its stream (`RetentionApplied`), if any."""
    cur = await conn.execute(
        "SELECT max((data->>'cutoff')::timestamptz) FROM eventstore.events"
        " WHERE stream_id = %s AND type = 'RetentionApplied'", (stream_id,))
    row = await cur.fetchone()
    return row[0] if row is not None else None


async def claim_dead_letter_sweep(conn: psycopg.AsyncConnection) -> bool:
    """Take the dead-letter sweep's lock for the current transaction, if no other scheduler holds it."""
    cur = await conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (advisory_key("retention-dead-letters"),))
    row = await cur.fetchone()
    return bool(row and row[0])
