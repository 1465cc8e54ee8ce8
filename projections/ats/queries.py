"""Queries the API runs against the ats read schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

JobSort = Literal["created_at", "-created_at", "title", "-title", "updated_at", "-updated_at"]

_ORDER = {
    "created_at": "created_at ASC, id ASC",
    "-created_at": "created_at DESC, id DESC",
    "title": "title ASC, id ASC",
    "-title": "title DESC, id DESC",
    "updated_at": "updated_at ASC, id ASC",
    "-updated_at": "updated_at DESC, id DESC",
}


@dataclass(frozen=True)
class JobFilter:
    status: list[str] | None = None
    company_id: UUID | None = None
    search: str | None = None


async def get_job(conn: psycopg.AsyncConnection, job_id: UUID) -> dict[str, Any] | None:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT * FROM ats.jobs WHERE id = %s", (job_id,))
        return await cur.fetchone()


async def list_jobs(
    conn: psycopg.AsyncConnection, where: JobFilter, sort: JobSort, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of jobs and the total matching the filter."""
    clauses, params = [], []
    if where.status:
        clauses.append("status = ANY(%s)")
        params.append(where.status)
    if where.company_id:
        clauses.append("company_id = %s")
        params.append(where.company_id)
    if where.search:
        clauses.append("title ILIKE %s")
        params.append(f"%{where.search}%")
    condition = " AND ".join(clauses) or "TRUE"
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            f"SELECT *, count(*) OVER () AS total FROM ats.jobs WHERE {condition}"
            f" ORDER BY {_ORDER[sort]} LIMIT %s OFFSET %s",
            (*params, limit, (page - 1) * limit),
        )
        found = await cur.fetchall()
        if found:
            return [{k: v for k, v in row.items() if k != "total"} for row in found], found[0]["total"]
        await cur.execute(f"SELECT count(*) AS total FROM ats.jobs WHERE {condition}", params)
        row = await cur.fetchone()
        return [], row["total"] if row else 0


async def company_billing_ready(conn: psycopg.AsyncConnection, company_id: UUID | None) -> bool:
    if company_id is None:
        return False
    cur = await conn.execute("SELECT billing_ready FROM ats.company_billing WHERE company_id = %s", (company_id,))
    row = await cur.fetchone()
    return bool(row and row[0])
