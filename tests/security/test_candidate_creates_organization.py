"""A candidate making themselves a company admin: a user of the candidate app creates an organization."""

from __future__ import annotations

import secrets

from eventstore import EventStore
from adapters.settings import Settings
from tests.api import bearer, running_consumers, seed_user, serving
from tests.fakes.clerk import FakeClerk
from tests.helpers import wait_until


async def test_a_candidate_cannot_create_an_organization(
    fresh_store: EventStore, topology, clerk: FakeClerk, candidate_clerk: FakeClerk
) -> None:
    settings = Settings(
        database_url=fresh_store.pool.conninfo, rabbitmq_prefix=topology.prefix,
        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        app_clerk_jwks_url=candidate_clerk.jwks_url, app_clerk_issuer=candidate_clerk.issuer,
        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10,
    )
    clerk_id = f"user_cleo_{secrets.token_hex(4)}"
    await seed_user(fresh_store, clerk_id, roles=[("candidate", None)], source="candidate")
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        cleo = bearer(candidate_clerk.mint(user_id=clerk_id, lifetime_s=300))

        async def known() -> bool:
            return (await client.get("/v1/users/me", headers=cleo)).status_code == 200

        await wait_until(known, timeout=20)
        answer = await client.post("/v1/organizations", json={"name": "Cleo Inc", "slug": f"cleo-{clerk_id[-8:]}"},
                                   headers=cleo)
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "candidate_cannot_create_organization"
        mine = await client.get("/v1/organizations", headers=cleo)
        assert mine.json()["data"] == []
