"""Queries the API runs for applications, their stage history and notes, and placements.

Who may read what is given as a visibility (built by api/ats/application_policy.py from the access
context) and applied in SQL, so a caller never learns of a row they may not see.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from commands.ats.application_rules import COMPANY_VISIBLE, IDLE_LIMITS, WARNING_LEAD
from projections.reads import fetch_page

ApplicationSort = Literal["created_at", "-created_at", "updated_at", "-updated_at", "last_activity_at",
                          "-last_activity_at", "stage", "-stage"]
PlacementSort = Literal["created_at", "-created_at", "hired_at", "-hired_at", "start_date", "-start_date",
                        "fee_cents", "-fee_cents"]

_COMPANY_STAGES = sorted(COMPANY_VISIBLE)


def _order(sort: str, alias: str) -> str:
    column, direction = (sort[1:], "DESC") if sort.startswith("-") else (sort, "ASC")
    return f"{alias}.{column} {direction}, {alias}.id {direction}"


def _company_sees(stage: str, stage_before_expiry: str | None) -> bool:
    return stage in COMPANY_VISIBLE or (stage == "expired" and stage_before_expiry in COMPANY_VISIBLE)


@dataclass(frozen=True)
class ApplicationVisibility:
    """Which applications a caller may read: the union of the parts that are set (domain §2.3).

    `candidate_id`: that candidate's own. `recruiter_id`: those where the recruiter is the candidate's or the
    company's recruiter; with `owner_company_ids`, those on jobs the recruiter owns at these companies (where
    they hold can_view_applications); with `firm_ids`, those on these firms' off-platform jobs.
    `company_ids`: those on these companies' jobs at a stage a company sees (or expired from one).
    """

    everything: bool = False
    candidate_id: UUID | None = None
    recruiter_id: UUID | None = None
    owner_company_ids: frozenset[UUID] = field(default_factory=frozenset)
    firm_ids: frozenset[UUID] = field(default_factory=frozenset)
    company_ids: frozenset[UUID] = field(default_factory=frozenset)

    def clause(self) -> tuple[str, list[Any]]:
        """A condition on `applications a LEFT JOIN jobs j ON j.id = a.job_id`."""
        if self.everything:
            return "TRUE", []
        parts: list[str] = []
        params: list[Any] = []
        if self.candidate_id is not None:
            parts.append("a.candidate_id = %s")
            params.append(self.candidate_id)
        if self.recruiter_id is not None:
            parts.append("a.candidate_recruiter_id = %s OR a.company_recruiter_id = %s")
            params += [self.recruiter_id, self.recruiter_id]
            if self.owner_company_ids:
                parts.append("(j.job_owner_recruiter_id = %s AND a.company_id = ANY(%s))")
                params += [self.recruiter_id, list(self.owner_company_ids)]
        if self.firm_ids:
            parts.append("(a.company_id IS NULL AND j.source_firm_id = ANY(%s))")
            params.append(list(self.firm_ids))
        if self.company_ids:
            parts.append("(a.company_id = ANY(%s) AND (a.stage = ANY(%s)"
                         " OR (a.stage = 'expired' AND a.stage_before_expiry = ANY(%s))))")
            params += [list(self.company_ids), _COMPANY_STAGES, _COMPANY_STAGES]
        return ("(" + " OR ".join(parts) + ")") if parts else "FALSE", params

    def admits(self, *, candidate_id: UUID | None, candidate_recruiter_id: UUID | None,
               company_recruiter_id: UUID | None, company_id: UUID | None, stage: str,
               stage_before_expiry: str | None, job_owner_recruiter_id: UUID | None,
               source_firm_id: UUID | None) -> bool:
        """The same rule as `clause`, for one application loaded from its stream."""
        rid = self.recruiter_id
        return (
            self.everything
            or (self.candidate_id is not None and candidate_id == self.candidate_id)
            or (rid is not None and rid in (candidate_recruiter_id, company_recruiter_id))
            or (rid is not None and job_owner_recruiter_id == rid and company_id in self.owner_company_ids)
            or (company_id is None and source_firm_id is not None and source_firm_id in self.firm_ids)
            or (company_id is not None and company_id in self.company_ids
                and _company_sees(stage, stage_before_expiry))
        )


@dataclass(frozen=True)
class ApplicationFilter:
    stage: list[str] | None = None
    job_id: UUID | None = None
    candidate_id: UUID | None = None


_APPLICATIONS = "ats.applications a LEFT JOIN ats.jobs j ON j.id = a.job_id"
_APPLICATION_COLUMNS = "a.*, j.title AS job_title, j.job_owner_recruiter_id, j.source_firm_id"


async def list_applications(
    conn: psycopg.AsyncConnection, visible: ApplicationVisibility, where: ApplicationFilter, sort: ApplicationSort,
    page: int, limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the applications the caller may see that match the filter, and their total."""
    condition, params = visible.clause()
    clauses = [condition]
    if where.stage:
        clauses.append("a.stage = ANY(%s)")
        params.append(where.stage)
    if where.job_id:
        clauses.append("a.job_id = %s")
        params.append(where.job_id)
    if where.candidate_id:
        clauses.append("a.candidate_id = %s")
        params.append(where.candidate_id)
    return await fetch_page(conn, _APPLICATIONS, " AND ".join(clauses), params, _order(sort, "a"), page, limit,
                            columns=_APPLICATION_COLUMNS)


async def get_application(
    conn: psycopg.AsyncConnection, application_id: UUID, visible: ApplicationVisibility
) -> dict[str, Any] | None:
    condition, params = visible.clause()
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(f"SELECT {_APPLICATION_COLUMNS} FROM {_APPLICATIONS} WHERE a.id = %s AND {condition}",
                          (application_id, *params))
        return await cur.fetchone()


async def stage_history(conn: psycopg.AsyncConnection, application_id: UUID) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT event_type, from_stage, to_stage, by, by_role, reason, at FROM ats.application_stage_history"
            " WHERE application_id = %s ORDER BY seq", (application_id,))
        return await cur.fetchall()


async def list_notes(
    conn: psycopg.AsyncConnection, application_id: UUID, visibilities: Collection[str]
) -> list[dict[str, Any]]:
    """The application's notes (not deleted) in these visibilities, oldest first."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT * FROM ats.application_notes WHERE application_id = %s AND deleted_at IS NULL"
            " AND visibility = ANY(%s) ORDER BY created_at, id", (application_id, sorted(visibilities)))
        return await cur.fetchall()


async def recruiter_represents(
    conn: psycopg.AsyncConnection, recruiter_id: UUID, candidate_id: UUID, at: datetime
) -> bool:
    """Whether the recruiter has an active, consented relationship with the candidate at `at` (from the
    network read schema)."""
    cur = await conn.execute(
        "SELECT 1 FROM network.recruiter_candidates WHERE recruiter_id = %s AND candidate_id = %s"
        " AND status = 'active' AND (relationship_end_date IS NULL OR relationship_end_date > %s) LIMIT 1",
        (recruiter_id, candidate_id, at))
    return await cur.fetchone() is not None


async def recruiter_works_with(conn: psycopg.AsyncConnection, recruiter_id: UUID, company_id: UUID) -> bool:
    """Whether the recruiter has an active relationship with the company (from the network read schema)."""
    cur = await conn.execute(
        "SELECT 1 FROM network.recruiter_companies WHERE recruiter_id = %s AND company_id = %s AND status = 'active'"
        " LIMIT 1", (recruiter_id, company_id))
    return await cur.fetchone() is not None


# --- placements ------------------------------------------------------------------------------------------

ATTRIBUTION = ("candidate_recruiter_id", "company_recruiter_id", "job_owner_recruiter_id",
               "candidate_sourcer_recruiter_id", "company_sourcer_recruiter_id")


@dataclass(frozen=True)
class PlacementVisibility:
    """Which placements a caller may read (domain §2.3): all, a candidate's own, those crediting a recruiter
    in any of the five roles, or those at these companies."""

    everything: bool = False
    candidate_id: UUID | None = None
    recruiter_id: UUID | None = None
    company_ids: frozenset[UUID] = field(default_factory=frozenset)

    def clause(self) -> tuple[str, list[Any]]:
        if self.everything:
            return "TRUE", []
        parts: list[str] = []
        params: list[Any] = []
        if self.candidate_id is not None:
            parts.append("p.candidate_id = %s")
            params.append(self.candidate_id)
        if self.recruiter_id is not None:
            parts.append("%s IN (" + ", ".join(f"p.{c}" for c in ATTRIBUTION) + ")")
            params.append(self.recruiter_id)
        if self.company_ids:
            parts.append("p.company_id = ANY(%s)")
            params.append(list(self.company_ids))
        return ("(" + " OR ".join(parts) + ")") if parts else "FALSE", params

    def admits(self, row: dict[str, Any]) -> bool:
        return (
            self.everything
            or (self.candidate_id is not None and row["candidate_id"] == self.candidate_id)
            or (self.recruiter_id is not None and self.recruiter_id in (row[c] for c in ATTRIBUTION))
            or (row["company_id"] is not None and row["company_id"] in self.company_ids)
        )


@dataclass(frozen=True)
class PlacementFilter:
    state: list[str] | None = None
    job_id: UUID | None = None
    candidate_id: UUID | None = None
    company_id: UUID | None = None


async def list_placements(
    conn: psycopg.AsyncConnection, visible: PlacementVisibility, where: PlacementFilter, sort: PlacementSort,
    page: int, limit: int,
) -> tuple[list[dict[str, Any]], int]:
    condition, params = visible.clause()
    clauses = [condition]
    for column in ("job_id", "candidate_id", "company_id"):
        if (value := getattr(where, column)) is not None:
            clauses.append(f"p.{column} = %s")
            params.append(value)
    if where.state:
        clauses.append("p.state = ANY(%s)")
        params.append(where.state)
    return await fetch_page(conn, "ats.placements p", " AND ".join(clauses), params, _order(sort, "p"), page, limit)


async def get_placement(
    conn: psycopg.AsyncConnection, placement_id: UUID, visible: PlacementVisibility
) -> dict[str, Any] | None:
    condition, params = visible.clause()
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(f"SELECT p.* FROM ats.placements p WHERE p.id = %s AND {condition}",
                          (placement_id, *params))
        return await cur.fetchone()


# --- the scheduler's deadline queries (consumers/runtime/scheduler.py `deadline_schedule`): rows (id, deadline)
# due at %(now)s, at most %(limit)s -------------------------------------------------------------------------------

# The expiry instant of each stage that expires: last activity + the stage's idle limit.
_DEADLINE = "CASE stage " + " ".join(
    f"WHEN '{stage}' THEN last_activity_at + interval '{int(limit.total_seconds())} seconds'"
    for stage, limit in IDLE_LIMITS.items()
) + " END"
_LEAD = f"interval '{int(WARNING_LEAD.total_seconds())} seconds'"
_EXPIRING = "(" + ", ".join(f"'{stage}'" for stage in IDLE_LIMITS) + ")"

APPLICATIONS_TO_WARN = (
    f"SELECT id, deadline FROM (SELECT id, expiry_warned_at, last_activity_at, {_DEADLINE} AS deadline"
    f"  FROM ats.applications WHERE stage IN {_EXPIRING}) a"
    f" WHERE deadline - {_LEAD} <= %(now)s AND deadline > %(now)s"
    "  AND (expiry_warned_at IS NULL OR expiry_warned_at < last_activity_at)"
    " ORDER BY deadline LIMIT %(limit)s")
APPLICATIONS_EXPIRED = (
    f"SELECT id, deadline FROM (SELECT id, {_DEADLINE} AS deadline FROM ats.applications"
    f"  WHERE stage IN {_EXPIRING}) a WHERE deadline <= %(now)s ORDER BY deadline LIMIT %(limit)s")
PLACEMENT_GUARANTEES_ENDED = (
    "SELECT id, guarantee_expires_at FROM ats.placements WHERE state IN ('hired', 'active')"
    " AND guarantee_expires_at <= %(now)s ORDER BY guarantee_expires_at LIMIT %(limit)s")


async def placement_company(conn: psycopg.AsyncConnection, placement_id: UUID) -> UUID | None:
    cur = await conn.execute("SELECT company_id FROM ats.placements WHERE id = %s", (placement_id,))
    row = await cur.fetchone()
    return row[0] if row else None
