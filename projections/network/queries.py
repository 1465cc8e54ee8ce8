"""Queries the API runs against the network read schema (and, for names and emails, the identity one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from datetime import datetime
from uuid import UUID

import psycopg

from projections.reads import fetch_all, fetch_one

# --- recruiters -------------------------------------------------------------------------------------

_RECRUITER = """
    SELECT r.*, u.name, u.email
      FROM network.recruiters r LEFT JOIN identity.users u ON u.id = r.user_id"""

RecruiterSort = Literal["created_at", "-created_at", "years_experience", "-years_experience", "name", "-name"]
_RECRUITER_ORDER = {
    "created_at": "r.created_at ASC, r.id ASC",
    "-created_at": "r.created_at DESC, r.id DESC",
    "years_experience": "r.years_experience ASC NULLS LAST, r.id ASC",
    "-years_experience": "r.years_experience DESC NULLS LAST, r.id DESC",
    "name": "lower(u.name) ASC NULLS LAST, r.id ASC",
    "-name": "lower(u.name) DESC NULLS LAST, r.id DESC",
}
# On the marketplace: listed by its recruiter, public, and an active account.
MARKETPLACE = "r.marketplace_enabled AND r.marketplace_visibility = 'public' AND r.status = 'active'"


@dataclass(frozen=True)
class RecruiterFilter:
    search: str | None = None
    industry: str | None = None
    specialty: str | None = None
    location: str | None = None
    candidate_recruiter: bool | None = None
    company_recruiter: bool | None = None

    def clause(self) -> tuple[str, list[Any]]:
        parts, params = [MARKETPLACE], []
        if self.search:
            parts.append("(strpos(lower(coalesce(u.name, '') || ' ' || coalesce(r.tagline, '') || ' '"
                         " || coalesce(r.bio, '') || ' ' || array_to_string(r.specialties, ' ') || ' '"
                         " || array_to_string(r.industries, ' ')), lower(%s)) > 0)")
            params.append(self.search)
        if self.industry:
            parts.append("lower(%s) = ANY(SELECT lower(i) FROM unnest(r.industries) i)")
            params.append(self.industry)
        if self.specialty:
            parts.append("lower(%s) = ANY(SELECT lower(s) FROM unnest(r.specialties) s)")
            params.append(self.specialty)
        if self.location:
            parts.append("strpos(lower(coalesce(r.location, '')), lower(%s)) > 0")
            params.append(self.location)
        if self.candidate_recruiter is not None:
            parts.append("r.candidate_recruiter = %s")
            params.append(self.candidate_recruiter)
        if self.company_recruiter is not None:
            parts.append("r.company_recruiter = %s")
            params.append(self.company_recruiter)
        return " AND ".join(parts), params


async def list_marketplace_recruiters(conn: psycopg.AsyncConnection, where: RecruiterFilter, sort: RecruiterSort,
                                      page: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    condition, params = where.clause()
    rows = await fetch_all(conn, f"{_RECRUITER} WHERE {condition} ORDER BY {_RECRUITER_ORDER[sort]} LIMIT %s OFFSET %s",
                      [*params, limit, (page - 1) * limit])
    total = await fetch_one(conn, "SELECT count(*) AS n FROM network.recruiters r LEFT JOIN identity.users u"
                             f" ON u.id = r.user_id WHERE {condition}", params)
    return rows, total["n"] if total else 0


async def get_recruiter(conn: psycopg.AsyncConnection, recruiter_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(conn, f"{_RECRUITER} WHERE r.id = %s", (recruiter_id,))


async def recruiter_slug_taken(conn: psycopg.AsyncConnection, slug: str, other_than: UUID | None = None) -> bool:
    return await fetch_one(conn, "SELECT 1 FROM network.recruiters WHERE slug = %s AND id IS DISTINCT FROM %s",
                      (slug, other_than)) is not None


# --- recruiter ↔ candidate ----------------------------------------------------------------------------

# A pending invitation past its date, or an active relationship past its end, reads as what the
# scheduler will record, before it does. `now` is the caller's clock, given twice as the first two parameters.
_RC_STATUS = """CASE WHEN rc.status = 'pending' AND rc.invitation_expires_at <= %s THEN 'invitation_expired'
                     WHEN rc.status = 'active' AND rc.relationship_end_date <= %s THEN 'expired'
                     ELSE rc.status END AS status"""
_RC = f"""
    SELECT rc.id, rc.recruiter_id, u.name AS recruiter_name, rc.candidate_id, {_RC_STATUS}, rc.invited_at,
           rc.invitation_expires_at, rc.consent_given_at, rc.consent_user_id, rc.declined_at, rc.decline_reason,
           rc.relationship_start_date, rc.relationship_end_date, rc.terminated_by, rc.termination_reason,
           rc.created_at, rc.updated_at
      FROM network.recruiter_candidates rc
      LEFT JOIN network.recruiters r ON r.id = rc.recruiter_id
      LEFT JOIN identity.users u ON u.id = r.user_id"""


@dataclass(frozen=True)
class RecruiterCandidateScope:
    """Which relationships a caller may read: everything, or those of their recruiter, or their own as a
    candidate (by candidate id, or as the user who consented)."""

    everything: bool = False
    recruiter_id: UUID | None = None
    candidate_id: UUID | None = None
    user_id: UUID | None = None

    def clause(self) -> tuple[str, list[Any]]:
        if self.everything:
            return "TRUE", []
        parts, params = [], []
        if self.recruiter_id is not None:
            parts.append("rc.recruiter_id = %s")
            params.append(self.recruiter_id)
        if self.candidate_id is not None:
            parts.append("rc.candidate_id = %s")
            params.append(self.candidate_id)
        if self.user_id is not None:
            parts.append("rc.consent_user_id = %s")
            params.append(self.user_id)
        return ("(" + " OR ".join(parts) + ")") if parts else "FALSE", params


async def list_recruiter_candidates(conn: psycopg.AsyncConnection, scope: RecruiterCandidateScope,
                                    status: str | None, page: int, limit: int,
                                    now: datetime) -> tuple[list[dict[str, Any]], int]:
    condition, params = scope.clause()
    query = f"SELECT * FROM ({_RC} WHERE {condition}) x WHERE (%s::text IS NULL OR x.status = %s)"
    params = [now, now, *params, status, status]
    rows = await fetch_all(conn, f"{query} ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
                      [*params, limit, (page - 1) * limit])
    total = await fetch_one(conn, f"SELECT count(*) AS n FROM ({query}) y", params)
    return rows, total["n"] if total else 0


async def get_recruiter_candidate(conn: psycopg.AsyncConnection, relationship_id: UUID,
                                  scope: RecruiterCandidateScope, now: datetime) -> dict[str, Any] | None:
    condition, params = scope.clause()
    return await fetch_one(conn, f"{_RC} WHERE rc.id = %s AND {condition}", [now, now, relationship_id, *params])


async def candidate_invitation_by_digest(conn: psycopg.AsyncConnection, digest: str,
                                        now: datetime) -> dict[str, Any] | None:
    return await fetch_one(conn, f"{_RC} WHERE rc.token_digest = %s", (now, now, digest))


# --- recruiter ↔ company ------------------------------------------------------------------------------

_RCO = """
    SELECT rc.id, rc.recruiter_id, u.name AS recruiter_name, rc.company_id, rc.relationship_type, rc.status,
           rc.started_by, rc.message, rc.proposed_permissions, rc.permissions, rc.accepted_by,
           rc.terms_acknowledged_at, rc.relationship_start_date, rc.relationship_end_date, rc.declined_by,
           rc.decline_reason, rc.terminated_by, rc.termination_reason, rc.created_at, rc.updated_at
      FROM network.recruiter_companies rc
      LEFT JOIN network.recruiters r ON r.id = rc.recruiter_id
      LEFT JOIN identity.users u ON u.id = r.user_id"""


@dataclass(frozen=True)
class RecruiterCompanyScope:
    """Relationships a caller may read: everything, their recruiter's, or their companies'."""

    everything: bool = False
    recruiter_id: UUID | None = None
    company_ids: frozenset[UUID] = frozenset()

    def clause(self) -> tuple[str, list[Any]]:
        if self.everything:
            return "TRUE", []
        parts, params = [], []
        if self.recruiter_id is not None:
            parts.append("rc.recruiter_id = %s")
            params.append(self.recruiter_id)
        if self.company_ids:
            parts.append("rc.company_id = ANY(%s)")
            params.append(list(self.company_ids))
        return ("(" + " OR ".join(parts) + ")") if parts else "FALSE", params


async def list_recruiter_companies(conn: psycopg.AsyncConnection, scope: RecruiterCompanyScope, status: str | None,
                                   company_id: UUID | None, page: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    condition, params = scope.clause()
    where = (f"{condition} AND (%s::text IS NULL OR rc.status = %s)"
             " AND (%s::uuid IS NULL OR rc.company_id = %s)")
    params = [*params, status, status, company_id, company_id]
    rows = await fetch_all(conn, f"{_RCO} WHERE {where} ORDER BY rc.created_at DESC, rc.id DESC LIMIT %s OFFSET %s",
                      [*params, limit, (page - 1) * limit])
    total = await fetch_one(conn, f"SELECT count(*) AS n FROM network.recruiter_companies rc WHERE {where}", params)
    return rows, total["n"] if total else 0


async def get_recruiter_company(conn: psycopg.AsyncConnection, relationship_id: UUID,
                                scope: RecruiterCompanyScope) -> dict[str, Any] | None:
    condition, params = scope.clause()
    return await fetch_one(conn, f"{_RCO} WHERE rc.id = %s AND {condition}", [relationship_id, *params])


async def active_sourcer_of(conn: psycopg.AsyncConnection, company_id: UUID) -> UUID | None:
    row = await fetch_one(conn, "SELECT id FROM network.recruiter_companies WHERE company_id = %s AND status = 'active'"
                           " AND relationship_type = 'sourcer' LIMIT 1", (company_id,))
    return row["id"] if row else None


async def company_known(conn: psycopg.AsyncConnection, company_id: UUID) -> bool:
    """Whether an organization on the platform stands for this company."""
    return await fetch_one(conn, "SELECT 1 FROM identity.organizations WHERE company_id = %s AND deleted_at IS NULL",
                      (company_id,)) is not None


# --- firms --------------------------------------------------------------------------------------------

_FIRM = """
    SELECT f.*, (SELECT count(*) FROM network.firm_members m WHERE m.firm_id = f.id) AS member_count
      FROM network.firms f"""


async def list_firms(conn: psycopg.AsyncConnection, member_user_id: UUID | None) -> list[dict[str, Any]]:
    """Every firm (None), or the firms the user is a member of; newest first."""
    if member_user_id is None:
        return await fetch_all(conn, f"{_FIRM} ORDER BY f.created_at DESC, f.id DESC", ())
    return await fetch_all(conn, f"{_FIRM} WHERE f.id IN (SELECT firm_id FROM network.firm_members WHERE user_id = %s)"
                            " ORDER BY f.created_at DESC, f.id DESC", (member_user_id,))


async def get_firm(conn: psycopg.AsyncConnection, firm_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(conn, f"{_FIRM} WHERE f.id = %s", (firm_id,))


async def firm_slug_taken(conn: psycopg.AsyncConnection, slug: str) -> bool:
    return await fetch_one(conn, "SELECT 1 FROM network.firms WHERE slug = %s", (slug,)) is not None


async def firm_members(conn: psycopg.AsyncConnection, firm_id: UUID) -> list[dict[str, Any]]:
    return await fetch_all(conn, """
        SELECT m.user_id, m.recruiter_id, u.name, u.email, m.role, m.joined_at
          FROM network.firm_members m LEFT JOIN identity.users u ON u.id = m.user_id
         WHERE m.firm_id = %s
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, m.joined_at, m.user_id""",
                      (firm_id,))


# As _STATUS in projections/identity/queries.py: the caller's `now` is the first parameter.
_FI_STATUS = "CASE WHEN i.status = 'pending' AND i.expires_at <= %s THEN 'expired' ELSE i.status END AS status"


async def firm_invitations(conn: psycopg.AsyncConnection, firm_id: UUID, now: datetime) -> list[dict[str, Any]]:
    return await fetch_all(conn, f"""
        SELECT i.id, i.firm_id, i.email, i.role, {_FI_STATUS}, i.invited_by_user_id, i.expires_at, i.accepted_by,
               i.accepted_at, i.created_at
          FROM network.firm_invitations i WHERE i.firm_id = %s ORDER BY i.created_at DESC, i.id""", (now, firm_id))


async def firm_invitations_for(conn: psycopg.AsyncConnection, email: str, now: datetime) -> list[dict[str, Any]]:
    """The invitations sent to this email that can still be accepted."""
    return await fetch_all(conn, """
        SELECT i.id, i.firm_id, f.name AS firm_name, i.role, i.status, i.expires_at
          FROM network.firm_invitations i JOIN network.firms f ON f.id = i.firm_id
         WHERE i.email = %s AND i.status = 'pending' AND i.expires_at > %s
         ORDER BY i.created_at DESC, i.id""", (email, now))


async def holds_role(conn: psycopg.AsyncConnection, user_id: UUID, roles: tuple[str, ...]) -> bool:
    """Whether the user's identity roles include any of `roles`."""
    return await fetch_one(conn, "SELECT 1 FROM identity.user_roles WHERE user_id = %s AND role = ANY(%s)",
                      (user_id, list(roles))) is not None


# The scheduler's deadline queries (consumers/runtime/scheduler.py `deadline_schedule`): rows (id, deadline, ...)
# due at %(now)s, at most %(limit)s.
CANDIDATE_INVITATIONS_DUE = ("SELECT id, invitation_expires_at FROM network.recruiter_candidates"
                             " WHERE status = 'pending' AND invitation_expires_at <= %(now)s"
                             " ORDER BY invitation_expires_at LIMIT %(limit)s")
RECRUITER_CANDIDATES_ENDING = ("SELECT id, relationship_end_date FROM network.recruiter_candidates"
                               " WHERE status = 'active' AND relationship_end_date <= %(now)s"
                               " ORDER BY relationship_end_date LIMIT %(limit)s")
FIRM_INVITATIONS_DUE = ("SELECT firm_id, expires_at, id FROM network.firm_invitations"
                        " WHERE status = 'pending' AND expires_at <= %(now)s ORDER BY expires_at LIMIT %(limit)s")


async def firms_of_member(conn: psycopg.AsyncConnection, user_id: UUID, recruiter_id: UUID) -> list[UUID]:
    """The firms the user (or their recruiter profile) is a member of, the earliest joined first."""
    rows = await fetch_all(conn, "SELECT firm_id FROM network.firm_members WHERE user_id = %s OR recruiter_id = %s"
                                 " ORDER BY joined_at", (user_id, recruiter_id))
    return [row["firm_id"] for row in rows]


async def firms_administered_by(conn: psycopg.AsyncConnection, user_id: UUID) -> tuple[UUID, ...]:
    """The firms where the user is the owner or an admin."""
    rows = await fetch_all(conn, "SELECT firm_id FROM network.firm_members WHERE user_id = %s"
                                 " AND role IN ('owner', 'admin') ORDER BY firm_id", (user_id,))
    return tuple(row["firm_id"] for row in rows)


async def firms_owned_by(conn: psycopg.AsyncConnection, user_id: UUID) -> list[tuple[UUID, str, str | None]]:
    """The firms the user owns: (id, status, suspended reason)."""
    rows = await fetch_all(conn, "SELECT id, status, suspended_reason FROM network.firms WHERE owner_user_id = %s"
                                 " ORDER BY id", (user_id,))
    return [(row["id"], row["status"], row["suspended_reason"]) for row in rows]


async def firm_name(conn: psycopg.AsyncConnection, firm_id: UUID) -> str | None:
    row = await fetch_one(conn, "SELECT name FROM network.firms WHERE id = %s", (firm_id,))
    return row["name"] if row else None


async def recruiter_contact(conn: psycopg.AsyncConnection, recruiter_id: UUID) -> tuple[UUID, str, str | None] | None:
    """The recruiter's user: (user id, email, name)."""
    cur = await conn.execute("SELECT u.id, u.email, u.name FROM network.recruiters r JOIN identity.users u"
                             " ON u.id = r.user_id WHERE r.id = %s", (recruiter_id,))
    row = await cur.fetchone()
    return (row[0], row[1], row[2]) if row else None
