"""The commands of a conversation, its stream ids and the bounds a command holds its text to.

A conversation's id is derived from the sorted pair of participants and its context, so the pair has one
conversation per context however often, and by whichever of them, it is started. A message's id is derived from
the conversation, the sender and the sender's client message id, so a retried send names the message it made.
"""

from __future__ import annotations

from typing import Annotated, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from commands.conversations.conversation_events import ContextType, RedactedBy
from commands.core import Command

MAX_BODY_CHARS = 10_000
MAX_CLIENT_MESSAGE_ID_CHARS = 100
MAX_ATTACHMENTS = 10

_CONVERSATION_NAMESPACE = uuid5(NAMESPACE_URL, "splits:conversation")
_MESSAGE_NAMESPACE = uuid5(NAMESPACE_URL, "splits:conversation-message")

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BODY_CHARS)]
ClientMessageId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                   max_length=MAX_CLIENT_MESSAGE_ID_CHARS)]


def conversation_id_for(a: UUID, b: UUID, context_type: ContextType, context_id: UUID | None) -> UUID:
    """The one conversation of a pair about a context (the order of the pair does not matter)."""
    first, second = sorted((a, b))
    return uuid5(_CONVERSATION_NAMESPACE, f"{first}:{second}:{context_type}:{context_id or ''}")


def message_id_for(conversation_id: UUID, sender_user_id: UUID | None, client_message_id: str) -> UUID:
    """The message a sender's client message id names in a conversation (None: the system)."""
    return uuid5(_MESSAGE_NAMESPACE, f"{conversation_id}:{sender_user_id or 'system'}:{client_message_id}")


class FirstMessage(Command):
    body: Body
    client_message_id: ClientMessageId
    attachment_document_ids: list[UUID] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class _ConversationCommand(Command):
    conversation_id: UUID
    by: Actor
    at: AwareDatetime


class StartConversation(_ConversationCommand):
    """`started_by_user_id` starts a conversation with `recipient_user_id`. When the route routed it (a represented
    candidate's recruiter in place of the candidate), `requested_user_id` is whom the starter asked for and
    `routed_notice` the system message saying so. On an existing conversation it records nothing but the first
    message, sent like any other."""

    started_by_user_id: UUID
    recipient_user_id: UUID
    context_type: ContextType
    context_id: UUID | None
    requested_user_id: UUID | None = None
    routed_notice: Body | None = None
    first_message: FirstMessage | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.context_type == "none") != (self.context_id is None):
            raise ValueError("a context of type 'none' has no id; every other context has one")
        if self.conversation_id != conversation_id_for(self.started_by_user_id, self.recipient_user_id,
                                                       self.context_type, self.context_id):
            raise ValueError("the conversation id is the one derived from the pair and the context")
        if (self.requested_user_id is None) != (self.routed_notice is None):
            raise ValueError("a routed conversation names whom the starter asked for and says so in a notice")
        return self


class SendMessage(_ConversationCommand):
    sender_user_id: UUID
    body: Body
    client_message_id: ClientMessageId
    attachment_document_ids: list[UUID] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class SendSystemMessage(_ConversationCommand):
    """A message of ours to both participants; `client_message_id` names it, so the same notice is sent once."""

    body: Body
    client_message_id: ClientMessageId


class EditMessage(_ConversationCommand):
    message_id: UUID
    user_id: UUID
    body: Body


class RedactMessage(_ConversationCommand):
    """Its author takes a message down (`user_id` is checked against the author), or the moderation flow does
    (`redacted_by="moderation"`, whose right the caller has checked: a platform admin, a report's outcome)."""

    message_id: UUID
    user_id: UUID | None
    redacted_by: RedactedBy = "author"

    @model_validator(mode="after")
    def _author_named(self) -> Self:
        if self.redacted_by == "author" and self.user_id is None:
            raise ValueError("an author's redaction names the author")
        return self


class _ParticipantCommand(_ConversationCommand):
    user_id: UUID


class AcceptRequest(_ParticipantCommand):
    pass


class DeclineRequest(_ParticipantCommand):
    pass


class MarkRead(_ParticipantCommand):
    up_to_message_id: UUID


class Mute(_ParticipantCommand):
    pass


class Unmute(_ParticipantCommand):
    pass


class Archive(_ParticipantCommand):
    pass


class Unarchive(_ParticipantCommand):
    pass


ConversationCommand = (
    StartConversation | SendMessage | SendSystemMessage | EditMessage | RedactMessage | AcceptRequest
    | DeclineRequest | MarkRead | Mute | Unmute | Archive | Unarchive
)
