"""The events of a conversation (stream type `conversation`, keyed by the conversation id; domain §3.5 chat-service,
§4.6, §6.5): the one definition of each.

They carry types, not the limits of the commands (a body's length, who may do what): a rule tightened later must
not make old streams unreadable.

A message's body is its author's personal data, sealed under `user:<sender>`; a system message has no author, and
its body (words of ours, naming nobody) is sealed under a subject of its own, `contact:<message id>`, because every
sealed field needs one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from commands.core import Event, Personal

# What a conversation is about: an application, a job, a company, or nothing in particular.
ContextType = Literal["application", "job", "company", "none"]
MessageKind = Literal["user", "system"]
RequestState = Literal["accepted", "pending", "declined"]
# Who took a message down: its author, or the moderation flow (an admin, or the system acting on a report).
RedactedBy = Literal["author", "moderation"]


def message_subject(data: Mapping[str, Any]) -> str:
    """A user's message is theirs; a system message is sealed under a subject of its own."""
    sender = data.get("sender_user_id")
    return f"user:{sender}" if sender else f"contact:{data.get('message_id')}"


class ConversationStarted(Event):
    """A conversation between two users about one context. `participant_user_ids` is the sorted pair.

    `requested_user_id` is the person the starter asked to talk to when that was not the recipient: a candidate
    represented by a recruiter, to whose recruiter the conversation was routed (domain §4.6)."""

    conversation_id: UUID
    participant_user_ids: list[UUID]
    started_by_user_id: UUID
    recipient_user_id: UUID
    context_type: ContextType
    context_id: UUID | None
    requested_user_id: UUID | None
    at: datetime


class ConversationRequestAccepted(Event):
    """The recipient accepted the conversation (or replied to it, which accepts it)."""

    conversation_id: UUID
    user_id: UUID
    at: datetime


class ConversationRequestDeclined(Event):
    """The recipient declined the conversation: the starter's further messages are refused."""

    conversation_id: UUID
    user_id: UUID
    at: datetime


class ConversationMessageSent(Event):
    """A message, numbered by `seq` within its conversation (1, 2, …). `sender_user_id` is None for a system
    message. `recipient_user_ids` are the participants other than the sender (both, for a system message).
    `client_message_id` is the sender's own id for it: the same one again is the same message."""

    conversation_id: UUID
    message_id: UUID
    seq: int
    sender_user_id: UUID | None
    kind: MessageKind
    body: str
    client_message_id: str
    participant_user_ids: list[UUID]
    recipient_user_ids: list[UUID]
    attachment_document_ids: list[UUID]
    at: datetime

    personal = Personal(("body",), subject_of_data=message_subject)


class ConversationMessageEdited(Event):
    """The message's body after the edit, whole. Only its author edits it."""

    conversation_id: UUID
    message_id: UUID
    sender_user_id: UUID
    body: str
    at: datetime

    personal = Personal(("body",), kind="user", key="sender_user_id")


class ConversationMessageRedacted(Event):
    """The message is taken down: its body is no longer served."""

    conversation_id: UUID
    message_id: UUID
    redacted_by: RedactedBy
    by: str
    at: datetime


class ConversationRead(Event):
    """`user_id` has read the conversation up to message `up_to_message_id`, number `seq`, and everything before."""

    conversation_id: UUID
    user_id: UUID
    up_to_message_id: UUID
    seq: int
    at: datetime


class ConversationMuted(Event):
    conversation_id: UUID
    user_id: UUID
    at: datetime


class ConversationUnmuted(Event):
    conversation_id: UUID
    user_id: UUID
    at: datetime


class ConversationArchived(Event):
    conversation_id: UUID
    user_id: UUID
    at: datetime


class ConversationUnarchived(Event):
    conversation_id: UUID
    user_id: UUID
    at: datetime
