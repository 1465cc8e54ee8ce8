"""Queries the API runs for the activity of jobs and applications and for job notes.

Which rows a caller reads is given by the API (the audiences of a job's rows, the note visibilities) and
applied in SQL, so that the page and its total count only what the caller may see.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_page

_ACTIVITY_COLUMNS = "seq, action, actor, {role}, note_id, visibility, summary, at"


async def list_job_activity(
    conn: psycopg.AsyncConnection, job_id: UUID, audiences: Collection[str], note_visibilities: Collection[str],
    page: int, limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of a job's activity, oldest first: the rows for these audiences and the rows of the notes of
    these visibilities; and their total."""
    condition = ("job_id = %s AND ((note_id IS NULL AND audience = ANY(%s))"
                 " OR (note_id IS NOT NULL AND visibility = ANY(%s)))")
    return await fetch_page(conn, "ats.job_activity", condition, [job_id, list(audiences), list(note_visibilities)],
                            "seq ASC", page, limit, columns=_ACTIVITY_COLUMNS.format(role="audience"))


async def list_application_activity(
    conn: psycopg.AsyncConnection, application_id: UUID, note_visibilities: Collection[str], page: int, limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of an application's activity, oldest first: the application's own rows and the rows of the
    notes of these visibilities; and their total."""
    condition = "application_id = %s AND (note_id IS NULL OR visibility = ANY(%s))"
    return await fetch_page(conn, "ats.application_activity", condition, [application_id, list(note_visibilities)],
                            "seq ASC", page, limit, columns=_ACTIVITY_COLUMNS.format(role="actor_role"))


async def list_job_notes(
    conn: psycopg.AsyncConnection, job_id: UUID, visibilities: Collection[str], page: int, limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of a job's notes of these visibilities (deleted ones left out), oldest first; and their total."""
    return await fetch_page(conn, "ats.job_notes", "job_id = %s AND deleted_at IS NULL AND visibility = ANY(%s)",
                            [job_id, list(visibilities)], "created_at ASC, id ASC", page, limit)
