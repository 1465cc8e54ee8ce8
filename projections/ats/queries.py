"""Queries the API runs against the ats read schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import psycopg

from projections.reads import fetch_one, fetch_page

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
    # `scope=saved`: only the jobs this saver (kind, id) has saved.
    saved_by: tuple[str, UUID] | None = None


@dataclass(frozen=True)
class JobVisibility:
    """Which jobs a caller may read: the union of the parts that are set.

    `marketplace`: active jobs not in early access; `owner_recruiter_id`: jobs that recruiter owns, any
    status; `firm_ids`: those firms' off-platform jobs, any status; `company_ids`: those companies' jobs,
    any status; `everything`: all jobs.

    `early_access`: the marketplace includes the active jobs in early access (the caller's plan grants
    `early_access_roles`, domain §13). `now`: an early-access job whose `activates_at` has come is a marketplace
    job like any other, before the scheduler clears its flag (domain §4: the cron runs every few minutes).
    """

    everything: bool = False
    marketplace: bool = False
    early_access: bool = False
    now: datetime | None = None
    owner_recruiter_id: UUID | None = None
    firm_ids: frozenset[UUID] = field(default_factory=frozenset)
    company_ids: frozenset[UUID] = field(default_factory=frozenset)

    def clause(self) -> tuple[str, list[Any]]:
        if self.everything:
            return "TRUE", []
        parts: list[str] = []
        params: list[Any] = []
        if self.marketplace and self.early_access:
            parts.append("status = 'active'")
        elif self.marketplace and self.now is not None:
            parts.append("(status = 'active' AND (NOT is_early_access OR activates_at <= %s))")
            params.append(self.now)
        elif self.marketplace:
            parts.append("(status = 'active' AND NOT is_early_access)")
        if self.owner_recruiter_id is not None:
            parts.append("job_owner_recruiter_id = %s")
            params.append(self.owner_recruiter_id)
        if self.firm_ids:
            parts.append("source_firm_id = ANY(%s)")
            params.append(list(self.firm_ids))
        if self.company_ids:
            parts.append("company_id = ANY(%s)")
            params.append(list(self.company_ids))
        return ("(" + " OR ".join(parts) + ")") if parts else "FALSE", params

    def admits(self, *, company_id: UUID | None, source_firm_id: UUID | None, status: str, is_early_access: bool,
               job_owner_recruiter_id: UUID | None, activates_at: datetime | None = None) -> bool:
        released = (not is_early_access or self.early_access
                    or (self.now is not None and activates_at is not None and activates_at <= self.now))
        return (
            self.everything
            or (self.marketplace and status == "active" and released)
            or (self.owner_recruiter_id is not None and job_owner_recruiter_id == self.owner_recruiter_id)
            or (source_firm_id is not None and source_firm_id in self.firm_ids)
            or (company_id is not None and company_id in self.company_ids)
        )


async def get_job(conn: psycopg.AsyncConnection, job_id: UUID, visible: JobVisibility) -> dict[str, Any] | None:
    condition, params = visible.clause()
    return await fetch_one(conn, f"SELECT * FROM ats.jobs WHERE id = %s AND {condition}", (job_id, *params))


async def list_jobs(
    conn: psycopg.AsyncConnection, visible: JobVisibility, where: JobFilter, sort: JobSort, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the jobs the caller may see that match the filter, and their total."""
    condition, params = visible.clause()
    clauses = [condition]
    if where.status:
        clauses.append("status = ANY(%s)")
        params.append(where.status)
    if where.company_id:
        clauses.append("company_id = %s")
        params.append(where.company_id)
    if where.search:
        clauses.append("title ILIKE %s")
        params.append(f"%{where.search}%")
    if where.saved_by:
        clauses.append("id IN (SELECT item_id FROM ats.saved_items WHERE saver_kind = %s AND saver_id = %s"
                       " AND item_kind = 'job')")
        params += list(where.saved_by)
    return await fetch_page(conn, "ats.jobs", " AND ".join(clauses), params, _ORDER[sort], page, limit)


async def company_billing_ready(conn: psycopg.AsyncConnection, company_id: UUID | None) -> bool:
    if company_id is None:
        return False
    cur = await conn.execute("SELECT billing_ready FROM ats.company_billing WHERE company_id = %s", (company_id,))
    row = await cur.fetchone()
    return bool(row and row[0])


# The scheduler's deadline queries of jobs (consumers/runtime/scheduler.py `deadline_schedule`): rows (id, deadline)
# due at %(now)s, at most %(limit)s.
JOBS_LEAVING_EARLY_ACCESS = ("SELECT id, activates_at FROM ats.jobs WHERE is_early_access AND activates_at <= %(now)s"
                             " ORDER BY activates_at LIMIT %(limit)s")
JOBS_PAST_CLOSING = ("SELECT id, closes_at FROM ats.jobs WHERE status IN ('active', 'paused') AND closes_at <= %(now)s"
                     " ORDER BY closes_at LIMIT %(limit)s")


async def open_jobs_of(conn: psycopg.AsyncConnection, company_id: UUID) -> list[UUID]:
    """The company's jobs not yet closed: pending, active or paused."""
    cur = await conn.execute("SELECT id FROM ats.jobs WHERE company_id = %s AND status IN ('pending', 'active',"
                             " 'paused') ORDER BY id", (company_id,))
    return [row[0] for row in await cur.fetchall()]
