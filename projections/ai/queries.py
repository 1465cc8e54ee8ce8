"""Queries the API runs against the ai read schema. Who may read an application's reviews is the route's
question (the application's visibility); these only read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_all


async def list_reviews(db: psycopg.AsyncConnection, application_id: UUID) -> list[dict[str, Any]]:
    """Every review of the application, newest first."""
    return await fetch_all(
        db, "SELECT * FROM ai.reviews WHERE application_id = %s ORDER BY requested_at DESC, review_id DESC",
        (application_id,))
