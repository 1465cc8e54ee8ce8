"""The callers of the ats HTTP tests, seeded through the identity streams and signed in through
development sign-in: a platform admin; company A's organization-wide company admin and its
company-scoped hiring manager; company B's company admin (the other tenant); two recruiters; a
candidate (without a record yet) and anonymous callers."""

from __future__ import annotations

import contextlib
import random
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import httpx

from commands.identity.user import user_id_for
from eventstore import EventStore
from adapters.settings import Settings
from tests.api import dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.helpers import notifier_settled, wait_until

CALLERS = ("admin", "a_admin", "a_manager", "b_admin", "recruiter", "recruiter2", "candidate", "anonymous")


@dataclass
class People:
    client: httpx.AsyncClient
    store: EventStore
    clerk_ids: dict[str, str]
    org_a: UUID
    org_b: UUID
    company_a: UUID
    company_b: UUID
    recruiter_id: UUID
    recruiter2_id: UUID

    def headers(self, caller: str) -> dict[str, str]:
        return {} if caller == "anonymous" else dev_auth(self.clerk_ids[caller])

    def user_id(self, caller: str) -> UUID:
        return user_id_for(self.clerk_ids[caller])

    def email(self, caller: str) -> str:
        return f"{self.clerk_ids[caller]}@example.com"

    async def seed(self, caller: str, *roles: tuple[str, UUID | None]) -> None:
        """Another signed-in user (`caller`), known to the identity context once this returns."""
        self.clerk_ids[caller] = f"user_{caller}_{secrets.token_hex(4)}"
        await seed_user(self.store, self.clerk_ids[caller], roles=roles)
        await wait_until(lambda: _count(self.store, "identity.users WHERE clerk_user_id = %s", self.clerk_ids[caller]))


    async def wait_for_candidate_role(self, caller: str, candidate_id: UUID | str) -> None:
        """Until the candidate-accounts process has named `candidate_id` in the caller's roles: it writes
        in the background after a record gets its user, which a test counting writes must wait out."""
        await wait_until(lambda: _count(
            self.store, "identity.user_roles WHERE user_id = %s AND role = 'candidate' AND role_entity_id = %s",
            self.user_id(caller), UUID(str(candidate_id))))


async def _count(store: EventStore, source: str, *params: object) -> int:
    async with store.pool.connection() as conn:
        return (await (await conn.execute(f"SELECT count(*) FROM {source}", params)).fetchone())[0]


@contextlib.asynccontextmanager
async def ats_people(store: EventStore) -> AsyncIterator[People]:
    """The app and its consumers on `store`, with the callers seeded and projected."""
    run = secrets.token_hex(4)  # Clerk ids unique per test: the access cache in Redis outlives the database
    clerk_ids = {caller: f"user_{caller}_{run}" for caller in CALLERS if caller != "anonymous"}
    company_a, company_b, recruiter_id, recruiter2_id = uuid4(), uuid4(), uuid4(), uuid4()
    await seed_user(store, clerk_ids["admin"], roles=[("platform_admin", None)])
    for caller in ("a_admin", "a_manager", "b_admin"):
        await seed_user(store, clerk_ids[caller])
    await seed_user(store, clerk_ids["recruiter"], roles=[("recruiter", recruiter_id)])
    await seed_user(store, clerk_ids["recruiter2"], roles=[("recruiter", recruiter2_id)])
    # A candidate known to the portal, without a candidate record until they create one.
    await seed_user(store, clerk_ids["candidate"], roles=[("candidate", None)])
    org_a = await seed_organization(store, company_a, [(clerk_ids["a_admin"], "company_admin", False),
                                                       (clerk_ids["a_manager"], "hiring_manager", True)])
    org_b = await seed_organization(store, company_b, [(clerk_ids["b_admin"], "company_admin", False)])
    settings = Settings(database_url=store.pool.conninfo, splits_dev_auth=True, redis_url="redis://127.0.0.1:6379/15",
                        consistency_wait_s=10)
    # An address of the test's own: anonymous callers are rate-limited per address, in a Redis shared by runs.
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    async with serving(store, settings, client_ip=address) as (client, system), running_consumers(system):
        await wait_until(lambda: _projected(store))
        await notifier_settled(store)  # the seeded people's welcomes, recorded before the test begins
        yield People(client, store, clerk_ids, org_a, org_b, company_a, company_b, recruiter_id, recruiter2_id)


async def _projected(store: EventStore) -> bool:
    return await _count(store, "identity.memberships") == 3 and await _count(store, "identity.users") == 7


def token(answer: httpx.Response) -> dict[str, str]:
    """The `?after=` parameters that read the write `answer` reports."""
    assert answer.status_code in (200, 201), answer.text
    return {"after": answer.json()["consistency_token"]}


def assert_problem(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json", answer.headers
