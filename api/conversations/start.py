"""POST /v1/conversations: start a conversation (domain §4.6, §7.6 `/chat/conversations/actions/start`).

In order: the caller is registered; the recipient exists (404); the caller may start a conversation with them
about the context (api/conversations/policy.py: 404 for a context they cannot see, 403 otherwise); the conversation
goes to a represented candidate's recruiter instead (a system message says so); neither blocked the other and the
caller's messaging is not restricted (403); a conversation that does not exist yet is counted against the caller's
`messaging_initiations_per_month` on their own stream (422 `messaging_initiations_limit_reached`); then it is
started, with its first message if one is given. Starting one that exists answers 200 with its id and records
nothing but the first message; a new one answers 201. A first message whose client message id already sent other
words answers 409 `client_message_id_reused`.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, HTTPException, Response

from api.conversations.common import check_answered_with, check_may_message, me
from api.conversations.models import ConversationStartedOut, ConversationStartedResponse, StartConversationBody
from api.conversations.policy import access_of, check_may_start, route
from api.deps import CommandMetadata, CurrentUser, Now, Store, SystemDep
from commands.conversations import conversation as conversations
from commands.conversations import initiations
from commands.conversations.conversation_commands import FirstMessage
from commands.conversations.conversation_rules import CannotMessageYourself
from eventstore import EventStore, handle, load, stream_id_for
from projections.billing.entitlement_queries import entitlements_of
from projections.identity.access import Access

router = APIRouter(prefix="/conversations", tags=["conversations"])

ROUTED_NOTICE = ("The person you asked to message is represented by a recruiter, so this conversation is with "
                 "their recruiter.")


@router.post("", status_code=201, response_model=ConversationStartedResponse,
             responses={200: {"model": ConversationStartedResponse, "description": "the conversation existed"},
                        401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def start_conversation(body: StartConversationBody, response: Response, user: CurrentUser, store: Store,
                             system: SystemDep, meta: CommandMetadata, now: Now) -> ConversationStartedResponse:
    """Start a conversation with a user about an application, a job, a company or nothing in particular."""
    starter = me(user)
    if body.recipient_user_id == starter:
        raise CannotMessageYourself()
    them = await access_of(system.pool, body.recipient_user_id)
    if them is None:
        raise HTTPException(404, f"user {body.recipient_user_id} not found")
    await check_may_start(store, system.pool, user, them, body.context_type, body.context_id, now)
    recipient = await route(system.pool, user, them, now)
    for other in {recipient.user_id, body.recipient_user_id}:
        await check_may_message(store, starter, other, now)
    conversation_id = conversations.conversation_id_for(starter, recipient.user_id, body.context_type, body.context_id)
    state, _, _ = await load(store, conversations.conversation,
                             stream_id_for(conversations.conversation, conversation_id))
    if not state.exists:
        await handle(store, initiations.initiations, starter, initiations.CountInitiation(
            user_id=starter, conversation_id=conversation_id, limit=await _limit(store, user, now), by=meta.actor,
            at=now), meta)
    first = body.first_message
    command = conversations.StartConversation(
        conversation_id=conversation_id, started_by_user_id=starter, recipient_user_id=recipient.user_id,
        context_type=body.context_type, context_id=body.context_id, requested_user_id=recipient.requested_user_id,
        routed_notice=ROUTED_NOTICE if recipient.requested_user_id is not None else None,
        first_message=FirstMessage(body=first.body, client_message_id=first.client_message_id) if first else None,
        by=meta.actor, at=now)
    result = await handle(store, conversations.conversation, conversation_id, command, meta)
    if result.duplicate and command.first_message is not None:
        await check_answered_with(store, conversation_id, starter, command.first_message.client_message_id,
                                  command.first_message.body, command.first_message.attachment_document_ids)
    if state.exists:
        response.status_code = 200
    return ConversationStartedResponse.with_data(conversation_id, result, ConversationStartedOut(
        recipient_user_id=_other(state, starter) if state.exists else recipient.user_id,
        requested_user_id=state.requested_user_id if state.exists else recipient.requested_user_id,
        created=not state.exists,
        message_id=conversations.message_id_for(conversation_id, starter, first.client_message_id) if first else None))


def _other(state: conversations.Conversation, starter: UUID) -> UUID:
    return next(p for p in state.participants if p != starter)


async def _limit(store: EventStore, user: Access, now: datetime) -> int | None:
    """How many conversations the caller may start a month (None: unlimited): their plan's
    `messaging_initiations_per_month`; platform admins have no limit."""
    if user.is_platform_admin or user.user_id is None:
        return None
    value = (await entitlements_of(store, user.user_id, now)).values.get("messaging_initiations_per_month", 0)
    if value is None:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
