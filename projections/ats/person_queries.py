"""Queries the erasure process asks the ats read schema: the records that hang off a person's applications."""

from __future__ import annotations

from uuid import UUID

import psycopg


async def placements_of(conn: psycopg.AsyncConnection, application_ids: list[UUID]) -> list[UUID]:
    """The placements made from these applications."""
    cur = await conn.execute("SELECT id FROM ats.placements WHERE application_id = ANY(%s) ORDER BY id",
                             (application_ids,))
    return [row[0] for row in await cur.fetchall()]


async def notes_of(conn: psycopg.AsyncConnection, application_ids: list[UUID]) -> list[UUID]:
    """The notes on these applications (deleted ones too: what they told people is still about the candidate)."""
    cur = await conn.execute("SELECT id FROM ats.application_notes WHERE application_id = ANY(%s) ORDER BY id",
                             (application_ids,))
    return [row[0] for row in await cur.fetchall()]
