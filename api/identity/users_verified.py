"""The caller's email as Clerk vouches for it, for the acts a right hangs on: claiming a candidate record,
accepting an organization or firm invitation.

With a Backend API key for the caller's Clerk instance, Clerk is asked now (a webhook may be late, or a
verification may have been withdrawn) and what it says is recorded on the user's stream first, so the
decision is traceable to an event. Without one (development sign-in, or an instance configured for
sign-in only), the verification the webhooks recorded stands. Either way an unverified primary address
is refused: an address someone merely typed into Clerk proves nothing about who owns it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import HTTPException

from api.auth import AuthUnavailable, VerifiedToken
from commands.core import Forbidden, RuleViolation
from commands.identity import user as users
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from adapters.clerk_backend import ClerkBackend, ClerkBackendUnavailable, ClerkIdentity, secret_setting
from adapters.settings import Settings

CLERK_INSTANCES = ("splits", "app")


class EmailNotVerified(Forbidden):
    code = "email_unverified"


async def read_clerk(settings: Settings, token: VerifiedToken) -> ClerkIdentity | None:
    """Clerk's current word on the caller, or None when no Backend API key is set for their instance.

    Raises AuthUnavailable (503) when Clerk does not answer, Forbidden when Clerk no longer has the user."""
    backend = ClerkBackend(settings)
    if token.instance not in CLERK_INSTANCES or not backend.configured(token.instance):
        return None
    try:
        identity = await backend.user(token.instance, token.user_id)
    except ClerkBackendUnavailable as exc:
        raise AuthUnavailable(token.instance, str(exc)) from exc
    if identity is None:
        raise Forbidden("Clerk has no such user any more")
    return identity


async def verified_email(store: EventStore, settings: Settings, token: VerifiedToken, user_id: UUID,
                         meta: Metadata, now: datetime) -> str:
    """The caller's primary email, refused (403 `email_unverified`) unless Clerk has verified it; what Clerk
    says is recorded at `now`, the request's moment."""
    identity = await read_clerk(settings, token)
    stream = stream_id_for(users.user, user_id)
    account, _, _ = await load(store, users.user, stream)
    if not account.exists or account.deleted:
        raise Forbidden("register first: POST /v1/users/register")
    if identity is not None and identity.email is not None:
        # Recorded before it is used: a refusal or an acceptance can be traced to what Clerk said.
        record = users.RegisterUser(
            user_id=user_id, clerk_user_id=token.user_id, email=identity.email,
            email_verified=identity.email_verified, source="candidate" if token.instance == "app" else "portal",
            by=f"clerk:{token.instance}", at=now)
        await handle(store, users.user, user_id, record, Metadata(
            actor=f"clerk:{token.instance}", correlation_id=meta.correlation_id, causation_id=meta.causation_id,
            source="clerk-backend"))
        account, _, _ = await load(store, users.user, stream)
    elif identity is not None:
        raise EmailNotVerified("your Clerk account has no email address")
    if account.email is None or not account.email_verified:
        raise EmailNotVerified("your email address is not verified: verify it in your account, then try again")
    return account.email


class EmailNotWritable(RuleViolation):
    code = "email_not_writable"


async def register_identity(settings: Settings, token: VerifiedToken, given: dict[str, Any]) -> dict[str, Any]:
    """The identity fields a registration records: Clerk's email and its verification (and Clerk's name and
    picture where the body gives none). Only a development sign-in, which stands for whoever it names and
    has no Clerk to ask, takes the email from the body."""
    identity = await read_clerk(settings, token)
    if identity is not None or token.instance != "dev":
        if "email" in given:
            raise EmailNotWritable("the email comes from your Clerk account; leave it out", field="email")
        if identity is None:  # a deployment without the key: not something a retry mends
            raise HTTPException(503, f"{secret_setting(token.instance)} is not set: registration reads the email "
                                     "from Clerk")
        if identity.email is None:
            raise EmailNotVerified("your Clerk account has no email address")
        # Clerk's name and picture fill in what the body leaves out; an absent one clears nothing.
        shown = {k: v for k, v in (("name", identity.name), ("image_url", identity.image_url)) if v is not None}
        return shown | {k: given[k] for k in ("name", "image_url") if k in given} | {
            "email": identity.email, "email_verified": identity.email_verified}
    if given.get("email") is None:
        raise EmailNotWritable("a development sign-in registers with the email given in the body", field="email")
    return {"email_verified": True}
