"""The pre-screen answers of an application, for the API's application read (api/ats/applications.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row


async def pre_screen_answers(conn: psycopg.AsyncConnection, application_id: UUID) -> list[dict[str, Any]]:
    """The latest answer to each question, in the order they were given."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT question_id, question, question_type, answer, answered_by, answered_by_role, answered_at"
            " FROM ats.application_pre_screen_answers WHERE application_id = %s"
            " ORDER BY answered_at, position", (application_id,))
        return await cur.fetchall()
