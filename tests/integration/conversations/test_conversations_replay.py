"""Rebuilding the conversations read schema gives the same conversations, participants (unread counts and read
receipts included) and messages as the live projector built, and a replay repairs drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from psycopg import sql

from commands.conversations import conversation as c
from commands.conversations.conversation_commands import FirstMessage
from consumers.runtime.projector import Projector
from consumers.runtime.replay import replay
from eventstore import EventStore, handle
from projections.conversations import conversations
from tests.api import SEEDER
from tests.helpers import feed_settled

TABLES = ("conversations", "participants", "messages")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def schema_rows(store: EventStore, schema: str) -> dict[str, list]:
    rows = {}
    async with store.pool.connection() as conn:
        for table in TABLES:
            query = sql.SQL("SELECT to_jsonb(t) FROM {}.{} t ORDER BY to_jsonb(t)::text").format(
                sql.Identifier(schema), sql.Identifier(table))
            rows[table] = [r[0] for r in await (await conn.execute(query)).fetchall()]
    return rows


async def test_a_rebuild_of_the_conversations_schema_equals_the_live_one(fresh_store: EventStore) -> None:
    store = fresh_store
    ada, bo, cy = uuid4(), uuid4(), uuid4()
    first = c.conversation_id_for(ada, bo, "none", None)
    routed = c.conversation_id_for(ada, cy, "job", job := uuid4())
    commands: list = [
        (first, c.StartConversation(conversation_id=first, started_by_user_id=ada, recipient_user_id=bo,
                                    context_type="none", context_id=None, by="a", at=at(0),
                                    first_message=FirstMessage(body="hello", client_message_id="a1"))),
        (first, c.SendMessage(conversation_id=first, sender_user_id=ada, body="are you there?",
                              client_message_id="a2", by="a", at=at(1))),
        (first, c.SendMessage(conversation_id=first, sender_user_id=bo, body="yes", client_message_id="b1", by="b",
                              at=at(2))),
        (first, c.EditMessage(conversation_id=first, message_id=c.message_id_for(first, ada, "a2"), user_id=ada,
                              body="still there?", by="a", at=at(3))),
        (first, c.RedactMessage(conversation_id=first, message_id=c.message_id_for(first, bo, "b1"), user_id=bo,
                                by="b", at=at(4))),
        (first, c.MarkRead(conversation_id=first, user_id=ada, up_to_message_id=c.message_id_for(first, bo, "b1"),
                           by="a", at=at(5))),
        (first, c.Mute(conversation_id=first, user_id=bo, by="b", at=at(6))),
        (first, c.Archive(conversation_id=first, user_id=ada, by="a", at=at(7))),
        (first, c.Unarchive(conversation_id=first, user_id=ada, by="a", at=at(8))),
        (first, c.SendMessage(conversation_id=first, sender_user_id=ada, body="ok", client_message_id="a3", by="a",
                              at=at(8))),
        (routed, c.StartConversation(conversation_id=routed, started_by_user_id=ada, recipient_user_id=cy,
                                     context_type="job", context_id=job, requested_user_id=bo,
                                     routed_notice="routed", by="a", at=at(9))),
        (routed, c.DeclineRequest(conversation_id=routed, user_id=cy, by="c", at=at(10))),
    ]
    for conversation_id, command in commands:
        await handle(store, c.conversation, conversation_id, command, SEEDER)
    await feed_settled(store)
    live = Projector(store.pool, conversations, store.registry)
    await live.ensure_schema()
    await live.catch_up()
    built = await schema_rows(store, "conversations")
    assert len(built["conversations"]) == 2 and len(built["messages"]) == 5
    states = {(p["conversation_id"], p["user_id"]): p for p in built["participants"]}
    assert states[(str(first), str(ada))]["unread_count"] == 0 and states[(str(first), str(bo))]["unread_count"] == 1
    assert states[(str(first), str(bo))]["muted_at"] is not None
    assert states[(str(routed), str(cy))]["request_state"] == "declined"

    reference = Projector(store.pool, conversations, store.registry, schema="conversations_reference",
                          checkpoint="projection:conversations_reference")
    await reference.ensure_schema()
    await reference.catch_up()
    assert await schema_rows(store, "conversations_reference") == built

    async with store.pool.connection() as conn:  # drift, as a buggy handler would leave it
        await conn.execute("UPDATE conversations.participants SET unread_count = 40")
        await conn.execute("DELETE FROM conversations.messages")
    await replay(store.pool, conversations, store.registry, batch_size=3)
    assert await schema_rows(store, "conversations") == built
