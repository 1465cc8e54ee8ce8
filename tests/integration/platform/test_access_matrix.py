"""Who sees and changes which jobs (domain §2.3, §2.4), through the API with real-format Clerk tokens.

Six callers: a platform admin, a company admin and a hiring manager of company A, a recruiter, a
candidate and an anonymous caller; a company admin of company B is the other tenant. Every read and
write goes through HTTP, signed by the fake Clerk's JWKS and resolved from the projected identity schema.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

import httpx
import pytest

from commands.ats import job as jobs
from commands.identity.user import user_id_for
from eventstore import EventStore, handle
from adapters.settings import Settings
from tests.api import SEEDER, bearer, running_consumers, seed_organization, seed_user, serving
from tests.fakes.clerk import FakeClerk
from tests.helpers import NOW, notifier_settled, settled_head, wait_until

CALLERS = ("admin", "a_admin", "a_manager", "b_admin", "recruiter", "candidate", "anonymous")


@dataclass
class World:
    client: httpx.AsyncClient
    clerk: FakeClerk
    ids: dict[str, str]  # caller → Clerk user id
    company_a: UUID
    company_b: UUID
    recruiter_id: UUID
    jobs: dict[str, UUID]

    def headers(self, caller: str) -> dict[str, str]:
        return {} if caller == "anonymous" else bearer(self.clerk.mint(user_id=self.ids[caller]))


async def _job(store: EventStore, name: str, company_id: UUID, *, active: bool = False, early: bool = False,
               owner: UUID | None = None) -> UUID:
    job_id = uuid4()
    await handle(store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=company_id, title=name, fee_bps=2000, is_early_access=early,
        activates_at=NOW + timedelta(days=30) if early else None, job_owner_recruiter_id=owner, by="seed", at=NOW), SEEDER)
    if active:
        await handle(store, jobs.job, job_id, jobs.PublishJob(job_id=job_id, billing_ready=True, by="seed", at=NOW), SEEDER)
    return job_id


@pytest.fixture
async def world(fresh_store, clerk):
    run = secrets.token_hex(4)  # Clerk ids unique per test: the access cache in Redis outlives the database
    ids = {caller: f"user_{caller}_{run}" for caller in CALLERS if caller != "anonymous"}
    company_a, company_b, recruiter_id, candidate_id = uuid4(), uuid4(), uuid4(), uuid4()
    await seed_user(fresh_store, ids["admin"], roles=[("platform_admin", None)])
    for caller in ("a_admin", "a_manager", "b_admin"):
        await seed_user(fresh_store, ids[caller])
    await seed_user(fresh_store, ids["recruiter"], roles=[("recruiter", recruiter_id)])
    await seed_user(fresh_store, ids["candidate"], roles=[("candidate", candidate_id)])
    await seed_organization(fresh_store, company_a, [(ids["a_admin"], "company_admin", False),
                                                     (ids["a_manager"], "hiring_manager", True)])
    await seed_organization(fresh_store, company_b, [(ids["b_admin"], "company_admin", False)])
    seeded = {
        "a_draft": await _job(fresh_store, "A draft", company_a),
        "a_active": await _job(fresh_store, "A active", company_a, active=True),
        "a_early": await _job(fresh_store, "A early access", company_a, active=True, early=True),
        "b_draft": await _job(fresh_store, "B draft", company_b),
        "b_active": await _job(fresh_store, "B active", company_b, active=True),
        "owned_draft": await _job(fresh_store, "Recruiter's draft", company_b, owner=recruiter_id),
    }
    settings = Settings(
        database_url=fresh_store.pool.conninfo, splits_clerk_jwks_url=clerk.jwks_url,
        splits_clerk_issuer=clerk.issuer, clerk_authorized_parties=clerk.azp,
        redis_url="redis://127.0.0.1:6379/15", catalogue_cache_ttl_s=0,
    )
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        async def projected() -> bool:
            async with fresh_store.pool.connection() as conn:
                jobs_seen = (await (await conn.execute("SELECT count(*) FROM ats.jobs")).fetchone())[0]
                members = (await (await conn.execute("SELECT count(*) FROM identity.memberships")).fetchone())[0]
            return jobs_seen == len(seeded) and members == 3

        await wait_until(projected)
        await notifier_settled(fresh_store)  # the seeded people's welcomes, recorded before the test begins
        yield World(client, clerk, ids, company_a, company_b, recruiter_id, seeded)


# Domain §2.3: which of the seeded jobs each caller sees.
VISIBLE = {
    "admin": {"a_draft", "a_active", "a_early", "b_draft", "b_active", "owned_draft"},
    "a_admin": {"a_draft", "a_active", "a_early"},
    "a_manager": {"a_draft", "a_active", "a_early"},
    "b_admin": {"b_draft", "b_active", "owned_draft"},
    "recruiter": {"a_active", "b_active", "owned_draft"},
    "candidate": {"a_active", "b_active"},
    "anonymous": {"a_active", "b_active"},
}


async def test_each_caller_lists_and_reads_exactly_the_jobs_they_may_see(world: World) -> None:
    names = {job_id: name for name, job_id in world.jobs.items()}
    for caller in CALLERS:
        listed = await world.client.get("/v1/jobs", params={"limit": 100}, headers=world.headers(caller))
        assert listed.status_code == 200, (caller, listed.text)
        assert {names[UUID(j["id"])] for j in listed.json()["data"]} == VISIBLE[caller], caller
        assert listed.json()["pagination"]["total"] == len(VISIBLE[caller]), caller
        for name, job_id in world.jobs.items():
            detail = await world.client.get(f"/v1/jobs/{job_id}", headers=world.headers(caller))
            assert detail.status_code == (200 if name in VISIBLE[caller] else 404), (caller, name)


# Domain §2.4: creating a job for company A, and editing A's draft job. 401 without a token; 404 when the
# caller cannot even see the job, or has no part in the company it would be for; 403 when they can see it but
# not change it.
CREATE_FOR_A = {"admin": 201, "a_admin": 201, "a_manager": 403, "b_admin": 404, "recruiter": 404,
                "candidate": 404, "anonymous": 401}
EDIT_A_DRAFT = {"admin": 200, "a_admin": 200, "a_manager": 403, "b_admin": 404, "recruiter": 404,
                "candidate": 404, "anonymous": 401}
EDIT_A_ACTIVE = {"admin": 200, "a_admin": 200, "a_manager": 403, "b_admin": 404, "recruiter": 403,
                 "candidate": 403, "anonymous": 401}


async def test_each_caller_may_change_only_what_their_role_allows(world: World, fresh_store: EventStore) -> None:
    for caller in CALLERS:
        head = await settled_head(fresh_store)
        body = {"company_id": str(world.company_a), "title": f"By {caller}", "fee_percentage": 20}
        created = await world.client.post("/v1/jobs", json=body, headers=world.headers(caller))
        assert created.status_code == CREATE_FOR_A[caller], (caller, created.text)
        for job, expected in (("a_draft", EDIT_A_DRAFT), ("a_active", EDIT_A_ACTIVE)):
            edited = await world.client.patch(f"/v1/jobs/{world.jobs[job]}", json={"title": f"{job} by {caller}"},
                                              headers=world.headers(caller))
            assert edited.status_code == expected[caller], (caller, job, edited.text)
            paused = await world.client.post(f"/v1/jobs/{world.jobs[job]}/pause", headers=world.headers(caller))
            assert paused.status_code in ({200, 422} if expected[caller] == 200 else {expected[caller]}), (caller, job)
        if CREATE_FOR_A[caller] != 201 and EDIT_A_DRAFT[caller] != 200:
            assert await settled_head(fresh_store) == head, f"{caller}'s refused requests wrote events"
        for refusal in (created, edited):
            if refusal.status_code >= 400:
                assert refusal.headers["content-type"] == "application/problem+json"


async def test_a_tenant_never_changes_another_tenants_jobs(world: World, fresh_store: EventStore) -> None:
    head = await settled_head(fresh_store)
    b_admin = world.headers("b_admin")
    for name in ("a_draft", "a_active", "a_early"):
        for attempt in (
            world.client.patch(f"/v1/jobs/{world.jobs[name]}", json={"title": "taken over"}, headers=b_admin),
            world.client.post(f"/v1/jobs/{world.jobs[name]}/close", headers=b_admin),
        ):
            assert (await attempt).status_code == 404
    refused = await world.client.post("/v1/jobs", headers=b_admin,
                                      json={"company_id": str(world.company_a), "title": "x", "fee_percentage": 20})
    assert refused.status_code == 404  # as for a company that does not exist
    assert await settled_head(fresh_store) == head


async def test_a_recruiter_becomes_the_owner_of_a_job_they_may_create(world: World, fresh_store: EventStore) -> None:
    """A job created by an admin names its owner; the recruiter then sees it in every status."""
    created = await world.client.post("/v1/jobs", headers=world.headers("admin"), json={
        "company_id": str(world.company_a), "title": "Owned", "fee_percentage": 20,
        "job_owner_recruiter_id": str(world.recruiter_id)})
    seen = await world.client.get(f"/v1/jobs/{created.json()['id']}", headers=world.headers("recruiter"),
                                  params={"after": created.json()["consistency_token"]})
    assert seen.status_code == 200 and seen.json()["data"]["status"] == "draft"
    events = await fresh_store.read_stream(f"job-{created.json()['id']}")
    assert events[0].metadata["actor"] == str(user_id_for(world.ids["admin"]))


async def test_a_signed_in_user_unknown_here_has_no_rights(world: World) -> None:
    stranger = bearer(world.clerk.mint(user_id=f"user_stranger_{secrets.token_hex(3)}"))
    listed = await world.client.get("/v1/jobs", headers=stranger)
    assert {j["title"] for j in listed.json()["data"]} == {"A active", "B active"}
    refused = await world.client.post("/v1/jobs", headers=stranger,
                                      json={"company_id": str(world.company_a), "title": "x", "fee_percentage": 20})
    assert refused.status_code == 404
