"""Candidate invitation tokens: HMAC-SHA256(secret, invitation id), never stored.

Whoever holds the secret and the invitation id (the email reactor, from `RecruiterCandidateInvited`)
rebuilds the link; the event log holds only the token's SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from infra.settings import Settings

# Stands in when SPLITS_TOKEN_SECRET is not set outside production, so `splits dev` and tests work
# without configuration. Anyone can read it here: links signed with it are not secret.
DEVELOPMENT_SECRET = b"splits-development-invitation-secret-never-for-production"


def token_secret(settings: Settings) -> bytes:
    """The secret invitation tokens are signed with. Production refuses to run without its own."""
    if settings.splits_token_secret is not None and settings.splits_token_secret.get_secret_value():
        return settings.splits_token_secret.get_secret_value().encode()
    if settings.environment == "production":
        raise RuntimeError("SPLITS_TOKEN_SECRET is required in production: it signs candidate invitation links")
    return DEVELOPMENT_SECRET


def invitation_token(secret: bytes, invitation_id: UUID) -> str:
    """The token of one invitation: 64 hex characters, derived, so it can be rebuilt and never stored."""
    return hmac.new(secret, str(invitation_id).encode(), hashlib.sha256).hexdigest()
