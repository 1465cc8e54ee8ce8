"""Queries the API runs for candidates and their sourcers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import psycopg

from projections.ats.hire_queries import HIRED_BY_COMPANIES
from projections.reads import fetch_one, fetch_page

CandidateSort = Literal["created_at", "-created_at", "full_name", "-full_name", "updated_at", "-updated_at"]

_ORDER = {
    "created_at": "created_at ASC, id ASC",
    "-created_at": "created_at DESC, id DESC",
    "full_name": "full_name ASC, id ASC",
    "-full_name": "full_name DESC, id DESC",
    "updated_at": "updated_at ASC, id ASC",
    "-updated_at": "updated_at DESC, id DESC",
}


@dataclass(frozen=True)
class CandidateVisibility:
    """Which candidates a caller may read: the union of the parts that are set.

    `browse`: candidates on the marketplace (not hidden, not archived); `own_user_id`: the candidate
    record of that user account; `managed_by_user_id`: the recruiter-managed records that user created
    (whatever their visibility); `hired_by_company_ids`: the candidates these companies hired (whatever
    their visibility: a hire unlocks its record for the company, docs/decisions.md); `everything`: all
    candidates. `admits` judges a record from its stream, which knows nothing of hires: it serves the commands,
    and no command is a company's because of a hire.
    """

    everything: bool = False
    browse: bool = False
    own_user_id: UUID | None = None
    managed_by_user_id: UUID | None = None
    hired_by_company_ids: frozenset[UUID] = frozenset()

    def clause(self) -> tuple[str, list[Any]]:
        if self.everything:
            return "TRUE", []
        parts: list[str] = []
        params: list[Any] = []
        if self.browse:
            parts.append("(marketplace_visibility <> 'hidden' AND archived_at IS NULL)")
        if self.own_user_id is not None:
            parts.append("user_id = %s")
            params.append(self.own_user_id)
        if self.managed_by_user_id is not None:
            parts.append("(user_id IS NULL AND created_by_user_id = %s)")
            params.append(self.managed_by_user_id)
        if self.hired_by_company_ids:
            parts.append(HIRED_BY_COMPANIES)
            params.append(list(self.hired_by_company_ids))
        return ("(" + " OR ".join(parts) + ")") if parts else "FALSE", params

    def admits(self, *, user_id: UUID | None, created_by_user_id: UUID | None, marketplace_visibility: str,
               archived: bool) -> bool:
        return (
            self.everything
            or (self.browse and marketplace_visibility != "hidden" and not archived)
            or (self.own_user_id is not None and user_id == self.own_user_id)
            or (self.managed_by_user_id is not None and user_id is None
                and created_by_user_id == self.managed_by_user_id)
        )


@dataclass(frozen=True)
class CandidateFilter:
    """`archived`: False lists current candidates, True only archived ones."""

    search: str | None = None
    verification_status: str | None = None
    marketplace_visibility: str | None = None
    created_by_user_id: UUID | None = None
    # With `created_by_user_id`: also the candidates this recruiter represents (an active, consented
    # recruiter–candidate relationship in the network read schema).
    represented_by: UUID | None = None
    archived: bool = False
    # `scope=saved`: only the candidates this recruiter has saved.
    saved_by_recruiter_id: UUID | None = None


async def get_candidate(
    conn: psycopg.AsyncConnection, candidate_id: UUID, visible: CandidateVisibility
) -> dict[str, Any] | None:
    condition, params = visible.clause()
    return await fetch_one(conn, f"SELECT * FROM ats.candidates WHERE id = %s AND {condition}", (candidate_id, *params))


async def list_candidates(
    conn: psycopg.AsyncConnection, visible: CandidateVisibility, where: CandidateFilter, sort: CandidateSort,
    page: int, limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the candidates the caller may see that match the filter, and their total."""
    condition, params = visible.clause()
    clauses = [condition, "archived_at IS NOT NULL" if where.archived else "archived_at IS NULL"]
    if where.search:
        clauses.append("(full_name ILIKE %s OR current_title ILIKE %s)")
        params += [f"%{where.search}%"] * 2
    if where.verification_status:
        clauses.append("verification_status = %s")
        params.append(where.verification_status)
    if where.marketplace_visibility:
        clauses.append("marketplace_visibility = %s")
        params.append(where.marketplace_visibility)
    if where.created_by_user_id and where.represented_by:
        clauses.append("(created_by_user_id = %s OR id IN (SELECT candidate_id FROM network.recruiter_candidates"
                       " WHERE recruiter_id = %s AND status = 'active'))")
        params += [where.created_by_user_id, where.represented_by]
    elif where.created_by_user_id:
        clauses.append("created_by_user_id = %s")
        params.append(where.created_by_user_id)
    if where.saved_by_recruiter_id:
        clauses.append("id IN (SELECT item_id FROM ats.saved_items WHERE saver_kind = 'recruiter' AND saver_id = %s"
                       " AND item_kind = 'candidate')")
        params.append(where.saved_by_recruiter_id)
    return await fetch_page(conn, "ats.candidates", " AND ".join(clauses), params, _ORDER[sort], page, limit)


async def candidate_of_user(conn: psycopg.AsyncConnection, user_id: UUID) -> dict[str, Any] | None:
    """The candidate record that belongs to this user account, if any (the oldest, should there be two)."""
    return await fetch_one(conn, "SELECT * FROM ats.candidates WHERE user_id = %s ORDER BY created_at, id LIMIT 1",
                           (user_id,))


async def candidate_with_email(
    conn: psycopg.AsyncConnection, email: str, other_than: UUID | None = None
) -> dict[str, Any] | None:
    """A candidate (other than `other_than`) recorded with this email, compared without case."""
    return await fetch_one(
        conn, "SELECT * FROM ats.candidates WHERE lower(email) = lower(%s) AND id IS DISTINCT FROM %s"
              " ORDER BY created_at, id LIMIT 1", (email, other_than))


async def get_candidate_sourcer(conn: psycopg.AsyncConnection, candidate_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(conn, "SELECT * FROM ats.candidate_sourcers WHERE candidate_id = %s", (candidate_id,))


async def recruiter_managed_with_email(conn: psycopg.AsyncConnection, email: str) -> dict[str, Any] | None:
    """The oldest current recruiter-managed candidate recorded with this email, compared without case."""
    return await fetch_one(
        conn, "SELECT * FROM ats.candidates WHERE user_id IS NULL AND archived_at IS NULL"
              " AND lower(email) = lower(%s) ORDER BY created_at, id LIMIT 1", (email,))
