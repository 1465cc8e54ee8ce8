"""Dependency aliases so route signatures read like prose."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection
from psycopg import AsyncConnection

from api.auth import AuthUnavailable, InvalidToken, VerifiedToken
from api.errors import bad_header
from api.gateway import Gateway
from api.ratelimit import Decision
from commands.core import Forbidden
from eventstore import EventStore, Metadata
from eventstore.types import CommandCount
from adapters.system import System
from adapters.audit_keys import AuditSigner
from adapters.clock import Clock
from adapters.payments import Payments
from adapters.storage import Storage
from projections.identity.access import ANONYMOUS, Access


async def _system(request: Request) -> System:
    return request.app.state.system


async def _store(request: Request) -> EventStore:
    return request.app.state.system.store


SystemDep = Annotated[System, Depends(_system)]
Store = Annotated[EventStore, Depends(_store)]


# --- the adapters the composition root chose (infra/bootstrap.py) -----------------------------------------------

async def _clock(request: Request) -> Clock:
    return request.app.state.system.adapters.clock


async def _now(request: Request) -> datetime:
    return request.app.state.system.adapters.clock.now()


async def _payments(request: Request) -> Payments:
    return request.app.state.system.adapters.payments


async def _storage(request: Request) -> Storage:
    return request.app.state.system.adapters.storage


async def _audit_signer(request: Request) -> AuditSigner:
    return request.app.state.system.adapters.audit


async def _token_secret(request: Request) -> bytes:
    return request.app.state.system.adapters.tokens.secret


ClockDep = Annotated[Clock, Depends(_clock)]
# The request's moment, read once from the system's clock: every fact a request records carries this time.
Now = Annotated[datetime, Depends(_now)]
PaymentsDep = Annotated[Payments, Depends(_payments)]
StorageDep = Annotated[Storage, Depends(_storage)]
# The key audit bundles are signed with.
AuditSignerDep = Annotated[AuditSigner, Depends(_audit_signer)]
# The secret invitation and confirmation tokens are signed with.
TokenSecret = Annotated[bytes, Depends(_token_secret)]


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway


# --- who is calling ---------------------------------------------------------------------------------

# The one security scheme of the OpenAPI document: a Clerk session token as a bearer token. Declared through
# `HTTPBearer` so the document says which operations take it (api/openapi.py says which need it); the
# header is read and verified by `authenticate`, once per request.
SECURITY_SCHEME = "ClerkSession"
clerk_session = HTTPBearer(
    scheme_name=SECURITY_SCHEME, bearerFormat="JWT", auto_error=False,
    description="A Clerk session token (portal or candidate instance) as `Authorization: Bearer <jwt>`.",
)
MAX_TOKEN_CHARS = 8192


class NotAuthenticated(Exception):
    """The route needs a signed-in caller and the request carries no token (→ 401)."""


def _bearer(request: HTTPConnection) -> str | None:
    """The bearer token the request carries; None without one (no header, another scheme, nothing after it).

    The operator console's pages (under /console, api/operations/console.py) also take Clerk's `__session`
    cookie, as a browser sends it; no API route does, so no cookie can ride a cross-site request to the API,
    and every console form carries its own CSRF token."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        path = request.url.path
        if path == "/console" or path.startswith("/console/"):
            return request.cookies.get("__session") or None
        return None
    return token.strip()


async def _verification(request: HTTPConnection) -> VerifiedToken | InvalidToken | AuthUnavailable | None:
    """What the request's token turned out to be, worked out once per request and kept on its state."""
    state = request.state
    if not hasattr(state, "verification"):
        token = _bearer(request)
        outcome: VerifiedToken | InvalidToken | AuthUnavailable | None = None
        if token is not None:
            verifier = _gateway(request).verifier  # type: ignore[arg-type]
            try:
                if len(token) > MAX_TOKEN_CHARS:
                    raise InvalidToken("malformed", f"a session token is at most {MAX_TOKEN_CHARS} characters")
                if verifier is None:  # no instance could ever accept it: refused, not "try again later"
                    raise InvalidToken("no_clerk_instance", "no Clerk instance is configured to verify session tokens")
                outcome = await verifier.verify(token)
            except (InvalidToken, AuthUnavailable) as exc:
                outcome = exc
        state.verification = outcome
    return state.verification


async def authenticate(request: HTTPConnection) -> VerifiedToken | None:
    """The verified session token, or None without one, for a route that asks who is calling.

    A refused token is refused (401, counted once against the caller's address), never taken as anonymous;
    Clerk unreachable is a 503. Asked twice in one request, the answer is the same and counted once.
    """
    outcome = await _verification(request)
    if isinstance(outcome, InvalidToken):
        state = request.state
        if not hasattr(state, "refusal_limited"):
            decision = await _gateway(request).failed_authentication(request)  # type: ignore[arg-type]
            state.refusal_limited = decision is not None and not decision.allowed
            state.refusal_decision = decision
        if state.refusal_limited:
            raise RateLimited(state.refusal_decision)
        raise outcome
    if isinstance(outcome, AuthUnavailable):
        raise outcome
    return outcome


async def identify_if_possible(request: HTTPConnection) -> VerifiedToken | None:
    """The verified token if the request carries a good one, else None: for routes that do not ask who is
    calling (rate limits count such a caller as themself), where a bad token changes nothing."""
    outcome = await _verification(request)
    return outcome if isinstance(outcome, VerifiedToken) else None


async def _token(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(clerk_session)]
) -> VerifiedToken | None:
    """The verified session token, or None without one. A bad token is refused, never taken as anonymous."""
    return await authenticate(request)


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


Identity = Literal["required", "optional", "none"]
_REQUIRES = frozenset({_caller, _current_user, _platform_admin})
_ASKS = frozenset({_maybe_user, _token})


def _calls(dependant: Any) -> Iterator[Any]:
    for sub in getattr(dependant, "dependencies", ()):
        yield sub.call
        yield from _calls(sub)


_IDENTITIES: dict[int, tuple[Any, Identity]] = {}  # a cache: what a route's dependencies say never changes


def identity_of(route: Any) -> Identity:
    """Whether a route needs a signed-in caller, takes one if there is one, or never asks (from its
    dependencies, so a route says it once, in its signature)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return "none"
    known = _IDENTITIES.get(id(dependant))
    if known is None or known[0] is not dependant:
        calls = set(_calls(dependant))
        known = (dependant, "required" if calls & _REQUIRES else "optional" if calls & _ASKS else "none")
        _IDENTITIES[id(dependant)] = known
    return known[1]


def is_platform_admin_only(route: Any) -> bool:
    return _platform_admin in set(_calls(getattr(route, "dependant", None)))


# --- rate limits --------------------------------------------------------------------------------------

# Webhooks are exempt: their signatures are checked, and a flood of bad deliveries must not starve good ones.
EXEMPT_PREFIXES = ("/health", "/ready", "/webhooks/", "/v2/webhooks/", "/v3/webhooks/", "/docs", "/openapi.json")


class RateLimited(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__(f"rate limit of {decision.limit} requests per minute reached")
        self.decision = decision


async def rate_limit(request: Request) -> None:
    """App-wide: one count per request against the caller's limit (per user when signed in, else per IP).

    On a route that asks who is calling, a refused token is refused here already (401); on one that does not,
    a refused token is no one's and the request counts against the address.
    """
    gateway = _gateway(request)
    if gateway.limiter is None or request.url.path.startswith(EXEMPT_PREFIXES):
        return
    route = request.scope.get("route")
    token = await authenticate(request) if identity_of(route) != "none" else await identify_if_possible(request)
    caller = f"user:{token.instance}:{token.user_id}" if token else f"ip:{gateway.client_ip(request)}"
    # The template as the document writes it (`/v1/jobs/{job_id}`), whatever convertor the route's path has.
    template = getattr(route, "path_format", None) or request.url.path
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


async def _actor(access: Annotated[Access, Depends(_maybe_user)]) -> str:
    return access.actor


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def request_metadata(request: Request, actor: str, idempotency_key: str | None) -> Metadata:
    """Metadata of the commands one request sends: the author, the request's correlation id and key, and the
    count of its commands that gives each its own ids under that key (a retry repeats them all)."""
    return Metadata(actor=actor, correlation_id=request.state.correlation_id, idempotency_key=idempotency_key,
                    source="api", commands=CommandCount())


async def _metadata(request: Request, actor: Annotated[str, Depends(_actor)], idempotency_key: IdempotencyKey = None) -> Metadata:
    return request_metadata(request, actor, idempotency_key)


# An entity version, quoted or not, perhaps weak: what the check below reads, said in the document too (the
# check answers anything else with its 400 `invalid_if_match`).
_VERSION = {"pattern": r'^(W/)?"?[0-9]{1,18}"?$'}


async def _if_match(if_match: Annotated[str, Header(alias="If-Match", max_length=40,
                                              json_schema_extra=_VERSION)] = None) -> int | None:  # type: ignore[assignment]
    """`If-Match: <version>` (quoted or not): act only if the entity is still at that version."""
    if if_match is None:
        return None
    if not re.fullmatch(_VERSION["pattern"][1:-1], if_match.strip()):
        raise bad_header("If-Match", "invalid_if_match", "an entity version (a whole number), quoted or not")
    return int(if_match.strip().removeprefix("W/").strip('"'))


Actor = Annotated[str, Depends(_actor)]
ExpectedVersion = Annotated[int | None, Depends(_if_match)]
CommandMetadata = Annotated[Metadata, Depends(_metadata)]


async def _connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.system.pool.connection() as conn:
        yield conn


Db = Annotated[AsyncConnection, Depends(_connection)]
