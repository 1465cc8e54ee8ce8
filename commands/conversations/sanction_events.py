"""The events of a user's messaging sanctions (domain §3.5 `chat_moderation_audit`), on
`messagingsanctions-<user id>`.

Each is one platform admin's action with its reason; together they are the moderation trail of the user.
`sanction_id` identifies the action (the audit row it becomes), `report_id` the report it resolved, if any.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

Restriction = Literal["mute", "suspend_messaging"]

_REASON = Personal(("reason",), kind="user", key="user_id")


class MessagingUserWarned(Event):
    user_id: UUID
    sanction_id: UUID
    report_id: UUID | None
    reason: str
    admin_id: UUID
    at: datetime

    personal = _REASON


class MessagingUserMuted(Event):
    """The user may not send messages until `until` (an earlier mute is replaced by this one)."""

    user_id: UUID
    sanction_id: UUID
    report_id: UUID | None
    until: datetime
    reason: str
    admin_id: UUID
    at: datetime

    personal = _REASON


class MessagingUserSuspended(Event):
    """The user may not send messages until an admin lifts the suspension (it replaces a mute)."""

    user_id: UUID
    sanction_id: UUID
    report_id: UUID | None
    reason: str
    admin_id: UUID
    at: datetime

    personal = _REASON


class MessagingSanctionLifted(Event):
    """The user's active restriction, `lifted`, ended before its time."""

    user_id: UUID
    sanction_id: UUID
    lifted: Restriction
    reason: str
    admin_id: UUID
    at: datetime

    personal = _REASON


SanctionEvent = MessagingUserWarned | MessagingUserMuted | MessagingUserSuspended | MessagingSanctionLifted
