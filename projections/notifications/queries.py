"""Queries of the notifications schema: a user's inbox and unread count, and the development mailbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_one, fetch_page

Rows = tuple[list[dict[str, Any]], int]


async def list_inbox(db: psycopg.AsyncConnection, user_id: UUID, *, unread_only: bool = False,
                     category: str | None = None, page: int = 1, limit: int = 25) -> Rows:
    """The user's notifications, newest first; dismissed ones are left out."""
    condition, params = "i.user_id = %s AND i.dismissed_at IS NULL", [user_id]
    if unread_only:
        condition += " AND i.read_at IS NULL"
    if category is not None:
        condition += " AND i.category = %s"
        params.append(category)
    return await fetch_page(db, "notifications.inbox i", condition, params, "i.created_at DESC, i.id", page, limit,
                            columns="i.*")


async def unread_count(db: psycopg.AsyncConnection, user_id: UUID) -> int:
    row = await fetch_one(db, "SELECT count(*) AS n FROM notifications.inbox WHERE user_id = %s"
                              " AND read_at IS NULL AND dismissed_at IS NULL", (user_id,))
    return int(row["n"]) if row else 0


async def list_mailbox(db: psycopg.AsyncConnection, *, to: str | None = None, page: int = 1,
                       limit: int = 25) -> Rows:
    """The emails 'sent' to the local mailbox (no Resend key), newest first."""
    condition, params = "e.provider = 'mailbox'", []
    if to is not None:
        condition += " AND lower(e.recipient_email) = lower(%s)"
        params.append(to)
    return await fetch_page(db, "notifications.emails e", condition, params, "e.at DESC, e.notification_id", page,
                            limit, columns="e.*")


async def notifications_about(db: psycopg.AsyncConnection, source_event_ids: list[UUID],
                              user_ids: list[UUID]) -> list[UUID]:
    """The in-app notifications and emails sent because of these events, to whomever, and those sent to these
    users (for an erasure: what told the person, or other people about them)."""
    cur = await db.execute(
        "SELECT id FROM notifications.inbox WHERE source_event_id = ANY(%(events)s) OR user_id = ANY(%(users)s)"
        " UNION SELECT notification_id FROM notifications.emails"
        " WHERE source_event_id = ANY(%(events)s) OR user_id = ANY(%(users)s)"
        " ORDER BY 1", {"events": source_event_ids, "users": user_ids})
    return [row[0] for row in await cur.fetchall()]


async def inbox_older_than(db: psycopg.AsyncConnection, before: datetime) -> int:
    """How many inbox notifications were created before `before` (what notifications retention removes)."""
    cur = await db.execute("SELECT count(*) FROM notifications.inbox WHERE created_at < %s", (before,))
    row = await cur.fetchone()
    return row[0] if row else 0


async def mailbox_older_than(db: psycopg.AsyncConnection, before: datetime) -> int:
    """How many development-mailbox emails were sent before `before` (what mailbox retention removes)."""
    cur = await db.execute("SELECT count(*) FROM notifications.emails WHERE provider = 'mailbox' AND at < %s",
                           (before,))
    row = await cur.fetchone()
    return row[0] if row else 0
