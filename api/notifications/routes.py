"""In-app notifications and notification preferences (domain §10), and the development mailbox.

A user sees and marks only their own notifications. Preferences are per category (email and in-app apart),
all on until turned off, and answered from the user's own stream so a change shows at once. `GET /dev/mailbox`
lists the emails sent while no `RESEND_API_KEY` is set; it exists only under `splits dev`, for platform admins
(it holds every person's mail).
"""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Annotated, Any, get_args
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from api.ats.models import Pagination
from api.bounds import AddressText, Flag, Limit, Page
from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, Db, Now, PlatformAdmin, Store, SystemDep
from api.network.common import known
from api.notifications.email_status import EmailStatus, email_status_of
from api.responses import CommandResponse
from commands.core import NotFound
from commands.notifications import notification as notifications
from commands.notifications import preferences as prefs
from commands.notifications.events import Category
from eventstore import Position, handle, load, stream_id_for
from adapters.startup import email_to_mailbox
from projections.notifications import queries

router = APIRouter(tags=["notifications"])
FreshNotifications = Annotated[Position | None, Depends(read_after("notifications"))]
CATEGORIES: tuple[str, ...] = get_args(Category)


class NotificationOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    category: str
    template: str
    title: str
    body: str
    action_url: str | None
    priority: str
    read_at: datetime | None
    created_at: datetime


class NotificationPage(BaseModel):
    data: list[NotificationOut]
    pagination: Pagination


class UnreadCount(BaseModel):
    unread: int


class PreferenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email_enabled: Flag
    in_app_enabled: Flag


class PreferencesOut(BaseModel):
    data: dict[str, PreferenceBody]
    email_status: EmailStatus  # whether email still reaches their current address (see email_status.py)


class MailOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    notification_id: UUID
    recipient_email: str
    template: str
    subject: str
    text: str | None
    html: str | None
    at: datetime


class MailPage(BaseModel):
    data: list[MailOut]
    pagination: Pagination


def _pagination(total: int, page: int, limit: int) -> Pagination:
    return Pagination(total=total, page=page, limit=limit, total_pages=ceil(total / limit) if total else 0)


@router.get("/v1/notifications", response_model=NotificationPage, responses={401: {}})
async def list_notifications(
    _: FreshNotifications, user: CurrentUser, db: Db, unread: bool = False, category: Category | None = None,
    page: Page = 1, limit: Limit = 25,
) -> NotificationPage:
    rows, total = await queries.list_inbox(db, known(user), unread_only=unread, category=category, page=page,
                                           limit=limit)
    return NotificationPage(data=[NotificationOut(**r) for r in rows], pagination=_pagination(total, page, limit))


@router.get("/v1/notifications/unread-count", response_model=UnreadCount, responses={401: {}})
async def unread(_: FreshNotifications, user: CurrentUser, db: Db) -> UnreadCount:
    return UnreadCount(unread=await queries.unread_count(db, known(user)))


async def _mark(notification_id: UUID, command: Any, store: Any, meta: Any) -> CommandResponse:
    """Someone else's notification is not there for the caller: 404, as for one nobody has sent."""
    state, _, _ = await load(store, notifications.notification,
                             stream_id_for(notifications.notification, notification_id))
    if state.user_id != command.user_id:
        raise NotFound(f"notification {notification_id} not found", notification_id=str(notification_id))
    result = await handle(store, notifications.notification, notification_id, command, meta)
    return CommandResponse.of(notification_id, result)


@router.post("/v1/notifications/{notification_id}/read", responses={401: {}, 403: {}, 404: {}})
async def mark_read(notification_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                    now: Now) -> CommandResponse:
    command = notifications.MarkRead(notification_id=notification_id, user_id=known(user), at=now)
    return await _mark(notification_id, command, store, meta)


@router.post("/v1/notifications/{notification_id}/dismiss", responses={401: {}, 403: {}, 404: {}})
async def dismiss(notification_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                  now: Now) -> CommandResponse:
    command = notifications.Dismiss(notification_id=notification_id, user_id=known(user), at=now)
    return await _mark(notification_id, command, store, meta)


@router.get("/v1/notification-preferences", response_model=PreferencesOut, responses={401: {}})
async def preferences(user: CurrentUser, store: Store) -> PreferencesOut:
    chosen, _, _ = await load(store, prefs.preferences, stream_id_for(prefs.preferences, known(user)))
    return PreferencesOut(data={c: PreferenceBody(email_enabled=chosen.email(c), in_app_enabled=chosen.in_app(c))
                                for c in CATEGORIES}, email_status=await email_status_of(store, known(user)))


@router.put("/v1/notification-preferences/{category}", responses={401: {}, 422: {}})
async def set_preference(category: Category, body: PreferenceBody, user: CurrentUser, store: Store,
                         meta: CommandMetadata, now: Now) -> CommandResponse:
    user_id = known(user)
    command = prefs.SetPreference(user_id=user_id, category=category, email_enabled=body.email_enabled,
                                  in_app_enabled=body.in_app_enabled, at=now)
    return CommandResponse.of(user_id, await handle(store, prefs.preferences, user_id, command, meta))


async def _development_mailbox(system: SystemDep) -> None:
    """Checked before the caller is: outside `splits dev` the mailbox does not exist, for anyone."""
    if not system.settings.development or not email_to_mailbox(system.settings):
        raise NotFound("there is no mailbox: it exists only under `splits dev`, while emails are not sent")


DevelopmentMailbox = Annotated[None, Depends(_development_mailbox)]


@router.get("/dev/mailbox", response_model=MailPage, responses={401: {}, 403: {}, 404: {}})
async def mailbox(
    _mailbox: DevelopmentMailbox, _admin: PlatformAdmin, _: FreshNotifications, db: Db, to: AddressText = None,
    page: Page = 1, limit: Limit = 25,
) -> MailPage:
    """Under `splits dev`, for platform admins: the emails 'sent' without a Resend key (every person's mail)."""
    rows, total = await queries.list_mailbox(db, to=to, page=page, limit=limit)
    return MailPage(data=[MailOut(**r) for r in rows], pagination=_pagination(total, page, limit))
