"""Queries the API runs against the ai read schema. Who may read an application's reviews is the route's
question (the application's visibility); these only read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from commands.ai.review import MAX_RETRIES, STUCK_AFTER
from projections.reads import fetch_all


async def list_reviews(db: psycopg.AsyncConnection, application_id: UUID) -> list[dict[str, Any]]:
    """Every review of the application, newest first."""
    return await fetch_all(
        db, "SELECT * FROM ai.reviews WHERE application_id = %s ORDER BY requested_at DESC, review_id DESC",
        (application_id,))


# The scheduler's deadline query (consumers/runtime/scheduler.py `deadline_schedule`): applications stuck in
# ai_review, rows (id, deadline, last_activity_at) due at %(now)s, at most %(limit)s. Stuck: in ai_review for
# `STUCK_AFTER` and its latest review quiet that long too, with fewer than `MAX_RETRIES` retries in this stay.
_STUCK = f"interval '{int(STUCK_AFTER.total_seconds())} seconds'"

STUCK_REVIEWS = f"""
    SELECT id, deadline, last_activity_at FROM (
        SELECT a.id, a.last_activity_at, r.retries,
               greatest(a.last_activity_at, r.latest) + {_STUCK} AS deadline
          FROM ats.applications a
          LEFT JOIN LATERAL (
              SELECT max(greatest(requested_at, started_at)) AS latest,
                     count(*) FILTER (WHERE trigger = 'retry' AND stuck_since = a.last_activity_at) AS retries
                FROM ai.reviews WHERE application_id = a.id) r ON true
         WHERE a.stage = 'ai_review') stuck
     WHERE deadline <= %(now)s AND retries < {MAX_RETRIES}
     ORDER BY deadline LIMIT %(limit)s"""
