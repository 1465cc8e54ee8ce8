"""The Redis rate limiter on the real Redis; and with Redis unreachable."""

from __future__ import annotations

import os
import secrets

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from api.ratelimit import RateLimiter

REDIS_URL = os.environ.get("SPLITS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
T0 = 1_800_000_000.0  # a fixed clock: exactly the start of a 60 s window


@pytest.fixture
async def limiter():
    redis = Redis.from_url(REDIS_URL)
    yield RateLimiter(redis, CollectorRegistry(), prefix=f"splits_test:{secrets.token_hex(4)}")
    await redis.aclose()


async def test_request_over_the_limit_in_a_minute_is_refused_with_headers(limiter) -> None:
    decisions = [await limiter.check("user:u1", limit=500, now=T0 + i * 0.01) for i in range(501)]
    assert all(d.allowed for d in decisions[:500])
    refused = decisions[500]
    assert not refused.allowed and refused.remaining == 0
    headers = refused.headers()
    assert headers["RateLimit-Limit"] == "500" and headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert decisions[0].headers()["RateLimit-Remaining"] == "499" and "Retry-After" not in decisions[0].headers()


async def test_callers_are_counted_apart(limiter) -> None:
    for _ in range(3):
        await limiter.check("ip:10.0.0.1", limit=3, now=T0)
    assert not (await limiter.check("ip:10.0.0.1", limit=3, now=T0)).allowed
    assert (await limiter.check("ip:10.0.0.2", limit=3, now=T0)).allowed


async def test_previous_window_still_counts_in_proportion(limiter) -> None:
    for _ in range(10):
        await limiter.check("user:u2", limit=10, now=T0 + 50)
    # 15 s into the next window, three quarters of the previous one still overlap: 7 of 10 used.
    later = [await limiter.check("user:u2", limit=10, now=T0 + 75) for _ in range(4)]
    assert [d.allowed for d in later] == [True, True, True, False]
    # Once a whole window has passed since them, those requests no longer count.
    assert (await limiter.check("user:u2", limit=10, now=T0 + 185)).remaining == 9


async def test_unreachable_redis_lets_requests_through_and_counts_them() -> None:
    metrics = CollectorRegistry()
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = RateLimiter(redis, metrics)
    decisions = [await limiter.check("user:u3", limit=1) for _ in range(3)]
    await redis.aclose()
    assert all(d.allowed and d.degraded for d in decisions)
    assert metrics.get_sample_value("splits_rate_limit_unavailable_total") == 3
