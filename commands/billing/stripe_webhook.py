"""The Stripe webhook decider: the audit trail of verified Stripe events (domain §4.5, §8.2).

One stream per event, `stripewebhook-<stripe_event_id>`. Stripe redelivers an event with the same id until
it is acknowledged, so recording the same delivery again is a no-op; another type or payload under a known
id is a Conflict, since Stripe never reuses an id. Marking it processed (or ignored) happens once. The
changes an event causes (SyncSubscription, ApplyInvoiceUpdate, ...) are commands on their own streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AwareDatetime, StringConstraints

from commands.billing.events import StripeWebhookProcessed, StripeWebhookReceived
from commands.core import Command, Conflict, Decider, NotFound
from commands.identity.events import Json

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class RecordStripeWebhook(Command):
    stripe_event_id: Text
    event_type: Text
    api_version: str | None = None
    livemode: bool
    account: str | None = None
    created: AwareDatetime
    payload: dict[str, Json]
    received_at: AwareDatetime


class MarkStripeWebhookProcessed(Command):
    stripe_event_id: Text
    outcome: Literal["processed", "ignored"]
    reason: str | None = None
    at: AwareDatetime


StripeWebhookCommand = RecordStripeWebhook | MarkStripeWebhookProcessed
StripeWebhookEvent = StripeWebhookReceived | StripeWebhookProcessed


@dataclass(frozen=True)
class StripeWebhook:
    received: StripeWebhookReceived | None = None
    processed: bool = False


def initial_state() -> StripeWebhook:
    return StripeWebhook()


def evolve(s: StripeWebhook, e: StripeWebhookEvent) -> StripeWebhook:
    match e:
        case StripeWebhookReceived():
            return StripeWebhook(received=s.received or e, processed=s.processed)
        case StripeWebhookProcessed():
            return StripeWebhook(received=s.received, processed=True)
    return s


def decide(cmd: StripeWebhookCommand, s: StripeWebhook) -> list[StripeWebhookEvent]:
    match cmd:
        case RecordStripeWebhook() if s.received is None:
            return [StripeWebhookReceived(**cmd.model_dump())]
        case RecordStripeWebhook() if _same_delivery(cmd, s.received):
            return []  # a redelivery: the first receipt already stands
        case RecordStripeWebhook():
            raise Conflict(f"Stripe event {cmd.stripe_event_id} was already received with another payload",
                           stripe_event_id=cmd.stripe_event_id)
        case MarkStripeWebhookProcessed() if s.received is None:
            raise NotFound(f"Stripe event {cmd.stripe_event_id} was never received",
                           stripe_event_id=cmd.stripe_event_id)
        case MarkStripeWebhookProcessed() if s.processed:
            return []
        case MarkStripeWebhookProcessed():
            return [StripeWebhookProcessed(**cmd.model_dump())]
    raise TypeError(f"the stripe webhook decider has no case for {type(cmd).__name__}")


def _same_delivery(cmd: RecordStripeWebhook, received: StripeWebhookReceived) -> bool:
    if not received.payload:  # the recorded payload was erased with its person: nothing left to compare
        return cmd.event_type == received.event_type
    return (cmd.event_type, cmd.payload) == (received.event_type, received.payload)


stripe_webhook: Decider[StripeWebhookCommand, StripeWebhookEvent, StripeWebhook] = Decider(
    "stripewebhook", initial_state, evolve, decide, events=(StripeWebhookReceived, StripeWebhookProcessed)
)
