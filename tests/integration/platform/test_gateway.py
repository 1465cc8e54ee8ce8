"""The gateway over HTTP: token refusals as problems, rate limits, the access cache and its eviction,
and the anonymous catalogue cache; Redis being away never takes the API down."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import time
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from commands.identity import organization as orgs
from commands.identity.user import user_id_for
from eventstore import handle
from adapters.settings import Settings
from tests.api import SEEDER, bearer, running_consumers, scrape, seed_organization, seed_user, serving
from tests.fakes.clerk import FakeClerk
from tests.helpers import wait_until

REDIS = "redis://127.0.0.1:6379/15"
DEAD_REDIS = "redis://127.0.0.1:1/0"


def settings_for(store, clerk: FakeClerk, **overrides) -> Settings:
    return Settings(
        database_url=store.pool.conninfo, splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        clerk_authorized_parties=clerk.azp, redis_url=REDIS, **overrides,
    )


def problem_of(answer) -> dict:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return answer.json()


# --- authentication ---------------------------------------------------------------------------------------

REFUSALS = {
    "alg-none": lambda c: c.alg_none(),
    "hs256": lambda c: c.hs256_with_public_key(),
    "wrong-issuer": lambda c: c.wrong_issuer(),
    "wrong-azp": lambda c: c.wrong_azp(),
    "expired": lambda c: c.expired(),
    "not-yet-valid": lambda c: c.not_yet_valid(),
    "unknown-kid": lambda c: c.unknown_kid(),
    "forged": lambda c: c.forged_with_known_kid(),
    "tampered": lambda c: c.tampered(),
    "garbage": lambda c: "not.a.jwt",
}


def own_ip() -> str:
    """An address of the test's own: refused tokens count against the caller's address, and the counts in
    Redis outlive the test's database."""
    return f"10.8.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
async def test_refused_token_gets_401_problem_even_on_public_reads(fresh_store, clerk, case) -> None:
    async with serving(fresh_store, settings_for(fresh_store, clerk), client_ip=own_ip()) as (client, _):
        headers = bearer(REFUSALS[case](clerk))
        for answer in (await client.get("/v1/jobs", headers=headers),
                       await client.post("/v1/jobs", headers=headers, json={})):
            assert answer.status_code == 401, (case, answer.text)
            assert problem_of(answer)["code"] == "invalid_token"
            assert answer.headers["www-authenticate"].startswith('Bearer realm="splits", error="invalid_token"')


async def test_protected_route_without_a_token_is_401_and_public_read_is_served(fresh_store, clerk) -> None:
    async with serving(fresh_store, settings_for(fresh_store, clerk)) as (client, _):
        for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
            answer = await client.post("/v1/jobs", json={}, headers=headers)
            assert answer.status_code == 401 and problem_of(answer)["code"] == "unauthenticated"
            assert answer.headers["www-authenticate"] == 'Bearer realm="splits"'
        assert (await client.get("/admin/status")).status_code == 401
        assert (await client.get("/v1/jobs")).status_code == 200
        assert (await client.get("/health")).status_code == 200


async def test_clerk_keys_unreachable_is_503_not_401(fresh_store, clerk) -> None:
    token = clerk.mint()
    async with serving(fresh_store, settings_for(fresh_store, clerk)) as (client, _):
        clerk.stop()
        answer = await client.get("/v1/jobs", headers=bearer(token))
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert problem_of(answer)["code"] == "auth_unavailable"


async def test_development_tokens_are_refused_unless_development_sign_in_is_on(fresh_store, clerk) -> None:
    async with serving(fresh_store, settings_for(fresh_store, clerk), client_ip=own_ip()) as (client, _):
        answer = await client.get("/v1/jobs", headers=bearer("dev:user_x"))
    assert answer.status_code == 401


def test_development_sign_in_cannot_be_turned_on_in_production() -> None:
    from api.gateway import build_verifier

    with pytest.raises(RuntimeError, match="refused in production"):
        build_verifier(Settings(splits_dev_auth=True, environment="production"))


async def test_admin_routes_are_for_platform_admins(fresh_store, clerk) -> None:
    run = secrets.token_hex(3)
    await seed_user(fresh_store, f"user_admin_{run}", roles=[("platform_admin", None)])
    await seed_user(fresh_store, f"user_plain_{run}")
    async with serving(fresh_store, settings_for(fresh_store, clerk)) as (client, system), running_consumers(system):
        admin = bearer(clerk.mint(user_id=f"user_admin_{run}"))
        plain = bearer(clerk.mint(user_id=f"user_plain_{run}"))

        async def admin_known() -> bool:  # the identity projection has the seeded admin
            me = await client.get("/v1/users/me", headers=admin)
            return me.status_code == 200 and "platform_admin" in me.json()["data"]["roles"]

        await wait_until(admin_known, timeout=60)
        assert (await client.get("/admin/status", headers=admin)).status_code == 200
        refused = await client.get("/admin/status", headers=plain)
    assert refused.status_code == 403 and problem_of(refused)["code"] == "forbidden"


# --- rate limits ------------------------------------------------------------------------------------------

async def _inside_one_window(burst_s: float = 15) -> None:
    """Start a burst only if it ends before the next minute: across a window boundary, the sliding
    window rightly forgets part of the burst, and the 501st request would be allowed."""
    into = time.time() % 60
    if into > 60 - burst_s:
        await asyncio.sleep(60 - into + 0.05)


async def test_the_501st_request_of_a_user_in_a_minute_gets_429_with_headers(fresh_store, clerk) -> None:
    token = bearer(clerk.mint(user_id=f"user_busy_{secrets.token_hex(4)}", lifetime_s=600))
    async with serving(fresh_store, settings_for(fresh_store, clerk)) as (client, _):
        await _inside_one_window()
        for i in range(500):
            answer = await client.get("/v1/jobs", headers=token)
            assert answer.status_code == 200, (i, answer.text)
        assert answer.headers["ratelimit-limit"] == "500" and answer.headers["ratelimit-remaining"] == "0"
        refused = await client.get("/v1/jobs", headers=token)
        other_user = await client.get("/v1/jobs", headers=bearer(clerk.mint(user_id=f"user_{secrets.token_hex(4)}")))
    assert refused.status_code == 429
    assert problem_of(refused)["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-limit"] == "500" and refused.headers["ratelimit-remaining"] == "0"
    assert other_user.status_code == 200


async def test_anonymous_callers_are_limited_per_ip_and_routes_can_have_their_own_limit(fresh_store, clerk) -> None:
    limits = {"rate_limit_per_ip": 5, "rate_limit_routes": {"GET /v1/jobs/{job_id}": 2}}
    # An address of its own: the counts in Redis outlive the test's database.
    ip = f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    async with serving(fresh_store, settings_for(fresh_store, clerk, **limits), client_ip=ip) as (client, _):
        client.headers["x-forwarded-for"] = "10.0.0.99"  # only the socket address counts
        await _inside_one_window(5)
        listed = [(await client.get("/v1/jobs")).status_code for _ in range(6)]
        job = f"/v1/jobs/{uuid4()}"
        details = [(await client.get(job)).status_code for _ in range(3)]
        health = [(await client.get("/health")).status_code for _ in range(10)]
    assert listed == [200] * 5 + [429]
    assert details == [404, 404, 429]
    assert set(health) == {200}


async def test_with_redis_unreachable_requests_are_served_and_counted(fresh_store, clerk) -> None:
    token = bearer(clerk.mint(lifetime_s=600))
    settings = settings_for(fresh_store, clerk, rate_limit_per_user=1, rate_limit_per_ip=1).model_copy(
        update={"redis_url": DEAD_REDIS})
    async with serving(fresh_store, settings) as (client, _):
        answers = [await client.get("/v1/jobs", headers=token) for _ in range(5)]
        answers += [await client.get("/v1/jobs") for _ in range(5)]
        metrics = await scrape(client)
    assert [a.status_code for a in answers] == [200] * 10
    served = next(line for line in metrics.splitlines() if line.startswith("splits_rate_limit_unavailable_total"))
    assert float(served.split()[-1]) == 10


# --- caches -----------------------------------------------------------------------------------------------

async def test_cached_access_is_evicted_when_a_membership_changes(fresh_store, clerk) -> None:
    """A TTL far longer than the test: only eviction by the identity projector can explain the change."""
    run, company = secrets.token_hex(4), uuid4()
    clerk_id = f"user_member_{run}"
    await seed_user(fresh_store, clerk_id)
    org_id = await seed_organization(fresh_store, company, [(clerk_id, "company_admin", False),
                                                            (f"user_other_{run}", "company_admin", False)])
    settings = settings_for(fresh_store, clerk, access_cache_ttl_s=600)
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        token = bearer(clerk.mint(user_id=clerk_id, lifetime_s=600))
        body = {"company_id": str(company), "title": "Allowed", "fee_percentage": 20}

        async def may_post() -> bool:
            return (await client.post("/v1/jobs", json=body, headers=token)).status_code == 201

        await wait_until(may_post)  # resolved once the organization is projected, and now cached
        await handle(fresh_store, orgs.organization, org_id, orgs.RemoveMember(
            organization_id=org_id, user_id=user_id_for(clerk_id), by="test", at=datetime.now(UTC)), SEEDER)

        async def refused() -> bool:  # a company the caller has no part in is one they cannot see
            return (await client.post("/v1/jobs", json=body, headers=token)).status_code == 404

        await wait_until(refused, timeout=10)


async def test_anonymous_catalogue_reads_are_cached_briefly_and_tokens_bypass_the_cache(fresh_store, clerk) -> None:
    from commands.ats import job as jobs
    from tests.helpers import NOW

    run = secrets.token_hex(4)
    await seed_user(fresh_store, f"user_admin_{run}", roles=[("platform_admin", None)])
    settings = settings_for(fresh_store, clerk, catalogue_cache_ttl_s=60)
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        search = {"search": f"Catalogue {run}"}
        assert (await client.get("/v1/jobs", params=search)).json()["data"] == []  # now cached
        job_id = uuid4()
        await handle(fresh_store, jobs.job, job_id, jobs.CreateJob(
            job_id=job_id, company_id=uuid4(), title=f"Catalogue {run}", fee_bps=2000, by="t", at=NOW), SEEDER)
        published = await handle(fresh_store, jobs.job, job_id, jobs.PublishJob(
            job_id=job_id, billing_ready=True, by="t", at=NOW), SEEDER)
        fresh = await client.get("/v1/jobs", params=search | {"after": str(published.token)})
        assert [j["id"] for j in fresh.json()["data"]] == [str(job_id)]
        cached = await client.get("/v1/jobs", params=search)
        assert cached.json()["data"] == []
        signed_in = await client.get("/v1/jobs", params=search, headers=bearer(clerk.mint(user_id=f"user_admin_{run}")))
        assert [j["id"] for j in signed_in.json()["data"]] == [str(job_id)]


def _redis_up() -> bool:
    return subprocess.run(["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True).stdout.strip() == "PONG"


def _start_redis() -> None:
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
                    "--appendonly", "no"], check=True, capture_output=True, timeout=30)
    deadline = time.monotonic() + 20
    while not _redis_up():
        assert time.monotonic() < deadline, "redis did not come back"
        time.sleep(0.05)


@pytest.mark.restarts
async def test_redis_stopped_and_started_again_requests_are_served_throughout(fresh_store, clerk) -> None:
    run = secrets.token_hex(4)
    await seed_user(fresh_store, f"user_steady_{run}")
    token = bearer(clerk.mint(user_id=f"user_steady_{run}", lifetime_s=600))
    async with serving(fresh_store, settings_for(fresh_store, clerk)) as (client, system), running_consumers(system):
        limited = await client.get("/v1/jobs", headers=token)
        assert limited.status_code == 200 and "ratelimit-limit" in limited.headers
        subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True, timeout=30)
        try:
            assert not _redis_up()
            during = [await client.get("/v1/jobs", headers=token) for _ in range(5)]
            during += [await client.get("/v1/jobs") for _ in range(5)]
            assert [a.status_code for a in during] == [200] * 10
            assert [a.headers.get("ratelimit-limit") for a in during] == [None] * 10
            metrics = await scrape(client)
            assert 'splits_rate_limit_unavailable_total' in metrics
        finally:
            _start_redis()

        async def limited_again() -> bool:  # the breaker leaves Redis alone for 5 s, then tries again
            return "ratelimit-limit" in (await client.get("/v1/jobs", headers=token)).headers

        await wait_until(limited_again, timeout=15)
