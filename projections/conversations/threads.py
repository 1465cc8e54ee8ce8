"""Conversations, their participants and their messages (domain §3.5 chat-service).

- `conversations`: the pair, the context, who started it (and whom they had asked for, when routed) and the
  last message's id, number, sender and time. The last message's words are read from `messages`, so a redaction
  or an erasure has one place to reach.
- `participants`: each participant's request state, mute and archive, how far they have read and how many
  messages of others they have not: counted from `messages`, never incremented, so applying an event again
  changes nothing.
- `messages`: every message with its number in the conversation; a redacted message keeps its row (and its words,
  for the moderation of a report), the queries serve no words for it.
"""

from __future__ import annotations

from collections.abc import Callable

from commands.conversations.conversation_events import (
    ConversationArchived,
    ConversationMessageEdited,
    ConversationMessageRedacted,
    ConversationMessageSent,
    ConversationMuted,
    ConversationRead,
    ConversationRequestAccepted,
    ConversationRequestDeclined,
    ConversationStarted,
    ConversationUnarchived,
    ConversationUnmuted,
)
from projections.conversations.schema import conversations
from projections.core import Sql

conversations.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS conversations (
        id                          uuid PRIMARY KEY,
        participant_user_ids        uuid[] NOT NULL,
        started_by_user_id          uuid NOT NULL,
        recipient_user_id           uuid NOT NULL,
        requested_user_id           uuid,
        context_type                text NOT NULL,
        context_id                  uuid,
        started_at                  timestamptz NOT NULL,
        last_message_id             uuid,
        last_message_seq            integer NOT NULL DEFAULT 0,
        last_message_sender_user_id uuid,
        last_message_at             timestamptz,
        updated_at                  timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS participants (
        conversation_id      uuid NOT NULL,
        user_id              uuid NOT NULL,
        other_user_id        uuid NOT NULL,
        request_state        text NOT NULL,
        muted_at             timestamptz,
        archived_at          timestamptz,
        last_read_message_id uuid,
        last_read_seq        integer NOT NULL DEFAULT 0,
        last_read_at         timestamptz,
        unread_count         integer NOT NULL DEFAULT 0,
        last_activity_at     timestamptz NOT NULL,
        PRIMARY KEY (conversation_id, user_id)
    );
    CREATE INDEX IF NOT EXISTS participants_user_idx ON participants (user_id, last_activity_at DESC);
    CREATE TABLE IF NOT EXISTS messages (
        id                      uuid PRIMARY KEY,
        conversation_id         uuid NOT NULL,
        seq                     integer NOT NULL,
        sender_user_id          uuid,
        kind                    text NOT NULL,
        body                    text NOT NULL,
        client_message_id       text NOT NULL,
        attachment_document_ids uuid[] NOT NULL DEFAULT '{}',
        sent_at                 timestamptz NOT NULL,
        edited_at               timestamptz,
        redacted_at             timestamptz,
        redacted_by             text,
        UNIQUE (conversation_id, seq)
    );
    """
)

# How many messages of others a participant has not read: recomputed, so the same event twice counts once.
_UNREAD = """
    unread_count = (SELECT count(*) FROM messages m
                     WHERE m.conversation_id = participants.conversation_id
                       AND m.seq > participants.last_read_seq
                       AND m.sender_user_id IS DISTINCT FROM participants.user_id)
"""


@conversations.handles(ConversationStarted)
def _(e: ConversationStarted) -> list[Sql]:
    starter, recipient = e.started_by_user_id, e.recipient_user_id
    return [
        Sql("INSERT INTO conversations (id, participant_user_ids, started_by_user_id, recipient_user_id,"
            " requested_user_id, context_type, context_id, started_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (e.conversation_id, e.participant_user_ids, starter, recipient, e.requested_user_id, e.context_type,
             e.context_id, e.at, e.at)),
        Sql("INSERT INTO participants (conversation_id, user_id, other_user_id, request_state, last_activity_at)"
            " VALUES (%s, %s, %s, 'accepted', %s), (%s, %s, %s, 'pending', %s)"
            " ON CONFLICT (conversation_id, user_id) DO NOTHING",
            (e.conversation_id, starter, recipient, e.at, e.conversation_id, recipient, starter, e.at)),
    ]


@conversations.handles(ConversationRequestAccepted)
def _(e: ConversationRequestAccepted) -> Sql:
    return Sql("UPDATE participants SET request_state = 'accepted' WHERE conversation_id = %s AND user_id = %s",
               (e.conversation_id, e.user_id))


@conversations.handles(ConversationRequestDeclined)
def _(e: ConversationRequestDeclined) -> Sql:
    return Sql("UPDATE participants SET request_state = 'declined' WHERE conversation_id = %s AND user_id = %s",
               (e.conversation_id, e.user_id))


@conversations.handles(ConversationMessageSent)
def _(e: ConversationMessageSent) -> list[Sql]:
    statements = [
        Sql("INSERT INTO messages (id, conversation_id, seq, sender_user_id, kind, body, client_message_id,"
            " attachment_document_ids, sent_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (e.message_id, e.conversation_id, e.seq, e.sender_user_id, e.kind, e.body, e.client_message_id,
             e.attachment_document_ids, e.at)),
        Sql("UPDATE conversations SET last_message_id = %s, last_message_seq = %s, last_message_sender_user_id = %s,"
            " last_message_at = %s, updated_at = %s WHERE id = %s AND last_message_seq < %s",
            (e.message_id, e.seq, e.sender_user_id, e.at, e.at, e.conversation_id, e.seq)),
    ]
    if e.sender_user_id is not None:  # sending reads the conversation up to the sent message
        statements.append(Sql(
            "UPDATE participants SET last_read_message_id = %s, last_read_seq = %s, last_read_at = %s"
            " WHERE conversation_id = %s AND user_id = %s AND last_read_seq < %s",
            (e.message_id, e.seq, e.at, e.conversation_id, e.sender_user_id, e.seq)))
    statements.append(Sql(
        f"UPDATE participants SET last_activity_at = greatest(last_activity_at, %s), {_UNREAD}"
        " WHERE conversation_id = %s", (e.at, e.conversation_id)))
    return statements


@conversations.handles(ConversationMessageEdited)
def _(e: ConversationMessageEdited) -> Sql:
    return Sql("UPDATE messages SET body = %s, edited_at = %s WHERE id = %s", (e.body, e.at, e.message_id))


@conversations.handles(ConversationMessageRedacted)
def _(e: ConversationMessageRedacted) -> Sql:
    return Sql("UPDATE messages SET redacted_at = coalesce(redacted_at, %s), redacted_by = coalesce(redacted_by, %s)"
               " WHERE id = %s", (e.at, e.redacted_by, e.message_id))


@conversations.handles(ConversationRead)
def _(e: ConversationRead) -> list[Sql]:
    return [
        Sql("UPDATE participants SET last_read_message_id = %s, last_read_seq = %s, last_read_at = %s"
            " WHERE conversation_id = %s AND user_id = %s AND last_read_seq < %s",
            (e.up_to_message_id, e.seq, e.at, e.conversation_id, e.user_id, e.seq)),
        Sql(f"UPDATE participants SET {_UNREAD} WHERE conversation_id = %s AND user_id = %s",
            (e.conversation_id, e.user_id)),
    ]


Toggle = ConversationMuted | ConversationUnmuted | ConversationArchived | ConversationUnarchived


def _set(column: str, value_from_event: bool) -> Callable[[Toggle], Sql]:
    """The handler that sets a participant's `column` to the event's time, or clears it."""

    def handler(e: Toggle) -> Sql:
        return Sql(f"UPDATE participants SET {column} = %s WHERE conversation_id = %s AND user_id = %s",
                   (e.at if value_from_event else None, e.conversation_id, e.user_id))
    return handler


conversations.handles(ConversationMuted)(_set("muted_at", True))
conversations.handles(ConversationUnmuted)(_set("muted_at", False))
conversations.handles(ConversationArchived)(_set("archived_at", True))
conversations.handles(ConversationUnarchived)(_set("archived_at", False))
