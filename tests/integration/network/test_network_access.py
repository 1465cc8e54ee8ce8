"""The access context's network parts, resolved from the read schemas: the recruiter (before its role
is granted), the active firms, the permissions of active relationships; their eviction from the Redis
cache by the network projector; and a read racing an eviction never left in the cache."""

from __future__ import annotations

import secrets
from uuid import UUID, uuid4

from commands.network import firm as firms
from commands.network import recruiter as recruiters
from commands.network import recruiter_company as rco
from consumers.runtime.projector import Projector
from eventstore import EventStore, handle
from adapters.redis import redis_client
from projections.identity import identity
from projections.identity.access import Access, AccessCache, resolve_access
from projections.network import network
from projections.network.access import NetworkAccessInvalidation
from tests.api import SEEDER, seed_user
from tests.helpers import NOW, feed_settled, settled_head

REDIS = "redis://127.0.0.1:6379/15"


async def project(store: EventStore) -> None:
    await feed_settled(store)
    for projection in (identity, network):
        await Projector(store.pool, projection, store.registry).catch_up()


async def access_of(store: EventStore, clerk_id: str) -> Access:
    async with store.pool.connection() as conn:
        access = await resolve_access(conn, clerk_id)
    assert access is not None
    return access


async def a_recruiter(store: EventStore, clerk_id: str) -> tuple[UUID, UUID]:
    user_id = await seed_user(store, clerk_id)
    recruiter_id = recruiters.recruiter_id_for(user_id)
    await handle(store, recruiters.recruiter, recruiter_id,
                 recruiters.CreateRecruiter(user_id=user_id, by="u", at=NOW), SEEDER)
    return user_id, recruiter_id


async def relationship(store: EventStore, recruiter_id: UUID, company_id: UUID, granted: set[str],
                       accept: bool = True) -> UUID:
    invite = rco.InviteRecruiterToCompany(recruiter_id=recruiter_id, company_id=company_id,
                                          permissions=frozenset(granted), by="c", at=NOW)
    await handle(store, rco.recruiter_company, invite.relationship_id, invite, SEEDER)
    if accept:
        await handle(store, rco.recruiter_company, invite.relationship_id, rco.AcceptRecruiterCompany(
            relationship_id=invite.relationship_id, side="recruiter", party_id=recruiter_id, terms_acknowledged=True,
            by="r", at=NOW), SEEDER)
    return invite.relationship_id


async def firm(store: EventStore, owner: UUID, *, suspended: bool = False) -> UUID:
    firm_id = uuid4()
    await handle(store, firms.firm, firm_id, firms.CreateFirm(
        firm_id=firm_id, name="F", slug="f", by_user_id=owner, may_create_firms=True, by="o", at=NOW), SEEDER)
    if suspended:
        await handle(store, firms.firm, firm_id, firms.SuspendFirm(firm_id=firm_id, is_platform_admin=True, by="p",
                                                                   at=NOW), SEEDER)
    return firm_id


async def test_the_access_context_holds_the_recruiters_firms_and_company_permissions(fresh_store: EventStore) -> None:
    run = secrets.token_hex(3)
    user_id, recruiter_id = await a_recruiter(fresh_store, f"user_acc_{run}")
    allowed, pending, ended = uuid4(), uuid4(), uuid4()
    await relationship(fresh_store, recruiter_id, allowed, {"can_create_jobs", "can_view_jobs"})
    await relationship(fresh_store, recruiter_id, pending, {"can_create_jobs"}, accept=False)
    gone = await relationship(fresh_store, recruiter_id, ended, {"can_edit_jobs"})
    await handle(fresh_store, rco.recruiter_company, gone, rco.TerminateRecruiterCompany(
        relationship_id=gone, side="company", party_id=ended, reason="over", by="c", at=NOW), SEEDER)
    active_firm, suspended_firm = await firm(fresh_store, user_id), await firm(fresh_store, user_id, suspended=True)
    await project(fresh_store)

    access = await access_of(fresh_store, f"user_acc_{run}")
    assert access.recruiter_id == recruiter_id  # from the network schema: no recruiter role granted here
    assert access.firm_ids == frozenset({active_firm}) and suspended_firm not in access.firm_ids
    assert access.company_permissions == {allowed: frozenset({"can_create_jobs", "can_view_jobs"})}
    assert access.recruiter_may(allowed, "can_create_jobs") and not access.recruiter_may(pending, "can_create_jobs")

    await handle(fresh_store, recruiters.recruiter, recruiter_id, recruiters.ChangeRecruiterStatus(
        recruiter_id=recruiter_id, status="suspended", is_platform_admin=True, by="p", at=NOW), SEEDER)
    await project(fresh_store)
    assert (await access_of(fresh_store, f"user_acc_{run}")).company_permissions == {}


async def test_a_role_granted_recruiter_id_comes_first(fresh_store: EventStore) -> None:
    run, legacy = secrets.token_hex(3), uuid4()
    await seed_user(fresh_store, f"user_legacy_{run}", roles=[("recruiter", legacy)])
    await project(fresh_store)
    assert (await access_of(fresh_store, f"user_legacy_{run}")).recruiter_id == legacy


async def test_network_events_evict_exactly_the_users_they_change(fresh_store: EventStore) -> None:
    run = secrets.token_hex(3)
    redis = redis_client(REDIS)
    cache = AccessCache(redis, ttl_s=600, prefix=f"splits:test-access-{run}")
    try:
        _, recruiter_id = await a_recruiter(fresh_store, f"user_ev_rec_{run}")
        member_user, _ = await a_recruiter(fresh_store, f"user_ev_mem_{run}")
        await seed_user(fresh_store, f"user_ev_by_{run}")
        firm_id = await firm(fresh_store, member_user)
        await project(fresh_store)
        for clerk_id in (f"user_ev_rec_{run}", f"user_ev_mem_{run}", f"user_ev_by_{run}"):
            await cache.put(await access_of(fresh_store, clerk_id))

        async def cached() -> set[str]:
            return {name for name in ("rec", "mem", "by") if await cache.get(f"user_ev_{name}_{run}") is not None}

        invalidation = NetworkAccessInvalidation(cache, fresh_store.pool)
        head = await settled_head(fresh_store)
        await relationship(fresh_store, recruiter_id, uuid4(), {"can_create_jobs"})
        await handle(fresh_store, firms.firm, firm_id, firms.SuspendFirm(firm_id=firm_id, is_platform_admin=True,
                                                                         by="p", at=NOW), SEEDER)
        await project(fresh_store)
        recorded = list(await fresh_store.read_stream(f"firm-{firm_id}"))
        for stream in await _relationship_streams(fresh_store, recruiter_id):
            recorded += await fresh_store.read_stream(stream)
        fresh = [e for e in recorded if e.position > head]

        await invalidation([e for e in fresh if e.type == "RecruiterCompanyInvited"])
        assert await cached() == {"rec", "mem", "by"}  # an invitation changes nobody's rights
        await invalidation([e for e in fresh if e.type == "RecruiterCompanyAccepted"])
        assert await cached() == {"mem", "by"}
        await invalidation([e for e in fresh if e.type == "FirmSuspended"])
        assert await cached() == {"by"}
    finally:
        await cache.evict_all()
        await _forget(redis, cache)
        await redis.aclose()


async def _relationship_streams(store: EventStore, recruiter_id: UUID) -> list[str]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT id FROM network.recruiter_companies WHERE recruiter_id = %s", (recruiter_id,))
        return [f"recruiter_company-{row[0]}" for row in await cur.fetchall()]


async def test_a_read_that_raced_an_eviction_is_not_cached(fresh_store: EventStore) -> None:
    run = secrets.token_hex(3)
    redis = redis_client(REDIS)
    cache = AccessCache(redis, ttl_s=600, prefix=f"splits:test-race-{run}")
    clerk_id = f"user_race_{run}"
    try:
        user_id = await seed_user(fresh_store, clerk_id)
        await project(fresh_store)
        stale = await access_of(fresh_store, clerk_id)

        before = await cache.stamp(clerk_id)  # the resolver notes the generations, then reads the database...
        await cache.evict([user_id])  # ...while a projector commits and evicts...
        await cache.put(stale, before)  # ...so what it read is not stored
        assert await cache.get(clerk_id) is None

        before = await cache.stamp(clerk_id)
        await cache.evict_all()  # an eviction of everyone counts too
        await cache.put(stale, before)
        assert await cache.get(clerk_id) is None

        await cache.put(stale, await cache.stamp(clerk_id))  # nothing in between: stored
        assert await cache.get(clerk_id) == stale
    finally:
        await cache.evict_all()
        await _forget(redis, cache)
        await redis.aclose()


async def _forget(redis, cache: AccessCache) -> None:
    """Remove the test's own keys (its entries' generation counters outlive `evict_all`)."""
    keys = [key async for key in redis.scan_iter(f"{cache.prefix}*")]
    if keys:
        await redis.unlink(*keys)
