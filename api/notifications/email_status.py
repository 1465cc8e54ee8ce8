"""Whether email still reaches the caller's address (issue 20 item 6), and clearing its suppression.

A hard bounce or a spam complaint suppresses an address (commands/notifications/suppression.py). The caller
sees the state of their current address (their identity's email, read from their own stream so a change
shows at once) in `GET /v1/notification-preferences` as `email_status`, and may clear it for that address
only: `POST /v1/notification-preferences/email-suppression/clear`, after fixing their mailbox or to take back
a complaint. Clearing an address that is not suppressed records nothing and answers the same way. An address
the caller no longer has is not theirs to clear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CommandMetadata, CurrentUser, Now, Store
from api.network.common import known
from api.responses import CommandResponse
from commands.core import NotFound
from commands.identity import user as users
from commands.notifications import suppression as suppressions
from commands.notifications.addresses import address_id_for
from eventstore import EventStore, handle, load, stream_id_for

router = APIRouter(tags=["notifications"])


class EmailStatus(BaseModel):
    suppressed: bool
    reason: Literal["bounced", "complained"] | None = None
    since: datetime | None = None


async def _current_address(store: EventStore, user_id: UUID) -> str | None:
    account, _, _ = await load(store, users.user, stream_id_for(users.user, user_id))
    return account.email if account.exists and account.email else None


async def email_status_of(store: EventStore, user_id: UUID) -> EmailStatus:
    """The suppression state of the user's current address (not suppressed when they have none)."""
    address = await _current_address(store, user_id)
    if address is None:
        return EmailStatus(suppressed=False)
    state, _, _ = await load(store, suppressions.suppression,
                             stream_id_for(suppressions.suppression, address_id_for(address)))
    return EmailStatus(suppressed=state.suppressed, reason=state.reason, since=state.since)


@router.post("/v1/notification-preferences/email-suppression/clear", responses={401: {}, 404: {}})
async def clear_suppression(user: CurrentUser, store: Store, meta: CommandMetadata, now: Now) -> CommandResponse:
    """Email your current address again after a hard bounce or a complaint stopped it."""
    user_id = known(user)
    address = await _current_address(store, user_id)
    if address is None:
        raise NotFound("you have no email address to clear")
    address_id = address_id_for(address)
    command = suppressions.ClearSuppression(address_id=address_id, by_user_id=user_id, at=now)
    return CommandResponse.of(address_id, await handle(store, suppressions.suppression, address_id, command, meta))
