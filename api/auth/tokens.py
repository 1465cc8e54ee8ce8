"""Verification of Clerk session tokens (RS256 JWTs) from the portal ("splits") and candidate ("app") instances.

PyJWT does the cryptography and the JWKS fetching/caching; this module adds what it does not:
choosing the Clerk instance by issuer, the `azp` check, one exception type with a machine-readable
reason, and a refetch bound so a flood of tokens with made-up key ids cannot make us hammer Clerk.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import jwt
from jwt import PyJWK, PyJWKClient

from adapters.clock import SystemClock

if TYPE_CHECKING:
    from adapters.settings import Settings

Reason = Literal[
    "expired", "not_yet_valid", "bad_signature", "bad_algorithm", "wrong_issuer",
    "wrong_azp", "unknown_key", "malformed", "missing_claim", "no_clerk_instance",
]

# Clerk signs session tokens with RS256 only; anything else in the header is an attack or a bug.
ALGORITHM = "RS256"
REQUIRED_CLAIMS = ("exp", "nbf", "iat", "sub", "iss", "sid")


class InvalidToken(Exception):
    """The token is refused; `reason` is short and machine-readable (→ 401)."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: Reason = reason
        self.detail = detail


class AuthUnavailable(Exception):
    """Clerk's JWKS could not be fetched, so no token can be judged either way (→ 503)."""

    def __init__(self, instance: str, detail: str) -> None:
        super().__init__(f"JWKS of Clerk instance {instance!r} unavailable: {detail}")
        self.instance = instance
        self.detail = detail


@dataclass(frozen=True)
class ClerkInstance:
    """One Clerk instance: its name here, where its keys are, and the `iss` its tokens carry."""

    name: str
    jwks_url: str
    issuer: str


@dataclass(frozen=True)
class VerifiedToken:
    """What a verified session token says about its caller."""

    instance: str
    user_id: str
    session_id: str
    org_id: str | None
    claims: dict[str, Any] = field(repr=False)


def clerk_instances(settings: Settings) -> list[ClerkInstance]:
    """The Clerk instances configured in settings (portal "splits", candidate "app"); unconfigured ones are left out."""
    configured = [
        ("splits", settings.splits_clerk_jwks_url, settings.splits_clerk_issuer),
        ("app", settings.app_clerk_jwks_url, settings.app_clerk_issuer),
    ]
    return [ClerkInstance(name, url, iss) for name, url, iss in configured if url and iss]


class _Keys:
    """The signing keys of one instance: PyJWT's cached JWKS plus our bound on forced refetches."""

    def __init__(self, instance: ClerkInstance, *, lifespan_s: float, timeout_s: float,
                 refetch_interval_s: float, clock: Callable[[], float]) -> None:
        self.instance = instance
        # Only the cached JWK set is used, never `get_signing_key`: its LRU (cache_keys) has no expiry,
        # so a key Clerk removed would stay trusted, and its refetch cooldown (PyJWT >= 2.14) also
        # counts ordinary fetches, delaying a freshly rotated key. The bound below counts forced
        # refetches only, and leaving cooldown_duration unset keeps this working on PyJWT 2.9-2.13.
        self._client = PyJWKClient(instance.jwks_url, cache_jwk_set=True, lifespan=lifespan_s, timeout=timeout_s)
        self._refetch_interval_s = refetch_interval_s
        self._clock = clock
        self._last_refetch: float | None = None
        # One lookup at a time per instance: concurrent requests on a cold or expired cache
        # wait for one fetch instead of each starting their own.
        self._lock = threading.Lock()

    def cached_key(self, kid: str) -> PyJWK | None:
        """Non-blocking: the key with this kid when the cached JWKS is fresh and holds it, else None (then
        `signing_key`, off the event loop). A request need not hop to a thread for a key already known."""
        cache = self._client.jwk_set_cache
        jwk_set = cache.get() if cache is not None else None
        if jwk_set is None:
            return None
        usable = [k for k in jwk_set.keys if k.public_key_use in ("sig", None) and k.key_id]
        return self._match(usable, kid)

    def signing_key(self, kid: str) -> PyJWK:
        """Blocking: the key with this kid, refetching the JWKS at most once per interval."""
        with self._lock:
            cache = self._client.jwk_set_cache
            cold = cache is None or cache.get() is None
            key = self._match(self._fetch(refresh=False), kid)
            if key is not None:
                return key
            if cold:
                # The set was fetched just now, so refetching could not find anything new.
                raise InvalidToken("unknown_key", f"no key {kid!r} in the JWKS of {self.instance.name!r}")
            now = self._clock()
            if self._last_refetch is not None and now - self._last_refetch < self._refetch_interval_s:
                raise InvalidToken("unknown_key", f"no key {kid!r}; JWKS refetched recently")
            # Counted before fetching so a failing Clerk is not retried by every bad token either.
            self._last_refetch = now
            key = self._match(self._fetch(refresh=True), kid)
            if key is None:
                raise InvalidToken("unknown_key", f"no key {kid!r} in the JWKS of {self.instance.name!r}")
            return key

    def _fetch(self, *, refresh: bool) -> list[PyJWK]:
        try:
            return self._client.get_signing_keys(refresh=refresh)
        # PyJWKClientError covers connection failures, a non-object body and a set without usable
        # keys; ValueError a body that is not JSON; OSError a connection dropped mid-read.
        except (jwt.PyJWKClientError, jwt.PyJWKSetError, ValueError, OSError) as e:
            raise AuthUnavailable(self.instance.name, str(e)) from e

    @staticmethod
    def _match(keys: list[PyJWK], kid: str) -> PyJWK | None:
        return next((k for k in keys if k.key_id == kid), None)


# Order matters: InvalidSignatureError is a DecodeError, and everything is an InvalidTokenError.
_REASONS: tuple[tuple[type[Exception], Reason], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.InvalidAlgorithmError, "bad_algorithm"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.InvalidTokenError, "malformed"),
)


def _reason_of(exc: jwt.PyJWTError) -> Reason:
    return next((r for cls, r in _REASONS if isinstance(exc, cls)), "malformed")


# Token times are the wall clock's, as PyJWT reads them (no offset).
_WALL = SystemClock()

# Verified tokens kept in memory per process (see `TokenVerifier.verify`): a few MB at most.
VERIFIED_KEPT = 10_000


class TokenVerifier:
    """Verifies Clerk session tokens of several instances; built once by the composition root."""

    def __init__(
        self,
        instances: Sequence[ClerkInstance],
        authorized_parties: Sequence[str] = (),
        leeway_s: float = 5,
        *,
        refetch_interval_s: float = 10,
        jwks_lifespan_s: float = 300,
        fetch_timeout_s: float = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`authorized_parties` lists the allowed `azp` origins; empty means `azp` is not checked.

        `refetch_interval_s` bounds forced JWKS refetches (unknown kid) per instance; `clock` measures
        that bound and is there for tests. Token times (exp/nbf/iat) use the wall clock, as PyJWT does.
        """
        if not instances:
            raise ValueError("TokenVerifier needs at least one Clerk instance")
        issuers = [i.issuer for i in instances]
        if len(set(issuers)) != len(issuers):
            raise ValueError(f"two Clerk instances share an issuer: {issuers}")
        self._by_issuer = {
            i.issuer: _Keys(i, lifespan_s=jwks_lifespan_s, timeout_s=fetch_timeout_s,
                            refetch_interval_s=refetch_interval_s, clock=clock)
            for i in instances
        }
        self._authorized_parties = frozenset(authorized_parties)
        self._leeway_s = leeway_s
        # Tokens verified lately → (what they said, the wall-clock second they stop being valid, the key that
        # vouched). A client sends one session token with every request of the minute it lives: its signature
        # is checked once, while the key stays in the instance's current set.
        self._verified: dict[str, tuple[VerifiedToken, float, _Keys, str]] = {}

    async def verify(self, token: str) -> VerifiedToken:
        """Verify a session token; raise `InvalidToken(reason)` if it is refused, `AuthUnavailable` if Clerk is down.

        A token verified before is taken from memory until its `exp` (with the leeway) passes, as long as the
        key that signed it is still in its instance's current key set (a withdrawn key's tokens are refused as
        soon as the new set is fetched); only accepted tokens are kept, at most `VERIFIED_KEPT`, the oldest
        dropped first.
        """
        known = self._verified.get(token)
        if known is not None:
            verified, until, keys, kid = known
            if _WALL.now().timestamp() < until and keys.cached_key(kid) is not None:
                return verified
            del self._verified[token]
        verified, keys, kid = await self._verify(token)
        if len(self._verified) >= VERIFIED_KEPT:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (verified, float(verified.claims["exp"]) + self._leeway_s, keys, kid)
        return verified

    async def _verify(self, token: str) -> tuple[VerifiedToken, _Keys, str]:
        header, unverified = _peek(token)
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("bad_algorithm", f"alg {header.get('alg')!r}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("malformed", "no kid in the header")
        iss = unverified.get("iss")
        if iss is None:
            raise InvalidToken("missing_claim", "iss")
        # The issuer picks whose keys may vouch for the token: a key of the other instance is then
        # simply unknown, so neither instance can sign for the other.
        keys = self._by_issuer.get(iss) if isinstance(iss, str) else None
        if keys is None:
            raise InvalidToken("wrong_issuer", f"iss {iss!r}")

        # PyJWKClient does blocking HTTP; a lookup that may fetch is kept off the event loop.
        key = keys.cached_key(kid) or await asyncio.to_thread(keys.signing_key, kid)
        try:
            claims = jwt.decode(
                token, key.key, algorithms=[ALGORITHM], issuer=keys.instance.issuer,
                leeway=self._leeway_s, options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as e:
            raise InvalidToken(_reason_of(e), str(e)) from e
        return self._accept(keys.instance, claims), keys, kid

    def _accept(self, instance: ClerkInstance, claims: dict[str, Any]) -> VerifiedToken:
        if self._authorized_parties:
            # Clerk's own SDK lets a token without azp through; we do not, since browser sessions
            # always carry it and the check exists to stop tokens minted for another origin.
            azp = claims.get("azp")
            if azp is None:
                raise InvalidToken("missing_claim", "azp")
            if azp not in self._authorized_parties:
                raise InvalidToken("wrong_azp", f"azp {azp!r}")
        sub, sid = claims["sub"], claims["sid"]
        if not isinstance(sid, str) or not sid:
            raise InvalidToken("malformed", "sid is not a string")
        if not sub:
            raise InvalidToken("malformed", "empty sub")
        return VerifiedToken(instance=instance.name, user_id=sub, session_id=sid,
                             org_id=_org_id(claims), claims=claims)


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before any verification: only used to choose algorithm, key and instance."""
    if not isinstance(token, str) or not token:
        raise InvalidToken("malformed", "empty token")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as e:
        raise InvalidToken("malformed", str(e)) from e
    return header, unverified


def _org_id(claims: dict[str, Any]) -> str | None:
    # Session token v1 carries `org_id`; v2 nests the active organization under `o.id`.
    org = claims.get("org_id")
    if org is None and isinstance(claims.get("o"), dict):
        org = claims["o"].get("id")
    return org if isinstance(org, str) and org else None
