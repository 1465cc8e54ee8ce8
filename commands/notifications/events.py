"""The notifications context's events (domain §10): in-app notifications and their read/dismissed state, every
email sent (or refused) with what it said, and each user's preferences per category.

A notification is one (source event, recipient, template): its id is derived from the three, so however often
the source event is delivered, it is notified once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from commands.core import Event, Personal

Category = Literal[
    "applications", "interviews", "offers_hires", "placements", "candidates", "jobs_matches", "calls", "messaging",
    "billing", "security", "invitations", "engagement",
]
Priority = Literal["low", "normal", "high", "urgent"]


def email_subject(data: Mapping[str, Any]) -> str:
    """An email to a user is theirs (`user:<id>`); one to an address with no user is a contact's of its own."""
    user_id = data.get("user_id")
    return f"user:{user_id}" if user_id else f"contact:{data.get('notification_id')}"


class NotificationCreated(Event):
    """An in-app notification for a user."""

    notification_id: UUID
    user_id: UUID
    category: Category
    template: str
    title: str
    body: str
    action_url: str | None
    priority: Priority
    source_event_id: UUID
    at: datetime

    personal = Personal(("title", "body"), kind="user", key="user_id", also=("notification", "notification_id"))
    not_personal = frozenset({"action_url"})  # a link into the app made of ids


class NotificationRead(Event):
    notification_id: UUID
    user_id: UUID
    at: datetime


class NotificationDismissed(Event):
    notification_id: UUID
    user_id: UUID
    at: datetime


class EmailSent(Event):
    """What was sent, to whom, through which provider (`resend`, or `mailbox` when no Resend key is set)."""

    notification_id: UUID
    user_id: UUID | None
    recipient_email: str
    category: Category
    template: str
    subject: str
    text: str
    html: str
    provider: Literal["resend", "mailbox"]
    provider_message_id: str
    idempotency_key: str
    source_event_id: UUID
    at: datetime

    # The idempotency key names the address it was sent to.
    personal = Personal(("recipient_email", "subject", "text", "html", "idempotency_key"), subject_of_data=email_subject,
                        also=("notification", "notification_id"))


class EmailFailed(Event):
    """The provider refused the email (a bad address, a rejected request): retrying would not help."""

    notification_id: UUID
    user_id: UUID | None
    recipient_email: str
    template: str
    subject: str
    reason: str
    source_event_id: UUID
    at: datetime

    # The provider's refusal may quote the address, so the reason is sealed with it.
    personal = Personal(("recipient_email", "subject", "reason"), subject_of_data=email_subject,
                        also=("notification", "notification_id"))


class NotificationPreferenceSet(Event):
    user_id: UUID
    category: Category
    email_enabled: bool
    in_app_enabled: bool
    at: datetime
