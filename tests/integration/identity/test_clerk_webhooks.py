"""Clerk webhooks through HTTP on a real PostgreSQL: signed the way Svix signs, in the shape Clerk sends.

The route records a delivery and answers `recorded`; the `clerk-webhooks` reactor applies it. `Webhooks.deliver`
does both, as the consumers would (they do not run here), and answers with the delivery's outcome.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import structlog

from consumers.identity.clerk_webhooks import clerk_webhooks
from consumers.runtime.reactor import ReactorRunner
from infra.app import create_app
from commands.identity.organization import organization_id_for
from commands.identity.clerk_webhook import RecordClerkWebhook, clerk_webhook
from commands.identity.organization import company_id_for
from commands.identity.events import (
    ClerkWebhookProcessed,
    ClerkWebhookReceived,
    MembershipAdded,
    MembershipRemoved,
    MembershipRoleChanged,
    OrganizationCreated,
    OrganizationDeleted,
    OrganizationRenamed,
    UserDeleted,
    UserProfileUpdated,
    UserRegistered,
    UserRoleGranted,
    UserSignedIn,
)
from commands.identity import user as users
from commands.identity.user import user_id_for
from eventstore import EventStore, Metadata, handle
from infra.bootstrap import system_for
from adapters.settings import Settings
from tests.fakes.clerk_payloads import (
    body_of,
    event,
    membership,
    new_msg_id,
    new_secret,
    organization_created,
    organization_deleted,
    organization_updated,
    session_created,
    signed,
    user_created,
    user_deleted,
    user_updated,
)

PORTAL = new_secret()
CANDIDATE = new_secret()
URL = "/v2/webhooks/clerk"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Delivered:
    """The route's answer; for a delivery it recorded, the outcome of the reactor's run in its place."""

    http: httpx.Response
    answer: dict[str, Any] | None = None

    @property
    def status_code(self) -> int:
        return self.http.status_code

    @property
    def text(self) -> str:
        return f"{self.http.text} then {self.answer}" if self.answer else self.http.text

    @property
    def headers(self) -> httpx.Headers:
        return self.http.headers

    def json(self) -> Any:
        return self.answer if self.answer is not None else self.http.json()


@dataclass
class Webhooks:
    client: httpx.AsyncClient
    store: EventStore

    async def post(
        self, payload: dict[str, Any] | str, secret: str = PORTAL, msg_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> httpx.Response:
        body = body_of(payload) if isinstance(payload, dict) else payload
        return await self.client.post(URL, content=body, headers=signed(body, secret, msg_id or new_msg_id(), timestamp))

    async def deliver(
        self, payload: dict[str, Any] | str, secret: str = PORTAL, msg_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> Delivered:
        """POST the delivery; when the route recorded it, run the `clerk-webhooks` reactor on it."""
        return await self.applied(await self.post(payload, secret, msg_id, timestamp))

    async def applied(self, http: httpx.Response) -> Delivered:
        if http.status_code != 200 or http.json()["status"] != "recorded":
            return Delivered(http)
        svix_id = http.json()["svix_id"]
        runner = ReactorRunner(clerk_webhooks, self.store.pool, self.store, self.store.registry)
        for recorded in await self.store.read_stream(f"clerkwebhook-{svix_id}"):
            await runner.react(recorded)
        *_, done = await self.events(f"clerkwebhook-{svix_id}")
        assert isinstance(done, ClerkWebhookProcessed), done
        answer = {"status": done.outcome, "svix_id": svix_id}
        return Delivered(http, answer if done.reason is None else {**answer, "reason": done.reason})

    async def events(self, stream_id: str) -> list[Any]:
        return [self.store.registry.decode(e) for e in await self.store.read_stream(stream_id)]

    async def count(self) -> int:
        """Every event in the test's own database (the feed head can lag behind other runs' transactions) but
        the plan catalogue the API seeds when it starts."""
        async with self.store.pool.connection() as conn:
            cur = await conn.execute("SELECT count(*) FROM eventstore.events WHERE stream_id NOT LIKE 'plan-%'")
            return (await cur.fetchone())[0]


@contextlib.asynccontextmanager
async def serving(store: EventStore, **secrets: str | None) -> AsyncIterator[Webhooks]:
    settings = Settings(database_url=store.pool.conninfo, **secrets)
    system = system_for(settings, store)

    @contextlib.asynccontextmanager
    async def existing():
        yield system

    app = create_app(existing)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://splits") as client:
        yield Webhooks(client, store)


@pytest.fixture
async def hooks(fresh_store) -> AsyncIterator[Webhooks]:
    async with serving(fresh_store, splits_clerk_webhook_secret=PORTAL, app_clerk_webhook_secret=CANDIDATE) as h:
        yield h


def ok(answer: Delivered | httpx.Response, status: str = "processed") -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == status, answer.text
    return answer.json()


def user_stream(clerk_user_id: str) -> str:
    return f"user-{user_id_for(clerk_user_id)}"


def org_stream(clerk_org_id: str) -> str:
    return f"organization-{organization_id_for(clerk_org_id)}"


# --- accepted -----------------------------------------------------------------------------------------

async def test_portal_delivery_registers_the_user_and_records_the_payload(hooks: Webhooks) -> None:
    payload = user_created("user_2portal", "Ada@Example.com", at=T0)
    msg_id = new_msg_id()
    assert ok(await hooks.deliver(payload, PORTAL, msg_id)) == {"status": "processed", "svix_id": msg_id}

    uid = user_id_for("user_2portal")
    assert await hooks.events(user_stream("user_2portal")) == [UserRegistered(
        user_id=uid, clerk_user_id="user_2portal", email="ada@example.com", name="Ada Lovelace",
        image_url=payload["data"]["image_url"], source="portal", referred_by_recruiter_id=None,
        by="clerk:portal", at=T0, email_verified=True,  # Clerk's verification of the primary address
    )]
    raw, done = await hooks.events(f"clerkwebhook-{msg_id}")
    assert isinstance(raw, ClerkWebhookReceived) and isinstance(done, ClerkWebhookProcessed)
    assert (done.outcome, done.reason) == ("processed", None)
    assert (raw.svix_id, raw.instance, raw.event_type, raw.payload) == (msg_id, "portal", "user.created", payload)

    [recorded] = await hooks.store.read_stream(user_stream("user_2portal"))
    meta = recorded.metadata
    assert (meta["source"], meta["actor"], meta["causation_id"]) == ("clerk-webhook", "clerk:portal", msg_id)
    assert msg_id in meta["idempotency_key"]


async def test_candidate_delivery_registers_a_candidate(hooks: Webhooks) -> None:
    msg_id = new_msg_id()
    ok(await hooks.deliver(user_created("user_2cand", "cand@example.com", at=T0), CANDIDATE, msg_id))

    uid = user_id_for("user_2cand")
    registered, granted = await hooks.events(user_stream("user_2cand"))
    assert isinstance(registered, UserRegistered) and registered.source == "candidate"
    assert granted == UserRoleGranted(user_id=uid, role="candidate", role_entity_id=None, by="clerk:candidate", at=T0)
    raw, _ = await hooks.events(f"clerkwebhook-{msg_id}")
    assert raw.instance == "candidate"


async def test_standard_webhook_header_names_are_accepted(hooks: Webhooks) -> None:
    body = body_of(user_created("user_2std", "std@example.com", at=T0))
    answer = await hooks.client.post(URL, content=body, headers=signed(body, PORTAL, "msg_std", prefix="webhook"))
    assert ok(await hooks.applied(answer))["svix_id"] == "msg_std"
    assert [type(e) for e in await hooks.events(user_stream("user_2std"))] == [UserRegistered]


async def test_user_lifecycle_lands_on_the_user_stream(hooks: Webhooks) -> None:
    clerk_id, uid = "user_2life", user_id_for("user_2life")
    ok(await hooks.deliver(user_created(clerk_id, "ada@example.com", at=T0)))
    ok(await hooks.deliver(user_updated(clerk_id, "ada.king@example.com", created_at=T0, at=T0 + timedelta(hours=1),
                                        last_name="King", other_emails=("ada@example.com",))))
    ok(await hooks.deliver(session_created(clerk_id, "sess_2life", at=T0 + timedelta(hours=2))))
    ok(await hooks.deliver(user_deleted(clerk_id, at=T0 + timedelta(hours=3))))

    registered, *rest = await hooks.events(user_stream(clerk_id))
    assert isinstance(registered, UserRegistered) and registered.email == "ada@example.com"
    assert rest == [
        UserProfileUpdated(user_id=uid, changes={"email": "ada.king@example.com", "name": "Ada King"},
                           by="clerk:portal", at=T0 + timedelta(hours=1), email_verified=True),
        UserSignedIn(user_id=uid, session_id="sess_2life", by="clerk:portal", at=T0 + timedelta(hours=2)),
        UserDeleted(user_id=uid, by="clerk:portal", at=T0 + timedelta(hours=3)),
    ]

    late = ok(await hooks.deliver(session_created(clerk_id, "sess_2late", at=T0 + timedelta(hours=4))), "ignored")
    assert "deleted" in late["reason"]
    assert len(await hooks.events(user_stream(clerk_id))) == 4


async def test_organization_and_membership_flow(hooks: Webhooks) -> None:
    org, admin, member = "org_2acme", "user_2boss", "user_2dev"
    oid = organization_id_for(org)
    for payload in (
        organization_created(org, "Acme", "acme", at=T0, by=admin),
        membership("created", org, admin, "org:admin", at=T0),
        membership("created", org, member, "org:member", at=T0 + timedelta(minutes=1)),
        membership("updated", org, member, "org:admin", at=T0 + timedelta(minutes=2)),
        organization_updated(org, "Acme Corp", "acme-corp", at=T0 + timedelta(minutes=3)),
        membership("deleted", org, member, "org:admin", at=T0 + timedelta(minutes=4)),
        organization_deleted(org, at=T0 + timedelta(minutes=5)),
    ):
        ok(await hooks.deliver(payload))

    by = "clerk:portal"
    assert await hooks.events(org_stream(org)) == [
        OrganizationCreated(organization_id=oid, name="Acme", slug="acme", clerk_org_id=org, company_id=company_id_for(oid),
                            by=by, at=T0),
        MembershipAdded(organization_id=oid, user_id=user_id_for(admin), company_id=None, role="company_admin", by=by, at=T0),
        MembershipAdded(organization_id=oid, user_id=user_id_for(member), company_id=None, role="hiring_manager", by=by,
                        at=T0 + timedelta(minutes=1)),
        MembershipRoleChanged(organization_id=oid, user_id=user_id_for(member), company_id=None, from_role="hiring_manager",
                              to_role="company_admin", by=by, at=T0 + timedelta(minutes=2)),
        OrganizationRenamed(organization_id=oid, name="Acme Corp", slug="acme-corp", by=by, at=T0 + timedelta(minutes=3)),
        MembershipRemoved(organization_id=oid, user_id=user_id_for(member), company_id=None, role="company_admin", by=by,
                          at=T0 + timedelta(minutes=4)),
        OrganizationDeleted(organization_id=oid, by=by, at=T0 + timedelta(minutes=5)),
    ]


async def test_membership_of_unknown_organization_is_ignored_but_recorded(hooks: Webhooks) -> None:
    msg_id = new_msg_id()
    answer = ok(await hooks.deliver(membership("created", "org_2ghost", "user_2x", "org:member", at=T0), msg_id=msg_id),
                "ignored")
    assert answer["svix_id"] == msg_id and "does not exist" in answer["reason"]
    assert [type(e) for e in await hooks.events(f"clerkwebhook-{msg_id}")] == [ClerkWebhookReceived, ClerkWebhookProcessed]
    assert await hooks.events(org_stream("org_2ghost")) == []
    assert await hooks.count() == 2  # the payload and its outcome


async def test_unknown_event_type_is_recorded_only(hooks: Webhooks) -> None:
    msg_id = new_msg_id()
    payload = event("email.created", {"id": "ema_2x", "object": "email", "slug": "magic_link_sign_in"}, T0)
    answer = ok(await hooks.deliver(payload, msg_id=msg_id), "ignored")
    assert "email.created" in answer["reason"]
    raw, done = await hooks.events(f"clerkwebhook-{msg_id}")
    assert raw.payload == payload and done.outcome == "ignored"
    assert await hooks.count() == 2


async def test_user_without_email_is_recorded_only(hooks: Webhooks) -> None:
    ok(await hooks.deliver(user_created("user_2noemail", None, at=T0)), "ignored")
    assert await hooks.events(user_stream("user_2noemail")) == []
    assert await hooks.count() == 2


async def test_user_with_an_unusable_email_is_recorded_only(hooks: Webhooks) -> None:
    answer = ok(await hooks.deliver(user_created("user_2weird", "not-an-email", at=T0)), "ignored")
    assert "email" in answer["reason"]
    assert await hooks.events(user_stream("user_2weird")) == []
    assert await hooks.count() == 2


# --- dedupe ---------------------------------------------------------------------------------------------

async def test_redelivery_is_a_duplicate_and_writes_nothing(hooks: Webhooks) -> None:
    payload, msg_id = user_created("user_2again", "again@example.com", at=T0), new_msg_id()
    ok(await hooks.deliver(payload, msg_id=msg_id))
    before = await hooks.count()
    # Svix signs every attempt afresh: same id and body, a later timestamp.
    again = await hooks.deliver(payload, msg_id=msg_id, timestamp=datetime.now(UTC) + timedelta(seconds=30))
    assert ok(again, "duplicate") == {"status": "duplicate", "svix_id": msg_id}
    assert await hooks.count() == before == 3  # payload, user registered, processed


async def test_redelivery_does_not_undo_a_later_change(hooks: Webhooks) -> None:
    created, msg_id = user_created("user_2order", "o@example.com", at=T0), new_msg_id()
    ok(await hooks.deliver(created, msg_id=msg_id))
    ok(await hooks.deliver(user_updated("user_2order", "o@example.com", created_at=T0, at=T0 + timedelta(hours=1),
                                        first_name="Grace", last_name="Hopper")))
    ok(await hooks.deliver(created, msg_id=msg_id), "duplicate")
    last = (await hooks.events(user_stream("user_2order")))[-1]
    assert isinstance(last, UserProfileUpdated) and last.changes == {"name": "Grace Hopper"}


async def test_another_payload_under_a_known_svix_id_is_acknowledged_but_not_applied(hooks: Webhooks) -> None:
    """Svix retries anything but a 2xx for days: the second payload is answered 200 "ignored", nothing of it is
    applied or recorded, the first keeps its effect, and a warning names the id."""
    msg_id = new_msg_id()
    first = user_created("user_2one", "one@example.com", at=T0)
    ok(await hooks.deliver(first, msg_id=msg_id))
    before = await hooks.count()
    with structlog.testing.capture_logs() as logs:
        answer = await hooks.post(user_created("user_2two", "two@example.com", at=T0), msg_id=msg_id)
    assert ok(answer, "ignored")["reason"].startswith("another payload was received under this svix id first")
    assert await hooks.count() == before
    assert await hooks.events(user_stream("user_2two")) == []
    [registered] = await hooks.events(user_stream("user_2one"))
    assert isinstance(registered, UserRegistered) and registered.email == "one@example.com"
    assert [(e["log_level"], e["svix_id"]) for e in logs if "reuses a known svix id" in e["event"]] == [
        ("warning", msg_id)]
    ok(await hooks.deliver(first, msg_id=msg_id), "duplicate")  # the first payload is still the one known


# --- refused: 400 problem+json and nothing written ------------------------------------------------------

def _good() -> str:
    return body_of(user_created("user_2bad", "bad@example.com", at=T0))


def _signed_body(body: str) -> tuple[str, dict[str, str]]:
    return body, signed(body, PORTAL, new_msg_id())


def _malformed_user() -> str:
    payload = user_created("user_2bad", "bad@example.com", at=T0)
    payload["data"]["email_addresses"] = "bad@example.com"
    return body_of(payload)


def _at(minutes: int) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


REFUSED = {
    "forged-body": (lambda: (_good().replace("bad@", "evil@"), signed(_good(), PORTAL, new_msg_id())), "invalid_signature"),
    "wrong-secret": (lambda: (_good(), signed(_good(), new_secret(), new_msg_id())), "invalid_signature"),
    "stale-timestamp": (lambda: (_good(), signed(_good(), PORTAL, new_msg_id(), _at(-6))),
                        "invalid_signature"),
    "future-timestamp": (lambda: (_good(), signed(_good(), PORTAL, new_msg_id(), _at(6))),
                         "invalid_signature"),
    "missing-headers": (lambda: (_good(), {"content-type": "application/json"}), "invalid_signature"),
    "missing-signature": (lambda: (_good(), {k: v for k, v in signed(_good(), PORTAL, "msg_x").items()
                                             if k != "svix-signature"}), "invalid_signature"),
    "garbled-signature": (lambda: (_good(), {**signed(_good(), PORTAL, "msg_x"), "svix-signature": "garbage"}),
                          "invalid_signature"),
    "non-utf8-body": (lambda: (b'{"type": "\xff"}', signed("x", PORTAL, "msg_x")), "invalid_signature"),
    "not-json": (lambda: _signed_body('{"type": "user.created", "data": {'), "malformed_webhook"),
    "not-an-object": (lambda: _signed_body("[]"), "malformed_webhook"),
    "no-type": (lambda: _signed_body(body_of({"data": {"id": "user_2x"}, "object": "event"})), "malformed_webhook"),
    "no-data": (lambda: _signed_body(body_of({"type": "user.created", "object": "event"})), "malformed_webhook"),
    "float": (lambda: _signed_body(body_of(user_created("user_2f", "f@example.com", at=T0,
                                                        unsafe_metadata={"score": 0.5}))), "malformed_webhook"),
    "integral-float": (lambda: _signed_body(body_of(event("email.created", {"n": 1}, T0)).replace('"n":1', '"n":1.0')),
                       "malformed_webhook"),
    "unknown-shape": (lambda: _signed_body(_malformed_user()), "malformed_webhook"),
    "user-without-id": (lambda: _signed_body(body_of(event("user.deleted", {"deleted": True}, T0))),
                        "malformed_webhook"),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
async def test_bad_delivery_is_refused_and_writes_nothing(hooks: Webhooks, case) -> None:
    make, code = case
    body, headers = make()
    answer = await hooks.client.post(URL, content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 400 and answer.json()["code"] == code, answer.text
    assert await hooks.count() == 0


async def test_delivery_without_configured_secrets_is_refused(fresh_store) -> None:
    async with serving(fresh_store, splits_clerk_webhook_secret=None, app_clerk_webhook_secret=None) as hooks:
        answer = await hooks.deliver(user_created("user_2nosecret", "n@example.com", at=T0))
        assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "webhook_not_configured"
        assert await hooks.count() == 0


async def test_candidate_secret_alone_still_verifies(fresh_store) -> None:
    async with serving(fresh_store, splits_clerk_webhook_secret=None, app_clerk_webhook_secret=CANDIDATE) as hooks:
        ok(await hooks.deliver(user_created("user_2only", "only@example.com", at=T0), CANDIDATE))
        assert (await hooks.events(user_stream("user_2only")))[0].source == "candidate"
        refused = await hooks.deliver(user_created("user_2p", "p@example.com", at=T0), PORTAL)
        assert refused.status_code == 400


async def test_a_delivery_whose_processing_died_half_way_is_finished_by_the_reactor_once(hooks: Webhooks) -> None:
    """Recorded, and its first command ran before the process died: Svix's redelivery is only a duplicate (the
    route records, and only records), and the reactor's retry runs the rest, not the first again."""
    payload, msg_id = user_created("user_2half", "half@example.com", at=T0), new_msg_id()
    await handle(hooks.store, clerk_webhook, msg_id, RecordClerkWebhook(
        svix_id=msg_id, instance="candidate", event_type="user.created", payload=payload, received_at=T0))
    uid = user_id_for("user_2half")
    await handle(hooks.store, users.user, uid, users.RegisterUser(
        user_id=uid, clerk_user_id="user_2half", email="half@example.com", email_verified=True, name="Ada Lovelace",
        image_url=payload["data"]["image_url"], source="candidate", by="clerk:candidate", at=T0),
        Metadata(actor="clerk:candidate", idempotency_key=f"clerk:{msg_id}:0"))

    assert ok(await hooks.post(payload, CANDIDATE, msg_id), "duplicate") == {"status": "duplicate", "svix_id": msg_id}
    assert [type(e) for e in await hooks.events(user_stream("user_2half"))] == [UserRegistered]

    runner = ReactorRunner(clerk_webhooks, hooks.store.pool, hooks.store, hooks.store.registry)
    [received] = await hooks.store.read_stream(f"clerkwebhook-{msg_id}")
    await runner.react(received)
    assert [type(e) for e in await hooks.events(user_stream("user_2half"))] == [UserRegistered, UserRoleGranted]
    assert [type(e) for e in await hooks.events(f"clerkwebhook-{msg_id}")] == [ClerkWebhookReceived,
                                                                               ClerkWebhookProcessed]


async def test_the_route_records_and_answers_before_anything_is_applied(hooks: Webhooks) -> None:
    msg_id = new_msg_id()
    answer = await hooks.post(user_created("user_2later", "later@example.com", at=T0), PORTAL, msg_id)
    assert answer.status_code == 200 and answer.json() == {"status": "recorded", "svix_id": msg_id}
    assert [type(e) for e in await hooks.events(f"clerkwebhook-{msg_id}")] == [ClerkWebhookReceived]
    assert await hooks.events(user_stream("user_2later")) == []
    assert ok(await hooks.applied(answer))["status"] == "processed"
    assert [type(e) for e in await hooks.events(user_stream("user_2later"))] == [UserRegistered]


# --- about a person whose data was erased ---------------------------------------------------------------

async def test_delivery_about_an_erased_person_is_ignored_and_records_nothing(hooks: Webhooks) -> None:
    first = new_msg_id()
    ok(await hooks.deliver(user_created("user_2gone", "gone@example.com", at=T0), PORTAL, first))
    uid = user_id_for("user_2gone")
    await hooks.store.keyring.erase([f"clerk:user_2gone", f"user:{uid}"])
    before = await hooks.count()

    later = user_updated("user_2gone", "back@example.com", created_at=T0, at=T0 + timedelta(days=1))
    answer = ok(await hooks.post(later, PORTAL), "ignored")
    assert "erased" in answer["reason"]
    assert await hooks.count() == before  # neither the payload nor a profile change is recorded

    # Svix redelivering the first message, whose recorded payload now reads as erased, is still a duplicate.
    again = await hooks.deliver(user_created("user_2gone", "gone@example.com", at=T0), PORTAL, first)
    assert ok(again, "duplicate")["svix_id"] == first
    assert await hooks.count() == before


async def test_an_unverified_primary_address_is_recorded_unverified(hooks: Webhooks) -> None:
    payload = user_created("user_2unv", "new@example.com", at=T0)
    payload["data"]["email_addresses"][-1]["verification"]["status"] = "unverified"
    ok(await hooks.deliver(payload))
    [registered] = await hooks.events(user_stream("user_2unv"))
    assert (registered.email, registered.email_verified) == ("new@example.com", False)
    # Verified later: only the verification is recorded.
    verified = user_updated("user_2unv", "new@example.com", created_at=T0, at=T0 + timedelta(hours=1))
    ok(await hooks.deliver(verified))
    _, updated = await hooks.events(user_stream("user_2unv"))
    assert (updated.changes, updated.email_verified) == ({}, True)
