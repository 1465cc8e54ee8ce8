"""Taking over someone else's candidate record, organization invitation or firm invitation with an email
address one does not own (issue 14, item 2).

A recruiter made a record for Victoria. Mallory tries to become her: by typing Victoria's address into
her own profile, by holding it unverified in her Clerk account (Clerk lets anyone add an address and
sends a code to prove it), or by having held it verified once and moved on while our copy lags. Each way
must be refused, show her nothing of Victoria, and leave the recruiter's access as it was. The real owner,
once Clerk has verified her address, still gets in: the refusals are about proof, not a closed door.

Signed in with real (fake-instance) Clerk tokens, with the fake Clerk Backend API as the identity source,
as in production; the firm variant runs on development sign-in, where the webhooks' record is the source.
"""

from __future__ import annotations

import contextlib
import random
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import httpx
import pytest

from commands.ats import candidate as candidates
from commands.identity.user import user_id_for
from commands.ats.candidate import candidate_id_for
from consumers.ats.candidate_process import candidate_accounts
from consumers.runtime.reactor import Reaction
from eventstore import EventStore, load, stream_id_for
from adapters.settings import Settings
from tests.api import bearer, running_consumers, seed_organization, seed_user, serving
from tests.fakes.clerk import FakeClerk, FakeClerkBackend
from tests.fakes.clerk_payloads import body_of, new_msg_id, new_secret, signed, user_created
from tests.helpers import NOW, settled_head, wait_until
from tests.integration.network.test_network_firms_api import firm_of
from tests.integration.network.test_network_fixtures import Net, net, problem

__all__ = ["net"]


@dataclass
class World:
    client: httpx.AsyncClient
    store: EventStore
    portal: FakeClerk
    candidate_app: FakeClerk
    backend: FakeClerkBackend
    webhook_secret: str
    run: str
    recruiter_id: UUID

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    def as_(self, name: str, via: str = "portal") -> dict[str, str]:
        fake = self.portal if via == "portal" else self.candidate_app
        return bearer(fake.mint(user_id=self.clerk_id(name), lifetime_s=300))

    @property
    def victim_email(self) -> str:
        return f"victoria.{self.run}@victim.example"

    async def sign_up(self, name: str, email: str, *, verified: bool = True, via: str = "portal") -> None:
        """An account at Clerk holding `email` as its primary address, then registered with us."""
        self.backend.put(self.clerk_id(name), email, verified=verified)
        registered = await self.client.post("/v1/users/register", json={"name": name.title()}, headers=self.as_(name, via))
        assert registered.status_code == 200, registered.text

    async def victims_record(self) -> str:
        """The record the recruiter makes for Victoria, as the issue's reproduction did."""
        made = await self.client.post("/v1/candidates", headers=self.as_("rex"), json={
            "full_name": "Victoria Victim", "email": self.victim_email, "phone": "+1 555 0100"})
        assert made.status_code == 201, made.text
        candidate_id = made.json()["id"]
        seen = await self.client.get(f"/v1/candidates/{candidate_id}", headers=self.as_("rex"),
                                     params={"after": made.json()["consistency_token"]})
        assert seen.status_code == 200, seen.text
        return candidate_id

    async def recruiter_keeps_access(self, candidate_id: str) -> None:
        seen = await self.client.get(f"/v1/candidates/{candidate_id}", headers=self.as_("rex"))
        assert seen.status_code == 200, seen.text
        assert seen.json()["data"]["email"] == self.victim_email
        assert seen.json()["data"]["user_id"] is None
        record, _, _ = await load(self.store, candidates.candidate, stream_id_for(candidates.candidate, UUID(candidate_id)))
        assert record.user_id is None

    async def shows_her_nothing(self, name: str) -> None:
        mine = await self.client.get("/v1/candidates/me", headers=self.as_(name))
        assert mine.status_code in (403, 404), mine.text
        assert "Victoria" not in mine.text and self.victim_email not in mine.text and "0100" not in mine.text


@contextlib.asynccontextmanager
async def world_on(store: EventStore, portal: FakeClerk, candidate_app: FakeClerk,
                   backend: FakeClerkBackend) -> AsyncIterator[World]:
    run, recruiter_id, secret = secrets.token_hex(4), uuid4(), new_secret()
    await seed_user(store, f"user_rex_{run}", roles=[("recruiter", recruiter_id)])
    settings = Settings(
        database_url=store.pool.conninfo,
        splits_clerk_jwks_url=portal.jwks_url, splits_clerk_issuer=portal.issuer,
        app_clerk_jwks_url=candidate_app.jwks_url, app_clerk_issuer=candidate_app.issuer,
        clerk_authorized_parties=f"{portal.azp},{candidate_app.azp}", app_clerk_webhook_secret=secret,
        clerk_api_url=backend.base_url, splits_clerk_secret_key=backend.secret_key,
        app_clerk_secret_key=backend.secret_key, redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10)
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    async with serving(store, settings, client_ip=address) as (client, system), running_consumers(system):
        world = World(client, store, portal, candidate_app, backend, secret, run, recruiter_id)

        async def rex_known() -> bool:
            return (await client.get("/v1/users/me", headers=world.as_("rex"))).status_code == 200

        await wait_until(rex_known)
        yield world


@pytest.fixture
async def world(fresh_store: EventStore, clerk: FakeClerk, candidate_clerk: FakeClerk,
                clerk_backend: FakeClerkBackend) -> AsyncIterator[World]:
    async with world_on(fresh_store, clerk, candidate_clerk, clerk_backend) as w:
        yield w


# --- the candidate record -----------------------------------------------------------------------------

async def test_typing_the_victims_email_into_the_profile_claims_nothing(world: World) -> None:
    """The issue's reproduction: register, PATCH /v1/users/me to her address, POST /v1/candidates/claim."""
    candidate_id = await world.victims_record()
    await world.sign_up("mallory", f"mallory.{world.run}@evil.example")
    changed = await world.client.patch("/v1/users/me", json={"email": world.victim_email}, headers=world.as_("mallory"))
    assert changed.status_code == 422, changed.text
    assert ["body", "email"] in [e["loc"] for e in changed.json()["errors"]]
    claimed = await world.client.post("/v1/candidates/claim", headers=world.as_("mallory"))
    assert claimed.status_code == 404, claimed.text  # her verified address has no record
    await world.shows_her_nothing("mallory")
    await world.recruiter_keeps_access(candidate_id)


async def test_a_registration_cannot_bring_its_own_email(world: World, fresh_store: EventStore) -> None:
    world.backend.put(world.clerk_id("mallory"), f"mallory.{world.run}@evil.example")
    head = await settled_head(fresh_store)
    answer = await world.client.post("/v1/users/register", json={"email": world.victim_email},
                                     headers=world.as_("mallory"))
    assert answer.status_code == 422 and answer.json()["code"] == "email_not_writable", answer.text
    assert await settled_head(fresh_store) == head


async def test_an_unverified_address_at_clerk_claims_nothing_until_clerk_verifies_it(world: World) -> None:
    candidate_id = await world.victims_record()
    await world.sign_up("mallory", world.victim_email, verified=False)
    claimed = await world.client.post("/v1/candidates/claim", headers=world.as_("mallory"))
    assert claimed.status_code == 403 and claimed.json()["code"] == "email_unverified", claimed.text
    await world.shows_her_nothing("mallory")
    await world.recruiter_keeps_access(candidate_id)
    # The address's owner proves it at Clerk: the same account now claims the record.
    world.backend.put(world.clerk_id("mallory"), world.victim_email, verified=True)
    claimed = await world.client.post("/v1/candidates/claim", headers=world.as_("mallory"))
    assert claimed.status_code == 200 and claimed.json()["id"] == candidate_id, claimed.text


async def test_an_address_clerk_no_longer_vouches_for_claims_nothing(world: World) -> None:
    """Our copy says verified (the webhook of a change away from it has not arrived): Clerk's word now wins."""
    candidate_id = await world.victims_record()
    await world.sign_up("mallory", world.victim_email, verified=True)
    world.backend.put(world.clerk_id("mallory"), world.victim_email, verified=False)
    claimed = await world.client.post("/v1/candidates/claim", headers=world.as_("mallory"))
    assert claimed.status_code == 403, claimed.text
    await world.recruiter_keeps_access(candidate_id)


# --- the candidate-app sign-up ------------------------------------------------------------------------

async def _react_to_user(store: EventStore, clerk_user_id: str) -> None:
    for recorded in await store.read_stream(f"user-{user_id_for(clerk_user_id)}"):
        await candidate_accounts.handler(Reaction(store.registry.decode(recorded), recorded, candidate_accounts.name, store))


async def test_a_candidate_app_sign_up_with_an_unverified_address_links_nothing(world: World) -> None:
    """The sign-up variant, through Clerk's own webhook: user.created with her address, still unverified."""
    candidate_id = await world.victims_record()
    payload = user_created(world.clerk_id("mallory"), world.victim_email, at=NOW)
    payload["data"]["email_addresses"][-1]["verification"]["status"] = "unverified"
    body = body_of(payload)
    msg_id = new_msg_id()
    delivered = await world.client.post("/v2/webhooks/clerk", content=body, headers=signed(body, world.webhook_secret, msg_id))
    assert delivered.status_code == 200 and delivered.json()["status"] == "recorded", delivered.text

    async def applied() -> bool:  # by the running `clerk-webhooks` reactor
        return "ClerkWebhookProcessed" in [e.type for e in await world.store.read_stream(f"clerkwebhook-{msg_id}")]

    await wait_until(applied)
    await _react_to_user(world.store, world.clerk_id("mallory"))  # as the consumers do, awaited here
    await world.recruiter_keeps_access(candidate_id)
    mallory = user_id_for(world.clerk_id("mallory"))
    assert await world.store.read_stream(f"candidate-{candidate_id_for(mallory)}") == []  # none in her name either


async def test_the_sign_up_links_once_clerk_verifies_the_address(fresh_store: EventStore) -> None:
    """The same process, step by step: nothing at the unverified registration; the record is linked at the
    update that records Clerk's verification (the owner signing up before confirming her code)."""
    from commands.identity import user as users
    from eventstore import handle
    from tests.api import SEEDER
    from tests.integration.runtime.test_scheduler import project

    made = uuid4()
    await handle(fresh_store, candidates.candidate, made, candidates.CreateCandidate(
        candidate_id=made, created_by_user_id=uuid4(), full_name="Victoria", email="victoria@victim.example",
        by="recruiter", at=NOW), SEEDER)
    await project(fresh_store)
    user_id = await seed_user(fresh_store, "user_vic_signup", source="candidate", email="victoria@victim.example",
                              verified=False)
    await _react_to_user(fresh_store, "user_vic_signup")
    record, _, _ = await load(fresh_store, candidates.candidate, stream_id_for(candidates.candidate, made))
    assert record.user_id is None
    await handle(fresh_store, users.user, user_id, users.RegisterUser(
        user_id=user_id, clerk_user_id="user_vic_signup", email="victoria@victim.example", email_verified=True,
        source="candidate", by="clerk:candidate", at=NOW), SEEDER)
    await _react_to_user(fresh_store, "user_vic_signup")
    record, _, _ = await load(fresh_store, candidates.candidate, stream_id_for(candidates.candidate, made))
    assert record.user_id == user_id


# --- organization invitations -------------------------------------------------------------------------

async def test_an_organization_invitation_is_accepted_only_with_a_verified_address(world: World) -> None:
    await seed_user(world.store, world.clerk_id("owner"))
    org_id = await seed_organization(world.store, uuid4(), [(world.clerk_id("owner"), "company_admin", False)])

    async def owner_known() -> bool:
        me = await world.client.get("/v1/users/me", headers=world.as_("owner"))
        return me.status_code == 200 and bool(me.json()["data"]["memberships"])

    await wait_until(owner_known)
    invited = await world.client.post("/v1/invitations", headers=world.as_("owner"), json={
        "email": world.victim_email, "organization_id": str(org_id), "role": "company_admin"})
    assert invited.status_code == 201, invited.text
    accept = f"/v1/invitations/{invited.json()['id']}/accept"

    # Typed in: refused at the profile, and her own verified address is not the invited one.
    await world.sign_up("mallory", f"mallory.{world.run}@evil.example")
    typed = await world.client.patch("/v1/users/me", json={"email": world.victim_email}, headers=world.as_("mallory"))
    assert typed.status_code == 422
    assert (await world.client.post(accept, headers=world.as_("mallory"))).status_code == 403
    # Held unverified at Clerk: refused.
    await world.sign_up("mal2", world.victim_email, verified=False)
    unverified = await world.client.post(accept, headers=world.as_("mal2"))
    assert unverified.status_code == 403 and unverified.json()["code"] == "email_unverified", unverified.text

    members = await world.client.get(f"/v1/organizations/{org_id}/members", headers=world.as_("owner"))
    assert [m["user_id"] for m in members.json()["data"]] == [str(user_id_for(world.clerk_id("owner")))]
    # Verified at Clerk: accepted.
    world.backend.put(world.clerk_id("mal2"), world.victim_email, verified=True)
    accepted = await world.client.post(accept, headers=world.as_("mal2"))
    assert accepted.status_code == 200, accepted.text


# --- firm invitations ---------------------------------------------------------------------------------

async def test_a_firm_invitation_is_accepted_only_with_a_verified_address(net: Net) -> None:
    """On development sign-in there is no Clerk to ask: the verification the webhooks recorded decides."""
    await net.recruiter("own")
    firm_id = await firm_of(net, "own")
    victim = f"victoria.{net.run}@victim.example"
    invited = await net.post(f"/v1/firms/{firm_id}/invitations", "own", {"email": victim, "role": "member"})
    assert invited.status_code == 201, invited.text
    accept = f"/v1/firms/{firm_id}/invitations/{invited.json()['data']['invitation_id']}/accept"

    # Mallory's Clerk account holds the address, unverified (as its webhook recorded it).
    await seed_user(net.store, net.clerk_id("mal"), email=victim, verified=False)
    await net.settled()
    created = await net.client.post("/v1/recruiters", json={}, headers=net.as_("mal"))
    assert created.status_code == 201, created.text
    await net.recruiter_role("mal")
    assert (await net.get("/v1/firm-invitations", "mal")).json()["data"] == []
    refused = await net.post(accept, "mal")
    problem(refused, 403)
    assert refused.json()["code"] == "email_unverified"
    await net.settled()
    members = (await net.get(f"/v1/firms/{firm_id}/members", "own")).json()["data"]
    assert len(members) == 1
