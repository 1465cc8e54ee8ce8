"""Queries the erasure process runs over the event store's own tables (consumers/privacy/process.py)."""

from __future__ import annotations

from uuid import UUID

import psycopg


async def event_ids_of_streams(conn: psycopg.AsyncConnection, stream_ids: list[str]) -> list[UUID]:
    """The ids of every event recorded on these streams."""
    cur = await conn.execute("SELECT event_id FROM eventstore.events WHERE stream_id = ANY(%s)", (stream_ids,))
    return [row[0] for row in await cur.fetchall()]
