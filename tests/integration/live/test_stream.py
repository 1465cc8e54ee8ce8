"""Live updates in one process: without Redis (`splits dev`: the API and the consumers share the in-process hub),
who follows an application, the bound on a user's streams, a backlog that no longer reaches back, and what a
stream refuses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

from adapters.live import Publication
from adapters.redis import redis_client
from adapters.settings import Settings
from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import company as companies
from commands.ats import job as jobs
from commands.network import recruiter as recruiters
from eventstore import handle, load_checkpoint
from infra.bootstrap import system_for
from tests.api import bearer, running_consumers, seed_organization, seed_user, serving_http
from tests.helpers import settled_head, wait_until
from tests.integration.live.sse import open_stream
from tests.integration.live.test_stream_processes import REDIS, SEEDER, forget_live_keys, notify


def _settings(store, clerk, **overrides) -> Settings:
    return Settings(**{"database_url": store.pool.conninfo, "splits_clerk_jwks_url": clerk.jwks_url,
                       "splits_clerk_issuer": clerk.issuer, "clerk_authorized_parties": clerk.azp,
                       "live_keepalive_s": 1, "rate_limit_per_ip": 100_000, "rate_limit_per_user": 100_000,
                       **overrides})


async def projected(store, *names: str) -> None:
    head = await settled_head(store)

    async def caught_up() -> bool:
        async with store.pool.connection() as conn:
            checkpoints = [await load_checkpoint(conn, f"projection:{name}") for name in names]
        return all(c is not None and c.position >= head for c in checkpoints)

    await wait_until(caught_up, timeout=60)


async def _registered(client, headers) -> bool:
    return (await client.get("/v1/notifications/unread-count", headers=headers)).status_code == 200


async def test_without_redis_the_api_and_the_consumers_share_the_in_process_hub(fresh_store, clerk) -> None:
    store = fresh_store
    dana = await seed_user(store, "user_live_dana")
    auth = bearer(clerk.mint(user_id="user_live_dana", lifetime_s=600))
    async with serving_http(store, _settings(store, clerk, redis_url="")) as (_, client, system), \
            running_consumers(system, only={"identity", "notifications"}):
        await wait_until(lambda: _registered(client, auth))
        async with open_stream(client, auth) as stream:
            assert stream.status == 200
            await asyncio.sleep(0.1)
            await notify(store, dana, "First")
            first = await stream.next()
            assert (first.event, first.data["title"]) == ("notification", "First")
            await asyncio.sleep(1.3)
            assert "keep-alive" in stream.comments
        await notify(store, dana, "While away")
        await asyncio.sleep(0.5)
        async with open_stream(client, auth | {"Last-Event-ID": first.id}) as again:
            assert (await again.next()).data["title"] == "While away"
        async with open_stream(client, auth, params={"last_event_id": first.id}) as again:  # a new EventSource
            assert (await again.next()).data["title"] == "While away"
        async with open_stream(client, auth | {"Last-Event-ID": "yesterday"}) as refused:  # not an id it sent
            assert refused.status == 422
            problem = (await refused.next()).data
            assert problem["code"] == "invalid_request" and problem["errors"][0]["loc"] == ["header", "Last-Event-ID"]


async def test_a_stream_ends_after_its_limit_so_the_client_signs_in_again(fresh_store, clerk) -> None:
    await seed_user(fresh_store, "user_live_gus")
    auth = bearer(clerk.mint(user_id="user_live_gus", lifetime_s=600))
    settings = _settings(fresh_store, clerk, redis_url="", live_stream_max_s=1, live_keepalive_s=30)
    async with serving_http(fresh_store, settings) as (_, client, system), \
            running_consumers(system, only={"identity"}):
        await wait_until(lambda: _registered(client, auth))
        loop = asyncio.get_running_loop()
        began = loop.time()
        async with open_stream(client, auth) as stream:
            assert stream.status == 200
            await asyncio.wait_for(stream.ended.wait(), 10)
        assert loop.time() - began < 5  # not the keep-alive's 30 s: the stream's own limit


async def test_a_user_has_a_bounded_number_of_streams_and_a_backlog_that_no_longer_reaches_back_says_reset(
        fresh_store, clerk) -> None:
    store = fresh_store
    erin = await seed_user(store, "user_live_erin")
    auth = bearer(clerk.mint(user_id="user_live_erin", lifetime_s=600))
    settings = _settings(store, clerk, redis_url=REDIS, live_max_connections_per_user=2, live_backlog=10)
    try:
        async with serving_http(store, settings) as (_, client, system), \
                running_consumers(system, only={"identity"}):
            await wait_until(lambda: _registered(client, auth))
            hub = system.adapters.live.hub()  # a publisher of its own, as the consumers' process has
            try:
                async with open_stream(client, auth) as one, open_stream(client, auth) as two:
                    assert (one.status, two.status) == (200, 200)
                    async with open_stream(client, auth) as three:
                        assert three.status == 429
                        assert (await three.next()).data["code"] == "too_many_streams"
                    await hub.publish([Publication(erin, "notification", {"n": 0})])
                    first = await one.next()
                    assert (await two.next()).id == first.id
                # Both closed: their places are free again once each server side has seen it (at its next write).
                await wait_until(lambda: _streams_open(system, erin, 0), timeout=10)
                await hub.publish([Publication(erin, "notification", {"n": n}) for n in range(1, 13)])
                async with open_stream(client, auth | {"Last-Event-ID": first.id}) as late:
                    assert late.status == 200
                    assert (await late.next()).event == "reset"  # n = 1 and 2 are gone: the client reloads
                    assert [(await late.next()).data["n"] for _ in range(10)] == list(range(3, 13))
                # Nothing is kept for a user never seen on a stream: they have nothing to resume.
                never = uuid4()
                await hub.publish([Publication(never, "notification", {"n": 0})])
                redis = redis_client(REDIS)
                try:
                    assert not await redis.exists(f"{system.adapters.live.prefix}:live:backlog:{never}")
                    assert await redis.exists(f"{system.adapters.live.prefix}:live:backlog:{erin}")
                finally:
                    await redis.aclose()
            finally:
                await hub.close()
    finally:
        await forget_live_keys(store.pool.conninfo)


async def test_with_redis_away_a_stream_is_a_503_and_a_ticket_is_refused_the_same(fresh_store, clerk) -> None:
    await seed_user(fresh_store, "user_live_fay")
    auth = bearer(clerk.mint(user_id="user_live_fay", lifetime_s=600))
    settings = _settings(fresh_store, clerk, redis_url="redis://127.0.0.1:1/0")  # nothing listens there
    async with serving_http(fresh_store, settings) as (_, client, system), \
            running_consumers(system, only={"identity"}):
        await wait_until(lambda: _registered(client, auth))
        async with open_stream(client, auth) as refused:
            assert refused.status == 503
            assert (await refused.next()).data["code"] == "live_unavailable"
        ticket = (await client.post("/v1/stream/tickets", headers=auth)).json()["ticket"]
        async with open_stream(client, params={"ticket": ticket}) as refused:
            assert refused.status == 503


async def _streams_open(system, user, n: int) -> bool:
    redis = redis_client(REDIS)
    try:
        return await redis.zcard(f"{system.adapters.live.prefix}:live:present:{user}") == n
    finally:
        await redis.aclose()


async def test_an_application_change_reaches_those_who_follow_it(fresh_store) -> None:
    store = fresh_store
    now = datetime.now(UTC)
    cami, rex, cora, stranger = [await seed_user(store, f"user_live_{name}")
                                 for name in ("cami", "rex", "cora", "stranger")]
    company_id, job_id, candidate_id, application_id = uuid4(), uuid4(), uuid4(), uuid4()
    org = await seed_organization(store, company_id, [("user_live_cora", "company_admin", False)])
    await handle(store, companies.company, company_id, companies.CreateCompany(
        company_id=company_id, identity_organization_id=org, name="Acme", slug=f"acme-{company_id.hex[:8]}",
        by="cora", at=now), SEEDER)
    recruiter_id = recruiters.recruiter_id_for(rex)
    await handle(store, recruiters.recruiter, recruiter_id, recruiters.CreateRecruiter(user_id=rex, by="rex", at=now),
                 SEEDER)
    await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, full_name="Cami", email="cami@example.com", user_id=cami, by="cami", at=now),
        SEEDER)
    await handle(store, jobs.job, job_id, jobs.CreateJob(job_id=job_id, company_id=company_id, title="Engineer",
                                                        fee_bps=2000, by="cora", at=now), SEEDER)
    system = system_for(Settings(database_url=store.pool.conninfo, redis_url=""), store)
    hub = system.adapters.live.hub()
    async with running_consumers(system, only={"identity", "network", "ats"}):
        await projected(store, "identity", "network", "ats")  # the people before the application
        connections = {}
        opened = [hub.connect(user, None) for user in (cami, rex, cora, stranger)]
        for user, manager in zip((cami, rex, cora, stranger), opened, strict=True):
            connections[user] = await manager.__aenter__()
        try:
            await handle(store, applications.application, application_id, applications.CreateApplication(
                application_id=application_id, job_id=job_id, candidate_id=candidate_id, company_id=company_id,
                source="recruiter", candidate_recruiter_id=recruiter_id, by="rex", at=now), SEEDER)
            for user in (cami, rex):
                got = await connections[user].next(20)
                assert [(m.event, m.data) for m in got][:1] == [
                    ("application", f'{{"application_id": "{application_id}", "stage": "draft", "at": '
                                    f'"{now.isoformat()}"}}')], got
            assert await connections[cora].next(0.5) == []  # a draft has not reached the company
            await handle(store, applications.application, application_id, applications.MoveStage(
                application_id=application_id, to="rejected", reason="filled", may_advance=True, by="rex",
                by_role="candidate_recruiter", at=now), SEEDER)
            got = await connections[cora].next(20)  # a rejection is the company's to see
            assert [m.event for m in got] == ["application"] and '"stage": "rejected"' in got[0].data
            assert await connections[stranger].next(0.3) == []
        finally:
            for manager in opened:
                await manager.__aexit__(None, None, None)


