"""Tokens signed with the project's token secret, never stored.

Candidate invitation tokens: HMAC-SHA256(secret, invitation id). Whoever holds the secret and the
invitation id (the email reactor, from `RecruiterCandidateInvited`) rebuilds the link; the event log holds
only the token's SHA-256 digest.

Confirmation tokens: a short-lived HMAC over a purpose, a subject and an expiry, for a step that must be
asked twice (a person's own erasure: `DELETE /v1/users/me`).
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


def token_secret(settings: Settings) -> bytes:
    """The secret invitation tokens are signed with. Only development mode (`splits dev`) may do without one."""
    if settings.splits_token_secret is not None and settings.splits_token_secret.get_secret_value():
        return settings.splits_token_secret.get_secret_value().encode()
    if not settings.development:
        raise RuntimeError(f"SPLITS_TOKEN_SECRET is required (ENVIRONMENT={settings.environment}): it signs "
                           "candidate invitation links; the fixed development secret is for `splits dev` only")
    return DEVELOPMENT_SECRET


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
    if not expires.isdigit() or len(expires) > 12 or len(mac) != 64:
        raise ConfirmationRefused("malformed")
    if not hmac.compare_digest(mac, _confirmation_mac(secret, purpose, subject, int(expires))):
        raise ConfirmationRefused("invalid")
    if now >= int(expires):
        raise ConfirmationRefused("expired")


def _confirmation_mac(secret: bytes, purpose: str, subject: str, expires_at: int) -> str:
    message = f"splits-confirmation\n{purpose}\n{subject}\n{expires_at}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
