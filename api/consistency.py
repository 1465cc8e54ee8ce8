"""Read-your-writes: a query given a consistency token waits (bounded) for its projection to pass it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from api.errors import ApiProblem, bad_header
from consumers.projector import checkpoint_name
from eventstore import Position, load_checkpoint

TOKEN_HEADER = "X-Consistency-Token"


def consistency_token(
    after: Annotated[str | None, Query(description="Consistency token from a command response")] = None,
    header: Annotated[str | None, Header(alias=TOKEN_HEADER)] = None,
) -> Position | None:
    raw = after or header
    if raw is None:
        return None
    try:
        return Position.parse(raw)
    except ValueError:
        raise bad_header(TOKEN_HEADER, "invalid_consistency_token",
                         "a consistency token from a command response ('<tx>.<pos>'), as is ?after=") from None


def read_after(projection: str) -> Callable[..., Awaitable[Position | None]]:
    """A dependency that waits for `projection` to pass the request's token, if it has one (and returns it).

    Declare it before the route's database connection: the wait then holds no pooled connection.
    """

    async def dependency(
        request: Request, token: Annotated[Position | None, Depends(consistency_token)]
    ) -> Position | None:
        await wait_for_projection(request, projection, token)
        return token

    return dependency


async def wait_for_projection(request: Request, projection: str, token: Position | None) -> None:
    """Return once `projection` has applied everything up to `token`; 503 + Retry-After if it does not in time."""
    if token is None:
        return
    system = request.app.state.system
    loop = asyncio.get_running_loop()
    deadline = loop.time() + system.settings.consistency_wait_s
    delay = 0.005
    name = checkpoint_name(projection)
    while True:
        async with system.pool.connection() as conn:
            checkpoint = await load_checkpoint(conn, name)
        if checkpoint is not None and checkpoint.position >= token:
            return
        if loop.time() >= deadline:
            raise ApiProblem(
                503, "read_model_behind", f"the {projection} read model has not caught up with {token} yet",
                headers={"Retry-After": "1"}, projection=projection,
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)
