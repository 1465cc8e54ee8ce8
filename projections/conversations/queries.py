"""Queries of the conversations read schema: a user's conversations (with their own state in each), one
conversation, its messages by number, and whether a user takes part in one.

A redacted message is listed with no words (`body` is None): the words stay in the table for the moderation of a
report (a platform admin reading a reported conversation sees them), never for the participants.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_all, fetch_one, fetch_page

Rows = tuple[list[dict[str, Any]], int]

_CONVERSATION = """
    c.id, c.participant_user_ids, c.started_by_user_id, c.recipient_user_id, c.requested_user_id, c.context_type,
    c.context_id, c.started_at, c.updated_at, c.last_message_id, c.last_message_seq, c.last_message_sender_user_id,
    c.last_message_at, CASE WHEN lm.redacted_at IS NULL THEN lm.body END AS last_message_body,
    lm.kind AS last_message_kind, lm.redacted_at IS NOT NULL AS last_message_redacted"""
_MINE = f"""{_CONVERSATION}, p.user_id, p.other_user_id, p.request_state, p.muted_at, p.archived_at,
    p.last_read_message_id, p.last_read_seq, p.last_read_at, p.unread_count, p.last_activity_at"""
_FROM = ("conversations.participants p JOIN conversations.conversations c ON c.id = p.conversation_id"
         " LEFT JOIN conversations.messages lm ON lm.id = c.last_message_id")


async def list_my_conversations(conn: psycopg.AsyncConnection, user_id: UUID, *, archived: bool = False,
                                requests: bool | None = None, page: int = 1, limit: int = 25) -> Rows:
    """The user's conversations, latest activity first, with their own state in each: the archived ones or the
    others; with `requests`, only those waiting for the user's answer (True) or none of those (False)."""
    condition = "p.user_id = %s AND (p.archived_at IS NOT NULL) = %s"
    params: list[Any] = [user_id, archived]
    if requests is not None:
        condition += " AND (p.request_state = 'pending' AND c.recipient_user_id = p.user_id) = %s"
        params.append(requests)
    return await fetch_page(conn, _FROM, condition, params, "p.last_activity_at DESC, c.id", page, limit,
                            columns=_MINE)


async def get_my_conversation(conn: psycopg.AsyncConnection, conversation_id: UUID,
                              user_id: UUID) -> dict[str, Any] | None:
    """The conversation with the user's own state in it; None when they are not a participant."""
    return await fetch_one(conn, f"SELECT {_MINE} FROM {_FROM} WHERE p.conversation_id = %s AND p.user_id = %s",
                           (conversation_id, user_id))


async def get_conversation(conn: psycopg.AsyncConnection, conversation_id: UUID) -> dict[str, Any] | None:
    """The conversation as nobody's in particular (for a platform admin reading a reported one)."""
    return await fetch_one(conn, f"SELECT {_CONVERSATION} FROM conversations.conversations c"
                                 " LEFT JOIN conversations.messages lm ON lm.id = c.last_message_id WHERE c.id = %s",
                           (conversation_id,))


async def participants_of(conn: psycopg.AsyncConnection, conversation_id: UUID) -> list[dict[str, Any]]:
    """Each participant's request state and read receipt (what the other one may see of them)."""
    return await fetch_all(conn, "SELECT user_id, request_state, last_read_message_id, last_read_seq, last_read_at"
                                 " FROM conversations.participants WHERE conversation_id = %s ORDER BY user_id",
                           (conversation_id,))


async def list_messages(conn: psycopg.AsyncConnection, conversation_id: UUID, *, after_seq: int | None = None,
                        before_seq: int | None = None, limit: int = 50, redacted_words: bool = False,
                        viewer: UUID | None = None) -> list[dict[str, Any]]:
    """Up to `limit` messages in order of their number: the first after `after_seq`, or the last before
    `before_seq` (the latest ones when neither is given). A redacted message's words and attachments only with
    `redacted_words` (a platform admin reading a reported conversation: taking a message down hides no evidence).
    A message's `client_message_id` only for its sender, the `viewer` (it is their client's own id)."""
    condition, params = "conversation_id = %s", [conversation_id]
    if after_seq is not None:
        condition += " AND seq > %s"
        params.append(after_seq)
    if before_seq is not None:
        condition += " AND seq < %s"
        params.append(before_seq)
    newest_first = after_seq is None
    rows = await fetch_all(
        conn, "SELECT id, conversation_id, seq, sender_user_id, kind,"
              " CASE WHEN redacted_at IS NULL OR %s THEN body END AS body,"
              " CASE WHEN sender_user_id = %s THEN client_message_id END AS client_message_id,"
              " CASE WHEN redacted_at IS NULL OR %s THEN attachment_document_ids ELSE '{}' END"
              " AS attachment_document_ids,"
              " sent_at, edited_at, redacted_at, redacted_by FROM conversations.messages"
              f" WHERE {condition} ORDER BY seq {'DESC' if newest_first else 'ASC'} LIMIT %s",
        [redacted_words, viewer, redacted_words, *params, limit])
    return sorted(rows, key=lambda r: r["seq"])


async def is_participant(conn: psycopg.AsyncConnection, conversation_id: UUID, user_id: UUID) -> bool:
    row = await fetch_one(conn, "SELECT 1 FROM conversations.participants WHERE conversation_id = %s AND user_id = %s",
                          (conversation_id, user_id))
    return row is not None


async def unread_total(conn: psycopg.AsyncConnection, user_id: UUID) -> int:
    """How many messages of others the user has not read, in the conversations they have not archived."""
    row = await fetch_one(conn, "SELECT coalesce(sum(unread_count), 0) AS n FROM conversations.participants"
                                " WHERE user_id = %s AND archived_at IS NULL", (user_id,))
    return int(row["n"]) if row else 0
