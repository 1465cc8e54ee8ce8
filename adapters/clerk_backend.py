"""A fresh read of one user from the Clerk Backend API (`GET /v1/users/{id}`), for the moments when the
email a right depends on must be Clerk's current word: registration, a candidate record's claim, an
invitation's acceptance. Between those, the webhooks keep the recorded identity up to date.

Only what identity needs is taken: the primary email address and whether Clerk has verified it. A user
whose primary address is unverified (or who has none) is returned as such, never with another address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import httpx

from adapters.settings import Settings

ClerkInstanceName = Literal["splits", "app"]
_SECRET_SETTINGS = {"splits": "SPLITS_CLERK_SECRET_KEY", "app": "APP_CLERK_SECRET_KEY"}


class ClerkBackendUnavailable(RuntimeError):
    """Clerk did not answer usably (down, a refused key, a malformed answer): the caller should retry later."""


@dataclass(frozen=True)
class ClerkIdentity:
    clerk_user_id: str
    email: str | None  # the primary address
    email_verified: bool  # Clerk's verification status of that address is "verified"
    name: str | None
    image_url: str | None


def secret_setting(instance: str) -> str:
    """The name of the setting holding an instance's Backend API key (for messages)."""
    return _SECRET_SETTINGS.get(instance, "SPLITS_CLERK_SECRET_KEY")


def identity_of(data: dict[str, Any]) -> ClerkIdentity:
    """The identity in a Clerk user object (the same shape in the Backend API and in user.* webhooks)."""
    addresses = [a for a in data.get("email_addresses") or [] if isinstance(a, dict)]
    primary = next((a for a in addresses if a.get("id") == data.get("primary_email_address_id")), None)
    verification = (primary or {}).get("verification") or {}
    email = (primary or {}).get("email_address")
    parts = [p.strip() for p in (data.get("first_name"), data.get("last_name")) if isinstance(p, str) and p.strip()]
    return ClerkIdentity(
        clerk_user_id=str(data.get("id")),
        email=email if isinstance(email, str) and email else None,
        email_verified=isinstance(verification, dict) and verification.get("status") == "verified",
        name=" ".join(parts) or None,
        image_url=data.get("image_url") or None,
    )


class ClerkBackend:
    """The Backend API of the configured Clerk instances. Cheap to build; one short-lived client per read,
    since reads are rare (a handful per user's lifetime)."""

    def __init__(self, settings: Settings, *, timeout_s: float = 5.0) -> None:
        self._base = settings.clerk_api_url.rstrip("/")
        self._keys = {name: key.get_secret_value() for name, key in (
            ("splits", settings.splits_clerk_secret_key), ("app", settings.app_clerk_secret_key)) if key is not None}
        self._timeout = timeout_s

    def configured(self, instance: str) -> bool:
        return instance in self._keys

    async def user(self, instance: str, clerk_user_id: str) -> ClerkIdentity | None:
        """The user as Clerk knows them now, or None when Clerk has no such user."""
        key = self._keys.get(instance)
        if key is None:
            raise ClerkBackendUnavailable(f"{secret_setting(instance)} is not set")
        url = f"{self._base}/v1/users/{quote(clerk_user_id, safe='')}"
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                answer = await client.get(url, headers={"Authorization": f"Bearer {key}"})
        except httpx.HTTPError as exc:
            raise ClerkBackendUnavailable(f"Clerk's Backend API did not answer: {type(exc).__name__}") from exc
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise ClerkBackendUnavailable(f"Clerk's Backend API answered {answer.status_code}")
        try:
            data = answer.json()
        except ValueError as exc:
            raise ClerkBackendUnavailable("Clerk's Backend API answered something that is not JSON") from exc
        if not isinstance(data, dict) or data.get("id") != clerk_user_id:
            raise ClerkBackendUnavailable("Clerk's Backend API answered with another user or no user object")
        return identity_of(data)
