"""Where the caches live is an adapter chosen once, by the composition root (adapters/redis.py `Cache`,
infra/bootstrap.py): the API opens its Redis client from the System's adapters and keeps its keys under their
prefix, whatever the settings would give; without a Redis there, there are no rate limits."""

from __future__ import annotations

import dataclasses
import secrets

from adapters.redis import Cache, deployment_prefix, redis_client
from adapters.settings import Settings
from eventstore import EventStore
from infra.bootstrap import adapters_for
from tests.api import serving

REDIS = "redis://127.0.0.1:6379/15"


def test_the_settings_choose_the_redis_and_the_deployments_prefix() -> None:
    settings = Settings(database_url="postgresql://db.example:5432/splits", redis_url=REDIS)
    assert adapters_for(settings).cache == Cache(REDIS, deployment_prefix(settings.database_url))
    assert adapters_for(Settings(redis_url="")).cache.client() is None


async def test_the_api_counts_under_the_prefix_of_the_systems_cache(store: EventStore) -> None:
    prefix = f"splits:cache-test-{secrets.token_hex(4)}"
    settings = Settings(database_url=store.pool.conninfo, redis_url=REDIS, catalogue_cache_ttl_s=0)
    adapters = dataclasses.replace(adapters_for(settings), cache=Cache(REDIS, prefix))
    async with serving(store, settings, adapters=adapters) as (client, _):
        answer = await client.get("/v1/jobs")
    assert answer.status_code == 200, answer.text
    assert "ratelimit-remaining" in answer.headers
    redis = redis_client(REDIS)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:rl:*")]
        assert keys, f"no rate-limit count under {prefix}"
        await redis.delete(*keys)
    finally:
        await redis.aclose()


async def test_without_a_redis_in_the_systems_cache_there_are_no_rate_limits(store: EventStore) -> None:
    settings = Settings(database_url=store.pool.conninfo, redis_url=REDIS, catalogue_cache_ttl_s=0)
    adapters = dataclasses.replace(adapters_for(settings), cache=Cache(None))
    async with serving(store, settings, adapters=adapters) as (client, _):
        answer = await client.get("/v1/jobs")
        assert client._transport.app.state.gateway.redis is None  # type: ignore[attr-defined]
    assert answer.status_code == 200, answer.text
    assert "ratelimit-remaining" not in answer.headers
