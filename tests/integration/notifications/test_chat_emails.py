"""Chat emails (consumers/notifications/chat.py): a message to a participant with no live stream open is emailed
once per conversation per quiet period, through the notifier's sending path, to the fake Resend with the real
SDK; not to a present participant, not to one who muted the conversation or turned `messaging` emails off."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from adapters.live import LiveHub
from adapters.mail import mailer_for
from adapters.payments import payments_for
from adapters.settings import Settings
from commands.conversations import conversation as conversations
from commands.conversations.conversation_commands import conversation_id_for
from commands.notifications import preferences as prefs
from consumers.notifications.reactions import notifications_reactor
from consumers.runtime.reactor import Reaction, ReactorContext
from eventstore import EventStore, Metadata, RecordedEvent, handle, load_checkpoint
from infra.bootstrap import system_for
from tests.api import running_consumers, seed_user
from tests.fakes.resend import FakeResend
from tests.fakes.resend import resend_fake as resend_fake  # noqa: F401  (the fixture)
from tests.helpers import settled_head, wait_until
from tests.integration.live.test_stream_processes import REDIS, forget_live_keys

SEEDER = Metadata(actor="test-seed", source="test")
QUIET_S = 900


@dataclass
class Chat:
    store: EventStore
    resend: FakeResend
    context: ReactorContext
    ann: UUID
    bob: UUID
    conversation_id: UUID
    sent: int = 0

    async def message(self, at: datetime, sender: UUID | None = None) -> RecordedEvent:
        """A message from `sender` (Ann) to the other; the recorded event the notifier gets."""
        sender = sender or self.ann
        self.sent += 1
        await handle(self.store, conversations.conversation, self.conversation_id, conversations.SendMessage(
            conversation_id=self.conversation_id, sender_user_id=sender, body=f"message {self.sent}",
            client_message_id=f"m{self.sent}", by=str(sender), at=at), SEEDER)
        return (await self.store.read_stream(f"conversation-{self.conversation_id}"))[-1]

    async def deliver(self, recorded: RecordedEvent, times: int = 1) -> None:
        assert self.store.registry is not None
        for _ in range(times):
            await notifications_reactor.handler(Reaction(self.store.registry.decode(recorded), recorded, "notifier",
                                                         self.store, self.context))

    def emails_to_bob(self) -> list[dict]:
        return self.resend.sent_to("user_chat_bob@example.com")


@contextlib.asynccontextmanager
async def chat(store: EventStore, resend: FakeResend, redis: bool = False, redis_url: str = REDIS
               ) -> AsyncIterator[tuple[Chat, LiveHub]]:
    """Ann and Bob in a conversation (projected); the notifier's context with a hub of its own (yielded too, as
    the API's: with Redis, another client, as another process would hold)."""
    settings = Settings(database_url=store.pool.conninfo, resend_api_key="re_test", resend_api_url=resend.url,
                        portal_url="https://portal.example", candidate_app_url="https://app.example",
                        chat_email_quiet_s=QUIET_S, redis_url=redis_url if redis else "")
    system = system_for(settings, store)
    ann, bob = await seed_user(store, "user_chat_ann"), await seed_user(store, "user_chat_bob")
    conversation_id = conversation_id_for(ann, bob, "none", None)
    await handle(store, conversations.conversation, conversation_id, conversations.StartConversation(
        conversation_id=conversation_id, started_by_user_id=ann, recipient_user_id=bob, context_type="none",
        context_id=None, by=str(ann), at=datetime.now(UTC)), SEEDER)
    api_hub, notifier_hub = system.adapters.live.hub(), system.adapters.live.hub()
    try:
        async with running_consumers(system, only={"identity", "conversations"}):
            head = await settled_head(store)

            async def projected() -> bool:
                async with store.pool.connection() as conn:
                    checkpoints = [await load_checkpoint(conn, f"projection:{name}")
                                   for name in ("identity", "conversations")]
                return all(c is not None and c.position >= head for c in checkpoints)

            await wait_until(projected)
            context = ReactorContext(settings, payments_for(settings), mailer_for(settings), live=notifier_hub)
            yield Chat(store, resend, context, ann, bob, conversation_id), api_hub
    finally:
        await api_hub.close()
        await notifier_hub.close()
        if redis:
            await forget_live_keys(store.pool.conninfo)


def _quiet_start(now: datetime) -> datetime:
    """The start of the quiet period `now` is in (the periods are counted from the epoch)."""
    return datetime.fromtimestamp(int(now.timestamp()) // QUIET_S * QUIET_S, UTC)


async def test_five_deliveries_of_a_message_send_one_email(fresh_store, resend_fake) -> None:  # noqa: F811
    async with chat(fresh_store, resend_fake) as (c, _):
        recorded = await c.message(datetime.now(UTC))
        await c.deliver(recorded, times=5)
        emails = c.emails_to_bob()
        assert len(emails) == 1
        assert emails[0]["subject"] == "user_chat_ann sent you a message on Splits"
        assert f"https://portal.example/messages/{c.conversation_id}" in emails[0]["text"]
        assert "message 1" not in emails[0]["text"] + emails[0]["html"]  # what was written stays behind the link
        assert resend_fake.sent_to("user_chat_ann@example.com") == []  # not to the sender


async def test_messages_within_the_quiet_period_send_one_email_and_the_next_period_another(
        fresh_store, resend_fake) -> None:  # noqa: F811
    async with chat(fresh_store, resend_fake) as (c, _):
        start = _quiet_start(datetime.now(UTC)) + timedelta(seconds=1)
        for minutes in (0, 5, 14):
            await c.deliver(await c.message(start + timedelta(minutes=minutes)))
        assert len(c.emails_to_bob()) == 1
        await c.deliver(await c.message(start + timedelta(seconds=QUIET_S)))  # the next period
        assert len(c.emails_to_bob()) == 2
        keys = {e["idempotency_key"] for e in c.resend.sent}
        assert len(keys) == 2


@pytest.mark.parametrize("redis", [False, True], ids=["in-process", "redis"])
async def test_a_recipient_with_a_stream_open_gets_no_email(fresh_store, resend_fake, redis) -> None:  # noqa: F811
    async with chat(fresh_store, resend_fake, redis=redis) as (c, api_hub):
        async with api_hub.connect(c.bob, None):  # Bob's stream is open (on "the API's" hub)
            await c.deliver(await c.message(datetime.now(UTC)))
            assert c.emails_to_bob() == []
        await c.deliver(await c.message(datetime.now(UTC)))  # gone: the next message is emailed
        assert len(c.emails_to_bob()) == 1


async def test_with_redis_away_the_recipient_is_taken_as_away_and_emailed(fresh_store, resend_fake) -> None:  # noqa: F811
    async with chat(fresh_store, resend_fake, redis=True, redis_url="redis://127.0.0.1:1/0") as (c, _):
        await c.deliver(await c.message(datetime.now(UTC)))
        assert len(c.emails_to_bob()) == 1


async def test_messaging_emails_off_or_the_conversation_muted_send_no_email(
        fresh_store, resend_fake) -> None:  # noqa: F811
    async with chat(fresh_store, resend_fake) as (c, _):
        now = datetime.now(UTC)
        await handle(c.store, prefs.preferences, c.bob, prefs.SetPreference(
            user_id=c.bob, category="messaging", email_enabled=False, in_app_enabled=True, at=now), SEEDER)
        await c.deliver(await c.message(now))
        assert c.emails_to_bob() == []
        # Messaging emails on again, but the conversation muted: still none.
        await handle(c.store, prefs.preferences, c.bob, prefs.SetPreference(
            user_id=c.bob, category="messaging", email_enabled=True, in_app_enabled=True, at=now), SEEDER)
        await handle(c.store, conversations.conversation, c.conversation_id, conversations.Mute(
            conversation_id=c.conversation_id, user_id=c.bob, by=str(c.bob), at=now), SEEDER)
        head = await settled_head(c.store)

        async def muted_projected() -> bool:
            async with c.store.pool.connection() as conn:
                checkpoint = await load_checkpoint(conn, "projection:conversations")
            return checkpoint is not None and checkpoint.position >= head

        await wait_until(muted_projected)
        await c.deliver(await c.message(now + timedelta(seconds=QUIET_S)))
        assert c.emails_to_bob() == []
