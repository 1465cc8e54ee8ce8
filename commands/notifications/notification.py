"""The notification decider: one (source event, recipient, template), notified once in-app and once by email.

Recording the in-app notification or the email again records nothing, so the notifications reactor can run
its event again after a failure and only do what is missing. An email refused by the provider is recorded as
failed and not retried; once sent, a later failure of another attempt records nothing. Only the recipient
marks their notification read or dismisses it; doing it again records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, StringConstraints

from commands.core import Command, Decider, Forbidden, NotFound
from commands.notifications.events import (
    Category,
    EmailFailed,
    EmailSent,
    NotificationCreated,
    NotificationDismissed,
    NotificationRead,
    Priority,
)

Text = Annotated[str, StringConstraints(min_length=1)]


def notification_id_for(source_event_id: UUID, recipient: str, template: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"splits:notification:{source_event_id}:{recipient}:{template}")


class _Command(Command):
    notification_id: UUID
    at: AwareDatetime


class RecordInApp(_Command):
    user_id: UUID
    category: Category
    template: Text
    title: Text
    body: str
    action_url: str | None = None
    priority: Priority = "normal"
    source_event_id: UUID


class RecordEmailSent(_Command):
    user_id: UUID | None = None
    recipient_email: Text
    category: Category
    template: Text
    subject: Text
    text: str
    html: str
    provider: Literal["resend", "mailbox"]
    provider_message_id: Text
    idempotency_key: Text
    source_event_id: UUID


class RecordEmailFailed(_Command):
    user_id: UUID | None = None
    recipient_email: Text
    template: Text
    subject: str
    reason: Text
    source_event_id: UUID


class MarkRead(_Command):
    user_id: UUID


class Dismiss(_Command):
    user_id: UUID


NotificationCommand = RecordInApp | RecordEmailSent | RecordEmailFailed | MarkRead | Dismiss
NotificationEvent = NotificationCreated | NotificationRead | NotificationDismissed | EmailSent | EmailFailed


@dataclass(frozen=True)
class Notification:
    user_id: UUID | None = None
    in_app: bool = False
    read: bool = False
    dismissed: bool = False
    email: Literal["none", "sent", "failed"] = "none"


def initial_state() -> Notification:
    return Notification()


def evolve(s: Notification, e: NotificationEvent) -> Notification:
    match e:
        case NotificationCreated():
            return Notification(user_id=e.user_id, in_app=True, read=s.read, dismissed=s.dismissed, email=s.email)
        case NotificationRead():
            return Notification(s.user_id, s.in_app, True, s.dismissed, s.email)
        case NotificationDismissed():
            return Notification(s.user_id, s.in_app, s.read, True, s.email)
        case EmailSent():
            return Notification(s.user_id or e.user_id, s.in_app, s.read, s.dismissed, "sent")
        case EmailFailed():
            return Notification(s.user_id or e.user_id, s.in_app, s.read, s.dismissed, "failed")
    return s


def decide(cmd: NotificationCommand, s: Notification) -> list[NotificationEvent]:
    match cmd:
        case RecordInApp() if s.in_app:
            return []
        case RecordInApp():
            return [NotificationCreated(**cmd.model_dump())]
        case RecordEmailSent() | RecordEmailFailed() if s.email != "none":
            return []
        case RecordEmailSent():
            return [EmailSent(**cmd.model_dump())]
        case RecordEmailFailed():
            return [EmailFailed(**cmd.model_dump())]
        case MarkRead() | Dismiss() if not s.in_app:
            raise NotFound(f"notification {cmd.notification_id} not found", notification_id=str(cmd.notification_id))
        case MarkRead() | Dismiss() if s.user_id != cmd.user_id:
            raise Forbidden("only its recipient marks a notification", notification_id=str(cmd.notification_id))
        case MarkRead() if s.read:
            return []
        case MarkRead():
            return [NotificationRead(notification_id=cmd.notification_id, user_id=cmd.user_id, at=cmd.at)]
        case Dismiss() if s.dismissed:
            return []
        case Dismiss():
            return [NotificationDismissed(notification_id=cmd.notification_id, user_id=cmd.user_id, at=cmd.at)]
    raise TypeError(f"the notification decider has no case for {type(cmd).__name__}")


notification: Decider[NotificationCommand, NotificationEvent, Notification] = Decider(
    "notification", initial_state, evolve, decide,
    events=(NotificationCreated, NotificationRead, NotificationDismissed, EmailSent, EmailFailed),
)
