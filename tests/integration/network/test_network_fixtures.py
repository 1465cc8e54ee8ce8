"""What the network API tests share (no tests here): the app served on a fresh store with development
sign-in and running consumers, and the people who call it.

Clerk ids are unique per test (`run`): the access cache in Redis outlives the test's database.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest

from commands.billing import subscription as subscriptions
from commands.identity.user import user_id_for
from eventstore import EventStore, handle, load_checkpoint
from adapters.settings import Settings
from tests.api import SEEDER, dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.helpers import feed_settled, settled_head, wait_until

# The consumers the network routes rely on: the two read schemas the access context reads, and the
# network process managers.
CONSUMERS = {"identity", "network", "recruiter-roles", "candidate-consents", "firm-plans"}


@dataclass
class Net:
    client: httpx.AsyncClient
    store: EventStore
    run: str

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    def user_id(self, name: str) -> UUID:
        return user_id_for(self.clerk_id(name))

    def email(self, name: str) -> str:
        return f"{self.clerk_id(name)}@example.com"  # what seed_user registers

    def as_(self, name: str) -> dict[str, str]:
        return {} if name == "anonymous" else dev_auth(self.clerk_id(name))

    async def person(self, name: str, *roles: tuple[str, UUID | None], source: str = "portal") -> UUID:
        return await seed_user(self.store, self.clerk_id(name), roles=roles, source=source)

    async def company(self, company_id: UUID, **members: str) -> UUID:
        """An organization for the company; `members` maps a person to company_admin or hiring_manager."""
        return await seed_organization(self.store, company_id,
                                       [(self.clerk_id(who), role, False) for who, role in members.items()])

    async def recruiter(self, name: str, **profile: Any) -> UUID:
        """A registered user with their own recruiter, created through the API."""
        await self.person(name)
        await self.settled()
        created = await self.client.post("/v1/recruiters", json=profile, headers=self.as_(name))
        assert created.status_code == 201, created.text
        await self.recruiter_role(name)  # so that no process manager's event lands later in the test
        return UUID(created.json()["id"])

    async def partner(self, name: str) -> None:
        """Put the person on the Partner plan (its `firm_creation` entitlement), as a paid subscription would."""
        user_id = self.user_id(name)
        await handle(self.store, subscriptions.subscription, user_id, subscriptions.ActivateSubscription(
            user_id=user_id, tier="partner", stripe_subscription_id=f"sub_{name}_{self.run}", by="seed",
            at=datetime.now(UTC)), SEEDER)

    async def recruiter_role(self, name: str) -> None:
        """Wait until the process manager's `recruiter` role is projected.

        Bounded past the access cache's lifetime: when Redis misses the projector's eviction (a timeout right after
        another test restarted it), the API serves the cached access until it expires, by design."""

        async def granted() -> bool:
            me = await self.client.get("/v1/users/me", headers=self.as_(name))
            return me.status_code == 200 and "recruiter" in me.json()["data"]["roles"]

        await wait_until(granted, timeout=Settings().access_cache_ttl_s + 15)

    async def settled(self) -> None:
        """Every event so far projected into the identity and network schemas."""
        await feed_settled(self.store)
        head = await settled_head(self.store)

        async def projected() -> bool:
            async with self.store.pool.connection() as conn:
                for name in ("projection:identity", "projection:network"):
                    checkpoint = await load_checkpoint(conn, name)
                    if checkpoint is None or checkpoint.position < head:
                        return False
            return True

        await wait_until(projected)

    async def get(self, path: str, who: str, answer: httpx.Response | None = None, **params: Any) -> httpx.Response:
        """A read as `who`, after the write `answer` (its consistency token), if given."""
        if answer is not None:
            assert answer.status_code in (200, 201), answer.text
            params["after"] = answer.json()["consistency_token"]
        return await self.client.get(path, params=params, headers=self.as_(who))

    async def post(self, path: str, who: str, body: Any = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.as_(who))


@pytest.fixture
async def net(fresh_store: EventStore):
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True,
                        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10)
    async with serving(fresh_store, settings) as (client, system), running_consumers(system, only=CONSUMERS):
        yield Net(client, fresh_store, secrets.token_hex(4))


def problem(answer: httpx.Response, status: int) -> None:
    """A refusal: the status, as application/problem+json."""
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.headers["content-type"] == "application/problem+json", answer.headers["content-type"]
