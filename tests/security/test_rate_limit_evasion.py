"""Getting around the per-IP limit, or using it against others.

- Stripe's deliveries shared the per-IP bucket: anyone could fill it with bad deliveries (each answered
  400) until Stripe's own got 429. Signature-checked webhooks are now outside the per-IP limit.
- `X-Forwarded-For` was believed from 127.0.0.1 by default, so a caller behind a local proxy (or on the
  host) moved to a fresh bucket with each made-up address. Now only TRUSTED_PROXIES (none by default) are
  believed.
- A refused token was never counted, so guessing tokens was free. It now counts against the address.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from adapters.settings import Settings
from tests.api import bearer, serving
from tests.fakes.clerk import FakeClerk
from tests.security.live import splits_api

REDIS = "redis://127.0.0.1:6379/15"


def _address() -> str:
    """An address of the test's own: the counts in Redis outlive the test's database."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@contextlib.asynccontextmanager
async def _forgetting(*addresses: str) -> AsyncIterator[None]:
    """Remove the test's counts from Redis when it ends."""
    try:
        yield
    finally:
        redis = Redis.from_url(REDIS)
        try:
            for address in addresses:
                keys = [key async for key in redis.scan_iter(f"splits:*:rl:ip:{address}:*")]
                if keys:
                    await redis.delete(*keys)
        finally:
            await redis.aclose()


async def _inside_one_window(burst_s: float = 5) -> None:
    """A burst that must all fall in one minute's window (across a boundary the window forgets a part)."""
    into = time.time() % 60
    if into > 60 - burst_s:
        await asyncio.sleep(60 - into + 0.05)


def settings_for(store, **overrides) -> Settings:
    return Settings(database_url=store.pool.conninfo, redis_url=REDIS, stripe_webhook_secret="whsec_test",
                    **overrides)


async def test_150_bad_stripe_deliveries_from_one_address_are_never_rate_limited(fresh_store) -> None:
    ip = _address()
    async with _forgetting(ip), serving(fresh_store, settings_for(fresh_store), client_ip=ip) as (client, _):
        await _inside_one_window(30)
        answers = [await client.post(path, content=b'{"id": "evt_forged"}',
                                     headers={"stripe-signature": "t=1,v1=00"})
                   for path in ["/webhooks/stripe"] * 140 + ["/v3/webhooks/stripe"] * 10]
        after = await client.get("/v1/jobs")  # the address's own bucket was not spent by the deliveries
    assert {a.status_code for a in answers} == {400}, {a.status_code for a in answers}
    assert after.status_code == 200 and after.headers["ratelimit-remaining"] == "99"


async def test_a_spoofed_forwarded_for_stays_in_the_callers_bucket(fresh_store) -> None:
    """Through the server `splits api` runs, from 127.0.0.1: each request claims another address."""
    claimed = [_address() for _ in range(4)]
    async with splits_api(fresh_store, redis_url=REDIS, rate_limit_per_ip=1000) as settings:
        await _inside_one_window()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.port}", timeout=10) as client:
            remaining = [int((await client.get("/v1/jobs", headers={"x-forwarded-for": address}))
                             .headers["ratelimit-remaining"]) for address in claimed]
        counted = [await _count(address) for address in claimed]
    # Every request counted in 127.0.0.1's bucket (other tests' requests from this machine share it, so its
    # figures move by themselves); none opened a bucket for the address it claimed.
    assert all(r < 1000 for r in remaining), remaining
    assert counted == [0, 0, 0, 0]


async def test_forwarded_for_is_believed_only_from_trusted_proxies(fresh_store) -> None:
    proxy, behind, made_up, stranger = _address(), _address(), _address(), _address()
    settings = settings_for(fresh_store, rate_limit_per_ip=50, trusted_proxies=f"{proxy}/32, 192.0.2.0/24")
    async with _forgetting(proxy, behind, made_up, stranger):
        async with serving(fresh_store, settings, client_ip=proxy) as (client, _):
            await _inside_one_window()
            # The proxy appends the address it saw; what the client wrote to its left is not believed.
            first = await client.get("/v1/jobs", headers={"x-forwarded-for": f"{made_up}, {behind}"})
            second = await client.get("/v1/jobs", headers={"x-forwarded-for": f"{behind}, 192.0.2.7"})
            unforwarded = await client.get("/v1/jobs")
        async with serving(fresh_store, settings, client_ip=stranger) as (client, _):
            spoofed = await client.get("/v1/jobs", headers={"x-forwarded-for": behind})
        made_up_count = await _count(made_up)
    assert [a.headers["ratelimit-remaining"] for a in (first, second, unforwarded)] == ["49", "48", "49"]
    assert spoofed.headers["ratelimit-remaining"] == "49"  # the stranger's own bucket, not `behind`'s
    assert made_up_count == 0


async def _count(address: str) -> int:
    redis = Redis.from_url(REDIS)
    try:
        return len([key async for key in redis.scan_iter(f"splits:*:rl:ip:{address}:*")])
    finally:
        await redis.aclose()


@pytest.fixture
def clerk_settings(fresh_store, clerk: FakeClerk) -> Settings:
    return settings_for(fresh_store, splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
                        clerk_authorized_parties=clerk.azp, rate_limit_per_ip=3)


async def test_refused_tokens_count_against_the_callers_address(fresh_store, clerk, clerk_settings) -> None:
    ip = _address()
    async with _forgetting(ip), serving(fresh_store, clerk_settings, client_ip=ip) as (client, _):
        await _inside_one_window()
        guesses = [await client.get("/v1/jobs", headers=bearer(token))
                   for token in ("not.a.jwt", clerk.forged_with_known_kid(), clerk.alg_none())]
        guess_again = await client.get("/v1/jobs", headers=bearer(clerk.expired()))
        anonymous = await client.get("/v1/jobs")
    assert [g.status_code for g in guesses] == [401, 401, 401]
    assert guess_again.status_code == 429 and guess_again.json()["code"] == "rate_limited"
    assert anonymous.status_code == 429
