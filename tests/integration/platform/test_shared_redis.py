"""Two deployments sharing one Redis (staging beside production, two tenants of one server): each keeps to
its own entries there. Every xdist worker is such a deployment too: its own databases, the same Redis."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from commands.ats import job as jobs
from commands.identity.user import user_id_for
from eventstore import EventStore, create_pool, handle
from infra.bootstrap import event_registry
from adapters.redis import deployment_prefix
from adapters.settings import Settings
from tests.api import SEEDER, dev_auth, running_consumers, seed_user, serving
from tests.conftest import RUN_ID, _admin, database_url_for
from tests.helpers import NOW, wait_until

REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
async def other_store(template_database: str) -> AsyncIterator[EventStore]:
    """A second migrated database beside `fresh_store`: another deployment's."""
    name = f"splits_test_{RUN_ID}_{secrets.token_hex(4)}_other"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    try:
        async with create_pool(database_url_for(name), min_size=2, max_size=40) as pool:
            yield EventStore(pool, event_registry())
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def publish(store: EventStore, title: str) -> tuple[str, str]:
    """An active job titled `title`; its id and the token that reads it."""
    job_id = uuid4()
    await handle(store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=uuid4(), title=title, fee_bps=2000, by="t", at=NOW), SEEDER)
    published = await handle(store, jobs.job, job_id, jobs.PublishJob(
        job_id=job_id, billing_ready=True, by="t", at=NOW), SEEDER)
    assert published.token is not None
    return str(job_id), published.token


async def test_two_deployments_sharing_a_redis_each_list_their_own_catalogue(fresh_store, other_store) -> None:
    run = secrets.token_hex(4)
    search = {"search": f"Shared redis {run}"}  # the same query on both: the same route and query in the key
    first_job, first_token = await publish(fresh_store, f"Shared redis {run} first")
    second_job, second_token = await publish(other_store, f"Shared redis {run} second")
    first_settings = Settings(database_url=fresh_store.pool.conninfo, redis_url=REDIS, catalogue_cache_ttl_s=60)
    second_settings = Settings(database_url=other_store.pool.conninfo, redis_url=REDIS, catalogue_cache_ttl_s=60)
    async with serving(fresh_store, first_settings) as (first, first_system), running_consumers(first_system), \
            serving(other_store, second_settings) as (second, second_system), running_consumers(second_system):
        # Projected (a read with a token waits for it, and never touches the cache).
        fresh = [await first.get("/v1/jobs", params=search | {"after": first_token}),
                 await second.get("/v1/jobs", params=search | {"after": second_token})]
        assert [[j["id"] for j in a.json()["data"]] for a in fresh] == [[first_job], [second_job]]

        # Anonymous reads, cached: the first deployment's answer is cached first, then the second is asked.
        listed = [await first.get("/v1/jobs", params=search), await second.get("/v1/jobs", params=search)]
        assert [a.status_code for a in listed] == [200, 200]
        assert [[j["id"] for j in a.json()["data"]] for a in listed] == [[first_job], [second_job]]
        # And again, now both are cached.
        again = [await second.get("/v1/jobs", params=search), await first.get("/v1/jobs", params=search)]
        assert [[j["id"] for j in a.json()["data"]] for a in again] == [[second_job], [first_job]]


async def test_two_deployments_sharing_a_redis_each_resolve_their_own_users_and_count_their_own_callers(
        fresh_store, other_store) -> None:
    """One Clerk user in both (one Clerk instance for staging and production): a platform admin in the first, a
    plain user in the second; and one address calling both, limited in each as if the other were not there."""
    user, address = f"user_shared_{secrets.token_hex(4)}", f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    await seed_user(fresh_store, user, roles=[("platform_admin", None)])
    await seed_user(other_store, user)
    settings = [Settings(database_url=s.pool.conninfo, redis_url=REDIS, splits_dev_auth=True, rate_limit_per_ip=40,
                         catalogue_cache_ttl_s=0) for s in (fresh_store, other_store)]
    async with serving(fresh_store, settings[0], client_ip=address) as (first, first_system), \
            running_consumers(first_system), \
            serving(other_store, settings[1], client_ip=address) as (second, second_system), \
            running_consumers(second_system):

        async def projected() -> bool:  # in both, before either caches the user's access context
            for store, seen in ((fresh_store, 2), (other_store, 1)):  # the user, and the role in the first
                async with store.pool.connection() as conn:
                    cur = await conn.execute(
                        "SELECT (SELECT count(*) FROM identity.users WHERE id = %(id)s)"
                        " + (SELECT count(*) FROM identity.user_roles WHERE user_id = %(id)s)", {"id": user_id_for(user)})
                    if (await cur.fetchone())[0] != seen:
                        return False
            return True

        await wait_until(projected)

        async def roles(client) -> list[str]:
            me = await client.get("/v1/users/me", headers=dev_auth(user))
            assert me.status_code == 200, me.text
            return me.json()["data"]["roles"]

        assert "platform_admin" in await roles(first)  # now the cached access context of the user in the first
        assert "platform_admin" not in await roles(second)
        admin_only = await second.get("/admin/status", headers=dev_auth(user))
        assert admin_only.status_code == 403, admin_only.text

        # Anonymous reads from one address: each deployment counts them in a bucket of its own.
        into = time.time() % 60
        if into > 55:  # all in one minute's window (across a boundary the window forgets a part)
            await asyncio.sleep(60 - into + 0.05)
        spent = [int((await first.get("/v1/jobs")).headers["ratelimit-remaining"]) for _ in range(10)]
        fresh = int((await second.get("/v1/jobs")).headers["ratelimit-remaining"])
    assert spent[-1] == 30 and fresh == 39, (spent, fresh)


def test_the_prefix_names_the_database_whatever_the_spelling_of_its_url() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/splits"
    same = [url, "postgresql://app:secret@127.0.0.1/splits?sslmode=disable",
            "host=127.0.0.1 port=5432 dbname=splits user=postgres"]
    assert {deployment_prefix(u) for u in same} == {deployment_prefix(url)}
    others = ["postgresql://postgres@127.0.0.1:5432/splits_staging", "postgresql://postgres@10.0.0.2:5432/splits",
              "postgresql://postgres@127.0.0.1:6432/splits"]
    prefixes = [deployment_prefix(u) for u in [url, *others]]
    assert len(set(prefixes)) == 4, prefixes
    assert all(p.startswith("splits:") and len(p) == len("splits:") + 12 for p in prefixes)
    assert deployment_prefix(None) == "splits"
