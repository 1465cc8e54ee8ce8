"""Two deployments sharing one Redis (staging beside production, two tenants of one server): each keeps to
its own entries there. Every xdist worker is such a deployment too: its own databases, the same Redis."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from commands.ats import job as jobs
from eventstore import EventStore, create_pool, handle
from infra.bootstrap import event_registry
from infra.redis import deployment_prefix
from infra.settings import Settings
from tests.api import SEEDER, running_consumers, serving
from tests.conftest import RUN_ID, _admin, database_url_for
from tests.helpers import NOW

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
