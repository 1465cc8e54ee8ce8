"""Authentication: verification of Clerk session tokens."""

from api.auth.tokens import (
    AuthUnavailable,
    ClerkInstance,
    InvalidToken,
    TokenVerifier,
    VerifiedToken,
    clerk_instances,
)

__all__ = ["AuthUnavailable", "ClerkInstance", "InvalidToken", "TokenVerifier", "VerifiedToken", "clerk_instances"]
