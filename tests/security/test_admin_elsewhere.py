"""Borrowing a role from another organization: a hiring manager of one company makes an organization of
their own (where they are company_admin) and then names the first company in bodies and paths as if they
were its admin: a job posted for it, its billing profile, a recruiter invited to it, its placements' money."""

from __future__ import annotations

import secrets
from uuid import uuid4

from eventstore import EventStore
from adapters.settings import Settings
from tests.api import bearer, running_consumers, seed_organization, seed_user, serving
from tests.fakes.clerk import FakeClerk
from tests.helpers import wait_until


async def test_a_company_admin_elsewhere_is_not_this_companys_admin(
    fresh_store: EventStore, topology, clerk: FakeClerk
) -> None:
    settings = Settings(
        database_url=fresh_store.pool.conninfo, rabbitmq_prefix=topology.prefix,
        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10, rate_limit_per_user=100_000,
    )
    run = secrets.token_hex(4)
    hank, rita = f"user_hank_{run}", f"user_rita_{run}"
    company = uuid4()
    await seed_user(fresh_store, hank)
    await seed_user(fresh_store, rita)
    await seed_organization(fresh_store, company, [(hank, "hiring_manager", False)])
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        as_hank = bearer(clerk.mint(user_id=hank, lifetime_s=300))
        as_rita = bearer(clerk.mint(user_id=rita, lifetime_s=300))
        recruiter = await client.post("/v1/recruiters", json={}, headers=as_rita)

        async def staff() -> bool:
            me = await client.get("/v1/users/me", headers=as_hank)
            return me.status_code == 200 and len(me.json()["data"]["memberships"]) == 1

        await wait_until(staff, timeout=20)
        own = await client.post("/v1/organizations", json={"name": "Hank's", "slug": f"hank-{run}"}, headers=as_hank)
        assert own.status_code == 201, own.text

        async def admin_elsewhere() -> bool:
            me = await client.get("/v1/users/me", headers=as_hank)
            return "company_admin" in me.json()["data"]["roles"] and len(me.json()["data"]["memberships"]) == 2

        await wait_until(admin_elsewhere, timeout=20)
        posted = await client.post("/v1/jobs", json={"company_id": str(company), "title": "Planted job",
                                                      "fee_percentage": 20}, headers=as_hank)
        assert posted.status_code == 403, posted.text
        billing = await client.put(f"/v1/companies/{company}/billing-profile", headers=as_hank,
                                   json={"billing_email": f"hank-{run}@example.com", "billing_terms": "net_30"})
        assert billing.status_code in (403, 404), billing.text
        assert recruiter.status_code == 201, recruiter.text
        invited = await client.post("/v1/recruiter-companies/invite", headers=as_hank, json={
            "company_id": str(company), "recruiter_id": recruiter.json()["id"], "relationship_type": "recruiter"})
        assert invited.status_code == 403, invited.text
