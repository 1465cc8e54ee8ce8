"""Queries of the fraud schema (the admins' signal list) and the lookups the `fraud-signals` reactor starts its
windows from.

The lookups only find which applications to look at, in the ats read schema (indexed there); the reactor
then folds each one's stream as of the triggering event, so what the analyzers see does not depend on how far
the read schema has moved since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_all, fetch_one, fetch_page

Rows = tuple[list[dict[str, Any]], int]


async def list_signals(db: psycopg.AsyncConnection, *, status: str | None = None, signal_type: str | None = None,
                       page: int = 1, limit: int = 25) -> Rows:
    """Signals, newest first, optionally of one status and/or one type; and their total."""
    condition, params = "TRUE", []
    if status is not None:
        condition += " AND s.status = %s"
        params.append(status)
    if signal_type is not None:
        condition += " AND s.signal_type = %s"
        params.append(signal_type)
    return await fetch_page(db, "fraud.signals s", condition, params, "s.created_at DESC, s.id", page, limit,
                            columns="s.*")


async def get_signal(db: psycopg.AsyncConnection, signal_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(db, "SELECT * FROM fraud.signals WHERE id = %s", (signal_id,))


async def applications_for(db: psycopg.AsyncConnection, candidate_id: UUID, job_id: UUID) -> list[UUID]:
    """Every application of the candidate for the job (whatever its stage)."""
    rows = await fetch_all(db, "SELECT id FROM ats.applications WHERE candidate_id = %s AND job_id = %s ORDER BY id",
                           (candidate_id, job_id))
    return [r["id"] for r in rows]


async def recent_applications_of(db: psycopg.AsyncConnection, recruiter_id: UUID, since: datetime) -> list[UUID]:
    """The applications the recruiter is on (either side) that moved at or after `since`: every application
    they can have submitted since then is among them."""
    rows = await fetch_all(
        db, "SELECT id FROM ats.applications WHERE (candidate_recruiter_id = %s OR company_recruiter_id = %s)"
            " AND updated_at >= %s ORDER BY id", (recruiter_id, recruiter_id, since))
    return [r["id"] for r in rows]
