"""The conversation routes' request and response models (bounds from api/bounds.py, the commands' own limits)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.bounds import NO_NUL, text
from api.responses import CommandResponseWith, Pagination
from commands.conversations.conversation_commands import MAX_ATTACHMENTS, MAX_BODY_CHARS, MAX_CLIENT_MESSAGE_ID_CHARS
from commands.conversations.conversation_events import ContextType, MessageKind, RedactedBy, RequestState

Body = text(MAX_BODY_CHARS)
ClientMessageId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                   max_length=MAX_CLIENT_MESSAGE_ID_CHARS, pattern=NO_NUL)]
Attachments = Annotated[list[UUID], Field(max_length=MAX_ATTACHMENTS,
                                          description="documents uploaded on this conversation (entity_type "
                                                      "conversation) by the sender")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FirstMessageBody(_Body):
    body: Body
    client_message_id: ClientMessageId


class StartConversationBody(_Body):
    recipient_user_id: UUID
    context_type: ContextType = "none"
    context_id: UUID | None = None
    first_message: FirstMessageBody | None = None

    @model_validator(mode="after")
    def _context(self) -> Self:
        if (self.context_type == "none") != (self.context_id is None):
            raise ValueError("context_id names the application, job or company; a context of type 'none' has none")
        return self


class SendMessageBody(_Body):
    body: Body
    client_message_id: ClientMessageId = Field(description="the client's own id: sending it again is the same message")
    attachment_document_ids: Attachments = []


class EditMessageBody(_Body):
    body: Body


class ReadBody(_Body):
    up_to_message_id: UUID


class ConversationStartedOut(BaseModel):
    recipient_user_id: UUID
    requested_user_id: UUID | None = Field(description="whom you asked for, when the conversation went to their "
                                                       "recruiter instead")
    created: bool = Field(description="false when the conversation existed already")
    message_id: UUID | None = Field(description="the first message's id, when one was given")


class ConversationStartedResponse(CommandResponseWith[ConversationStartedOut]):
    pass


class MessageSentOut(BaseModel):
    message_id: UUID


class MessageSentResponse(CommandResponseWith[MessageSentOut]):
    pass


class ParticipantOut(BaseModel):
    user_id: UUID
    request_state: RequestState
    last_read_message_id: UUID | None
    last_read_seq: int
    last_read_at: datetime | None


class ConversationOut(BaseModel):
    id: UUID
    participant_user_ids: list[UUID]
    other_user_id: UUID | None = Field(description="the other participant (None for a platform admin reading)")
    started_by_user_id: UUID
    recipient_user_id: UUID
    requested_user_id: UUID | None
    context_type: ContextType
    context_id: UUID | None
    started_at: datetime
    updated_at: datetime
    request_state: RequestState | None = Field(description="your request state (None for a platform admin)")
    muted_at: datetime | None = None
    archived_at: datetime | None = None
    last_read_message_id: UUID | None = None
    last_read_seq: int = 0
    unread_count: int = 0
    last_message_id: UUID | None
    last_message_seq: int
    last_message_sender_user_id: UUID | None
    last_message_at: datetime | None
    last_message_kind: MessageKind | None
    last_message_body: str | None = Field(description="None when redacted")
    last_message_redacted: bool | None
    participants: list[ParticipantOut] = []

    @classmethod
    def of(cls, row: dict[str, Any], participants: list[dict[str, Any]] | None = None) -> ConversationOut:
        known = {k: v for k, v in row.items() if k in cls.model_fields}
        known.setdefault("other_user_id", None)
        known.setdefault("request_state", None)
        return cls(**known, participants=[ParticipantOut(**p) for p in participants or []])


class ConversationPage(BaseModel):
    data: list[ConversationOut]
    pagination: Pagination


class MessageOut(BaseModel):
    id: UUID
    conversation_id: UUID
    seq: int
    sender_user_id: UUID | None
    kind: MessageKind
    body: str | None = Field(description="None when redacted (a platform admin reading a reported conversation "
                                         "gets the words)")
    client_message_id: str | None = Field(description="your client's id for your own message (None for others')")
    attachment_document_ids: list[UUID]
    sent_at: datetime
    edited_at: datetime | None
    redacted_at: datetime | None
    redacted_by: RedactedBy | None


class MessageList(BaseModel):
    data: list[MessageOut]
    has_more: bool = Field(description="whether there are more messages past this page, in the direction asked")
