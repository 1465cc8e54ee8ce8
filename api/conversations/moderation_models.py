"""The request and response models of the moderation routes (api/conversations/moderation.py), bounded as the
commands are (commands/conversations/report.py, sanction.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.bounds import Flag, text, whole
from commands.conversations import report, sanction
from commands.conversations.report_events import ReportCategory, ReportStatus, ResolveAction

MAX_MUTE_HOURS = int(sanction.MAX_MUTE / timedelta(hours=1))

Reason = text(report.MAX_REASON_CHARS)
Details = text(report.MAX_DETAILS_CHARS, min_length=0)
MuteHours = whole(1, MAX_MUTE_HOURS, description=f"how long the mute lasts, in hours (1 to {MAX_MUTE_HOURS})")


class BlockBody(BaseModel):
    user_id: UUID = Field(description="the user to block")


class BlockOut(BaseModel):
    user_id: UUID
    blocked_at: datetime


class ReportBody(BaseModel):
    category: ReportCategory
    details: Details = ""
    message_id: UUID | None = Field(default=None, description="the other participant's message reported, if one")


class ResolveBody(BaseModel):
    action: ResolveAction = Field(description="what happens to the reported user: none, warn, mute or "
                                              "suspend_messaging")
    reason: Reason
    mute_hours: MuteHours | None = None
    redact_message: Flag = Field(default=False, description="also take down the reported message")


class DismissBody(BaseModel):
    reason: Reason


class SanctionBody(BaseModel):
    action: Literal["warn", "mute", "suspend_messaging"]
    reason: Reason
    mute_hours: MuteHours | None = None


class LiftBody(BaseModel):
    reason: Reason


class ReportOut(BaseModel):
    id: UUID
    conversation_id: UUID
    reporter_id: UUID
    reported_user_id: UUID
    category: ReportCategory
    details: str
    message_id: UUID | None
    status: ReportStatus
    created_at: datetime
    reviewed_by: UUID | None
    review_started_at: datetime | None
    closed_by: UUID | None
    closed_at: datetime | None
    action: ResolveAction | None
    sanction_id: UUID | None
    message_redacted: bool
    reason: str | None
    updated_at: datetime


class ReportEnvelope(BaseModel):
    data: ReportOut


ModerationAction = Literal["review", "resolve", "dismiss", "warn", "mute", "suspend_messaging", "lift"]


class AuditOut(BaseModel):
    """One admin action. `outcome`: a resolution's action (with " + redact" when the message was taken down) or
    the restriction a lift ended; `until`: a mute's end."""

    id: str
    action: ModerationAction
    admin_id: UUID
    user_id: UUID | None
    report_id: UUID | None
    conversation_id: UUID | None
    outcome: str | None
    until: datetime | None
    reason: str | None
    at: datetime
