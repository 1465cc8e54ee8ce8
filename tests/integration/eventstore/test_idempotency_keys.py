"""An `Idempotency-Key` names a request, and a request may send several commands: each gets ids of its own
under the key, so every effect happens the first time, and the same request sent again (same key) repeats
every one of them as a duplicate and changes nothing.

One test per route that sends more than one command, each sent twice with one key, reading the streams the
commands write (payments simulated, as in `splits dev`; registration through fake Clerk instances). Then
requests stopped between their commands (PostgreSQL refuses one append, `tests.faults`) and sent again with
their key: the retry does what is left, and Stripe holds what the first run made, once.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import psycopg
import pytest

from commands.ats import company as companies
from commands.billing import billing_profile as profiles
from commands.billing import connect_account as connect
from commands.billing import subscription as subscriptions
from commands.identity import organization as orgs
from commands.identity import user as users
from commands.network import firm as firms
from eventstore import EventStore, handle, stream_id_for
from adapters.settings import Settings
from tests.api import SEEDER, bearer, dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.conftest import RABBITMQ_URL
from tests.faults import crash_once_at
from tests.fakes import stripe as fake_stripe
from tests.fakes.clerk import FakeClerk, FakeClerkBackend
from tests.fakes.stripe import FakeStripe
from tests.helpers import wait_until

stripe_fake = fake_stripe.stripe_fake

# The SDK's own use of httpx (`data=` with raw bytes) warns on every async call.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@dataclass
class World:
    client: httpx.AsyncClient
    store: EventStore
    run: str

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    def user_id(self, name: str) -> UUID:
        return users.user_id_for(self.clerk_id(name))

    async def twice(self, who: str, method: str, path: str, expect: int, **kwargs: Any) -> list[httpx.Response]:
        """The same request sent twice with one Idempotency-Key (a client retrying after a lost answer)."""
        headers = dev_auth(self.clerk_id(who)) | {"Idempotency-Key": f"retry-{secrets.token_hex(8)}"}
        answers = []
        for _ in range(2):
            answer = await self.client.request(method, path, headers=headers, **kwargs)
            assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text}"
            answers.append(answer)
        return answers

    async def types(self, stream_id: str) -> list[str]:
        return [e.type for e in await self.store.read_stream(stream_id)]

    async def known(self, name: str) -> None:
        await seed_user(self.store, self.clerk_id(name))

        async def registered() -> bool:
            answer = await self.client.get("/v1/users/me", headers=dev_auth(self.clerk_id(name)))
            return answer.status_code == 200

        await wait_until(registered)

    async def has_role(self, name: str, role: str) -> None:
        async def granted() -> bool:
            me = await self.client.get("/v1/users/me", headers=dev_auth(self.clerk_id(name)))
            return me.status_code == 200 and role in me.json()["data"]["roles"]

        await wait_until(granted)


@pytest.fixture
async def world(fresh_store: EventStore, topology) -> AsyncIterator[World]:
    settings = Settings(database_url=fresh_store.pool.conninfo, rabbitmq_url=RABBITMQ_URL,
                        rabbitmq_prefix=topology.prefix, splits_dev_auth=True, consistency_wait_s=10)
    async with serving(fresh_store, settings) as (client, system), running_consumers(
            system, only={"relay", "identity", "network", "recruiter-roles"}):
        yield World(client, fresh_store, secrets.token_hex(4))


def same_answer(first: httpx.Response, again: httpx.Response) -> None:
    """The retry is answered with the first run's entity and version: nothing new was recorded."""
    assert (again.json()["id"], again.json()["version"]) == (first.json()["id"], first.json()["version"])


async def test_a_keyed_organization_creation_records_the_creator_as_its_admin_once(world: World) -> None:
    w = world
    await w.known("cora")
    first, again = await w.twice("cora", "POST", "/v1/organizations", 201,
                                 json={"name": "Acme", "slug": f"acme-{w.run}"})
    stream = stream_id_for(orgs.organization, UUID(first.json()["id"]))
    assert await w.types(stream) == ["OrganizationCreated", "MembershipAdded"]
    [_, added] = await w.store.read_stream(stream)
    assert (added.data["user_id"], added.data["role"]) == (str(w.user_id("cora")), "company_admin")
    same_answer(first, again)
    assert await w.types(stream) == ["OrganizationCreated", "MembershipAdded"]


async def _company(w: World, admin: str) -> UUID:
    company_id = uuid4()
    await w.known(admin)
    org_id = await seed_organization(w.store, company_id, [(w.clerk_id(admin), "company_admin", False)])
    await w.has_role(admin, "company_admin")
    await handle(w.store, companies.company, company_id, companies.CreateCompany(
        company_id=company_id, identity_organization_id=org_id, name="Acme", slug=f"acme-{secrets.token_hex(3)}",
        by="seed", at=datetime.now(UTC)), SEEDER)
    return company_id


async def _firm(w: World, owner: str) -> UUID:
    firm_id = uuid4()
    await w.known(owner)
    await handle(w.store, firms.firm, firm_id, firms.CreateFirm(
        firm_id=firm_id, name="Firm", slug=f"firm-{secrets.token_hex(3)}", by_user_id=w.user_id(owner),
        may_create_firms=True, by="seed", at=datetime.now(UTC)), SEEDER)
    return firm_id


@pytest.mark.parametrize("kind", ["company", "firm"])
async def test_a_keyed_billing_profile_save_records_its_stripe_customer_once(world: World, kind: str) -> None:
    w = world
    owner_id = await (_company(w, "cora") if kind == "company" else _firm(w, "fern"))
    who = "cora" if kind == "company" else "fern"
    path = f"/v1/{'companies' if kind == 'company' else 'firms'}/{owner_id}/billing-profile"
    first, again = await w.twice(who, "PUT", path, 200, json={"billing_email": "ap@acme.example"})
    assert first.json()["data"]["stripe_customer_id"].startswith("sim_cus_")
    stream = stream_id_for(profiles.billing_profile, profiles.billing_profile_key(kind, owner_id))  # type: ignore[arg-type]
    recorded = await w.types(stream)
    assert recorded[:2] == ["BillingProfileSaved", "BillingCustomerAttached"]
    assert again.json()["data"] == first.json()["data"]
    assert await w.types(stream) == recorded


async def _recruiter(w: World, name: str) -> UUID:
    await w.known(name)
    created = await w.client.post("/v1/recruiters", json={}, headers=dev_auth(w.clerk_id(name)))
    assert created.status_code == 201, created.text
    await w.has_role(name, "recruiter")
    return UUID(created.json()["id"])


async def test_a_keyed_subscription_records_its_customer_and_the_plan_once(world: World) -> None:
    w = world
    await _recruiter(w, "rex")
    first, again = await w.twice("rex", "POST", "/v1/subscriptions", 201, json={"tier": "pro"})
    assert (first.json()["data"]["tier"], first.json()["data"]["status"]) == ("pro", "active")
    stream = stream_id_for(subscriptions.subscription, w.user_id("rex"))
    assert await w.types(stream) == ["SubscriptionCustomerCreated", "SubscriptionActivated"]
    assert again.json()["data"]["tier"] == "pro"
    assert await w.types(stream) == ["SubscriptionCustomerCreated", "SubscriptionActivated"]


@pytest.mark.parametrize("kind", ["recruiter", "firm"])
async def test_a_keyed_connect_account_creation_records_it_onboarded_once(world: World, kind: str) -> None:
    w = world
    if kind == "recruiter":
        payee_id, who, path = await _recruiter(w, "rex"), "rex", "/v1/connect/account"
    else:
        payee_id = await _firm(w, "fern")
        who, path = "fern", f"/v1/firms/{payee_id}/connect/account"
    first, again = await w.twice(who, "POST", path, 201)
    assert first.json()["data"]["onboarded"] is True  # simulated: ready at once
    stream = stream_id_for(connect.connect_account, connect.connect_account_key(kind, payee_id))  # type: ignore[arg-type]
    recorded = await w.types(stream)
    assert recorded[:2] == ["ConnectAccountCreated", "ConnectAccountSynced"] and "ConnectAccountOnboarded" in recorded
    assert again.json()["data"] == first.json()["data"]
    assert await w.types(stream) == recorded


async def test_a_connect_account_request_stopped_between_its_commands_is_finished_by_its_retry(
        world: World) -> None:
    """The account is recorded, then the request dies before recording it onboarded (PostgreSQL refuses that
    append once); the client sends the request again with its key: the retry records what is left."""
    w = world
    payee_id = await _recruiter(w, "rex")
    await crash_once_at(w.store, "ConnectAccountSynced")
    headers = dev_auth(w.clerk_id("rex")) | {"Idempotency-Key": f"connect-{w.run}"}
    with pytest.raises(psycopg.errors.RaiseException, match="injected crash"):
        await w.client.post("/v1/connect/account", headers=headers)
    stream = stream_id_for(connect.connect_account, connect.connect_account_key("recruiter", payee_id))
    assert await w.types(stream) == ["ConnectAccountCreated"]
    retried = await w.client.post("/v1/connect/account", headers=headers)
    assert retried.status_code == 201, retried.text
    assert retried.json()["data"]["onboarded"] is True
    assert await w.types(stream) == ["ConnectAccountCreated", "ConnectAccountSynced", "ConnectAccountOnboarded"]


@pytest.fixture
async def stripe_world(fresh_store: EventStore, topology, stripe_fake: FakeStripe) -> AsyncIterator[World]:
    settings = Settings(database_url=fresh_store.pool.conninfo, rabbitmq_url=RABBITMQ_URL,
                        rabbitmq_prefix=topology.prefix, splits_dev_auth=True, consistency_wait_s=10,
                        stripe_secret_key="sk_test_keys", stripe_api_base=stripe_fake.url)
    async with serving(fresh_store, settings) as (client, system), running_consumers(
            system, only={"relay", "identity", "network", "recruiter-roles"}):
        yield World(client, fresh_store, secrets.token_hex(4))


async def test_a_subscription_request_stopped_before_recording_the_plan_makes_one_stripe_subscription(
        stripe_world: World, stripe_fake: FakeStripe) -> None:
    """The first run records the Stripe customer, makes the subscription in Stripe, and dies before recording it;
    the retry with the same key records it, and Stripe holds one subscription (not one per stream version)."""
    w = stripe_world
    await _recruiter(w, "rex")
    await crash_once_at(w.store, "SubscriptionActivated")
    headers = dev_auth(w.clerk_id("rex")) | {"Idempotency-Key": f"subscribe-{w.run}"}
    with pytest.raises(psycopg.errors.RaiseException, match="injected crash"):
        await w.client.post("/v1/subscriptions", json={"tier": "pro"}, headers=headers)
    retried = await w.client.post("/v1/subscriptions", json={"tier": "pro"}, headers=headers)
    assert retried.status_code == 201, retried.text
    [subscription] = stripe_fake.objects("subscription")
    assert retried.json()["data"]["stripe_subscription_id"] == subscription["id"]
    stream = stream_id_for(subscriptions.subscription, w.user_id("rex"))
    assert await w.types(stream) == ["SubscriptionCustomerCreated", "SubscriptionActivated"]


# --- registration through the candidate app: the user and their candidate role -----------------------------------

@pytest.fixture
async def clerk_world(fresh_store: EventStore, clerk: FakeClerk, candidate_clerk: FakeClerk,
                      clerk_backend: FakeClerkBackend) -> AsyncIterator[tuple[World, FakeClerk, FakeClerkBackend]]:
    settings = Settings(
        clerk_api_url=clerk_backend.base_url, splits_clerk_secret_key=clerk_backend.secret_key,
        app_clerk_secret_key=clerk_backend.secret_key, database_url=fresh_store.pool.conninfo,
        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        app_clerk_jwks_url=candidate_clerk.jwks_url, app_clerk_issuer=candidate_clerk.issuer,
        clerk_authorized_parties=f"{clerk.azp},{candidate_clerk.azp}", consistency_wait_s=10,
    )
    async with serving(fresh_store, settings) as (client, _):
        yield World(client, fresh_store, secrets.token_hex(4)), candidate_clerk, clerk_backend


async def test_a_keyed_candidate_registration_records_the_user_and_their_role_once(
        clerk_world: tuple[World, FakeClerk, FakeClerkBackend]) -> None:
    w, candidate_app, backend = clerk_world
    backend.put(w.clerk_id("cleo"), f"cleo.{w.run}@example.com")
    headers = bearer(candidate_app.mint(user_id=w.clerk_id("cleo"), lifetime_s=300)) | {
        "Idempotency-Key": f"register-{w.run}"}
    answers = [await w.client.post("/v1/users/register", json={"name": "Cleo"}, headers=headers) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    stream = stream_id_for(users.user, w.user_id("cleo"))
    events = await w.store.read_stream(stream)
    assert [e.type for e in events] == ["UserRegistered", "UserRoleGranted"]
    assert events[1].data["role"] == "candidate"
    same_answer(*answers)
    assert [e.type for e in await w.store.read_stream(stream)] == ["UserRegistered", "UserRoleGranted"]
