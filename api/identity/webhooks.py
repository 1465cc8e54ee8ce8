"""`POST /v2/webhooks/clerk`: a Svix-verified Clerk event, recorded (domain §8.1).

The route is ingestion only. Everything that can make a delivery unacceptable (signature, JSON, the shape
of a known event type, floats the events refuse) is checked before anything is written, so a 400 writes
nothing. Then the payload is recorded on `clerkwebhook-<svix_id>` and the route answers `recorded`: that
append is the dedupe, since Svix redelivers a message under the same id until it is acknowledged, and a
redelivery is answered `duplicate`. The `clerk-webhooks` process manager (consumers/identity/clerk_webhooks.py)
turns the recorded event into identity commands, with the reactor runtime's retries.

A delivery that reuses a known svix id with another payload (Svix never does; a misbehaving sender might)
is acknowledged `ignored`: the first payload stands, the second is not recorded, and a warning names the id.
So is one about a person whose data was erased: nothing of it is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from svix.webhooks import Webhook, WebhookVerificationError

from adapters.settings import Settings
from api.deps import Now, Store, SystemDep
from commands.core import Conflict, Invalid
from commands.identity.clerk_events import Unreadable, errors_of, parse
from commands.identity.clerk_webhook import RecordClerkWebhook, clerk_webhook
from commands.identity.events import SourceInstance
from eventstore import Metadata, SubjectErased, handle

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v2/webhooks", tags=["webhooks"])


class InvalidSignature(Invalid):
    code = "invalid_signature"


class MalformedWebhook(Invalid):
    code = "malformed_webhook"


class WebhookNotConfigured(Invalid):
    code = "webhook_not_configured"


class WebhookAnswer(BaseModel):
    status: Literal["recorded", "duplicate", "ignored"]
    svix_id: str
    reason: str | None = None


@router.post("/clerk", response_model_exclude_none=True, responses={400: {}})
async def clerk_webhook_received(request: Request, system: SystemDep, store: Store, now: Now) -> WebhookAnswer:
    body = await request.body()
    headers = dict(request.headers)
    instance = verify(body, headers, system.settings)
    svix_id = _header(headers, "id")
    try:
        event, raw, _ = parse(body)
    except Unreadable as exc:
        raise MalformedWebhook(str(exc)) from exc
    try:
        record = RecordClerkWebhook(svix_id=svix_id, instance=instance, event_type=event.type, payload=raw,
                                    received_at=now)
    except ValidationError as exc:
        raise MalformedWebhook(f"the payload cannot be recorded: {errors_of(exc)}") from exc

    meta = Metadata(actor=f"clerk:{instance}", correlation_id=request.state.correlation_id, causation_id=svix_id,
                    source="clerk-webhook")
    try:
        result = await handle(store, clerk_webhook, svix_id, record, meta)
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
    return WebhookAnswer(status="recorded" if result.event_types else "duplicate", svix_id=svix_id)


def _header(headers: Mapping[str, str], name: str) -> str:
    """A Svix header under either of the names the library accepts (verify() has checked it is there)."""
    return headers.get(f"svix-{name}") or headers[f"webhook-{name}"]


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
