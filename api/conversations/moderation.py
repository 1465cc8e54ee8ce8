"""Blocks, reports and the platform admins' moderation of conversations (domain §3.5, §4.6).

A user blocks and unblocks others and reads their block list; a participant reports a conversation (and perhaps
one message of the other participant's). Platform admins work the reports — take one into review, then resolve
it (with an action on the reported user, and perhaps the reported message taken down) or dismiss it — warn, mute,
suspend or lift a user's messaging outside any report, and read the trail of every such action with its admin.

Who may: the caller's own block list only; a report only by a participant of the conversation (anyone else is
told the conversation does not exist, 404, as its own routes tell them); the rest platform admins only (403).
Participation and the reported message are read from the conversation's stream, not a read model that may lag.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.bounds import Limit, Page
from api.consistency import read_after
from api.conversations.moderation_models import (
    AuditOut, BlockBody, BlockOut, DismissBody, LiftBody, ReportBody, ReportEnvelope, ReportOut, ResolveBody,
    SanctionBody,
)
from api.deps import CommandMetadata, CurrentUser, Db, Now, PlatformAdmin, Store
from api.errors import not_registered
from api.responses import CommandResponse, CommandResponseWith, ListOf, Pagination
from commands.conversations import block, report, sanction
from commands.conversations.conversation import RedactMessage, conversation
from commands.conversations.conversation_rules import ConversationNotFound, MessageNotFound
from commands.conversations.report_events import ReportStatus
from commands.core import NotFound, RuleViolation
from commands.identity import user as users
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from eventstore.handle import handled_before
from projections.conversations import moderation_queries as queries
from projections.identity.access import Access

router = APIRouter(prefix="/v1", tags=["conversations"])
FreshConversations = Annotated[Position | None, Depends(read_after("conversations"))]


class UserNotFound(NotFound):
    code = "user_not_found"

    def __init__(self, user_id: UUID) -> None:
        super().__init__(f"user {user_id} not found", user_id=str(user_id))


class NotTheirMessage(RuleViolation):
    code = "report_message_not_theirs"

    def __init__(self, message_id: UUID) -> None:
        super().__init__(f"message {message_id} is not the other participant's: a report is about them",
                         message_id=str(message_id))


class ReportHasNoMessage(RuleViolation):
    code = "report_has_no_message"

    def __init__(self, report_id: UUID) -> None:
        super().__init__(f"report {report_id} names no message to take down", report_id=str(report_id))


class MuteHoursMismatch(RuleViolation):
    """`mute_hours` goes with the action `mute` and only with it: a rule between two fields, so no field's error."""

    code = "mute_hours_mismatch"

    def __init__(self, action: str) -> None:
        super().__init__("mute_hours is given with the action mute, and only with it", action=action)


def _mute_hours_with_a_mute(action: str, mute_hours: int | None) -> None:
    if (action == "mute") != (mute_hours is not None):
        raise MuteHoursMismatch(action)


class SanctionMade(BaseModel):
    sanction_id: UUID


def _known(user: Access) -> UUID:
    if user.user_id is None:
        raise not_registered()
    return user.user_id


def _new_id(meta: Metadata, kind: str) -> UUID:
    """A fresh id, or one derived from the Idempotency-Key so that a retried request names the same thing."""
    return uuid5(NAMESPACE_URL, f"{kind}:{meta.actor}:{meta.idempotency_key}") if meta.idempotency_key else uuid4()


async def _existing_user(store: EventStore, user_id: UUID) -> None:
    state, _, _ = await load(store, users.user, stream_id_for(users.user, user_id))
    if not state.exists or state.deleted:
        raise UserNotFound(user_id)


def _sanction(action: str, mute_hours: int | None, user_id: UUID, sanction_id: UUID, reason: str, admin_id: UUID,
              at: datetime, report_id: UUID | None) -> sanction.SanctionCommand:
    common: dict[str, Any] = {"user_id": user_id, "sanction_id": sanction_id, "reason": reason, "admin_id": admin_id,
                              "at": at, "report_id": report_id}
    if action == "warn":
        return sanction.WarnUser(**common)
    if action == "mute":
        assert mute_hours is not None
        return sanction.MuteUser(**common, until=at + timedelta(hours=mute_hours))
    return sanction.SuspendMessaging(**common)


# --- blocks --------------------------------------------------------------------------------------------------------

@router.post("/conversation-blocks", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def block_user(body: BlockBody, user: CurrentUser, store: Store, meta: CommandMetadata,
                     now: Now) -> CommandResponse:
    """Block a user: neither of you can message the other until you unblock them. Blocking again changes nothing."""
    me = _known(user)
    if body.user_id != me:
        await _existing_user(store, body.user_id)
    command = block.BlockUser(user_id=me, blocked_user_id=body.user_id, at=now)
    return CommandResponse.of(me, await handle(store, block.block_list, me, command, meta))


@router.delete("/conversation-blocks/{user_id}", responses={401: {}, 403: {}, 404: {}})
async def unblock_user(user_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                       now: Now) -> CommandResponse:
    """Unblock a user you blocked (404 `block_not_found` if you had not)."""
    me = _known(user)
    command = block.UnblockUser(user_id=me, blocked_user_id=user_id, at=now)
    return CommandResponse.of(me, await handle(store, block.block_list, me, command, meta))


@router.get("/conversation-blocks", response_model=ListOf[BlockOut], responses={401: {}, 403: {}})
async def list_blocks(user: CurrentUser, _: FreshConversations, db: Db, page: Page = 1,
                      limit: Limit = 25) -> ListOf[BlockOut]:
    """The users you blocked, latest first."""
    rows, total = await queries.list_blocks(db, _known(user), page=page, limit=limit)
    return ListOf[BlockOut](data=[BlockOut(user_id=r["blocked_user_id"], blocked_at=r["blocked_at"]) for r in rows],
                            pagination=Pagination.of(total, page, limit))


# --- reports -------------------------------------------------------------------------------------------------------

@router.post("/conversations/{conversation_id}/reports", status_code=201,
             responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def report_conversation(conversation_id: UUID, body: ReportBody, user: CurrentUser, store: Store,
                              meta: CommandMetadata, now: Now) -> CommandResponse:
    """Report the conversation's other participant (and, with `message_id`, one of their messages) to the
    platform admins. Only a participant reports; the report gives platform admins the right to read it."""
    me = _known(user)
    state, _, _ = await load(store, conversation, stream_id_for(conversation, conversation_id))
    if not state.exists or me not in state.participants:
        raise ConversationNotFound(conversation_id)
    (reported,) = state.other_than(me)
    if body.message_id is not None:
        message = state.messages.get(body.message_id)
        if message is None:
            raise MessageNotFound(conversation_id, body.message_id)
        if message.sender_user_id != reported:
            raise NotTheirMessage(body.message_id)
    report_id = _new_id(meta, "conversation-report")
    command = report.FileReport(report_id=report_id, conversation_id=conversation_id, reporter_id=me,
                                reported_user_id=reported, category=body.category, details=body.details,
                                message_id=body.message_id, at=now)
    return CommandResponse.of(report_id, await handle(store, report.report, report_id, command, meta))


# --- the admins' moderation ----------------------------------------------------------------------------------------

@router.get("/admin/conversation-reports", response_model=ListOf[ReportOut], responses={401: {}, 403: {}})
async def list_reports(_: PlatformAdmin, __: FreshConversations, db: Db, status: ReportStatus | None = None,
                       conversation_id: UUID | None = None, page: Page = 1, limit: Limit = 25) -> ListOf[ReportOut]:
    """Reports, oldest first (the queue's order), by status and/or conversation."""
    rows, total = await queries.list_reports(db, status=status, conversation_id=conversation_id, page=page,
                                             limit=limit)
    return ListOf[ReportOut](data=[ReportOut(**r) for r in rows], pagination=Pagination.of(total, page, limit))


@router.get("/admin/conversation-reports/{report_id}", response_model=ReportEnvelope,
            responses={401: {}, 403: {}, 404: {}})
async def get_report(report_id: UUID, _: PlatformAdmin, __: FreshConversations, db: Db) -> ReportEnvelope:
    row = await queries.get_report(db, report_id)
    if row is None:
        raise report.ReportNotFound(report_id)
    return ReportEnvelope(data=ReportOut(**row))


@router.post("/admin/conversation-reports/{report_id}/review", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def review_report(report_id: UUID, user: PlatformAdmin, store: Store, meta: CommandMetadata,
                        now: Now) -> CommandResponse:
    """Take a new report into review (409 when another admin has it)."""
    command = report.StartReportReview(report_id=report_id, admin_id=_known(user), at=now)
    return CommandResponse.of(report_id, await handle(store, report.report, report_id, command, meta))


@router.post("/admin/conversation-reports/{report_id}/resolve", responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def resolve_report(report_id: UUID, body: ResolveBody, user: PlatformAdmin, store: Store, meta: CommandMetadata,
                         now: Now) -> CommandResponse:
    """Resolve a report in review: `action` on the reported user (recorded on their sanctions, `mute_hours` with
    a mute) and, with `redact_message`, the reported message taken down. The answer's token covers all of it."""
    _mute_hours_with_a_mute(body.action, body.mute_hours)
    admin_id = _known(user)
    first = await handled_before(store, report.report, report_id, report.ResolveReport, meta)
    if first is not None:
        return CommandResponse.of(report_id, first)
    state, _, _ = await load(store, report.report, stream_id_for(report.report, report_id))
    sanction_id = None if body.action == "none" else _new_id(meta, "messaging-sanction")
    command = report.ResolveReport(report_id=report_id, admin_id=admin_id, action=body.action,
                                   sanction_id=sanction_id, message_redacted=body.redact_message,
                                   reason=body.reason, at=now)
    report.decide(command, state)  # what the resolution refuses is refused before anything else is recorded
    if body.redact_message and state.message_id is None:
        raise ReportHasNoMessage(report_id)
    if sanction_id is not None:
        assert state.reported_user_id is not None
        await handle(store, sanction.messaging_sanctions, state.reported_user_id, _sanction(
            body.action, body.mute_hours, state.reported_user_id, sanction_id, body.reason, admin_id, now, report_id),
            meta)
    if body.redact_message:
        assert state.conversation_id is not None and state.message_id is not None
        await handle(store, conversation, state.conversation_id, RedactMessage(
            conversation_id=state.conversation_id, message_id=state.message_id, user_id=None,
            redacted_by="moderation", by=meta.actor, at=now), meta)
    return CommandResponse.of(report_id, await handle(store, report.report, report_id, command, meta))


@router.post("/admin/conversation-reports/{report_id}/dismiss", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def dismiss_report(report_id: UUID, body: DismissBody, user: PlatformAdmin, store: Store,
                         meta: CommandMetadata, now: Now) -> CommandResponse:
    """Dismiss a report in review: nothing to act on."""
    command = report.DismissReport(report_id=report_id, admin_id=_known(user), reason=body.reason, at=now)
    return CommandResponse.of(report_id, await handle(store, report.report, report_id, command, meta))


@router.post("/admin/users/{user_id}/messaging-sanctions", status_code=201,
             response_model=CommandResponseWith[SanctionMade], responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def sanction_user(user_id: UUID, body: SanctionBody, user: PlatformAdmin, store: Store, meta: CommandMetadata,
                        now: Now) -> CommandResponseWith[SanctionMade]:
    """Warn, mute (for `mute_hours`) or suspend a user's messaging, outside any report."""
    _mute_hours_with_a_mute(body.action, body.mute_hours)
    admin_id = _known(user)
    await _existing_user(store, user_id)
    sanction_id = _new_id(meta, "messaging-sanction")
    command = _sanction(body.action, body.mute_hours, user_id, sanction_id, body.reason, admin_id, now, None)
    result = await handle(store, sanction.messaging_sanctions, user_id, command, meta)
    return CommandResponseWith[SanctionMade].with_data(user_id, result, SanctionMade(sanction_id=sanction_id))


@router.post("/admin/users/{user_id}/messaging-sanctions/lift", response_model=CommandResponseWith[SanctionMade],
             responses={401: {}, 403: {}, 404: {}, 422: {}})
async def lift_sanction(user_id: UUID, body: LiftBody, user: PlatformAdmin, store: Store, meta: CommandMetadata,
                        now: Now) -> CommandResponseWith[SanctionMade]:
    """End the user's mute or suspension now (422 `no_messaging_sanction` when neither is in force)."""
    admin_id = _known(user)
    await _existing_user(store, user_id)
    sanction_id = _new_id(meta, "messaging-sanction")
    command = sanction.LiftSanction(user_id=user_id, sanction_id=sanction_id, reason=body.reason, admin_id=admin_id,
                                    at=now)
    result = await handle(store, sanction.messaging_sanctions, user_id, command, meta)
    return CommandResponseWith[SanctionMade].with_data(user_id, result, SanctionMade(sanction_id=sanction_id))


@router.get("/admin/conversation-moderation-audit", response_model=ListOf[AuditOut], responses={401: {}, 403: {}})
async def moderation_audit(_: PlatformAdmin, __: FreshConversations, db: Db, user_id: UUID | None = None,
                           report_id: UUID | None = None, page: Page = 1, limit: Limit = 25) -> ListOf[AuditOut]:
    """Every moderation action with its admin and reason, newest first; by the user it concerned and/or report."""
    rows, total = await queries.list_moderation_audit(db, user_id=user_id, report_id=report_id, page=page,
                                                      limit=limit)
    return ListOf[AuditOut](data=[AuditOut(**r) for r in rows], pagination=Pagination.of(total, page, limit))
