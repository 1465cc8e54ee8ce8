"""Whether a placement is someone's first: the company's, or one of its credited recruiters' (the notifications
reactor tells them with a notice of its own)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import psycopg

from projections.reads import fetch_all

_CREDITED = ("candidate_recruiter_id", "company_recruiter_id", "job_owner_recruiter_id",
             "candidate_sourcer_recruiter_id", "company_sourcer_recruiter_id")


async def placed_before(conn: psycopg.AsyncConnection, placement_id: UUID, at: datetime, company_id: UUID | None,
                        recruiter_ids: list[UUID]) -> tuple[bool, set[UUID]]:
    """(whether the company had a placement before this one, the recruiters among `recruiter_ids` credited on
    one before it). Before: made earlier, or at the same moment with a smaller id, so that two placements made
    at the same moment are not both someone's first."""
    earlier = "(p.created_at < %s OR (p.created_at = %s AND p.id < %s)) AND p.id <> %s"
    recruiters = " OR ".join(f"p.{column} = ANY(%s)" for column in _CREDITED)
    params: list[object] = [at, at, placement_id, placement_id]
    rows = await fetch_all(conn, f"""
        SELECT {', '.join(f'p.{column}' for column in _CREDITED)}, p.company_id FROM ats.placements p
         WHERE {earlier} AND (p.company_id = %s OR {recruiters})""",
                           [*params, company_id, *([list(recruiter_ids)] * len(_CREDITED))])
    company_before = company_id is not None and any(row["company_id"] == company_id for row in rows)
    wanted = set(recruiter_ids)
    recruiters_before = {row[column] for row in rows for column in _CREDITED if row[column] in wanted}
    return company_before, recruiters_before
