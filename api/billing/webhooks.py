"""`POST /webhooks/stripe` (and `/v3/webhooks/stripe`): Stripe events verified and recorded (domain §8.2).

The signature is checked on the raw body with `STRIPE_WEBHOOK_SECRET` before anything is written, so a
forged or stale delivery answers 400 and changes nothing. Every verified event is then recorded on
`stripewebhook-<event id>` and answered 200 "recorded": that append is the dedupe, since Stripe redelivers an
event under the same id until it gets a 2xx, and a redelivery answers 200 "duplicate" and records nothing
more. What the event asks for is not this route's business: the `stripe-webhooks` reactor
(consumers/billing/stripe_webhooks.py) turns the recorded event into billing commands, retrying one that is
ahead of our own record, and marks it processed or ignored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

import stripe
import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from api.deps import Now, Store, SystemDep
from commands.billing.stripe_webhook import RecordStripeWebhook, stripe_webhook
from commands.core import Invalid
from eventstore import Metadata, SubjectErased, handle

log = structlog.get_logger(__name__)
router = APIRouter(tags=["webhooks"])


class InvalidSignature(Invalid):
    code = "invalid_signature"


class MalformedWebhook(Invalid):
    code = "malformed_webhook"


class StripeWebhookAnswer(BaseModel):
    status: Literal["recorded", "duplicate", "ignored"]
    stripe_event_id: str
    reason: str | None = None


# --- the route ---------------------------------------------------------------------------------------------------

def _no_floats(value: Any) -> Any:
    """jsonb would not keep a float's exact text: floats are recorded as their text (Stripe money is integers)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {k: _no_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_floats(v) for v in value]
    return value


def _verify(body: bytes, signature: str | None, secret: str | None) -> dict[str, Any]:
    if not secret:
        log.error("stripe webhook received but STRIPE_WEBHOOK_SECRET is not set")
        raise InvalidSignature("no Stripe webhook secret is configured (STRIPE_WEBHOOK_SECRET)")
    if not signature:
        raise InvalidSignature("the Stripe-Signature header is missing")
    try:
        stripe.WebhookSignature.verify_header(body.decode("utf-8"), signature, secret, tolerance=300)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        log.warning("stripe webhook rejected", reason=str(exc))
        raise InvalidSignature(f"the Stripe signature does not verify: {exc}") from exc
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise MalformedWebhook(f"the body is not JSON: {exc}") from exc
    if not (isinstance(event, dict) and isinstance(event.get("id"), str) and isinstance(event.get("type"), str)
            and isinstance(event.get("created"), int) and isinstance((event.get("data") or {}).get("object"), dict)):
        raise MalformedWebhook("the body is not a Stripe event (id, type, created, data.object)")
    return event


@router.post("/webhooks/stripe", response_model=StripeWebhookAnswer, response_model_exclude_none=True,
             responses={400: {}})
@router.post("/v3/webhooks/stripe", response_model=StripeWebhookAnswer, response_model_exclude_none=True,
             responses={400: {}}, include_in_schema=False)
async def stripe_webhook_received(request: Request, system: SystemDep, store: Store, now: Now) -> Any:
    body = await request.body()
    secret = system.settings.stripe_webhook_secret
    event = _verify(body, request.headers.get("stripe-signature"), secret.get_secret_value() if secret else None)
    event_id, event_type = event["id"], event["type"]
    try:
        record = RecordStripeWebhook(stripe_event_id=event_id, event_type=event_type,
                                     api_version=event.get("api_version"), livemode=bool(event.get("livemode")),
                                     account=event.get("account"),
                                     created=datetime.fromtimestamp(event["created"], UTC),
                                     payload=_no_floats(event), received_at=now)
    except ValidationError as exc:
        raise MalformedWebhook(f"the event cannot be recorded: {exc.errors()[0]['msg']}") from exc
    meta = Metadata(actor="stripe", correlation_id=request.state.correlation_id, causation_id=event_id,
                    source="stripe-webhook")
    try:
        result = await handle(store, stripe_webhook, event_id, record, meta)
    except SubjectErased:
        # About a person whose data was erased: nothing of it is recorded or applied, and Stripe stops sending.
        log.info("stripe webhook about an erased person ignored", event_id=event_id, event_type=event_type)
        return StripeWebhookAnswer(status="ignored", stripe_event_id=event_id,
                                   reason="it concerns a person whose data was erased")
    return StripeWebhookAnswer(status="recorded" if result.event_types else "duplicate", stripe_event_id=event_id)
