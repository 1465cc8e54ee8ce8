"""Queries of blocks, reports, messaging sanctions and the moderation trail.

The first three say whether two users blocked one another, whether a user is restricted at a moment (the routes
decide both on the streams, so that a block or a sanction holds from its answer on) and whether a conversation is
under a report a platform admin may read it for (the check the conversation reads make).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_one, fetch_page

Rows = tuple[list[dict[str, Any]], int]


async def blocked_between(conn: psycopg.AsyncConnection, a: UUID, b: UUID) -> bool:
    """Whether either user blocked the other."""
    row = await fetch_one(
        conn, "SELECT 1 FROM conversations.blocks WHERE (user_id = %s AND blocked_user_id = %s)"
              " OR (user_id = %s AND blocked_user_id = %s) LIMIT 1", (a, b, b, a))
    return row is not None


async def messaging_sanction(conn: psycopg.AsyncConnection, user_id: UUID, at: datetime) -> str | None:
    """"mute" or "suspend_messaging" while one is in force for the user at `at`, else None."""
    row = await fetch_one(
        conn, "SELECT restriction FROM conversations.sanctions WHERE user_id = %s AND restriction IS NOT NULL"
              " AND (until IS NULL OR until > %s)", (user_id, at))
    return None if row is None else row["restriction"]


async def is_reported(conn: psycopg.AsyncConnection, conversation_id: UUID) -> bool:
    """Whether the conversation has a report that was not dismissed (new, in review or resolved)."""
    row = await fetch_one(
        conn, "SELECT 1 FROM conversations.reports WHERE conversation_id = %s AND status <> 'dismissed' LIMIT 1",
        (conversation_id,))
    return row is not None


async def list_blocks(conn: psycopg.AsyncConnection, user_id: UUID, *, page: int = 1, limit: int = 25) -> Rows:
    """The users `user_id` blocked, latest first."""
    return await fetch_page(conn, "conversations.blocks", "user_id = %s", [user_id],
                            "blocked_at DESC, blocked_user_id", page, limit,
                            columns="blocked_user_id, blocked_at")


async def list_reports(conn: psycopg.AsyncConnection, *, status: str | None = None, conversation_id: UUID | None = None,
                       page: int = 1, limit: int = 25) -> Rows:
    """Reports, oldest first (the queue's order), optionally of one status and/or one conversation."""
    condition, params = "TRUE", []
    if status is not None:
        condition += " AND status = %s"
        params.append(status)
    if conversation_id is not None:
        condition += " AND conversation_id = %s"
        params.append(conversation_id)
    return await fetch_page(conn, "conversations.reports", condition, params, "created_at, id", page, limit)


async def get_report(conn: psycopg.AsyncConnection, report_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(conn, "SELECT * FROM conversations.reports WHERE id = %s", (report_id,))


async def get_sanction(conn: psycopg.AsyncConnection, user_id: UUID) -> dict[str, Any] | None:
    """The user's sanctions row: the restriction last recorded (NULL once lifted), with its reason and admin."""
    return await fetch_one(conn, "SELECT * FROM conversations.sanctions WHERE user_id = %s", (user_id,))


async def list_moderation_audit(conn: psycopg.AsyncConnection, *, user_id: UUID | None = None,
                                report_id: UUID | None = None, page: int = 1, limit: int = 25) -> Rows:
    """The admins' moderation actions, newest first, optionally about one user and/or one report."""
    condition, params = "TRUE", []
    if user_id is not None:
        condition += " AND user_id = %s"
        params.append(user_id)
    if report_id is not None:
        condition += " AND report_id = %s"
        params.append(report_id)
    return await fetch_page(conn, "conversations.moderation_audit", condition, params, "at DESC, id", page, limit)
