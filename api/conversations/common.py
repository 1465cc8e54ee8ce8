"""What the conversation routes share: the conversation as its stream has it and the caller's part in it, the
moderation checks (blocks and sanctions, from their streams) and read-your-writes.

A conversation is visible to its two participants; a platform admin reads one that has a report (not dismissed),
and changes nothing in it through these routes. To anyone else it does not exist (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends
from psycopg_pool import AsyncConnectionPool

from api.consistency import read_after
from api.errors import not_registered
from commands.conversations import block, sanction
from commands.conversations import conversation as conversations
from commands.conversations.conversation_rules import ConversationNotFound, RequestDeclined
from commands.core import Conflict, Forbidden
from eventstore import EventStore, Position, load, stream_id_for
from projections.conversations.moderation_queries import is_reported
from projections.conversations.queries import is_participant
from projections.identity.access import Access

FreshConversations = Annotated[Position | None, Depends(read_after("conversations"))]
Part = Literal["participant", "moderator"]


class ConversationBlocked(Forbidden):
    code = "conversation_blocked"

    def __init__(self) -> None:
        super().__init__("one of you blocked the other: no conversation can be started or continued")


class MessagingRestricted(Forbidden):
    code = "messaging_restricted"

    def __init__(self, restriction: str) -> None:
        super().__init__(f"your messaging is restricted ({restriction}) by the platform's moderation",
                         restriction=restriction)


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key answered an earlier request that sent another message: a new message "
                         "needs a new key")


def me(user: Access) -> UUID:
    """The caller's user id; a signed-in caller not registered yet must register first."""
    if user.user_id is None:
        raise not_registered()
    return user.user_id


async def conversation_of(store: EventStore, pool: AsyncConnectionPool, user: Access, conversation_id: UUID,
                          ) -> tuple[conversations.Conversation, Part]:
    """The conversation from its stream and the caller's part in it; 404 for anyone who may not read it."""
    state, _, _ = await load(store, conversations.conversation,
                             stream_id_for(conversations.conversation, conversation_id))
    if state.exists:
        if user.user_id is not None and user.user_id in state.participants:
            return state, "participant"
        if user.is_platform_admin:
            async with pool.connection() as conn:
                if await is_reported(conn, conversation_id):
                    return state, "moderator"
    raise ConversationNotFound(conversation_id)


async def reader_of(pool: AsyncConnectionPool, user: Access, conversation_id: UUID) -> Part:
    """The caller's part in a conversation they read, from the read schema (a read waits for its consistency token;
    the stream, which grows with every message, is left to the commands); 404 for anyone who may not read it."""
    async with pool.connection() as conn:
        if user.user_id is not None and await is_participant(conn, conversation_id, user.user_id):
            return "participant"
        if user.is_platform_admin and await is_reported(conn, conversation_id):
            return "moderator"
    raise ConversationNotFound(conversation_id)


async def participant_in(store: EventStore, pool: AsyncConnectionPool, user: Access,
                         conversation_id: UUID) -> conversations.Conversation:
    """The conversation, for a command of one of its participants (a moderator changes nothing here: 403)."""
    state, part = await conversation_of(store, pool, user, conversation_id)
    if part != "participant":
        raise Forbidden("platform admins read a reported conversation; they do not take part in it",
                        conversation_id=str(conversation_id))
    return state


async def check_may_message(store: EventStore, sender: UUID, other: UUID, at: datetime) -> None:
    """Refuse a message (or a start) between two people one of whom blocked the other, or from a sender whose
    messaging a moderator restricted. Read from the two block lists' and the sender's sanctions' streams (small:
    a list holds at most MAX_BLOCKS), not the read model, so a block or a sanction holds from its answer on."""
    for blocker, blocked in ((sender, other), (other, sender)):
        blocks, _, _ = await load(store, block.block_list, stream_id_for(block.block_list, blocker))
        if blocked in blocks.blocked:
            raise ConversationBlocked()
    sanctions, _, _ = await load(store, sanction.messaging_sanctions,
                                 stream_id_for(sanction.messaging_sanctions, sender))
    if (restriction := sanctions.in_force(at)) is not None:
        raise MessagingRestricted(restriction)


async def check_may_attach(store: EventStore, pool: AsyncConnectionPool, user: Access, conversation_id: UUID,
                           at: datetime) -> None:
    """A participant puts a file on the conversation (a message's attachment, which the other participant can list
    at once) only while they may send it a message: not a starter the recipient declined, not across a block, not
    under a messaging restriction."""
    state = await participant_in(store, pool, user, conversation_id)
    sender = me(user)
    if sender != state.recipient_user_id and state.recipient_state == "declined":
        raise RequestDeclined(conversation_id)
    for other in state.other_than(sender):
        await check_may_message(store, sender, other, at)


async def check_answered_with(store: EventStore, conversation_id: UUID, sender: UUID, client_message_id: str,
                              body: str, attachment_document_ids: list[UUID]) -> None:
    """A send answered from an earlier request under the same Idempotency-Key (nothing decided): that request must
    have sent this very message, or the answer would name a message that was never sent (409)."""
    state, _, _ = await load(store, conversations.conversation,
                             stream_id_for(conversations.conversation, conversation_id))
    sent = state.messages.get(conversations.message_id_for(conversation_id, sender, client_message_id))
    if sent is None or (sent.sent_body, sent.sent_attachments) != (body, tuple(attachment_document_ids)):
        raise IdempotencyKeyReused()
