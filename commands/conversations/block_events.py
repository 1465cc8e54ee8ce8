"""The events of a user's block list (domain §3.5 `chat_user_blocks`), on `conversationblocks-<user id>`.

A block is the blocker's own choice and needs no reason: the ids are all it carries.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands.core import Event


class ConversationUserBlocked(Event):
    """`user_id` blocked `blocked_user_id`: neither can message the other while it stands."""

    user_id: UUID
    blocked_user_id: UUID
    at: datetime


class ConversationUserUnblocked(Event):
    user_id: UUID
    blocked_user_id: UUID
    at: datetime


BlockEvent = ConversationUserBlocked | ConversationUserUnblocked
