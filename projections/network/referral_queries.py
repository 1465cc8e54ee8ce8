"""Queries on referral codes, referrals and company platform invitations (projections/network/referrals.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_all, fetch_one, fetch_page

_CODE = """
    SELECT id, recruiter_id, code, label, is_default, status, redemptions, created_at, deactivated_at
      FROM network.recruiter_codes"""


async def list_recruiter_codes(conn: psycopg.AsyncConnection, recruiter_id: UUID) -> list[dict[str, Any]]:
    return await fetch_all(conn, f"{_CODE} WHERE recruiter_id = %s ORDER BY created_at, id", (recruiter_id,))


async def recruiter_code_by_code(conn: psycopg.AsyncConnection, code: str) -> dict[str, Any] | None:
    """The code (the first made, were a code ever made twice) with what a public visitor may see of its
    recruiter: their slug, and their name when their marketplace profile is public."""
    return await fetch_one(conn, """
        SELECT c.id, c.recruiter_id, c.code, c.status, r.status AS recruiter_status, r.slug AS recruiter_slug,
               CASE WHEN r.marketplace_enabled AND r.marketplace_visibility = 'public' THEN u.name END
                   AS recruiter_name
          FROM network.recruiter_codes c
          LEFT JOIN network.recruiters r ON r.id = c.recruiter_id
          LEFT JOIN identity.users u ON u.id = r.user_id
         WHERE c.code = %s ORDER BY c.created_at, c.id LIMIT 1""", (code,))


async def referral_of(conn: psycopg.AsyncConnection, user_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(conn, "SELECT * FROM network.referrals WHERE user_id = %s", (user_id,))


_REFERRAL = """r.user_id, u.name AS user_name, r.code, r.redeemed_at,
               (SELECT cs.candidate_id FROM ats.candidates c
                  JOIN ats.candidate_sourcers cs ON cs.candidate_id = c.id
                 WHERE c.user_id = r.user_id AND cs.sourcer_recruiter_id = r.recruiter_id
                 ORDER BY c.created_at, c.id LIMIT 1) AS sourced_candidate_id,
               coalesce(ARRAY(SELECT DISTINCT co.company_id FROM identity.memberships m
                                JOIN ats.companies a ON a.identity_organization_id = m.organization_id
                                JOIN ats.company_sourcers co ON co.company_id = a.id
                               WHERE m.user_id = r.user_id AND co.sourcer_recruiter_id = r.recruiter_id
                               ORDER BY co.company_id), '{}') AS sourced_company_ids"""


async def list_referrals(conn: psycopg.AsyncConnection, recruiter_id: UUID, page: int,
                         limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page of the users who registered with the recruiter's codes, newest first, each with what they brought
    that the recruiter sources now: their candidate record, the companies of their organizations (none yet:
    pending); and their total."""
    return await fetch_page(conn, "network.referrals r LEFT JOIN identity.users u ON u.id = r.user_id",
                            "r.recruiter_id = %s", [recruiter_id], "r.redeemed_at DESC, r.user_id", page, limit,
                            columns=_REFERRAL)


_INVITATION = """
    SELECT id, recruiter_id, invite_code, invited_email, company_name_hint, personal_message,
           CASE WHEN status = 'pending' AND expires_at <= %s THEN 'expired' ELSE status END AS status,
           expires_at, accepted_by_user_id, organization_id, company_id, created_at, updated_at
      FROM network.company_invitations"""


_INVITATION_COLUMNS = """id, recruiter_id, invite_code, invited_email, company_name_hint, personal_message, status,
    expires_at, accepted_by_user_id, organization_id, company_id, created_at, updated_at"""


async def list_company_invitations(conn: psycopg.AsyncConnection, recruiter_id: UUID | None, now: datetime,
                                   page: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page of a recruiter's invitations, newest first (of all of them for `recruiter_id` None: a platform
    admin), a pending one past its `expires_at` shown `expired`; and their total."""
    condition: str = "TRUE" if recruiter_id is None else "recruiter_id = %s"
    params: list[Any] = [] if recruiter_id is None else [recruiter_id]
    rows, total = await fetch_page(conn, "network.company_invitations", condition, params, "created_at DESC, id",
                                   page, limit, columns=_INVITATION_COLUMNS)
    return [r | {"status": "expired"} if r["status"] == "pending" and r["expires_at"] <= now else r
            for r in rows], total


async def get_company_invitation(conn: psycopg.AsyncConnection, invitation_id: UUID,
                                 now: datetime) -> dict[str, Any] | None:
    return await fetch_one(conn, f"{_INVITATION} WHERE id = %s", (now, invitation_id))


async def company_invitation_by_digest(conn: psycopg.AsyncConnection, digest: str,
                                       now: datetime) -> dict[str, Any] | None:
    return await fetch_one(conn, f"{_INVITATION} WHERE token_digest = %s", (now, digest))
