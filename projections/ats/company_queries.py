"""Queries the API runs for companies and their sourcers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import psycopg

from projections.reads import fetch_one, fetch_page

CompanySort = Literal["name", "-name", "created_at", "-created_at"]

_ORDER = {
    "name": "name ASC, id ASC",
    "-name": "name DESC, id DESC",
    "created_at": "created_at ASC, id ASC",
    "-created_at": "created_at DESC, id DESC",
}


@dataclass(frozen=True)
class CompanyVisibility:
    """Which companies a caller may read: the union of the parts that are set.

    `marketplace`: active companies shown on the marketplace; `company_ids`: those companies, whatever
    their status or visibility; `everything`: all companies.
    """

    everything: bool = False
    marketplace: bool = False
    company_ids: frozenset[UUID] = field(default_factory=frozenset)

    def clause(self) -> tuple[str, list[Any]]:
        if self.everything:
            return "TRUE", []
        parts: list[str] = []
        params: list[Any] = []
        if self.marketplace:
            parts.append("(marketplace_visible AND status = 'active')")
        if self.company_ids:
            parts.append("id = ANY(%s)")
            params.append(list(self.company_ids))
        return ("(" + " OR ".join(parts) + ")") if parts else "FALSE", params

    def admits(self, *, company_id: UUID | None, marketplace_visible: bool, status: str) -> bool:
        return (
            self.everything
            or (self.marketplace and marketplace_visible and status == "active")
            or (company_id is not None and company_id in self.company_ids)
        )


@dataclass(frozen=True)
class CompanyFilter:
    search: str | None = None
    industry: str | None = None
    status: str | None = None
    identity_organization_id: UUID | None = None


async def get_company(conn: psycopg.AsyncConnection, company_id: UUID, visible: CompanyVisibility) -> dict[str, Any] | None:
    condition, params = visible.clause()
    return await fetch_one(conn, f"SELECT * FROM ats.companies WHERE id = %s AND {condition}", (company_id, *params))


async def list_companies(
    conn: psycopg.AsyncConnection, visible: CompanyVisibility, where: CompanyFilter, sort: CompanySort, page: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the companies the caller may see that match the filter, and their total."""
    condition, params = visible.clause()
    clauses = [condition]
    if where.search:
        clauses.append("name ILIKE %s")
        params.append(f"%{where.search}%")
    if where.industry:
        clauses.append("lower(industry) = lower(%s)")
        params.append(where.industry)
    if where.status:
        clauses.append("status = %s")
        params.append(where.status)
    if where.identity_organization_id:
        clauses.append("identity_organization_id = %s")
        params.append(where.identity_organization_id)
    return await fetch_page(conn, "ats.companies", " AND ".join(clauses), params, _ORDER[sort], page, limit)


async def slug_taken(conn: psycopg.AsyncConnection, slug: str, by_other_than: UUID) -> bool:
    """Whether a company other than `by_other_than` already uses `slug`."""
    row = await fetch_one(conn, "SELECT 1 AS taken FROM ats.companies WHERE slug = %s AND id <> %s LIMIT 1",
                          (slug, by_other_than))
    return row is not None


async def get_company_sourcer(conn: psycopg.AsyncConnection, company_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(conn, "SELECT * FROM ats.company_sourcers WHERE company_id = %s", (company_id,))


async def company_admin_contacts(conn: psycopg.AsyncConnection, company_id: UUID) -> list[tuple[UUID, str, str | None]]:
    """The company's admins (of its organization, for every company or this one): (user id, email, name)."""
    cur = await conn.execute(
        "SELECT DISTINCT u.id, u.email, u.name FROM ats.companies c"
        " JOIN identity.memberships m ON m.organization_id = c.identity_organization_id"
        "  AND m.role = 'company_admin' AND (m.company_id IS NULL OR m.company_id = c.id)"
        " JOIN identity.users u ON u.id = m.user_id WHERE c.id = %s ORDER BY u.id", (company_id,))
    return [(row[0], row[1], row[2]) for row in await cur.fetchall()]


async def company_name(conn: psycopg.AsyncConnection, company_id: UUID) -> str | None:
    cur = await conn.execute("SELECT name FROM ats.companies WHERE id = %s", (company_id,))
    row = await cur.fetchone()
    return row[0] if row else None
