"""What the end of a recruiter relationship touches in the ats read schema (domain §4.3, §4.4): the open
applications a recruiter made for a candidate, and the open jobs a recruiter owns at a company.

Open applications are those not in a terminal stage (hired, rejected, withdrawn, expired). Open jobs are those
in front of recruiters or waiting to be (pending, active, paused): a draft is nobody's business yet and stays
as it is, and a filled or closed job has nothing left to decide.

Each list holds at most `limit` rows, oldest first; the caller asks for one more than it accepts, to know
whether there were more.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from commands.ats.application_rules import TERMINAL
from projections.reads import fetch_all

OPEN_JOB_STATUSES = ("pending", "active", "paused")


async def applications_covered(conn: psycopg.AsyncConnection, recruiter_id: UUID, candidate_id: UUID,
                               limit: int) -> list[dict[str, Any]]:
    """The candidate's open applications on which the recruiter is the candidate's recruiter."""
    return await fetch_all(
        conn,
        "SELECT a.id AS application_id, a.job_id, j.title AS job_title, a.company_id, a.stage"
        " FROM ats.applications a LEFT JOIN ats.jobs j ON j.id = a.job_id"
        " WHERE a.candidate_id = %s AND a.candidate_recruiter_id = %s AND NOT (a.stage = ANY(%s))"
        " ORDER BY a.created_at, a.id LIMIT %s",
        (candidate_id, recruiter_id, sorted(TERMINAL), limit),
    )


async def jobs_owned(conn: psycopg.AsyncConnection, recruiter_id: UUID, company_id: UUID,
                     limit: int) -> list[dict[str, Any]]:
    """The company's open jobs that the recruiter owns."""
    return await fetch_all(
        conn,
        "SELECT id AS job_id, title AS job_title, status FROM ats.jobs"
        " WHERE company_id = %s AND job_owner_recruiter_id = %s AND status = ANY(%s)"
        " ORDER BY created_at, id LIMIT %s",
        (company_id, recruiter_id, list(OPEN_JOB_STATUSES), limit),
    )
