"""The events of a report on a conversation (domain §3.5 `chat_reports`, §4.6), on `conversationreport-<report id>`.

A report goes new → in_review → resolved or dismissed; every move after the filing is a platform admin's, named
on the event with a reason, so the report's stream is its own moderation trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

ReportCategory = Literal["spam", "harassment", "fraud", "other"]
ReportStatus = Literal["new", "in_review", "resolved", "dismissed"]
# What resolving a report did to the reported user (the sanction itself is on their sanctions stream).
ResolveAction = Literal["none", "warn", "mute", "suspend_messaging"]


class ConversationReported(Event):
    """A participant reported the conversation (and, with `message_id`, one message of it) about the other
    participant, `reported_user_id`."""

    report_id: UUID
    conversation_id: UUID
    reporter_id: UUID
    reported_user_id: UUID
    category: ReportCategory
    details: str
    message_id: UUID | None
    at: datetime

    personal = Personal(("details",), kind="user", key="reporter_id")


class ConversationReportReviewStarted(Event):
    """A platform admin took the report into review."""

    report_id: UUID
    conversation_id: UUID
    admin_id: UUID
    at: datetime


class ConversationReportResolved(Event):
    """A platform admin resolved the report with `action` on the reported user (`sanction_id` names the
    sanction it recorded on the user's sanctions stream; None with `none`) and, with `message_redacted`,
    the reported message redacted."""

    report_id: UUID
    conversation_id: UUID
    reported_user_id: UUID
    action: ResolveAction
    sanction_id: UUID | None
    message_redacted: bool
    reason: str
    admin_id: UUID
    at: datetime

    personal = Personal(("reason",), kind="user", key="reported_user_id")


class ConversationReportDismissed(Event):
    """A platform admin found nothing to act on."""

    report_id: UUID
    conversation_id: UUID
    reported_user_id: UUID
    reason: str
    admin_id: UUID
    at: datetime

    personal = Personal(("reason",), kind="user", key="reported_user_id")


ReportEvent = (ConversationReported | ConversationReportReviewStarted | ConversationReportResolved
               | ConversationReportDismissed)
