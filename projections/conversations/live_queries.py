"""Who is in a conversation, for live updates (projections/conversations/live.py) and chat emails
(consumers/notifications/chat.py)."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

import psycopg


async def participants_by_conversation(conn: psycopg.AsyncConnection, conversation_ids: Collection[UUID]
                                       ) -> dict[UUID, list[UUID]]:
    cur = await conn.execute("SELECT id, participant_user_ids FROM conversations.conversations WHERE id = ANY(%s)",
                             (list(conversation_ids),))
    return {row[0]: list(row[1]) for row in await cur.fetchall()}


async def chat_recipient(conn: psycopg.AsyncConnection, conversation_id: UUID, user_id: UUID
                         ) -> tuple[str, str | None, str, bool] | None:
    """For a chat email: the participant's email, name, the app they use (`portal` or `candidate`) and whether
    they muted the conversation; None when they are not a participant (or not a known user)."""
    cur = await conn.execute(
        "SELECT u.email, u.name, u.source, p.muted_at IS NOT NULL FROM conversations.participants p"
        " JOIN identity.users u ON u.id = p.user_id AND u.deleted_at IS NULL"
        " WHERE p.conversation_id = %s AND p.user_id = %s", (conversation_id, user_id))
    row = await cur.fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None
