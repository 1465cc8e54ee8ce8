"""Queries the API runs for a job's requirements, skills and pre-screen questions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_all


async def get_job_details(conn: psycopg.AsyncConnection, job_id: UUID) -> dict[str, list[dict[str, Any]]]:
    """The job's three lists, each in its order. Who may see the job is checked before."""
    return {
        "requirements": await fetch_all(
            conn, "SELECT requirement_type, description, sort_order FROM ats.job_requirements WHERE job_id = %s"
                  " ORDER BY sort_order", (job_id,)),
        "skills": await fetch_all(
            conn, "SELECT name, slug, is_required FROM ats.job_skills WHERE job_id = %s ORDER BY position",
            (job_id,)),
        "pre_screen_questions": await fetch_all(
            conn, "SELECT question_id, question, question_type, options, is_required, disclaimer"
                  " FROM ats.job_pre_screen_questions WHERE job_id = %s ORDER BY position", (job_id,)),
    }
