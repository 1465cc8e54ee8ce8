"""The gateway: who is calling (token → access context) and whether they may call again (rate limits).

Built once per API process from the settings and kept on `app.state.gateway`. Routes never touch it
directly: they ask for `Caller`, `CurrentUser` or `MaybeUser` (api/deps.py), and the app-wide
`rate_limit` dependency counts every request that is not exempt.

An anonymous caller is counted by address: the socket's, unless it is one of the proxies named in
TRUSTED_PROXIES (none by default), whose `X-Forwarded-For` then says who is behind them. A header from
anyone else is ignored, so it cannot move a caller into a fresh bucket. A refused token counts against
that address too: guessing tokens spends the guesser's own quota.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import structlog
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from api.auth import InvalidToken, TokenVerifier, VerifiedToken, clerk_instances
from api.ratelimit import Decision, RateLimiter
from api.response_cache import ResponseCache
from adapters.system import System
from adapters.redis import Breaker
from adapters.settings import Settings
from projections.identity.access import AccessCache, AccessResolver

log = structlog.get_logger(__name__)

DEV_TOKEN_PREFIX = "dev:"
_CLERK_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class Verifier(Protocol):
    async def verify(self, token: str) -> VerifiedToken: ...


class DevVerifier:
    """Development sign-in: `Bearer dev:<clerk user id>` is that user, no signature asked.

    For `splits dev` on a machine without Clerk keys. `build_verifier` refuses it in any other mode, and
    while a Clerk instance is configured: there, `dev:<a real user's id>` would sign in as that real user.
    """

    def __init__(self, clerk: TokenVerifier | None) -> None:
        self.clerk = clerk

    async def verify(self, token: str) -> VerifiedToken:
        if token.startswith(DEV_TOKEN_PREFIX):
            user_id = token.removeprefix(DEV_TOKEN_PREFIX)
            if not _CLERK_ID.match(user_id):
                raise InvalidToken("malformed", "a development token is dev:<clerk user id>")
            return VerifiedToken(instance="dev", user_id=user_id, session_id="dev", org_id=None, claims={})
        if self.clerk is None:
            raise InvalidToken("malformed", "no Clerk instance is configured; use a development token dev:<user id>")
        return await self.clerk.verify(token)


def build_verifier(settings: Settings) -> Verifier | None:
    """Clerk verification for the configured instances (plus development sign-in when asked for)."""
    instances = clerk_instances(settings)
    clerk = TokenVerifier(instances, settings.authorized_parties) if instances else None
    if settings.splits_dev_auth:
        if not settings.development:
            raise RuntimeError("SPLITS_DEV_AUTH signs anyone in without a password: it works only under `splits dev`"
                               " (refused in production)")
        if clerk is not None:
            raise RuntimeError("SPLITS_DEV_AUTH cannot be on while a Clerk instance is configured: "
                               "`dev:<clerk user id>` would sign in as a real user")
        log.warning("development sign-in is on: `Authorization: Bearer dev:<clerk user id>` is trusted")
        return DevVerifier(clerk)
    if clerk is None:
        log.warning("no Clerk instance configured (SPLITS_CLERK_JWKS_URL/ISSUER, APP_CLERK_JWKS_URL/ISSUER): "
                    "only public routes can be used")
    return clerk


@dataclass(frozen=True)
class RateLimits:
    per_user: int
    per_ip: int
    routes: dict[str, int]  # "METHOD /path/template" → requests per minute

    def for_route(self, method: str, template: str) -> int | None:
        return self.routes.get(f"{method} {template}")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(value: str) -> tuple[Network, ...]:
    """TRUSTED_PROXIES: addresses or networks, comma-separated; a bad entry stops start-up, named."""
    networks = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise RuntimeError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


@dataclass
class Gateway:
    verifier: Verifier | None
    access: AccessResolver
    limiter: RateLimiter | None
    catalogue: ResponseCache | None
    limits: RateLimits
    redis: Redis | None = None
    trusted_proxies: tuple[Network, ...] = ()

    def _trusted(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in self.trusted_proxies)

    def client_ip(self, connection: HTTPConnection) -> str:
        """The caller's address: the socket's, or, behind trusted proxies, the nearest hop they vouch for.

        `X-Forwarded-For` is read from the right (the hop our proxy appended) leftwards, past every trusted
        proxy; what a client wrote further left is never reached while a trusted hop vouches for it.
        """
        peer = connection.client.host if connection.client else "?"
        if not self._trusted(_address(peer)):
            return peer
        hops = [hop for value in connection.headers.getlist("x-forwarded-for") for hop in value.split(",")]
        caller = peer
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break
            caller = str(address)
            if not self._trusted(address):
                break
        return caller

    async def failed_authentication(self, connection: HTTPConnection) -> Decision | None:
        """Count a refused token against the caller's address, as an anonymous request is counted."""
        if self.limiter is None:
            return None
        return await self.limiter.check(f"ip:{self.client_ip(connection)}", self.limits.per_ip)


@asynccontextmanager
async def open_gateway(system: System, metrics: CollectorRegistry) -> AsyncIterator[Gateway]:
    settings, adapters = system.settings, system.adapters
    # Production refuses to serve without its own secret for invitation links; elsewhere the fallback is said.
    _ = adapters.tokens.secret  # raises when this mode may not do without a secret of its own
    if adapters.tokens.uses_development_secret:
        log.warning("SPLITS_TOKEN_SECRET is not set: candidate invitation links are signed with the fixed "
                    "development secret (only under `splits dev`)")
    # This app's own client, closed when it stops (adapters/redis.py `Cache` says why it is not shared).
    redis = adapters.cache.client()
    if redis is None:
        log.warning("REDIS_URL is not set: no rate limits, access contexts and catalogue reads are not cached")
    breaker = Breaker()
    # Every key under the database's name (`Cache.prefix`): another deployment sharing the Redis has its own
    # catalogue, users and callers (the consumers evict access contexts under the same name).
    prefix = adapters.cache.prefix
    cache = AccessCache(redis, settings.access_cache_ttl_s, prefix=f"{prefix}:access", breaker=breaker) if redis else None
    gateway = Gateway(
        verifier=build_verifier(settings),
        access=AccessResolver(system.pool, cache),
        limiter=RateLimiter(redis, metrics, prefix=f"{prefix}:rl", breaker=breaker, clock=system.clock)
        if redis else None,
        catalogue=ResponseCache(redis, settings.catalogue_cache_ttl_s, prefix=f"{prefix}:catalogue", breaker=breaker)
        if redis and settings.catalogue_cache_ttl_s else None,
        limits=RateLimits(settings.rate_limit_per_user, settings.rate_limit_per_ip, settings.rate_limit_routes),
        redis=redis,
        trusted_proxies=trusted_networks(settings.trusted_proxies),
    )
    try:
        yield gateway
    finally:
        if redis is not None:
            await redis.aclose()
