"""`POST /webhooks/resend`: a Svix-verified Resend event about an email we sent, recorded (issue 20 item 6).

Ingestion only, as the other webhooks (ARCHITECTURE.md "Inbound webhooks"): the signature (with
`RESEND_WEBHOOK_SECRET`), the JSON and the shape of the types we act on are checked before anything is written,
so a 400 writes nothing. Then the payload (what Splits reads of it, `recorded_part`: never the subject) is
recorded on `resendwebhook-<svix id>` and the route answers `recorded`: that append is the dedupe, since Svix
redelivers a message under the same id until it is acknowledged, and a redelivery is answered `duplicate`. The `resend-webhooks` process manager
(consumers/notifications/resend_webhooks.py) turns it into a delivery report and, for a hard bounce or a
complaint, a suppression of the address.

Types we do not act on (`email.opened`, `email.clicked`, anything else) are acknowledged `ignored` and not
recorded: we keep no engagement tracking. So is another payload under an id already recorded (Svix never
does that; the first payload stands). Without the secret the route refuses every delivery (400
`webhook_not_configured`, as the Clerk webhook does), so nothing unverified is ever recorded.
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
from commands.notifications.resend_events import Unreadable, envelope, errors_of, read, recorded_part
from commands.notifications.resend_webhook import RecordResendWebhook, resend_webhook
from eventstore import Metadata, SubjectErased, handle

log = structlog.get_logger(__name__)
router = APIRouter(tags=["webhooks"])


class InvalidSignature(Invalid):
    code = "invalid_signature"


class MalformedWebhook(Invalid):
    code = "malformed_webhook"


class WebhookNotConfigured(Invalid):
    code = "webhook_not_configured"


class ResendWebhookAnswer(BaseModel):
    status: Literal["recorded", "duplicate", "ignored"]
    svix_id: str
    reason: str | None = None


@router.post("/webhooks/resend", response_model_exclude_none=True, responses={400: {}})
async def resend_webhook_received(request: Request, system: SystemDep, store: Store,
                                  now: Now) -> ResendWebhookAnswer:
    """Resend's email events (signed by Svix): deliveries, bounces and complaints are recorded once each."""
    body = await request.body()
    headers = dict(request.headers)
    verify(body, headers, system.settings)
    svix_id = headers.get("svix-id") or headers["webhook-id"]
    try:
        event, raw = envelope(body)
        report = read(raw)
    except Unreadable as exc:
        raise MalformedWebhook(str(exc)) from exc
    if report is None:
        return ResendWebhookAnswer(status="ignored", svix_id=svix_id,
                                   reason=f"{event.type} is not an event Splits acts on")
    try:
        record = RecordResendWebhook(svix_id=svix_id, event_type=event.type, payload=recorded_part(raw),
                                     received_at=now)
    except ValidationError as exc:
        raise MalformedWebhook(f"the payload cannot be recorded: {errors_of(exc)}") from exc
    meta = Metadata(actor="resend", correlation_id=request.state.correlation_id, causation_id=svix_id,
                    source="resend-webhook")
    try:
        result = await handle(store, resend_webhook, svix_id, record, meta)
    except SubjectErased:
        log.info("resend webhook about an erased address ignored", svix_id=svix_id, event_type=event.type)
        return ResendWebhookAnswer(status="ignored", svix_id=svix_id,
                                   reason="it concerns an address whose data was erased")
    except Conflict:
        log.warning("resend webhook reuses a known svix id with another payload; it was not applied",
                    svix_id=svix_id, event_type=event.type)
        return ResendWebhookAnswer(status="ignored", svix_id=svix_id, reason="another payload was received under "
                                   "this svix id first; this one was not applied")
    return ResendWebhookAnswer(status="recorded" if result.event_types else "duplicate", svix_id=svix_id)


def verify(body: bytes, headers: Mapping[str, str], settings: Settings) -> None:
    """The body was signed with `RESEND_WEBHOOK_SECRET`, recently (Svix's five minutes), or this raises."""
    secret = settings.resend_webhook_secret.get_secret_value() if settings.resend_webhook_secret else ""
    if not secret.removeprefix("whsec_"):
        log.error("resend webhook received but RESEND_WEBHOOK_SECRET is not set")
        raise WebhookNotConfigured("no Resend webhook secret is configured (RESEND_WEBHOOK_SECRET)")
    try:
        webhook = Webhook(secret)
    except ValueError as exc:  # not base64: a misconfigured secret
        log.error("resend webhook secret unusable", error=str(exc))
        raise WebhookNotConfigured("RESEND_WEBHOOK_SECRET is not a usable Svix secret (whsec_…)") from exc
    try:
        webhook.verify(body, dict(headers))
    except (WebhookVerificationError, ValueError) as exc:  # ValueError: a garbled header or a non-UTF-8 body
        failure = str(exc) or type(exc).__name__
        log.warning("resend webhook rejected", reason=failure)
        raise InvalidSignature(f"the Svix signature does not verify: {failure}") from exc
