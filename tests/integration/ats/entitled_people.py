"""What the saved-items and early-access HTTP tests share (no tests here): the app and its consumers on the
test's store, with a clock the test moves, and the people who call it: a Pro and a Starter recruiter, a
candidate, company A's and company B's admins; company A's active jobs seeded through the job streams."""

from __future__ import annotations

import dataclasses
import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from adapters.settings import Settings
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.billing import subscription as subscriptions
from commands.identity.user import user_id_for
from eventstore import EventStore, handle
from infra.bootstrap import adapters_for
from tests.api import SEEDER, dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.helpers import wait_until


@dataclass
class MovableClock:
    """The machine's time moved by `offset`, which a test advances to walk past an `activates_at`."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class World:
    client: httpx.AsyncClient
    store: EventStore
    clock: MovableClock
    run: str
    company_a: UUID
    company_b: UUID
    recruiter_ids: dict[str, UUID]
    candidate_id: UUID
    token: str | None = None
    jobs: list[UUID] = field(default_factory=list)

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    def user_id(self, name: str) -> UUID:
        return user_id_for(self.clerk_id(name))

    def as_(self, name: str) -> dict[str, str]:
        return {} if name == "anonymous" else dev_auth(self.clerk_id(name))

    async def get(self, path: str, who: str, **params: Any) -> httpx.Response:
        """A read as `who`, after every write seeded so far."""
        if self.token is not None:
            params.setdefault("after", self.token)
        return await self.client.get(path, params=params, headers=self.as_(who))

    async def put(self, path: str, who: str) -> httpx.Response:
        return await self.client.put(path, headers=self.as_(who))

    async def delete(self, path: str, who: str) -> httpx.Response:
        return await self.client.delete(path, headers=self.as_(who))

    async def job(self, company_id: UUID | None = None, **terms: Any) -> UUID:
        """An active job of company A (or `company_id`), published with a ready billing profile."""
        job_id, at = uuid4(), self.clock.now()
        await handle(self.store, jobs.job, job_id, jobs.CreateJob(
            job_id=job_id, company_id=company_id or self.company_a, title=f"Job {len(self.jobs)}", fee_bps=2000,
            by="seed", at=at, **terms), SEEDER)
        published = await handle(self.store, jobs.job, job_id, jobs.PublishJob(
            job_id=job_id, billing_ready=True, by="seed", at=at), SEEDER)
        self.token = published.token
        self.jobs.append(job_id)
        return job_id

    async def candidate(self, visibility: str = "public") -> UUID:
        candidate_id = uuid4()
        created = await handle(self.store, candidates.candidate, candidate_id, candidates.CreateCandidate(
            candidate_id=candidate_id, created_by_user_id=uuid4(), full_name="Ada Lovelace",
            email=f"ada-{candidate_id}@example.com", marketplace_visibility=visibility, by="seed",
            at=self.clock.now()), SEEDER)
        self.token = created.token
        return candidate_id

    async def plan(self, name: str, tier: str) -> None:
        user_id = self.user_id(name)
        await handle(self.store, subscriptions.subscription, user_id, subscriptions.ActivateSubscription(
            user_id=user_id, tier=tier, stripe_subscription_id=f"sub_{name}_{self.run}", by="seed",
            at=self.clock.now()), SEEDER)


RECRUITERS = ("pro", "starter", "partner")


@asynccontextmanager
async def entitled_people(store: EventStore) -> AsyncIterator[World]:
    run = secrets.token_hex(4)  # Clerk ids unique per test: the access cache in Redis outlives the database
    company_a, company_b, candidate_id = uuid4(), uuid4(), uuid4()
    recruiter_ids = {name: uuid4() for name in RECRUITERS}
    for name in RECRUITERS:
        await seed_user(store, f"user_{name}_{run}", roles=[("recruiter", recruiter_ids[name])])
    await seed_user(store, f"user_candidate_{run}", roles=[("candidate", candidate_id)])
    for name in ("a_admin", "b_admin"):
        await seed_user(store, f"user_{name}_{run}")
    await seed_organization(store, company_a, [(f"user_a_admin_{run}", "company_admin", False)])
    await seed_organization(store, company_b, [(f"user_b_admin_{run}", "company_admin", False)])
    settings = Settings(database_url=store.pool.conninfo, splits_dev_auth=True, redis_url="redis://127.0.0.1:6379/15",
                        consistency_wait_s=10)
    clock = MovableClock()
    adapters = dataclasses.replace(adapters_for(settings), clock=clock)
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    async with serving(store, settings, client_ip=address, adapters=adapters) as (client, system), \
            running_consumers(system, only={"identity", "ats"}):
        world = World(client, store, clock, run, company_a, company_b, recruiter_ids, candidate_id)
        await world.plan("pro", "pro")
        await world.plan("partner", "partner")
        for name in (*RECRUITERS, "candidate"):
            await _known(world, name)
        await wait_until(lambda: _memberships(store), timeout=60)
        yield world


async def _memberships(store: EventStore) -> bool:
    async with store.pool.connection() as conn:
        return (await (await conn.execute("SELECT count(*) FROM identity.memberships")).fetchone())[0] == 2


async def _known(world: World, name: str) -> None:
    """Until the identity projection knows the caller with their roles (the access context reads it)."""

    async def known() -> bool:
        me = await world.client.get("/v1/users/me", headers=world.as_(name))
        if me.status_code != 200:
            return False
        return bool(me.json()["data"]["roles"])

    await wait_until(known, timeout=60)
