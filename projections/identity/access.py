"""The caller's access context: who they are on the platform and what they may see and change.

Resolved per request from the identity and network read schemas (domain §2.2) in one query: the
network context adds the recruiter (when the identity role is not there yet), the active firms the
user is a member of, and what each company lets the recruiter do through an active relationship
(none while the recruiter account is suspended, inactive or pending).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from commands.identity.user import user_id_for
from adapters.redis import Breaker

_RESOLVE = """
WITH person AS (
SELECT u.id,
       coalesce(array_agg(DISTINCT r.role) FILTER (WHERE r.role IS NOT NULL), '{}')
         || coalesce(array_agg(DISTINCT m.role) FILTER (WHERE m.role IS NOT NULL), '{}') AS roles,
       coalesce(array_agg(DISTINCT m.organization_id) FILTER (WHERE m.organization_id IS NOT NULL), '{}') AS orgs,
       coalesce(array_agg(DISTINCT m.organization_id) FILTER (WHERE m.organization_id IS NOT NULL
                                                              AND m.company_id IS NULL), '{}') AS org_wide,
       coalesce(array_agg(DISTINCT m.company_id) FILTER (WHERE m.company_id IS NOT NULL), '{}') AS scoped,
       coalesce(array_agg(DISTINCT o.company_id) FILTER (WHERE o.company_id IS NOT NULL
                                                         AND m.company_id IS NULL), '{}') AS org_companies,
       -- The companies this user is company_admin of: a role is held per membership, never across them.
       coalesce(array_agg(DISTINCT coalesce(m.company_id, o.company_id))
                  FILTER (WHERE m.role = 'company_admin' AND coalesce(m.company_id, o.company_id) IS NOT NULL),
                '{}') AS admin_companies,
       max(r.role_entity_id::text) FILTER (WHERE r.role = 'recruiter') AS recruiter_id,
       max(r.role_entity_id::text) FILTER (WHERE r.role = 'candidate') AS candidate_id
  FROM identity.users u
  LEFT JOIN identity.user_roles r ON r.user_id = u.id
  LEFT JOIN identity.memberships m ON m.user_id = u.id
  LEFT JOIN identity.organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL
 WHERE u.clerk_user_id = %s AND u.deleted_at IS NULL
 GROUP BY u.id
), who AS (
SELECT p.*,
       -- The recruiter role is granted by a process manager just after the recruiter is created.
       coalesce(p.recruiter_id::uuid, (SELECT nr.id FROM network.recruiters nr WHERE nr.user_id = p.id)) AS rid
  FROM person p
)
SELECT w.id, w.roles, w.orgs, w.org_wide, w.scoped, w.org_companies, w.admin_companies, w.rid::text, w.candidate_id,
       coalesce((SELECT array_agg(fm.firm_id ORDER BY fm.firm_id)
                   FROM network.firm_members fm JOIN network.firms f ON f.id = fm.firm_id AND f.status = 'active'
                  WHERE fm.user_id = w.id), '{}') AS firm_ids,
       coalesce((SELECT jsonb_object_agg(rc.company_id::text, to_jsonb(rc.permissions))
                   FROM network.recruiter_companies rc
                  WHERE rc.recruiter_id = w.rid AND rc.status = 'active'
                    AND NOT EXISTS (SELECT 1 FROM network.recruiters nr
                                     WHERE nr.id = rc.recruiter_id AND nr.status <> 'active')),
                '{}'::jsonb) AS company_permissions
  FROM who w
"""


@dataclass(frozen=True)
class Access:
    """What the caller is. `company_ids` are the companies whose data they may see as company staff:
    the company of every organization they belong to organization-wide, plus company-scoped ones."""

    user_id: UUID | None = None
    clerk_user_id: str | None = None
    roles: frozenset[str] = frozenset()
    organization_ids: frozenset[UUID] = frozenset()
    org_wide_organization_ids: frozenset[UUID] = frozenset()
    scoped_company_ids: frozenset[UUID] = frozenset()
    company_ids: frozenset[UUID] = frozenset()
    # The companies whose membership makes them company_admin (organization-wide or scoped to the company):
    # being company_admin somewhere and staff of a company elsewhere is not being that company's admin.
    admin_company_ids: frozenset[UUID] = frozenset()
    recruiter_id: UUID | None = None
    candidate_id: UUID | None = None
    firm_ids: frozenset[UUID] = field(default_factory=frozenset)
    # What each company lets this recruiter do there (can_create_jobs, can_edit_jobs, ...): filled from
    # the recruiter–company relationships of the network context.
    company_permissions: dict[UUID, frozenset[str]] = field(default_factory=dict)

    @property
    def is_anonymous(self) -> bool:
        """No token was presented."""
        return self.clerk_user_id is None

    @property
    def is_known(self) -> bool:
        """A signed-in caller whom the identity context knows (a token alone, before sync, is not enough)."""
        return self.user_id is not None

    @property
    def actor(self) -> str:
        """Who to record as the author of events: the identity user id, or the Clerk id before sync."""
        if self.user_id is not None:
            return str(self.user_id)
        return f"clerk:{self.clerk_user_id}" if self.clerk_user_id else "anonymous"

    @property
    def is_platform_admin(self) -> bool:
        return "platform_admin" in self.roles

    @property
    def is_company_user(self) -> bool:
        return bool(self.roles & {"company_admin", "hiring_manager"})

    @property
    def is_recruiter(self) -> bool:
        return self.recruiter_id is not None

    def is_company_admin_of(self, company_id: UUID | None) -> bool:
        return company_id is not None and company_id in self.admin_company_ids

    def recruiter_may(self, company_id: UUID | None, permission: str) -> bool:
        """Whether an active relationship with the company grants this recruiter `permission`."""
        return self.is_recruiter and company_id is not None and permission in self.company_permissions.get(company_id, ())


ANONYMOUS = Access()


async def resolve_access(conn: psycopg.AsyncConnection, clerk_user_id: str) -> Access | None:
    """The access context of a Clerk user, or None when the user is unknown here (not synced yet, or deleted)."""
    cur = await conn.execute(_RESOLVE, (clerk_user_id,))
    row = await cur.fetchone()
    if row is None:
        return None
    (user_id, roles, orgs, org_wide, scoped, org_companies, admin_companies, recruiter_id, candidate_id, firm_ids,
     permissions) = row
    return Access(
        user_id=user_id,
        clerk_user_id=clerk_user_id,
        roles=frozenset(roles),
        organization_ids=frozenset(orgs),
        org_wide_organization_ids=frozenset(org_wide),
        scoped_company_ids=frozenset(scoped),
        company_ids=frozenset(scoped) | frozenset(org_companies),
        admin_company_ids=frozenset(admin_companies),
        recruiter_id=UUID(recruiter_id) if recruiter_id else None,
        candidate_id=UUID(candidate_id) if candidate_id else None,
        firm_ids=frozenset(firm_ids),
        company_permissions={UUID(company): frozenset(granted) for company, granted in permissions.items()},
    )


# --- the cache ------------------------------------------------------------------------------------

def _encode(access: Access) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, frozenset):
            return sorted(str(v) for v in value)
        if isinstance(value, dict):
            return {str(k): sorted(v) for k, v in value.items()}
        return None if value is None else str(value)

    return json.dumps({f.name: plain(getattr(access, f.name)) for f in fields(access)})


def _decode(raw: bytes | str) -> Access:
    data = json.loads(raw)
    if data["user_id"] is None:
        return Access(clerk_user_id=data["clerk_user_id"])
    ids = {"organization_ids", "org_wide_organization_ids", "scoped_company_ids", "company_ids", "admin_company_ids",
           "firm_ids"}
    return Access(
        user_id=UUID(data["user_id"]),
        clerk_user_id=data["clerk_user_id"],
        roles=frozenset(data["roles"]),
        recruiter_id=UUID(data["recruiter_id"]) if data["recruiter_id"] else None,
        candidate_id=UUID(data["candidate_id"]) if data["candidate_id"] else None,
        company_permissions={UUID(k): frozenset(v) for k, v in data["company_permissions"].items()},
        # A value cached before a field existed reads as empty (fewer rights) until it expires.
        **{name: frozenset(UUID(v) for v in data.get(name, ())) for name in ids},
    )


# Stored only if no eviction came between the read that built the value and now: KEYS = value, the
# user's generation, the global generation; ARGV = value, the two generations read before, ttl in ms.
_PUT_IF_UNCHANGED = """
if (redis.call('GET', KEYS[2]) or '') == ARGV[2] and (redis.call('GET', KEYS[3]) or '') == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
  return 1
end
return 0
"""


@dataclass(frozen=True)
class Stamp:
    """The eviction generations (the user's and everyone's) seen before a value was read from the database."""

    user: str = ""
    everyone: str = ""


class AccessCache:
    """Access contexts kept in Redis for `ttl_s` seconds, keyed by identity user id.

    The key is the identity user id (derived from the Clerk id), so whoever sees an identity event can
    evict exactly the users it touches. The projectors do that after each commit (see
    `AccessInvalidation`). A request that read the database just before such a commit must not store
    what it read after the eviction: every eviction bumps a generation, the resolver notes the
    generations before it reads (`stamp`), and `put` stores only if they have not moved since.
    """

    # Generations only need to outlive a request's read-then-store; they expire long after.
    GENERATION_TTL_MS = 600_000

    def __init__(self, redis: Redis, ttl_s: float = 30, prefix: str = "splits:access", breaker: Breaker | None = None) -> None:
        self.redis = redis
        self.ttl_ms = int(ttl_s * 1000)
        # A user not synced yet is remembered as unknown only briefly (and evicted by their registration).
        self.unknown_ttl_ms = min(self.ttl_ms, 5000)
        self.prefix = prefix
        self.breaker = breaker or Breaker()
        self._put_if_unchanged = redis.register_script(_PUT_IF_UNCHANGED)

    def key(self, user_id: UUID) -> str:
        return f"{self.prefix}:{user_id}"

    def generation_key(self, user_id: UUID | None = None) -> str:
        # Outside `<prefix>:*`, so that flushing the values keeps the generations.
        return f"{self.prefix}-generation" if user_id is None else f"{self.prefix}-generation:{user_id}"

    async def get(self, clerk_user_id: str) -> Access | None:
        raw = await self.breaker.call(
            lambda: self.redis.get(self.key(user_id_for(clerk_user_id))), lambda: None, "access cache read")
        return None if raw is None else _decode(raw)

    async def stamp(self, clerk_user_id: str) -> Stamp:
        """The generations now: take it before reading the database, hand it to `put` after."""
        keys = [self.generation_key(user_id_for(clerk_user_id)), self.generation_key()]
        values = await self.breaker.call(lambda: self.redis.mget(keys), lambda: None, "access cache read")
        if values is None:
            return Stamp(user="unavailable")  # Redis is away: nothing will be stored anyway
        user, everyone = (v.decode() if isinstance(v, bytes) else (v or "") for v in values)
        return Stamp(user=user, everyone=everyone)

    async def put(self, access: Access, stamp: Stamp | None = None) -> None:
        """Store `access`; with a `stamp`, only if no eviction happened since it was taken."""
        assert access.clerk_user_id is not None
        user_id = user_id_for(access.clerk_user_id)
        key, value = self.key(user_id), _encode(access)
        ttl_ms = self.ttl_ms if access.is_known else self.unknown_ttl_ms
        if stamp is None:
            await self.breaker.call(lambda: self.redis.set(key, value, px=ttl_ms), lambda: None, "access cache write")
            return
        keys = [key, self.generation_key(user_id), self.generation_key()]
        await self.breaker.call(
            lambda: self._put_if_unchanged(keys=keys, args=[value, stamp.user, stamp.everyone, ttl_ms]),
            lambda: None, "access cache write")

    async def evict(self, user_ids: Iterable[UUID]) -> None:
        users = list(user_ids)
        if not users:
            return

        async def bump_and_delete() -> None:
            async with self.redis.pipeline(transaction=True) as pipe:
                for user_id in users:
                    pipe.incr(self.generation_key(user_id))
                    pipe.pexpire(self.generation_key(user_id), self.GENERATION_TTL_MS)
                pipe.delete(*(self.key(u) for u in users))
                await pipe.execute()

        await self.breaker.call(bump_and_delete, lambda: None, "access cache eviction")

    async def evict_all(self) -> None:
        async def bump_scan_and_delete() -> None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(self.generation_key())
                pipe.pexpire(self.generation_key(), self.GENERATION_TTL_MS)
                await pipe.execute()
            batch: list[bytes] = []
            async for key in self.redis.scan_iter(match=f"{self.prefix}:*", count=500):
                batch.append(key)
                if len(batch) >= 500:
                    await self.redis.delete(*batch)
                    batch.clear()
            if batch:
                await self.redis.delete(*batch)

        await self.breaker.call(bump_scan_and_delete, lambda: None, "access cache flush")


class AccessResolver:
    """Resolves a Clerk user's access context: from the cache, else from the read schema.

    A user whose Clerk webhook has not been projected yet is looked up once more after
    `not_synced_wait_s` (domain §2.2); if still unknown, the caller is signed in but has no rights.
    """

    def __init__(self, pool: AsyncConnectionPool, cache: AccessCache | None = None, not_synced_wait_s: float = 1.5) -> None:
        self.pool = pool
        self.cache = cache
        self.not_synced_wait_s = not_synced_wait_s

    async def resolve(self, clerk_user_id: str) -> Access:
        if self.cache is not None and (cached := await self.cache.get(clerk_user_id)) is not None:
            return cached
        stamp = await self.cache.stamp(clerk_user_id) if self.cache is not None else None
        access = await self._load(clerk_user_id)
        if access is None and self.not_synced_wait_s > 0:
            await asyncio.sleep(self.not_synced_wait_s)
            access = await self._load(clerk_user_id)
        if access is None:
            access = Access(clerk_user_id=clerk_user_id)
        if self.cache is not None:
            await self.cache.put(access, stamp)
        return access

    async def _load(self, clerk_user_id: str) -> Access | None:
        async with self.pool.connection() as conn:
            return await resolve_access(conn, clerk_user_id)


_EVERYONE = frozenset({"OrganizationDeleted", "OrganizationCreated", "OrganizationCompanyAttached"})


def users_touched(events: Iterable[Any]) -> set[UUID] | None:
    """The users whose access context these recorded identity events may change; None means anyone's.

    An organization's deletion (or its creation, which may link a company) reaches every member, so
    the whole cache goes; everything else names its user.
    """
    touched: set[UUID] = set()
    for event in events:
        if event.type in _EVERYONE:
            return None
        user_id = event.data.get("user_id")
        if user_id:
            touched.add(UUID(str(user_id)))
        if event.type == "SubjectErased":  # an erasure closes the accounts it lists
            touched.update(UUID(str(u)) for u in event.data.get("user_ids", ()))
    return touched


class AccessInvalidation:
    """After the identity projection commits a batch, evicts the cached access of the users it touched."""

    def __init__(self, cache: AccessCache) -> None:
        self.cache = cache

    async def __call__(self, events: Iterable[Any]) -> None:
        touched = users_touched(events)
        if touched is None:
            await self.cache.evict_all()
        else:
            await self.cache.evict(touched)

