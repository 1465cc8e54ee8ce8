"""An email's delivery reports, on `emaildelivery-<notification id>`: what Resend said became of one email we
recorded as sent (`EmailSent`, found by its provider message id).

Each webhook delivery is reported once (by its svix id), so a redelivery or a retry of the process manager
records nothing more. Reports are kept in the order they arrive; Resend does not promise an order, so the
stream is the history, not a state machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, StringConstraints

from commands.core import Command, Decider, Invalid
from commands.notifications.delivery_events import BounceType, DeliveryStatus, EmailDeliveryReported

Text = Annotated[str, StringConstraints(min_length=1)]


class BounceTypeMissing(Invalid):
    code = "bounce_type_missing"


class ReportDelivery(Command):
    notification_id: UUID
    user_id: UUID | None = None
    provider_message_id: Text
    status: DeliveryStatus
    bounce_type: BounceType | None = None
    detail: str | None = None
    svix_id: Text
    at: AwareDatetime


@dataclass(frozen=True)
class EmailDelivery:
    reported: frozenset[str] = frozenset()  # svix ids
    last: DeliveryStatus | None = None


def initial_state() -> EmailDelivery:
    return EmailDelivery()


def evolve(s: EmailDelivery, e: EmailDeliveryReported) -> EmailDelivery:
    return EmailDelivery(reported=s.reported | {e.svix_id}, last=e.status)


def decide(cmd: ReportDelivery, s: EmailDelivery) -> list[EmailDeliveryReported]:
    if cmd.svix_id in s.reported:
        return []
    if (cmd.status == "bounced") != (cmd.bounce_type is not None):
        raise BounceTypeMissing("a bounce, and only a bounce, says whether it was hard or soft")
    return [EmailDeliveryReported(**cmd.model_dump())]


email_delivery: Decider[ReportDelivery, EmailDeliveryReported, EmailDelivery] = Decider(
    "emaildelivery", initial_state, evolve, decide, events=(EmailDeliveryReported,)
)
