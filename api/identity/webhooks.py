"""`POST /v2/webhooks/clerk`: Svix-verified Clerk events turned into identity commands (domain §8.1).

The order matters. Everything that can make a delivery unacceptable (signature, JSON, the shape of a
known event type, floats the events refuse) is checked before anything is written, so a 400 writes
nothing. Then the payload is recorded on `clerkwebhook-<svix_id>`: that append is the dedupe, since
Svix redelivers a message under the same id until it is acknowledged. Only a first receipt goes on
to the identity commands, each with an idempotency key derived from the svix id.

A command refused by its decider (a membership of an unknown organization, a deleted user) is
answered 200 "ignored": the refusal is deterministic, and a 4xx/5xx would only make Svix retry it
for days. The payload stays recorded, so it can be replayed once the cause is fixed. So is a delivery
that reuses a known svix id with another payload (Svix never does; a misbehaving sender might): the
first payload stands and keeps its effect, the second is not applied, and a warning names the id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NoReturn
from uuid import UUID

import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from svix.webhooks import Webhook, WebhookVerificationError

from api.deps import Now, Store, SystemDep
from commands.core import Command, Conflict, DomainError, Invalid
from commands.identity import organization as orgs
from commands.identity import user as users
from commands.identity.clerk_webhook import (
    MarkClerkWebhookProcessed,
    RecordClerkWebhook,
    clerk_webhook,
)
from commands.identity.events import MembershipRole, SourceInstance
from eventstore import EventStore, Metadata, SubjectErased, handle, load, stream_id_for
from eventstore.handle import DeciderLike
from adapters.settings import Settings
from commands.identity.organization import organization_id_for

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v2/webhooks", tags=["webhooks"])

_ADMIN_ROLES = {"org:admin", "admin"}  # "admin" is the role key of Clerk instances older than org:-prefixed roles




class InvalidSignature(Invalid):
    code = "invalid_signature"


class MalformedWebhook(Invalid):
    code = "malformed_webhook"


class WebhookNotConfigured(Invalid):
    code = "webhook_not_configured"


class WebhookAnswer(BaseModel):
    status: Literal["processed", "duplicate", "ignored"]
    svix_id: str
    reason: str | None = None


# --- the Clerk payloads we act on: only the fields used; anything else in them is kept in the record ----

class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class ClerkEvent(_Shape):
    type: str = Field(min_length=1)
    data: dict[str, Any]
    timestamp: int | None = None  # ms; absent from older payloads


class ClerkVerification(_Shape):
    status: str | None = None


class ClerkEmailAddress(_Shape):
    id: str
    email_address: str
    verification: ClerkVerification | None = None


class ClerkUser(_Shape):
    id: str
    email_addresses: list[ClerkEmailAddress] = []
    primary_email_address_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    image_url: str | None = None
    created_at: int | None = None
    updated_at: int | None = None

    def email(self) -> str | None:
        """The primary address; the first one when Clerk names no primary (the original took the first)."""
        primary = [e.email_address for e in self.email_addresses if e.id == self.primary_email_address_id]
        return (primary or [e.email_address for e in self.email_addresses] or [None])[0]

    def email_verified(self) -> bool:
        """Whether Clerk has verified the primary address; an address Clerk names no primary is never verified."""
        return any(e.id == self.primary_email_address_id and e.verification is not None
                   and e.verification.status == "verified" for e in self.email_addresses)

    def name(self) -> str | None:
        return " ".join(p.strip() for p in (self.first_name, self.last_name) if p and p.strip()) or None


class ClerkDeleted(_Shape):
    id: str


class ClerkSession(_Shape):
    id: str | None = None
    user_id: str
    last_active_at: int | None = None
    created_at: int | None = None


class ClerkOrganization(_Shape):
    id: str
    name: str
    slug: str | None = None


class _Ref(_Shape):
    id: str


class _PublicUserData(_Shape):
    user_id: str


class ClerkMembership(_Shape):
    organization: _Ref
    public_user_data: _PublicUserData
    role: str


_SHAPES: dict[str, type[_Shape]] = {
    "user.created": ClerkUser, "user.updated": ClerkUser, "user.deleted": ClerkDeleted,
    "session.created": ClerkSession,
    "organization.created": ClerkOrganization, "organization.updated": ClerkOrganization,
    "organization.deleted": ClerkDeleted,
    "organizationMembership.created": ClerkMembership, "organizationMembership.updated": ClerkMembership,
    "organizationMembership.deleted": ClerkMembership,
}


# --- the route ----------------------------------------------------------------------------------------

@router.post("/clerk", response_model_exclude_none=True, responses={400: {}})
async def clerk_webhook_received(request: Request, system: SystemDep, store: Store, now: Now) -> WebhookAnswer:
    body = await request.body()
    headers = dict(request.headers)
    instance = verify(body, headers, system.settings)
    svix_id = _header(headers, "id")
    event, raw, data = parse(body)
    try:
        record = RecordClerkWebhook(svix_id=svix_id, instance=instance, event_type=event.type, payload=raw,
                                    received_at=now)
    except ValidationError as exc:
        raise MalformedWebhook(f"the payload cannot be recorded: {_errors(exc)}") from exc
    occurred = _from_ms(event.timestamp) or datetime.fromtimestamp(float(_header(headers, "timestamp")), UTC)
    steps, skipped = _steps(event.type, data, instance, occurred)

    meta = Metadata(actor=f"clerk:{instance}", correlation_id=request.state.correlation_id, causation_id=svix_id,
                    source="clerk-webhook")
    try:
        await handle(store, clerk_webhook, svix_id, record, meta)
    except SubjectErased:
        # About a person whose data was erased: nothing of it is recorded or applied, and Svix stops sending.
        log.info("clerk webhook about an erased person ignored", svix_id=svix_id, event_type=event.type)
        return WebhookAnswer(status="ignored", svix_id=svix_id, reason="it concerns a person whose data was erased")
    except Conflict:
        # Another payload under an id already recorded. A 409 would be retried by Svix for days and never
        # succeed: acknowledge it, apply nothing of it, and say so where an operator looks.
        log.warning("clerk webhook reuses a known svix id with another payload; it was not applied",
                    svix_id=svix_id, event_type=event.type, instance=instance)
        return WebhookAnswer(status="ignored", svix_id=svix_id,
                             reason="another payload was received under this svix id first; this one was not applied")
    delivery, _, _ = await load(store, clerk_webhook, stream_id_for(clerk_webhook, svix_id))
    if delivery.processed:
        return WebhookAnswer(status="duplicate", svix_id=svix_id)
    # Received but not processed: a first delivery, or a redelivery of one that failed half way. Each
    # step is keyed by the delivery, so a step that already ran returns its first result.
    reason = skipped or await _apply(store, steps, meta, svix_id, event.type)
    done = MarkClerkWebhookProcessed(
        svix_id=svix_id, outcome="ignored" if reason else "processed", reason=reason, at=now
    )
    await handle(store, clerk_webhook, svix_id, done, meta)
    if reason:
        log.info("clerk webhook ignored", svix_id=svix_id, event_type=event.type, instance=instance, reason=reason)
        return WebhookAnswer(status="ignored", svix_id=svix_id, reason=reason)
    return WebhookAnswer(status="processed", svix_id=svix_id)


def _header(headers: Mapping[str, str], name: str) -> str:
    """A Svix header under either of the names the library accepts (verify() has checked it is there)."""
    return headers.get(f"svix-{name}") or headers[f"webhook-{name}"]


def _steps(event_type: str, data: _Shape | None, instance: SourceInstance, occurred: datetime) -> tuple[list[Step], str | None]:
    """The commands to run, or why there are none (the payload is recorded either way)."""
    if data is None:
        return [], f"event type {event_type} is not handled"
    try:
        return plan(event_type, data, instance, occurred), None
    except _Skip as exc:
        return [], exc.reason
    except ValidationError as exc:  # well-formed, but a value the commands refuse (an email that is not one)
        return [], f"the event's values are refused: {_errors(exc)}"


async def _apply(store: EventStore, steps: list[Step], meta: Metadata, svix_id: str, event_type: str) -> str | None:
    """Run the steps in order; the first domain refusal stops them and is the reason returned."""
    for i, (decider, entity_id, command) in enumerate(steps):
        try:
            await handle(store, decider, entity_id, command, replace(meta, idempotency_key=f"clerk:{svix_id}:{i}"))
        except DomainError as exc:
            return f"{type(command).__name__} refused: {exc.message}"
        except Exception:
            # Not marked processed: Svix's redelivery runs the remaining steps (and skips the done ones).
            log.exception("clerk webhook failed half way; its redelivery will finish it", svix_id=svix_id,
                          event_type=event_type, step=i)
            raise
    return None


def verify(body: bytes, headers: Mapping[str, str], settings: Settings) -> SourceInstance:
    """Which Clerk instance signed the body: the portal's secret is tried first, then the candidate app's."""
    configured = [
        (instance, secret.get_secret_value())
        for instance, secret in (("portal", settings.splits_clerk_webhook_secret),
                                 ("candidate", settings.app_clerk_webhook_secret))
        if secret is not None and secret.get_secret_value().removeprefix("whsec_")
    ]
    failure = "no usable Clerk webhook secret"
    for instance, secret in configured:
        try:
            webhook = Webhook(secret)
        except ValueError as exc:  # not base64: a misconfigured secret
            log.error("clerk webhook secret unusable", instance=instance, error=str(exc))
            continue
        try:
            webhook.verify(body, dict(headers))
            return instance  # type: ignore[return-value]
        except (WebhookVerificationError, ValueError) as exc:  # ValueError: a garbled header or a non-UTF-8 body
            failure = str(exc) or type(exc).__name__
    if not configured:
        log.error("clerk webhook received but no secret is configured")
        raise WebhookNotConfigured("no Clerk webhook secret is configured (SPLITS_/APP_CLERK_WEBHOOK_SECRET)")
    log.warning("clerk webhook rejected", reason=failure)
    raise InvalidSignature(f"the Svix signature does not verify: {failure}")


def _refuse(text: str) -> NoReturn:
    raise ValueError(f"{text} is not allowed: the events store no floats")


def parse(body: bytes) -> tuple[ClerkEvent, dict[str, Any], _Shape | None]:
    """The envelope, the payload as a dict, and the event's data if it is a type we act on."""
    try:
        raw = json.loads(body, parse_float=_refuse, parse_constant=_refuse)
    except ValueError as exc:
        raise MalformedWebhook(f"the body is not acceptable JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise MalformedWebhook("the body is not a JSON object")
    try:
        event = ClerkEvent.model_validate(raw)
        shape = _SHAPES.get(event.type)
        return event, raw, None if shape is None else shape.model_validate(event.data)
    except ValidationError as exc:
        raise MalformedWebhook(f"the payload does not have the shape of a Clerk event: {_errors(exc)}") from exc


# --- Clerk events → identity commands -----------------------------------------------------------------

Step = tuple[DeciderLike, UUID, Command]


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def plan(event_type: str, data: _Shape, instance: SourceInstance, occurred: datetime) -> list[Step]:
    """The commands one Clerk event stands for, in the order they run.

    A user first seen through the candidate app also gets the candidate role, with no role entity:
    the ats candidate record it should point at is created later, by the ats context, not here.
    """
    by = f"clerk:{instance}"
    match event_type, data:
        case ("user.created" | "user.updated"), ClerkUser():
            email = data.email()
            if email is None:
                raise _Skip("the user has no email address")
            user_id = users.user_id_for(data.id)
            at = _from_ms(data.created_at if event_type == "user.created" else data.updated_at) or occurred
            # RegisterUser both creates and, for a known user, records only what changed.
            steps: list[Step] = [(users.user, user_id, users.RegisterUser(
                user_id=user_id, clerk_user_id=data.id, email=email, email_verified=data.email_verified(), name=data.name(),
                image_url=data.image_url or None, source=instance, by=by, at=at))]
            if instance == "candidate":
                steps.append((users.user, user_id, users.GrantRole(user_id=user_id, role="candidate", by=by, at=at)))
            return steps
        case "user.deleted", ClerkDeleted():
            user_id = users.user_id_for(data.id)
            return [(users.user, user_id, users.DeleteUser(user_id=user_id, by=by, at=occurred))]
        case "session.created", ClerkSession():
            user_id = users.user_id_for(data.user_id)
            at = _from_ms(data.last_active_at) or _from_ms(data.created_at) or occurred
            return [(users.user, user_id, users.RecordSignIn(user_id=user_id, session_id=data.id, by=by, at=at))]
        case "organization.created", ClerkOrganization():
            org_id = organization_id_for(data.id)
            # Its company id as the API gives one (commands/identity/organization.py), so that its admins create
            # the company's profile as they would for an organization made through the API.
            return [(orgs.organization, org_id, orgs.CreateOrganization(
                organization_id=org_id, name=data.name, slug=_slug(data), clerk_org_id=data.id,
                company_id=orgs.company_id_for(org_id), by=by, at=occurred))]
        case "organization.updated", ClerkOrganization():
            org_id = organization_id_for(data.id)
            return [(orgs.organization, org_id, orgs.RenameOrganization(
                organization_id=org_id, name=data.name, slug=_slug(data), by=by, at=occurred))]
        case "organization.deleted", ClerkDeleted():
            org_id = organization_id_for(data.id)
            return [(orgs.organization, org_id, orgs.DeleteOrganization(organization_id=org_id, by=by, at=occurred))]
        case "organizationMembership.created", ClerkMembership():
            return [_membership(orgs.AddMember, data, by, occurred, role=_role(data))]
        case "organizationMembership.updated", ClerkMembership():
            return [_membership(orgs.ChangeMemberRole, data, by, occurred, role=_role(data))]
        case "organizationMembership.deleted", ClerkMembership():
            return [_membership(orgs.RemoveMember, data, by, occurred)]
    raise TypeError(f"no plan for {event_type} with {type(data).__name__}")  # _SHAPES and plan disagree


def _membership(command: type[Command], data: ClerkMembership, by: str, at: datetime, **role: str) -> Step:
    """Organization-wide memberships: Clerk has no notion of our company scope."""
    org_id = organization_id_for(data.organization.id)
    user_id = users.user_id_for(data.public_user_data.user_id)
    return orgs.organization, org_id, command(organization_id=org_id, user_id=user_id, by=by, at=at, **role)


def _role(data: ClerkMembership) -> MembershipRole:
    return "company_admin" if data.role in _ADMIN_ROLES else "hiring_manager"


def _slug(org: ClerkOrganization) -> str:
    """Clerk's slug when it fits ours; else one made from it, the name or the id (slugs can be off in Clerk)."""
    for text in (org.slug, org.name, org.id):
        slug = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:100].strip("-")
        if slug:
            return slug
    raise _Skip("the organization has no usable slug")


def _from_ms(ms: int | None) -> datetime | None:
    # Integer arithmetic: a float of milliseconds would round some instants.
    return None if ms is None else datetime.fromtimestamp(ms // 1000, UTC) + timedelta(milliseconds=ms % 1000)


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
