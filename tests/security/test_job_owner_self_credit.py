"""Crediting oneself a share of every fee: a recruiter the company lets edit its job names themself the
job's owner (a split role paid on each placement from that job)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from uuid import uuid4

from commands.ats import job as jobs
from eventstore import EventStore, handle
from adapters.settings import Settings
from tests.api import SEEDER, bearer, running_consumers, seed_organization, seed_user, serving
from tests.fakes.clerk import FakeClerk
from tests.helpers import wait_until


async def test_a_recruiter_who_may_edit_a_job_cannot_name_its_owner(
    fresh_store: EventStore, topology, clerk: FakeClerk
) -> None:
    settings = Settings(
        database_url=fresh_store.pool.conninfo, rabbitmq_prefix=topology.prefix,
        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10, rate_limit_per_user=100_000,
    )
    run = secrets.token_hex(4)
    ada, rita = f"user_ada_{run}", f"user_rita_{run}"
    company, job_id, now = uuid4(), uuid4(), datetime.now(UTC)
    await seed_user(fresh_store, ada)
    await seed_user(fresh_store, rita)
    await seed_organization(fresh_store, company, [(ada, "company_admin", False)])
    await handle(fresh_store, jobs.job, job_id, jobs.CreateJob(job_id=job_id, company_id=company, title="SRE",
                                                               fee_bps=2000, by="test", at=now), SEEDER)
    await handle(fresh_store, jobs.job, job_id, jobs.PublishJob(job_id=job_id, billing_ready=True, by="test", at=now),
                 SEEDER)
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        as_ada, as_rita = (bearer(clerk.mint(user_id=who, lifetime_s=300)) for who in (ada, rita))
        recruiter = await client.post("/v1/recruiters", json={}, headers=as_rita)
        assert recruiter.status_code == 201, recruiter.text
        recruiter_id = recruiter.json()["id"]

        async def admin() -> bool:
            me = await client.get("/v1/users/me", headers=as_ada)
            return me.status_code == 200 and me.json()["data"]["memberships"] != []

        await wait_until(admin, timeout=20)
        invited = await client.post("/v1/recruiter-companies/invite", headers=as_ada, json={
            "company_id": str(company), "recruiter_id": recruiter_id, "relationship_type": "recruiter",
            "permissions": ["can_view_jobs", "can_edit_jobs"]})
        assert invited.status_code == 201, invited.text
        accepted = await client.post(f"/v1/recruiter-companies/{invited.json()['id']}/accept", headers=as_rita,
                                     json={"terms_acknowledged": True})
        assert accepted.status_code == 200, accepted.text

        async def may_edit() -> bool:
            mine = await client.get("/v1/recruiter-companies/my-permissions", headers=as_rita)
            return "can_edit_jobs" in mine.json()["data"].get(str(company), [])

        await wait_until(may_edit, timeout=20)
        edited = await client.patch(f"/v1/jobs/{job_id}", json={"department": "Platform"}, headers=as_rita)
        assert edited.status_code == 200, edited.text  # she may edit the job ...
        owned = await client.post(f"/v1/jobs/{job_id}/owner", json={"job_owner_recruiter_id": recruiter_id},
                                  headers=as_rita)
        assert owned.status_code == 403, owned.text  # ... but not credit herself as its owner
        assert owned.json()["code"] == "job_owner_chosen_by_company"
        named = await client.post(f"/v1/jobs/{job_id}/owner", json={"job_owner_recruiter_id": recruiter_id},
                                  headers=as_ada)
        assert named.status_code == 200, named.text  # the company's admin chooses
