"""Bounces and complaints over HTTP (issue 20 item 6): Resend's webhook, signed the way Svix signs it, about
emails the notifier sent through the fake Resend (the real `resend` SDK pointed at it).

The route records a delivery; `deliver` then runs the `resend-webhooks` process manager on what was recorded,
as the consumers would (they do not run here, so each step is seen). A notice is a fraud alert to the one
platform admin, Ada, run through the notifier the same way.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest

from commands.automation import fraud
from commands.identity import user as users
from commands.notifications.addresses import address_id_for
from commands.notifications.resend_events import recorded_part
from commands.notifications.delivery_events import (
    EmailAddressSuppressed,
    EmailDeliveryReported,
    ResendWebhookProcessed,
    ResendWebhookReceived,
)
from consumers.notifications.reactions import notifications_reactor
from consumers.notifications.resend_webhooks import resend_webhooks
from consumers.runtime.reactor import Reaction, Reactor, ReactorContext
from eventstore import EventStore, RecordedEvent, handle, load_checkpoint
from adapters.mail import mailer_for
from adapters.payments import payments_for
from adapters.settings import Settings
from projections.privacy.subjects import resolve_person
from tests.api import SEEDER, dev_auth, running_consumers, seed_user, serving
from tests.fakes import resend
from tests.fakes.resend import FakeResend
from tests.fakes.resend_webhooks import bounced, complained, delivered, new_secret, opened, signed
from tests.helpers import settled_head, wait_until

URL = "/webhooks/resend"
resend_fake = resend.resend_fake  # the fixture
SECRET = new_secret()


@dataclass
class World:
    client: httpx.AsyncClient
    store: EventStore
    resend: FakeResend
    context: ReactorContext
    clerk_id: str
    email: str

    async def projected(self) -> None:
        head = await settled_head(self.store)

        async def caught_up() -> bool:
            async with self.store.pool.connection() as conn:
                for name in ("identity", "notifications"):
                    checkpoint = await load_checkpoint(conn, f"projection:{name}")
                    if checkpoint is None or checkpoint.position < head:
                        return False
            return True

        await wait_until(caught_up)

    async def run(self, reactor: Reactor, recorded: RecordedEvent) -> None:
        assert self.store.registry is not None
        await reactor.handler(Reaction(self.store.registry.decode(recorded), recorded, reactor.name, self.store,
                                       self.context))

    async def notice(self) -> list[dict[str, Any]]:
        """A fraud alert to Ada, through the notifier: the emails it sent (to any address)."""
        before = len(self.resend.sent)
        signal_id, now = uuid4(), datetime.now(UTC)
        result = await handle(self.store, fraud.fraud_signal, signal_id, fraud.RaiseSignal(
            signal_id=signal_id, signal_type="rapid_submission", severity="high", confidence_score=90,
            trigger_event_id=uuid4(), by="analyzer", at=now), SEEDER)
        await self.projected()
        await self.run(notifications_reactor, (await self.store.read_stream(result.stream_id))[-1])
        await self.projected()  # the email recorded sent is in the read model a webhook finds it through
        return self.resend.sent[before:]

    async def post(self, payload: dict[str, Any] | bytes, secret: str = SECRET,
                   msg_id: str | None = None) -> httpx.Response:
        body, headers = signed(payload, secret, msg_id)
        return await self.client.post(URL, content=body, headers=headers)

    async def deliver(self, payload: dict[str, Any], msg_id: str | None = None) -> httpx.Response:
        """Post it, then run the process manager on what was recorded."""
        msg_id = msg_id or f"msg_{secrets.token_hex(8)}"
        answer = await self.post(payload, msg_id=msg_id)
        assert answer.status_code == 200, answer.text
        for recorded in await self.store.read_stream(f"resendwebhook-{msg_id}"):
            if recorded.type == "ResendWebhookReceived":
                await self.run(resend_webhooks, recorded)
        return answer

    async def preferences(self) -> dict[str, Any]:
        answer = await self.client.get("/v1/notification-preferences", headers=dev_auth(self.clerk_id))
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def streams(self, prefix: str) -> list[str]:
        async with self.store.pool.connection() as conn:
            cur = await conn.execute("SELECT stream_id FROM eventstore.streams WHERE stream_id LIKE %s ORDER BY 1",
                                     (f"{prefix}-%",))
            return [row[0] for row in await cur.fetchall()]


def _settings(store: EventStore, resend: FakeResend, **overrides: Any) -> Settings:
    return Settings(**{"database_url": store.pool.conninfo, "splits_dev_auth": True, "resend_api_key": "re_test",
                       "resend_api_url": resend.url, "resend_webhook_secret": SECRET, **overrides})


@pytest.fixture
async def world(fresh_store: EventStore, resend_fake: FakeResend) -> AsyncIterator[World]:
    settings = _settings(fresh_store, resend_fake)
    async with serving(fresh_store, settings) as (client, system), \
            running_consumers(system, only={"identity", "notifications"}):
        clerk_id = f"user_ada_{secrets.token_hex(4)}"
        await seed_user(fresh_store, clerk_id, roles=[("platform_admin", None)])
        context = ReactorContext(settings, payments_for(settings), mailer_for(settings))
        w = World(client, fresh_store, resend_fake, context, clerk_id, f"{clerk_id}@example.com")
        await w.projected()
        yield w


async def test_a_signed_bounce_is_recorded_once_and_a_redelivery_is_a_duplicate(world: World) -> None:
    w = world
    [sent] = await w.notice()
    payload = bounced(sent)
    first = await w.post(payload, msg_id="msg_bounce1")
    again = await w.post(payload, msg_id="msg_bounce1")
    assert (first.status_code, first.json()) == (200, {"status": "recorded", "svix_id": "msg_bounce1"})
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    recorded = await w.store.read_stream("resendwebhook-msg_bounce1")
    assert [e.type for e in recorded] == ["ResendWebhookReceived"]
    event = w.store.registry.decode(recorded[0])
    assert isinstance(event, ResendWebhookReceived) and event.payload == recorded_part(payload)
    assert event.event_type == "email.bounced"


async def test_the_bounce_is_reported_on_the_email_it_is_about(world: World) -> None:
    w = world
    [sent] = await w.notice()
    await w.deliver(delivered(sent), msg_id="msg_delivered")
    await w.deliver(bounced(sent, "Transient", "MailboxFull"), msg_id="msg_soft")
    [stream] = await w.streams("emaildelivery")
    reports = [w.store.registry.decode(e) for e in await w.store.read_stream(stream)]
    assert all(isinstance(r, EmailDeliveryReported) and r.provider_message_id == sent["id"] for r in reports)
    assert [(r.status, r.bounce_type, r.user_id) for r in reports] == [
        ("delivered", None, users.user_id_for(w.clerk_id)), ("bounced", "soft", users.user_id_for(w.clerk_id))]
    processed = w.store.registry.decode((await w.store.read_stream("resendwebhook-msg_soft"))[-1])
    assert isinstance(processed, ResendWebhookProcessed) and processed.outcome == "processed"


@pytest.mark.parametrize("case", ["wrong_secret", "tampered", "unsigned", "stale", "not_json", "no_bounce",
                                  "no_recipient", "float"])
async def test_a_bad_delivery_is_refused_and_writes_nothing(world: World, case: str) -> None:
    w = world
    [sent] = await w.notice()
    head = await settled_head(w.store)
    good = bounced(sent)
    if case == "wrong_secret":
        answer, code = await w.post(good, secret=new_secret()), "invalid_signature"
    elif case in ("tampered", "unsigned", "stale"):
        at = datetime(2026, 1, 1, tzinfo=UTC) if case == "stale" else None
        body, headers = signed(good, SECRET, at=at)
        if case == "tampered":
            body = body.replace(b"Permanent", b"Transient")
        if case == "unsigned":
            del headers["svix-signature"]
        answer, code = await w.client.post(URL, content=body, headers=headers), "invalid_signature"
    elif case == "not_json":
        answer, code = await w.post(b"{not json"), "malformed_webhook"
    elif case == "no_bounce":
        answer, code = await w.post({**good, "data": {k: v for k, v in good["data"].items() if k != "bounce"}}), \
            "malformed_webhook"
    elif case == "no_recipient":
        answer, code = await w.post({**good, "data": {**good["data"], "to": []}}), "malformed_webhook"
    else:
        answer, code = await w.post(b'{"type":"email.delivered","data":{"email_id":"x","to":["a@b.co"]},"n":1.5}'), \
            "malformed_webhook"
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code, answer.text
    assert await settled_head(w.store) == head
    assert await w.streams("resendwebhook") == []


async def test_without_the_secret_every_delivery_is_refused(fresh_store: EventStore,
                                                            resend_fake: FakeResend) -> None:
    async with serving(fresh_store, _settings(fresh_store, resend_fake, resend_webhook_secret=None)) as (client, _):
        body, headers = signed({"type": "email.delivered", "data": {"email_id": "x", "to": ["a@b.co"]}}, SECRET)
        answer = await client.post(URL, content=body, headers=headers)
    assert answer.status_code == 400 and answer.json()["code"] == "webhook_not_configured"
    assert "RESEND_WEBHOOK_SECRET" in answer.json()["detail"]


async def test_opens_are_acknowledged_and_not_recorded(world: World) -> None:
    w = world
    [sent] = await w.notice()
    answer = await w.post(opened(sent))
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    assert await w.streams("resendwebhook") == []


async def test_a_hard_bounce_stops_email_to_the_address_and_a_soft_one_does_not(world: World) -> None:
    w = world
    [sent] = await w.notice()
    await w.deliver(bounced(sent, "Transient", "MailboxFull"))
    await w.deliver(bounced(sent, "Undetermined", "Undetermined"))
    assert len(await w.notice()) == 1  # soft bounces: still sent
    assert (await w.preferences())["email_status"] == {"suppressed": False, "reason": None, "since": None}

    await w.deliver(bounced(sent, "Permanent", "General"))
    assert await w.notice() == [] and await w.notice() == []  # nothing more reaches Resend
    assert len(w.resend.sent_to(w.email)) == 2
    status = (await w.preferences())["email_status"]
    assert status["suppressed"] is True and status["reason"] == "bounced" and status["since"]
    [stream] = await w.streams("emailsuppression")
    assert stream == f"emailsuppression-{address_id_for(w.email)}"
    [suppression] = [w.store.registry.decode(e) for e in await w.store.read_stream(stream)]
    assert isinstance(suppression, EmailAddressSuppressed) and suppression.address == w.email
    await w.projected()
    async with w.store.pool.connection() as conn:  # the skipped emails are recorded failed, with the reason
        cur = await conn.execute("SELECT status, failure_reason FROM notifications.emails WHERE status = 'failed'")
        failed = await cur.fetchall()
    assert len(failed) == 2 and all("hard-bounced" in reason for _, reason in failed)


async def test_a_complaint_stops_email_to_the_address(world: World) -> None:
    w = world
    [sent] = await w.notice()
    await w.deliver(complained(sent))
    assert await w.notice() == []
    status = (await w.preferences())["email_status"]
    assert (status["suppressed"], status["reason"]) == (True, "complained")


async def test_after_the_address_changes_email_flows_again(world: World) -> None:
    w = world
    [sent] = await w.notice()
    await w.deliver(bounced(sent))
    assert await w.notice() == []
    new = f"new_{w.clerk_id}@example.com"
    user_id = users.user_id_for(w.clerk_id)
    await handle(w.store, users.user, user_id, users.RegisterUser(  # Clerk's user.updated with the new address
        user_id=user_id, clerk_user_id=w.clerk_id, email=new, email_verified=True, name=w.clerk_id,
        source="portal", by="test", at=datetime.now(UTC)), SEEDER)
    assert (await w.preferences())["email_status"]["suppressed"] is False
    [again] = await w.notice()
    assert again["to"] == [new]


async def test_the_user_clears_the_suppression_and_email_flows_again(world: World) -> None:
    w = world
    [sent] = await w.notice()
    url = "/v1/notification-preferences/email-suppression/clear"
    nothing = await w.client.post(url, headers=dev_auth(w.clerk_id))  # not suppressed: nothing recorded
    assert nothing.status_code == 200, nothing.text
    assert await w.streams("emailsuppression") == []
    assert (await w.client.post(url)).status_code == 401

    await w.deliver(bounced(sent))
    assert await w.notice() == []
    cleared = await w.client.post(url, headers=dev_auth(w.clerk_id))
    assert cleared.status_code == 200 and cleared.json()["id"] == str(address_id_for(w.email))
    assert (await w.preferences())["email_status"]["suppressed"] is False
    assert len(await w.notice()) == 1
    # A later hard bounce suppresses it again.
    await w.deliver(bounced(w.resend.sent[-1]))
    assert await w.notice() == []


async def test_someone_else_clearing_their_own_address_leaves_this_one_suppressed(world: World) -> None:
    w = world
    [sent] = await w.notice()
    await w.deliver(bounced(sent))
    other = f"user_bob_{secrets.token_hex(4)}"
    await seed_user(w.store, other)
    await w.projected()
    answer = await w.client.post("/v1/notification-preferences/email-suppression/clear", headers=dev_auth(other))
    assert answer.status_code == 200 and answer.json()["id"] != str(address_id_for(w.email))
    assert (await w.preferences())["email_status"]["suppressed"] is True
    assert await w.notice() == []


def test_the_reactor_is_registered() -> None:
    from consumers.reactors import all_reactors

    assert resend_webhooks in all_reactors()


async def test_erasing_the_person_erases_the_address_and_the_suppression_still_holds(world: World) -> None:
    """The person's subjects include each of their addresses (`emailaddress:<id>`): erasing them makes the
    recorded address and Resend's payload read as erased, and the suppression, keyed by the id, stays."""
    w = world
    [sent] = await w.notice()
    await w.deliver(bounced(sent), msg_id="msg_erased")
    await w.projected()
    async with w.store.pool.connection() as conn:
        person = await resolve_person(conn, "user", users.user_id_for(w.clerk_id))
    assert person is not None and f"emailaddress:{address_id_for(w.email)}" in person.subjects
    await w.store.keyring.erase([s for s in person.subjects if s.startswith("emailaddress:")])
    [suppression] = [w.store.registry.decode(e) for e in await w.store.read_stream(
        f"emailsuppression-{address_id_for(w.email)}")]
    assert isinstance(suppression, EmailAddressSuppressed) and suppression.address != w.email
    received = w.store.registry.decode((await w.store.read_stream("resendwebhook-msg_erased"))[0])
    assert w.email not in str(received.payload)
    assert await w.notice() == []  # still suppressed
    again = await w.post(bounced(sent), msg_id="msg_after_erasure")  # nothing more is recorded about it
    assert (again.status_code, again.json()["status"]) == (200, "ignored")


async def test_only_what_splits_reads_is_recorded_never_the_subject_naming_someone_else(world: World) -> None:
    """An email's subject names the person it is about ("Hired: Cami Candidate · …"), who is not its recipient:
    Resend's payload is sealed under the recipient's address, so erasing the person named could not reach a
    subject recorded there. The record keeps the type, the times, the email id, the recipients and the bounce."""
    w = world
    [sent] = await w.notice()
    payload = bounced(sent)
    payload["data"] |= {"subject": "Hired: Cami Candidate · Staff Engineer", "tags": [{"name": "person",
                                                                                       "value": "Cami"}],
                        "headers": [{"name": "X-Note", "value": "Cami"}]}
    assert (await w.post(payload, msg_id="msg_minimal")).json()["status"] == "recorded"
    event = w.store.registry.decode((await w.store.read_stream("resendwebhook-msg_minimal"))[0])
    data = payload["data"]
    assert event.payload == {"type": "email.bounced", "created_at": payload["created_at"], "data": {
        "email_id": data["email_id"], "to": data["to"], "created_at": data["created_at"], "bounce": data["bounce"]}}
    again = await w.post(payload, msg_id="msg_minimal")  # a redelivery still compares equal
    assert again.json()["status"] == "duplicate"
