"""Queries the API runs against the identity read schema."""

from __future__ import annotations

from typing import Any
from datetime import datetime
from uuid import UUID

import psycopg

from projections.reads import fetch_all, fetch_one


async def get_user(conn: psycopg.AsyncConnection, user_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(conn, "SELECT * FROM identity.users WHERE id = %s AND deleted_at IS NULL", (user_id,))


async def memberships_of(conn: psycopg.AsyncConnection, user_id: UUID) -> list[dict[str, Any]]:
    return await fetch_all(conn, """
        SELECT m.organization_id, o.name AS organization_name, m.company_id, m.role
          FROM identity.memberships m LEFT JOIN identity.organizations o ON o.id = m.organization_id
         WHERE m.user_id = %s AND o.deleted_at IS NULL
         ORDER BY o.name, m.company_id NULLS FIRST""", (user_id,))


async def list_organizations(conn: psycopg.AsyncConnection, ids: list[UUID] | None) -> list[dict[str, Any]]:
    """Organizations by id (None: all of them), oldest first."""
    if ids is None:
        return await fetch_all(conn, "SELECT * FROM identity.organizations WHERE deleted_at IS NULL ORDER BY created_at, id", ())
    return await fetch_all(conn, "SELECT * FROM identity.organizations WHERE deleted_at IS NULL AND id = ANY(%s)"
                            " ORDER BY created_at, id", (ids,))


async def get_organization(conn: psycopg.AsyncConnection, organization_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(conn, "SELECT * FROM identity.organizations WHERE id = %s AND deleted_at IS NULL",
                      (organization_id,))


async def members_of(conn: psycopg.AsyncConnection, organization_id: UUID) -> list[dict[str, Any]]:
    return await fetch_all(conn, """
        SELECT m.user_id, u.email, u.name, m.company_id, m.role, m.added_at
          FROM identity.memberships m LEFT JOIN identity.users u ON u.id = m.user_id
         WHERE m.organization_id = %s ORDER BY m.added_at, m.user_id""", (organization_id,))


# A pending invitation past its date reads as expired before the scheduler records the expiry. `now` is the
# caller's clock (the first parameter), not the database's: a moved clock moves what reads as expired too.
_STATUS = "CASE WHEN i.status = 'pending' AND i.expires_at <= %s THEN 'expired' ELSE i.status END AS status"


async def invitations_of(conn: psycopg.AsyncConnection, organization_id: UUID, now: datetime) -> list[dict[str, Any]]:
    return await fetch_all(conn, f"SELECT i.*, {_STATUS} FROM identity.invitations i WHERE i.organization_id = %s"
                            " ORDER BY i.created_at DESC", (now, organization_id))


async def invitation_preview(conn: psycopg.AsyncConnection, invitation_id: UUID, now: datetime) -> dict[str, Any] | None:
    return await fetch_one(conn, f"""
        SELECT i.id, o.name AS organization_name, i.role, {_STATUS}, i.expires_at
          FROM identity.invitations i JOIN identity.organizations o ON o.id = i.organization_id
         WHERE i.id = %s""", (now, invitation_id))


async def consent_of(conn: psycopg.AsyncConnection, user_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(conn, "SELECT * FROM identity.consents WHERE user_id = %s", (user_id,))


# The scheduler's deadline query (consumers/runtime/scheduler.py `deadline_schedule`): rows (id, deadline) due at
# %(now)s, at most %(limit)s.
INVITATIONS_DUE = ("SELECT id, expires_at FROM identity.invitations WHERE status = 'pending' AND expires_at <= %(now)s"
                   " ORDER BY expires_at LIMIT %(limit)s")


async def email_of(conn: psycopg.AsyncConnection, user_id: UUID) -> str | None:
    """The user's email as the identity read model holds it (None for an unknown user)."""
    contact = await user_contact(conn, user_id)
    return contact[0] if contact else None


async def user_contact(conn: psycopg.AsyncConnection, user_id: UUID) -> tuple[str, str | None] | None:
    """The user's email and name (a deleted user's too: their row keeps what erasure has not scrubbed)."""
    cur = await conn.execute("SELECT email, name FROM identity.users WHERE id = %s", (user_id,))
    row = await cur.fetchone()
    return (row[0], row[1]) if row else None


async def platform_admin_contacts(conn: psycopg.AsyncConnection) -> list[tuple[UUID, str, str | None]]:
    """Every platform admin: (user id, email, name)."""
    cur = await conn.execute("SELECT DISTINCT u.id, u.email, u.name FROM identity.user_roles r JOIN identity.users u"
                             " ON u.id = r.user_id WHERE r.role = 'platform_admin' ORDER BY u.id")
    return [(row[0], row[1], row[2]) for row in await cur.fetchall()]


async def organization_name(conn: psycopg.AsyncConnection, organization_id: UUID) -> str | None:
    cur = await conn.execute("SELECT name FROM identity.organizations WHERE id = %s", (organization_id,))
    row = await cur.fetchone()
    return row[0] if row else None
