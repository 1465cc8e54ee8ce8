"""Tokens signed with the project's token secret, never stored.

Candidate invitation tokens: HMAC-SHA256(secret, invitation id). Whoever holds the secret and the
invitation id (the email reactor, from `RecruiterCandidateInvited`) rebuilds the link; the event log holds
only the token's SHA-256 digest.

Confirmation tokens: a short-lived HMAC over a purpose, a subject and an expiry, for a step that must be
asked twice (a person's own erasure: `DELETE /v1/users/me`).

Unsubscribe tokens: a confirmation token for `unsubscribe:<category>` and the user, with both in the clear
before it and a long life, so an email's unsubscribe link works without signing in.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from adapters.settings import Settings

# Stands in when SPLITS_TOKEN_SECRET is not set under `splits dev` (and in tests built in development mode), so
# they work without configuration. Anyone can read it here: links signed with it are not secret, which is why
# every other mode refuses it.
DEVELOPMENT_SECRET = b"splits-development-invitation-secret-never-for-production"


class TokenSigner:
    """The token secret, as the settings give it (`token_signer_for`; the composition root makes one a process).

    The secret is looked at when first asked for, not when the signer is made: a process that signs nothing
    starts without one, and a mode that may not use the development secret is refused where a token is signed
    (and by the API at start, api/gateway.py). `TokenSigner.of(secret)` is a signer with a secret given outright.
    """

    def __init__(self, configured: bytes | None, development: bool, environment: str) -> None:
        self._configured = configured
        self._development = development
        self._environment = environment

    @classmethod
    def of(cls, secret: bytes) -> TokenSigner:
        return cls(secret, development=False, environment="given")

    @property
    def uses_development_secret(self) -> bool:
        """No secret was given: the fixed development secret stands in (allowed under `splits dev` only)."""
        return self._configured is None

    @property
    def secret(self) -> bytes:
        """The secret tokens are signed with. Only development mode (`splits dev`) may do without one."""
        if self._configured is not None:
            return self._configured
        if not self._development:
            raise RuntimeError(f"SPLITS_TOKEN_SECRET is required (ENVIRONMENT={self._environment}): it signs "
                               "candidate invitation links; the fixed development secret is for `splits dev` only")
        return DEVELOPMENT_SECRET

    def invitation_token(self, invitation_id: UUID) -> str:
        return invitation_token(self.secret, invitation_id)


def token_signer_for(settings: Settings) -> TokenSigner:
    """The signer of the settings' `SPLITS_TOKEN_SECRET` (an empty one is none)."""
    given = settings.splits_token_secret.get_secret_value() if settings.splits_token_secret is not None else ""
    return TokenSigner(given.encode() if given else None, settings.development, settings.environment)


def invitation_token(secret: bytes, invitation_id: UUID) -> str:
    """The token of one invitation: 64 hex characters, derived, so it can be rebuilt and never stored."""
    return hmac.new(secret, str(invitation_id).encode(), hashlib.sha256).hexdigest()


class ConfirmationRefused(ValueError):
    """A confirmation token that is `malformed`, `invalid` (signed for something else) or `expired`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def confirmation_token(secret: bytes, purpose: str, subject: str, expires_at: int) -> str:
    """A token confirming one step (`purpose`) for one subject until `expires_at` (Unix seconds):
    `<expires_at>.<HMAC-SHA256 hex>`. Nothing is stored: the signature carries it."""
    return f"{expires_at}.{_confirmation_mac(secret, purpose, subject, expires_at)}"


def check_confirmation(secret: bytes, purpose: str, subject: str, token: str, now: int) -> None:
    """Return if `token` confirms `purpose` for `subject` at `now`; `ConfirmationRefused` otherwise."""
    expires, _, mac = token.partition(".")
    if not _ascii_digits(expires, "0123456789") or len(expires) > 12 or len(mac) != 64 \
            or not _ascii_digits(mac, "0123456789abcdef"):  # int() and compare_digest refuse other characters
        raise ConfirmationRefused("malformed")
    if not hmac.compare_digest(mac, _confirmation_mac(secret, purpose, subject, int(expires))):
        raise ConfirmationRefused("invalid")
    if now >= int(expires):
        raise ConfirmationRefused("expired")


def unsubscribe_token(secret: bytes, user_id: UUID, category: str, expires_at: int) -> str:
    """The token of an email's unsubscribe link: it names the user and the preference category it turns off,
    and works without signing in until `expires_at` (Unix seconds): `<user id>.<category>.<expires_at>.<HMAC>`."""
    return f"{user_id}.{category}.{confirmation_token(secret, f'unsubscribe:{category}', str(user_id), expires_at)}"


def check_unsubscribe(secret: bytes, token: str, now: int) -> tuple[UUID, str]:
    """The (user id, category) an unsubscribe token names at `now`; `ConfirmationRefused` (`malformed`, `invalid`:
    tampered with or signed with another secret, `expired`) otherwise."""
    user, _, rest = token.partition(".")
    category, _, signed = rest.partition(".")
    try:
        user_id = UUID(user)
    except ValueError:
        raise ConfirmationRefused("malformed") from None
    if not category.isascii() or not category.replace("_", "").isalpha() or len(category) > 40:
        raise ConfirmationRefused("malformed")
    check_confirmation(secret, f"unsubscribe:{category}", str(user_id), signed, now)
    return user_id, category


def _ascii_digits(text: str, digits: str) -> bool:
    return bool(text) and all(c in digits for c in text)


def _confirmation_mac(secret: bytes, purpose: str, subject: str, expires_at: int) -> str:
    message = f"splits-confirmation\n{purpose}\n{subject}\n{expires_at}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
