"""A local stand-in for one Clerk instance: a real HTTP server serving its JWKS, and a minter of session tokens.

The verifier under test fetches keys from it over a socket exactly as it would from Clerk, so caching,
refetching and outages are exercised for real. The issuer is the server's own base URL, so two fakes
(portal and candidate) started at once have distinct issuers.

Import the fixtures into a test module: `from tests.fakes.clerk import clerk, candidate_clerk`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.http import FakeServer, Request, Response, json_response

JWKS_PATH = "/.well-known/jwks.json"
DEFAULT_AZP = "http://localhost:3000"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


class FakeClerk(FakeServer):
    """One fake Clerk instance. Start with `start()` (or as a context manager), stop with `stop()`."""

    methods = ("GET",)
    name = "fake-clerk"

    def __init__(self, azp: str = DEFAULT_AZP) -> None:
        super().__init__()
        self.azp = azp
        self._lock = threading.Lock()
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self.current_kid = self.add_key()
        # A key never published, for forgeries; one per fake because generating RSA keys is slow.
        self._stranger = new_rsa_key()
        self._fetches = 0
        self._status = 200
        self._stall_s = 0.0

    # --- server -------------------------------------------------------------------------------------

    def answer(self, request: Request) -> Response | None:
        if request.path != JWKS_PATH:
            return None
        with self._lock:
            self._fetches += 1
            status, stall = self._status, self._stall_s
        body = json.dumps(self.jwks()).encode() if status == 200 else b'{"errors":[{"code":"unavailable"}]}'
        if stall:
            time.sleep(stall)
        return Response(status, body, {"Content-Type": "application/json"})

    @property
    def base_url(self) -> str:
        return self.url

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def jwks_url(self) -> str:
        return self.base_url + JWKS_PATH

    @property
    def fetches(self) -> int:
        """How many times the JWKS was requested over HTTP."""
        with self._lock:
            return self._fetches

    def fail_with(self, status: int) -> None:
        """Answer JWKS requests with this status (200 restores normal service)."""
        with self._lock:
            self._status = status

    def stall(self, seconds: float) -> None:
        """Wait this long before answering each JWKS request (0 restores normal service)."""
        with self._lock:
            self._stall_s = seconds

    # --- keys ---------------------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            keys = list(self._keys.items())
        return {"keys": [
            json.loads(RSAAlgorithm.to_jwk(key.public_key())) | {"kid": kid, "use": "sig", "alg": "RS256"}
            for kid, key in keys
        ]}

    def add_key(self) -> str:
        """Publish a new signing key; returns its kid (the current signing key is unchanged)."""
        kid = f"ins_{secrets.token_hex(8)}"
        with self._lock:
            self._keys[kid] = new_rsa_key()
        return kid

    def remove_key(self, kid: str) -> None:
        with self._lock:
            del self._keys[kid]

    def rotate(self) -> str:
        """Publish a new key, sign with it from now on and withdraw the old one; returns the new kid."""
        old = self.current_kid
        self.current_kid = self.add_key()
        self.remove_key(old)
        return self.current_kid

    def private_key(self, kid: str | None = None) -> rsa.RSAPrivateKey:
        with self._lock:
            return self._keys[kid or self.current_kid]

    def public_pem(self, kid: str | None = None) -> bytes:
        return self.private_key(kid).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    # --- tokens -------------------------------------------------------------------------------------

    def claims(
        self, *, user_id: str | None = None, session_id: str | None = None, org_id: str | None = None,
        org_role: str | None = None, lifetime_s: int = 60, now: int | None = None, **overrides: Any,
    ) -> dict[str, Any]:
        """Claims of a Clerk session token (v1 shape); `overrides` replace or add claims, None removes one."""
        now = int(time.time()) if now is None else now
        claims: dict[str, Any] = {
            "sub": user_id or f"user_{secrets.token_hex(12)}",
            "sid": session_id or f"sess_{secrets.token_hex(12)}",
            "iss": self.issuer,
            "azp": self.azp,
            "iat": now,
            "nbf": now - 10,  # Clerk backdates nbf a little for clock skew
            "exp": now + lifetime_s,
        }
        if org_id is not None:
            claims |= {"org_id": org_id, "org_role": org_role or "org:member"}
        claims |= overrides
        return {k: v for k, v in claims.items() if v is not None}

    def mint(self, *, kid: str | None = None, key: rsa.RSAPrivateKey | None = None,
             headers: dict[str, Any] | None = None, **claim_args: Any) -> str:
        """A session token signed RS256 with the current key (or `key`), header kid = `kid` or the current kid.

        `headers` add to or replace header fields; a None value removes one.
        """
        kid = kid or self.current_kid
        signer = key or self.private_key(kid)
        header = {k: v for k, v in ({"kid": kid} | (headers or {})).items() if v is not None}
        return jwt.encode(self.claims(**claim_args), signer, algorithm="RS256", headers=header)

    # The bad ones.

    def expired(self, **claim_args: Any) -> str:
        now = int(time.time())
        return self.mint(iat=now - 3600, nbf=now - 3600, exp=now - 60, **claim_args)

    def not_yet_valid(self, **claim_args: Any) -> str:
        now = int(time.time())
        return self.mint(iat=now, nbf=now + 600, exp=now + 900, **claim_args)

    def wrong_issuer(self, issuer: str = "https://clerk.attacker.example", **claim_args: Any) -> str:
        return self.mint(iss=issuer, **claim_args)

    def wrong_azp(self, azp: str = "https://evil.example", **claim_args: Any) -> str:
        return self.mint(azp=azp, **claim_args)

    def unknown_kid(self, **claim_args: Any) -> str:
        """Signed with a key this instance never published, under a kid it does not know."""
        return self.mint(kid=f"ins_unknown_{secrets.token_hex(6)}", key=self._stranger, **claim_args)

    def forged_with_known_kid(self, **claim_args: Any) -> str:
        """Signed with some other key but claiming the current kid."""
        return self.mint(key=self._stranger, **claim_args)

    def alg_none(self, **claim_args: Any) -> str:
        """Unsigned (`alg: none`), with an empty signature segment."""
        header = {"alg": "none", "typ": "JWT", "kid": self.current_kid}
        return f"{_segment(header)}.{_segment(self.claims(**claim_args))}."

    def hs256_with_public_key(self, **claim_args: Any) -> str:
        """HS256 keyed with the instance's public PEM: passes if a verifier lets the token pick the algorithm."""
        # Built by hand: PyJWT itself refuses a PEM key as an HMAC secret.
        header = {"alg": "HS256", "typ": "JWT", "kid": self.current_kid}
        signing_input = f"{_segment(header)}.{_segment(self.claims(**claim_args))}"
        mac = hmac.new(self.public_pem(), signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"

    def missing_sid(self, **claim_args: Any) -> str:
        return self.mint(sid=None, **claim_args)

    def missing(self, claim: str, **claim_args: Any) -> str:
        """A validly signed token without `claim`."""
        return self.mint(**{claim: None}, **claim_args)

    def tampered(self, **changes: Any) -> str:
        """A valid token whose payload was edited afterwards (default: another user), signature kept."""
        header, payload, signature = self.mint().split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims |= changes or {"sub": f"user_{secrets.token_hex(12)}"}
        return f"{header}.{_segment(claims)}.{signature}"


@pytest.fixture
def clerk() -> Iterator[FakeClerk]:
    """A running fake of the portal ("splits") Clerk instance, stopped after the test."""
    with FakeClerk() as fake:
        yield fake


@pytest.fixture
def candidate_clerk() -> Iterator[FakeClerk]:
    """A second, independent running fake: the candidate ("app") Clerk instance."""
    with FakeClerk(azp="http://localhost:3001") as fake:
        yield fake


class FakeClerkBackend(FakeServer):
    """The Backend API of a Clerk instance (`GET /v1/users/{id}`), as a local HTTP server: a test puts the
    users Clerk knows with `put()` (email, verified or not) and points `clerk_api_url` at `base_url`.
    Requests without the instance's secret key answer 401, unknown users 404, like Clerk."""

    methods = ("GET",)
    name = "fake-clerk-backend"

    def __init__(self, secret_key: str | None = None) -> None:
        super().__init__()
        self.secret_key = secret_key or f"sk_test_{secrets.token_hex(16)}"
        self._lock = threading.Lock()
        self._users: dict[str, dict[str, Any]] = {}
        self.reads: list[str] = []

    @property
    def base_url(self) -> str:
        return self.url

    def put(self, clerk_user_id: str, email: str | None, *, verified: bool = True, **fields: Any) -> dict[str, Any]:
        """Clerk's user object for this id from now on (the shape its webhooks carry); returns it."""
        from datetime import UTC, datetime

        from tests.fakes.clerk_payloads import user_data

        data = user_data(clerk_user_id, email, created_at=datetime.now(UTC), verified=verified, **fields)
        with self._lock:
            self._users[clerk_user_id] = data
        return data

    def answer(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.secret_key}":
            return json_response(401, {"errors": [{"code": "authentication_invalid"}]})
        if not request.path.startswith("/v1/users/"):
            return json_response(404, {"errors": [{"code": "resource_not_found"}]})
        clerk_user_id = request.path.removeprefix("/v1/users/")
        with self._lock:
            self.reads.append(clerk_user_id)
            data = self._users.get(clerk_user_id)
        if data is None:
            return json_response(404, {"errors": [{"code": "resource_not_found"}]})
        return json_response(200, data)


@pytest.fixture
def clerk_backend() -> Iterator[FakeClerkBackend]:
    """A running fake Clerk Backend API; give both instances its key (`splits_/app_clerk_secret_key`)."""
    with FakeClerkBackend() as fake:
        yield fake
