"""Live updates: `GET /v1/stream`, server-sent events pushing to a signed-in user what concerns them as it
happens (adapters/live.py holds the mechanism, projections/live.py what is pushed).

Events: `notification` (a new in-app notification, as `GET /v1/notifications` shows it), `message` and `read`
(a message, or a read receipt, in one of the user's conversations), `application` (an application they follow
changed: its id, its stage and when; read it again for the rest), and `reset` (the backlog no longer reaches
back to the `Last-Event-ID` given: reload what the client shows). A comment (`: keep-alive`) every
LIVE_KEEPALIVE_S keeps proxies from closing an idle stream and the user present.

Signing in: `Authorization: Bearer <Clerk session token>` like every route, or, for a browser's EventSource
(which cannot send a header), `?ticket=` with a ticket from `POST /v1/stream/tickets`: signed with the token
secret, naming the caller, valid for 60 seconds and for one stream only, so a URL that reaches a log is worth
nothing. A stream lasts LIVE_STREAM_MAX_S at most, then ends and the client reconnects, signing in again: a
session revoked meanwhile stops receiving. `Last-Event-ID` (the header an EventSource sends when it reconnects,
or `?last_event_id=` for a new EventSource) resumes after that event from the user's backlog.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from adapters.live import Connection, LiveHub, LiveUnavailable, TooManyConnections, parse_id
from adapters.tokens import ConfirmationRefused, check_confirmation, confirmation_token
from api.deps import CurrentUser, MaybeUser, NotAuthenticated, Now, TokenSecret
from api.errors import ApiProblem, bad_header
from api.live.models import StreamTicket
from api.network.common import known

router = APIRouter(tags=["live"])

TICKET_LIFETIME_S = 60
_PURPOSE = "live-stream"
_TICKET = re.compile(r"^([A-Za-z0-9_\-]{1,64})\.([0-9a-f]{32})\.([0-9]{1,12}\.[0-9a-f]{64})$")
# An event's id, said in the document; the route answers anything else 400 `invalid_last_event_id`.
_EVENT_ID = {"pattern": r"^[0-9]{1,15}-[0-9]{1,15}$"}
# One server-sent event as a client's parser reads it: its name, its id and its data (a JSON object).
_EVENT = {"type": "object", "required": ["event", "data"], "properties": {
    "event": {"enum": ["notification", "message", "read", "application", "reset"]},
    "id": {"type": "string", "pattern": _EVENT_ID["pattern"]},
    "retry": {"type": "integer"},
    "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": {"type": "object"}},
}}
_EVENT_STREAM = {"text/event-stream": {"schema": _EVENT, "example": (
    "retry: 3000\n\nid: 1733572800000-0\nevent: notification\ndata: {\"id\": \"…\", \"title\": \"…\"}\n\n"
    ": keep-alive\n\n")}}


def _hub(request: Request) -> LiveHub:
    return request.app.state.live


@router.post("/v1/stream/tickets", status_code=201, response_model=StreamTicket, responses={401: {}, 403: {}})
async def stream_ticket(user: CurrentUser, now: Now, secret: TokenSecret) -> StreamTicket:
    """A one-time ticket to open `GET /v1/stream?ticket=…` within 60 seconds, for a browser's EventSource."""
    known(user)
    assert user.clerk_user_id is not None
    nonce, expires = secrets.token_hex(16), int(now.timestamp()) + TICKET_LIFETIME_S
    signed = confirmation_token(secret, _PURPOSE, f"{user.clerk_user_id}:{nonce}", expires)
    ticket = f"{user.clerk_user_id}.{nonce}.{signed}"
    return StreamTicket(ticket=ticket, expires_at=datetime.fromtimestamp(expires, UTC),
                        stream_url=f"/v1/stream?ticket={ticket}")


async def _ticket_holder(request: Request, ticket: str, secret: bytes, now: datetime) -> str:
    """The Clerk user a ticket was given to; 401 `invalid_ticket` when it is not good (or was used already)."""
    match = _TICKET.match(ticket)
    refused = ApiProblem(401, "invalid_ticket", "the stream ticket is malformed, expired or used: ask for another"
                         " (POST /v1/stream/tickets)", headers={"WWW-Authenticate": 'Bearer realm="splits"'})
    if match is None:
        raise refused
    clerk_user_id, nonce, signed = match.groups()
    try:
        check_confirmation(secret, _PURPOSE, f"{clerk_user_id}:{nonce}", signed, int(now.timestamp()))
    except ConfirmationRefused:
        raise refused from None
    try:
        claimed = await _hub(request).claim(nonce, TICKET_LIFETIME_S)
    except LiveUnavailable:
        raise _unavailable() from None
    if not claimed:
        raise refused
    return clerk_user_id


def _unavailable() -> ApiProblem:
    return ApiProblem(503, "live_unavailable", "live updates are unavailable for a moment: reconnect shortly",
                      headers={"Retry-After": "5"})


def _frame(event: str | None, data: str, id_: str | None = None) -> str:
    lines = [f"id: {id_}"] if id_ else []
    if event:
        lines.append(f"event: {event}")
    lines += [f"data: {line}" for line in data.split("\n")]
    return "\n".join(lines) + "\n\n"


async def _events(request: Request, connection: Connection, stack: AsyncExitStack) -> AsyncIterator[str]:
    settings = request.app.state.system.settings
    loop = asyncio.get_running_loop()
    keepalive, ends = settings.live_keepalive_s, loop.time() + settings.live_stream_max_s
    touched = loop.time()
    try:
        yield "retry: 3000\n\n: connected\n\n"
        if connection.reset:
            yield _frame("reset", "{}")
        while not connection.closed and (left := ends - loop.time()) > 0:
            messages = await connection.next(min(keepalive, left))
            for message in messages:
                yield _frame(message.event, message.data, message.id)
            if not messages and not connection.closed:
                yield ": keep-alive\n\n"
            if loop.time() - touched >= keepalive / 2:
                await connection.touch()
                touched = loop.time()
    finally:
        await stack.aclose()


@router.get("/v1/stream", response_class=StreamingResponse,
            responses={200: {"description": "The user's live updates, as server-sent events.", "content": _EVENT_STREAM},
                       400: {}, 401: {}, 403: {}, 429: {}, 503: {}})
async def stream(
    request: Request, user: MaybeUser, now: Now, secret: TokenSecret,
    ticket: Annotated[str | None, Query(max_length=300, pattern=r"^[A-Za-z0-9_.\-]+$", description="A ticket from POST /v1/stream/tickets, for"
                                        " a client that cannot send the Authorization header")] = None,
    last_event_id: Annotated[str | None, Query(max_length=40, pattern=_EVENT_ID["pattern"],
                                               description="Resume after this event (for a new EventSource; the"
                                               " Last-Event-ID header wins)")] = None,
    # A header is a text or absent, never null: the document says so (a nullable header reads as the text "null").
    last_event_id_header: Annotated[str, Header(alias="Last-Event-ID", max_length=40,  # type: ignore[assignment]
                                                pattern=_EVENT_ID["pattern"])] = None,
) -> StreamingResponse:
    """The signed-in user's live updates (server-sent events); see the module's description for the events."""
    if user.is_anonymous and ticket is not None:
        user = await request.app.state.gateway.access.resolve(await _ticket_holder(request, ticket, secret, now))
    if user.is_anonymous:
        raise NotAuthenticated()
    user_id: UUID = known(user)
    after = last_event_id_header or last_event_id or None
    if after is not None and parse_id(after.strip()) is None:
        raise bad_header("Last-Event-ID", "invalid_last_event_id", "the id of an event this stream sent")
    stack = AsyncExitStack()
    try:
        connection = await stack.enter_async_context(_hub(request).connect(user_id, after and after.strip()))
    except TooManyConnections:
        await stack.aclose()
        raise ApiProblem(429, "too_many_streams", "this user has the most live streams open that one may: close"
                         " one first", headers={"Retry-After": "5"}) from None
    except LiveUnavailable:
        await stack.aclose()
        raise _unavailable() from None
    return StreamingResponse(_events(request, connection, stack), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
                             background=BackgroundTask(stack.aclose))
