"""What Resend tells us about the emails we sent (issue 20 item 6): its webhook deliveries as received, each
email's delivery reports, and the addresses email is no longer sent to.

An address is personal: it is sealed under `emailaddress:<address id>` (the id is derived from the normalized
address, see `commands/notifications/addresses.py`), so erasing a person who had that address makes the
address read as erased while the suppression itself, keyed by the id, still holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from typing_extensions import TypeAliasType

from commands.core import Event, Personal
from commands.notifications.addresses import address_id_for
from commands.notifications.events import email_subject

Json = TypeAliasType("Json", "str | int | bool | list[Json] | dict[str, Json] | None")

DeliveryStatus = Literal["sent", "delivered", "delivery_delayed", "bounced", "complained"]
BounceType = Literal["hard", "soft"]
SuppressionReason = Literal["bounced", "complained"]


def resend_payload_subject(data: Mapping[str, Any]) -> str:
    """A payload is about its first recipient's address; one without a readable recipient is its own."""
    payload = data.get("payload")
    inner = payload.get("data") if isinstance(payload, dict) else None
    to = inner.get("to") if isinstance(inner, dict) else None
    first = to[0] if isinstance(to, list) and to else to
    if isinstance(first, str) and "@" in first:
        return f"emailaddress:{address_id_for(first)}"
    return f"resendwebhook:{data.get('svix_id')}"


class ResendWebhookReceived(Event):
    """A verified Resend webhook exactly as delivered (its `type` and the payload)."""

    svix_id: str
    event_type: str
    payload: dict[str, Json]
    received_at: datetime

    personal = Personal(("payload",), subject_of_data=resend_payload_subject)


class ResendWebhookProcessed(Event):
    """What the delivery asked for has been recorded (or it was deliberately ignored, with the reason)."""

    svix_id: str
    outcome: Literal["processed", "ignored"]
    reason: str | None
    at: datetime

    not_personal = frozenset({"reason"})  # our own account of the outcome


class EmailDeliveryReported(Event):
    """Resend's report on one email we sent (`EmailSent` with this provider message id)."""

    notification_id: UUID
    user_id: UUID | None
    provider_message_id: str
    status: DeliveryStatus
    bounce_type: BounceType | None
    detail: str | None  # the bounce's message from the receiving server: it may quote the address
    svix_id: str
    at: datetime

    personal = Personal(("detail",), subject_of_data=email_subject, also=("notification", "notification_id"))


class EmailAddressSuppressed(Event):
    """A hard bounce or a spam complaint: nothing more is emailed to the address until it is cleared."""

    address_id: UUID
    address: str
    reason: SuppressionReason
    provider_message_id: str | None
    svix_id: str
    at: datetime

    personal = Personal(("address",), kind="emailaddress", key="address_id")


class EmailSuppressionCleared(Event):
    """The address's owner asked to be emailed again (after fixing their mailbox)."""

    address_id: UUID
    by_user_id: UUID
    at: datetime
