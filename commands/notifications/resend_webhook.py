"""The Resend webhook decider: the record of each verified delivery, on `resendwebhook-<svix id>`.

Svix redelivers a message under the same id until it is acknowledged, so recording the same delivery again is
a no-op (the route answers `duplicate`); another payload under a known id is a Conflict (Svix never reuses an
id). What a delivery means (a delivery report, a suppression) is recorded by other commands on other streams,
by the `resend-webhooks` process manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from commands.core import Command, Conflict, Decider, NotFound
from commands.notifications.delivery_events import Json, ResendWebhookProcessed, ResendWebhookReceived

Text = Annotated[str, StringConstraints(min_length=1)]


class RecordResendWebhook(Command):
    svix_id: Text
    event_type: Text
    payload: dict[str, Json] = Field(default_factory=dict)
    received_at: AwareDatetime


class MarkResendWebhookProcessed(Command):
    svix_id: Text
    outcome: Literal["processed", "ignored"]
    reason: str | None = None
    at: AwareDatetime


ResendWebhookCommand = RecordResendWebhook | MarkResendWebhookProcessed
ResendWebhookEvent = ResendWebhookReceived | ResendWebhookProcessed


@dataclass(frozen=True)
class ResendWebhook:
    received: ResendWebhookReceived | None = None
    processed: bool = False


def initial_state() -> ResendWebhook:
    return ResendWebhook()


def evolve(s: ResendWebhook, e: ResendWebhookEvent) -> ResendWebhook:
    match e:
        case ResendWebhookReceived():
            return ResendWebhook(received=s.received or e, processed=s.processed)
        case ResendWebhookProcessed():
            return ResendWebhook(received=s.received, processed=True)
    return s


def decide(cmd: ResendWebhookCommand, s: ResendWebhook) -> list[ResendWebhookEvent]:
    match cmd:
        case RecordResendWebhook() if s.received is None:
            return [ResendWebhookReceived(**cmd.model_dump())]
        case RecordResendWebhook() if _same_delivery(cmd, s.received):
            return []  # a redelivery: the first receipt stands
        case RecordResendWebhook():
            raise Conflict(f"webhook {cmd.svix_id} was already received with another payload", svix_id=cmd.svix_id)
        case MarkResendWebhookProcessed() if s.received is None:
            raise NotFound(f"webhook {cmd.svix_id} was never received", svix_id=cmd.svix_id)
        case MarkResendWebhookProcessed() if s.processed:
            return []
        case MarkResendWebhookProcessed(svix_id=svix_id, outcome=outcome, reason=reason, at=at):
            return [ResendWebhookProcessed(svix_id=svix_id, outcome=outcome, reason=reason, at=at)]
    raise TypeError(f"the resend webhook decider has no case for {type(cmd).__name__}")


def _same_delivery(cmd: RecordResendWebhook, received: ResendWebhookReceived) -> bool:
    if not received.payload:  # erased with the address it was about: nothing left to compare
        return cmd.event_type == received.event_type
    return (cmd.event_type, cmd.payload) == (received.event_type, received.payload)


resend_webhook: Decider[ResendWebhookCommand, ResendWebhookEvent, ResendWebhook] = Decider(
    "resendwebhook", initial_state, evolve, decide, events=(ResendWebhookReceived, ResendWebhookProcessed)
)
