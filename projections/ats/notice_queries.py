"""What the notifier asks the ats read schema: the recruiters working on a job's open applications (told when
the job changes under them), and whether a job is its company's first."""

from __future__ import annotations

from uuid import UUID

import psycopg

from commands.ats.application_rules import TERMINAL


async def recruiters_on_open_applications(conn: psycopg.AsyncConnection, job_id: UUID) -> list[UUID]:
    """The recruiters (candidate's or company's) of the job's applications not in a terminal stage."""
    cur = await conn.execute(
        "SELECT DISTINCT r FROM ats.applications a,"
        " LATERAL unnest(ARRAY[a.candidate_recruiter_id, a.company_recruiter_id]) AS r"
        " WHERE a.job_id = %s AND a.stage <> ALL(%s) AND r IS NOT NULL ORDER BY r", (job_id, list(TERMINAL)))
    return [row[0] for row in await cur.fetchall()]


async def is_first_job_of_company(conn: psycopg.AsyncConnection, company_id: UUID, job_id: UUID) -> bool:
    """No other job of the company is in the read schema (the milestone of a company's first job)."""
    cur = await conn.execute("SELECT NOT EXISTS (SELECT 1 FROM ats.jobs WHERE company_id = %s AND id <> %s)",
                             (company_id, job_id))
    row = await cur.fetchone()
    return bool(row and row[0])
