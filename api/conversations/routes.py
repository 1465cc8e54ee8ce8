"""The conversation routes besides starting one (domain §7.6): read a user's conversations and one conversation's
messages; send, edit and redact messages; answer the request; read receipts; mute and archive.

Only participants read a conversation, and a platform admin one that has a report; to anyone else it does not exist
(404, api/conversations/common.py). Commands are decided on the conversation's stream; reads come from the
conversations read schema and accept a consistency token. A message's attachments are documents uploaded on the
conversation (entity type `conversation`) by its sender, checked before the message is sent.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from api.bounds import MAX_COUNT, Limit, Page
from api.conversations.common import (
    FreshConversations,
    check_answered_with,
    check_may_message,
    me,
    participant_in,
    reader_of,
)
from api.conversations.models import (
    ConversationOut,
    ConversationPage,
    EditMessageBody,
    MessageList,
    MessageOut,
    MessageSentOut,
    MessageSentResponse,
    ReadBody,
    SendMessageBody,
)
from api.deps import CommandMetadata, CurrentUser, Db, Now, Store, SystemDep
from api.responses import CommandResponse, Pagination
from commands.conversations import conversation as conversations
from commands.conversations.conversation_rules import ConversationNotFound
from commands.core import Invalid
from commands.documents import document as documents
from eventstore import EventStore, handle, load, stream_id_for
from projections.conversations import queries

router = APIRouter(prefix="/conversations", tags=["conversations"])

_READ = {401: {}, 404: {}}
_COMMAND = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}
MAX_MESSAGES_PAGE = 100


class AttachmentNotUsable(Invalid):
    code = "attachment_not_usable"

    def __init__(self, document_id: UUID) -> None:
        super().__init__(f"document {document_id} is not one you uploaded on this conversation (entity_type "
                         "conversation) and kept", document_id=str(document_id))


@router.get("", response_model=ConversationPage, responses={401: {}, 403: {}})
async def list_conversations(
    _: FreshConversations, user: CurrentUser, db: Db,
    archived: Annotated[bool, Query(description="the archived conversations instead of the others")] = False,
    requests: Annotated[bool | None, Query(description="only those waiting for your answer (true), or none of "
                                                       "them (false)")] = None,
    page: Page = 1, limit: Limit = 25,
) -> ConversationPage:
    """Your conversations, latest activity first, with your own state (request, mute, archive, unread) in each."""
    rows, total = await queries.list_my_conversations(db, me(user), archived=archived, requests=requests,
                                                      page=page, limit=limit)
    return ConversationPage(data=[ConversationOut.of(r) for r in rows], pagination=Pagination.of(total, page, limit))


@router.get("/{conversation_id}", response_model=ConversationOut, responses=_READ)
async def get_conversation(conversation_id: UUID, _: FreshConversations, user: CurrentUser,
                           system: SystemDep) -> ConversationOut:
    part = await reader_of(system.pool, user, conversation_id)
    async with system.pool.connection() as db:
        row = (await queries.get_my_conversation(db, conversation_id, me(user)) if part == "participant"
               else await queries.get_conversation(db, conversation_id))
        participants = await queries.participants_of(db, conversation_id)
    if row is None:  # gone between the two reads (an erasure): as if never there
        raise ConversationNotFound(conversation_id)
    return ConversationOut.of(row, participants)


@router.get("/{conversation_id}/messages", response_model=MessageList, responses=_READ)
async def list_messages(
    conversation_id: UUID, _: FreshConversations, user: CurrentUser, system: SystemDep,
    after_seq: Annotated[int | None, Query(ge=0, le=MAX_COUNT, description="messages numbered after this, oldest "
                                                                         "first")] = None,
    before_seq: Annotated[int | None, Query(ge=1, le=MAX_COUNT, description="the latest messages numbered before "
                                                                          "this")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_MESSAGES_PAGE)] = 50,
) -> MessageList:
    """A conversation's messages by number: the latest `limit` (or the last before `before_seq`), or the first
    `limit` after `after_seq`. A redacted message has no body and no attachments, but for a platform admin reading
    a reported conversation (taking a message down hides no evidence). (`after` is the consistency token, as elsewhere.)"""
    part = await reader_of(system.pool, user, conversation_id)
    async with system.pool.connection() as db:
        rows = await queries.list_messages(db, conversation_id, after_seq=after_seq, before_seq=before_seq,
                                           limit=limit + 1, redacted_words=part == "moderator", viewer=user.user_id)
    more = len(rows) > limit
    rows = rows[:limit] if after_seq is not None else rows[-limit:]
    return MessageList(data=[MessageOut(**r) for r in rows], has_more=more)


@router.post("/{conversation_id}/messages", status_code=201, response_model=MessageSentResponse, responses=_COMMAND)
async def send_message(conversation_id: UUID, body: SendMessageBody, user: CurrentUser, store: Store,
                       system: SystemDep, meta: CommandMetadata, now: Now) -> MessageSentResponse:
    """Send a message. The same `client_message_id` again with the same words and attachments is the same
    message: it answers with its id; with others it is refused (409 `client_message_id_reused`)."""
    sender = me(user)
    state = await participant_in(store, system.pool, user, conversation_id)
    for other in state.other_than(sender):
        await check_may_message(store, sender, other, now)
    await _check_attachments(store, conversation_id, sender, body.attachment_document_ids)
    command = conversations.SendMessage(conversation_id=conversation_id, sender_user_id=sender, body=body.body,
                                        client_message_id=body.client_message_id,
                                        attachment_document_ids=body.attachment_document_ids, by=meta.actor, at=now)
    result = await handle(store, conversations.conversation, conversation_id, command, meta)
    if result.duplicate:
        await check_answered_with(store, conversation_id, sender, command.client_message_id, command.body,
                                  command.attachment_document_ids)
    message_id = conversations.message_id_for(conversation_id, sender, body.client_message_id)
    return MessageSentResponse.with_data(conversation_id, result, MessageSentOut(message_id=message_id))


async def _check_attachments(store: EventStore, conversation_id: UUID, sender: UUID,
                             document_ids: list[UUID]) -> None:
    """Each attachment is a document its sender uploaded on this conversation and has not deleted (from the
    documents' streams: an upload a moment ago counts)."""
    for document_id in document_ids:
        doc, _, _ = await load(store, documents.document, stream_id_for(documents.document, document_id))
        if (not doc.exists or doc.deleted or doc.entity_type != "conversation" or doc.entity_id != conversation_id
                or doc.uploaded_by != sender):
            raise AttachmentNotUsable(document_id)


@router.patch("/{conversation_id}/messages/{message_id}", response_model=CommandResponse, responses=_COMMAND)
async def edit_message(conversation_id: UUID, message_id: UUID, body: EditMessageBody, user: CurrentUser,
                       store: Store, system: SystemDep, meta: CommandMetadata, now: Now) -> CommandResponse:
    """Edit your message (not once it is redacted)."""
    author = me(user)
    state = await participant_in(store, system.pool, user, conversation_id)
    for other in state.other_than(author):
        await check_may_message(store, author, other, now)
    command = conversations.EditMessage(conversation_id=conversation_id, message_id=message_id, user_id=author,
                                        body=body.body, by=meta.actor, at=now)
    return CommandResponse.of(message_id, await handle(store, conversations.conversation, conversation_id, command,
                                                       meta))


@router.post("/{conversation_id}/messages/{message_id}/redact", response_model=CommandResponse, responses=_COMMAND)
async def redact_message(conversation_id: UUID, message_id: UUID, user: CurrentUser, store: Store,
                         system: SystemDep, meta: CommandMetadata, now: Now) -> CommandResponse:
    """Take your message down: its body is no longer served."""
    author = me(user)
    await participant_in(store, system.pool, user, conversation_id)
    command = conversations.RedactMessage(conversation_id=conversation_id, message_id=message_id, user_id=author,
                                          by=meta.actor, at=now)
    return CommandResponse.of(message_id, await handle(store, conversations.conversation, conversation_id, command,
                                                       meta))


_PARTICIPANT_COMMANDS = {
    "accept": (conversations.AcceptRequest, "Accept a conversation someone started with you."),
    "decline": (conversations.DeclineRequest, "Decline a conversation someone started with you: they can send no more."),
    "mute": (conversations.Mute, "Mute the conversation for yourself."),
    "unmute": (conversations.Unmute, "Unmute it."),
    "archive": (conversations.Archive, "Archive the conversation for yourself."),
    "unarchive": (conversations.Unarchive, "Bring it back from the archive."),
}


def _participant_route(action: str, command_type: type, summary: str) -> None:
    async def run(conversation_id: UUID, user: CurrentUser, store: Store, system: SystemDep, meta: CommandMetadata,
                  now: Now) -> CommandResponse:
        participant = me(user)
        await participant_in(store, system.pool, user, conversation_id)
        command = command_type(conversation_id=conversation_id, user_id=participant, by=meta.actor, at=now)
        return CommandResponse.of(conversation_id, await handle(store, conversations.conversation, conversation_id,
                                                                command, meta))

    run.__name__ = f"{action}_conversation"
    run.__doc__ = summary
    router.add_api_route(f"/{{conversation_id}}/{action}", run, methods=["POST"], response_model=CommandResponse,
                         responses=_COMMAND, name=run.__name__)


for _action, (_command, _summary) in _PARTICIPANT_COMMANDS.items():
    _participant_route(_action, _command, _summary)


@router.post("/{conversation_id}/read", response_model=CommandResponse, responses=_COMMAND)
async def mark_read(conversation_id: UUID, body: ReadBody, user: CurrentUser, store: Store, system: SystemDep,
                    meta: CommandMetadata, now: Now) -> CommandResponse:
    """You have read the conversation up to this message (a receipt at or before your last one records nothing)."""
    reader = me(user)
    await participant_in(store, system.pool, user, conversation_id)
    command = conversations.MarkRead(conversation_id=conversation_id, user_id=reader,
                                     up_to_message_id=body.up_to_message_id, by=meta.actor, at=now)
    return CommandResponse.of(conversation_id, await handle(store, conversations.conversation, conversation_id,
                                                            command, meta))
