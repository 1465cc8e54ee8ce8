"""What the conversations projection pushes to the stream, to every participant of the conversation (the
sender too: their other tabs and devices): a new message (`message`, as the conversation's messages read it)
and a read receipt (`read`: who read the conversation up to which message)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg_pool import AsyncConnectionPool

from adapters.live import Publication
from commands.conversations.conversation_events import ConversationMessageSent, ConversationRead
from eventstore import RecordedEvent
from projections.conversations.live_queries import participants_by_conversation

TYPES = frozenset({ConversationMessageSent.__name__, ConversationRead.__name__})


async def plan(pool: AsyncConnectionPool, events: Sequence[tuple[RecordedEvent, Any]]) -> list[Publication]:
    reads = {e.conversation_id for _, e in events if isinstance(e, ConversationRead)}
    participants = {}
    if reads:
        async with pool.connection() as conn:
            participants = await participants_by_conversation(conn, reads)
    publications = []
    for _, e in events:
        if isinstance(e, ConversationMessageSent):
            data = {"conversation_id": e.conversation_id, "message_id": e.message_id, "seq": e.seq,
                    "sender_user_id": e.sender_user_id, "kind": e.kind, "body": e.body,
                    "attachment_document_ids": e.attachment_document_ids, "sent_at": e.at.isoformat()}
            # The sender's own id for the message goes to the sender alone (their client matches its echo).
            publications += [Publication(user, "message", data | ({"client_message_id": e.client_message_id}
                                                                  if user == e.sender_user_id else {}))
                             for user in e.participant_user_ids]
        elif isinstance(e, ConversationRead):
            data = {"conversation_id": e.conversation_id, "user_id": e.user_id,
                    "up_to_message_id": e.up_to_message_id, "seq": e.seq, "at": e.at.isoformat()}
            publications += [Publication(user, "read", data) for user in participants.get(e.conversation_id, [])]
    return publications
