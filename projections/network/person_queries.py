"""Queries the erasure process asks the network read schema: a person's relationships."""

from __future__ import annotations

from uuid import UUID

import psycopg


async def relationships_of(
    conn: psycopg.AsyncConnection, candidate_ids: list[UUID], recruiter_ids: list[UUID]
) -> tuple[list[UUID], list[UUID]]:
    """The recruiter–candidate relationships of these candidates or recruiters, and the recruiter–company
    relationships of these recruiters."""
    cur = await conn.execute(
        "SELECT id FROM network.recruiter_candidates WHERE candidate_id = ANY(%s) OR recruiter_id = ANY(%s)"
        " ORDER BY id", (candidate_ids, recruiter_ids))
    with_candidates = [row[0] for row in await cur.fetchall()]
    cur = await conn.execute("SELECT id FROM network.recruiter_companies WHERE recruiter_id = ANY(%s) ORDER BY id",
                             (recruiter_ids,))
    return with_candidates, [row[0] for row in await cur.fetchall()]
