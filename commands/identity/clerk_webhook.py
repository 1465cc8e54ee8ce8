"""The Clerk webhook decider: the audit trail of verified webhook payloads (domain §8.1).

One stream per delivery, `clerkwebhook-<svix_id>`. Svix redelivers a message with the same id until
it is acknowledged, so recording the same delivery again is a no-op; a different payload under a
known id is a Conflict, since Svix never reuses an id. The identity changes a webhook causes
(RegisterUser, RecordSignIn, ...) are separate commands on the user's stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import AwareDatetime, Field

from commands.core import Command, Conflict, Decider, NotFound
from commands.identity.events import ClerkWebhookProcessed, ClerkWebhookReceived, Json, WebhookInstance
from commands.identity.fields import Text


class RecordClerkWebhook(Command):
    svix_id: Text
    instance: WebhookInstance
    event_type: Text
    payload: dict[str, Json] = Field(default_factory=dict)
    received_at: AwareDatetime


class MarkClerkWebhookProcessed(Command):
    svix_id: Text
    outcome: Literal["processed", "ignored"]
    reason: str | None = None
    at: AwareDatetime


ClerkWebhookCommand = RecordClerkWebhook | MarkClerkWebhookProcessed
ClerkWebhookEvent = ClerkWebhookReceived | ClerkWebhookProcessed


@dataclass(frozen=True)
class ClerkWebhook:
    received: ClerkWebhookReceived | None = None
    processed: bool = False


def initial_state() -> ClerkWebhook:
    return ClerkWebhook()


def evolve(s: ClerkWebhook, e: ClerkWebhookEvent) -> ClerkWebhook:
    match e:
        case ClerkWebhookReceived():
            return ClerkWebhook(received=s.received or e, processed=s.processed)
        case ClerkWebhookProcessed():
            return ClerkWebhook(received=s.received, processed=True)
    return s


def decide(cmd: ClerkWebhookCommand, s: ClerkWebhook) -> list[ClerkWebhookEvent]:
    match cmd:
        case RecordClerkWebhook() if s.received is None:
            return [ClerkWebhookReceived(**cmd.model_dump())]
        case RecordClerkWebhook() if _same_delivery(cmd, s.received):
            return []  # a redelivery: the first receipt already stands
        case RecordClerkWebhook():
            raise Conflict(f"webhook {cmd.svix_id} was already received with another payload", svix_id=cmd.svix_id)
        case MarkClerkWebhookProcessed() if s.received is None:
            raise NotFound(f"webhook {cmd.svix_id} was never received", svix_id=cmd.svix_id)
        case MarkClerkWebhookProcessed() if s.processed:
            return []
        case MarkClerkWebhookProcessed(svix_id=svix_id, outcome=outcome, reason=reason, at=at):
            return [ClerkWebhookProcessed(svix_id=svix_id, outcome=outcome, reason=reason, at=at)]
    raise TypeError(f"the clerk webhook decider has no case for {type(cmd).__name__}")


def _same_delivery(cmd: RecordClerkWebhook, received: ClerkWebhookReceived) -> bool:
    if not received.payload:  # the recorded payload was erased with its person: nothing left to compare
        return (cmd.instance, cmd.event_type) == (received.instance, received.event_type)
    return (cmd.instance, cmd.event_type, cmd.payload) == (received.instance, received.event_type, received.payload)


clerk_webhook: Decider[ClerkWebhookCommand, ClerkWebhookEvent, ClerkWebhook] = Decider(
    "clerkwebhook", initial_state, evolve, decide, events=(ClerkWebhookReceived, ClerkWebhookProcessed)
)
