"""Dependency aliases so route signatures read like prose."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from psycopg import AsyncConnection

from api.auth import InvalidToken, VerifiedToken
from api.gateway import Gateway
from api.ratelimit import Decision
from commands.core import Forbidden
from eventstore import EventStore, Metadata
from eventstore.types import CommandCount
from infra.bootstrap import System
from projections.identity.access import ANONYMOUS, Access


def _system(request: Request) -> System:
    return request.app.state.system


def _store(request: Request) -> EventStore:
    return request.app.state.system.store


SystemDep = Annotated[System, Depends(_system)]
Store = Annotated[EventStore, Depends(_store)]


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway


# --- who is calling ---------------------------------------------------------------------------------

class NotAuthenticated(Exception):
    """The route needs a signed-in caller and the request carries no token (→ 401)."""


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated()
    return token.strip()


async def _token(
    request: Request, authorization: Annotated[str | None, Header(max_length=8192)] = None
) -> VerifiedToken | None:
    """The verified session token, or None without one. A bad token is refused, never taken as anonymous."""
    token = _bearer(authorization)
    if token is None:
        return None
    gateway = _gateway(request)
    try:
        if gateway.verifier is None:  # no instance could ever accept it: refused, not "try again later"
            raise InvalidToken("no_clerk_instance", "no Clerk instance is configured to verify session tokens")
        return await gateway.verifier.verify(token)
    except InvalidToken:
        decision = await gateway.failed_authentication(request)
        if decision is not None and not decision.allowed:
            raise RateLimited(decision) from None
        raise


async def _maybe_user(request: Request, token: Annotated[VerifiedToken | None, Depends(_token)]) -> Access:
    if token is None:
        return ANONYMOUS
    return await _gateway(request).access.resolve(token.user_id)


async def _caller(token: Annotated[VerifiedToken | None, Depends(_token)]) -> VerifiedToken:
    if token is None:
        raise NotAuthenticated()
    return token


async def _current_user(access: Annotated[Access, Depends(_maybe_user)]) -> Access:
    if access.is_anonymous:
        raise NotAuthenticated()
    return access


async def _platform_admin(access: Annotated[Access, Depends(_current_user)]) -> Access:
    if not access.is_platform_admin:
        raise Forbidden("this route is for platform admins")
    return access


# A signed-in caller's verified token, whether or not the identity context knows them yet (registration).
Caller = Annotated[VerifiedToken, Depends(_caller)]
# The access context of a signed-in caller (401 without a token); `is_known` is False before sync.
CurrentUser = Annotated[Access, Depends(_current_user)]
# The access context, ANONYMOUS without a token (public catalogue reads).
MaybeUser = Annotated[Access, Depends(_maybe_user)]
# A platform admin (401 without a token, 403 for anyone else).
PlatformAdmin = Annotated[Access, Depends(_platform_admin)]


# --- rate limits --------------------------------------------------------------------------------------

# Webhooks are exempt: their signatures are checked, and a flood of bad deliveries must not starve good ones.
EXEMPT_PREFIXES = ("/health", "/ready", "/webhooks/", "/v2/webhooks/", "/v3/webhooks/", "/docs", "/openapi.json")


class RateLimited(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__(f"rate limit of {decision.limit} requests per minute reached")
        self.decision = decision


async def rate_limit(request: Request, token: Annotated[VerifiedToken | None, Depends(_token)]) -> None:
    """App-wide: one count per request against the caller's limit (per user when signed in, else per IP)."""
    gateway = _gateway(request)
    if gateway.limiter is None or request.url.path.startswith(EXEMPT_PREFIXES):
        return
    caller = f"user:{token.instance}:{token.user_id}" if token else f"ip:{gateway.client_ip(request)}"
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    own = gateway.limits.for_route(request.method, template)
    if own is not None:
        decision = await gateway.limiter.check(f"route:{request.method}:{template}:{caller}", own)
    else:
        decision = await gateway.limiter.check(caller, gateway.limits.per_user if token else gateway.limits.per_ip)
    if not decision.allowed:
        raise RateLimited(decision)
    if not decision.degraded:  # without Redis there is no count to tell
        # Added to whatever response the route produces (RequestContext), errors and raw responses included.
        request.state.response_headers = decision.headers()


def _actor(access: Annotated[Access, Depends(_maybe_user)]) -> str:
    return access.actor


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def request_metadata(request: Request, actor: str, idempotency_key: str | None) -> Metadata:
    """Metadata of the commands one request sends: the author, the request's correlation id and key, and the
    count of its commands that gives each its own ids under that key (a retry repeats them all)."""
    return Metadata(actor=actor, correlation_id=request.state.correlation_id, idempotency_key=idempotency_key,
                    source="api", commands=CommandCount())


def _metadata(request: Request, actor: Annotated[str, Depends(_actor)], idempotency_key: IdempotencyKey = None) -> Metadata:
    return request_metadata(request, actor, idempotency_key)


def _if_match(if_match: Annotated[str | None, Header(alias="If-Match", max_length=40)] = None) -> int | None:
    """`If-Match: <version>` (quoted or not): act only if the entity is still at that version."""
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise HTTPException(400, f"If-Match must be an entity version (a whole number), got {if_match!r}")
    return int(raw)


Actor = Annotated[str, Depends(_actor)]
ExpectedVersion = Annotated[int | None, Depends(_if_match)]
CommandMetadata = Annotated[Metadata, Depends(_metadata)]


async def _connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.system.pool.connection() as conn:
        yield conn


Db = Annotated[AsyncConnection, Depends(_connection)]
