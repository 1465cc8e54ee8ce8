"""Read-your-writes: a query given a consistency token waits (bounded) for its projection to pass it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from api.errors import ApiProblem, bad_header
from consumers.runtime.projector import checkpoint_name
from eventstore import Position, load_checkpoint
from eventstore.probes import next_transaction_id

TOKEN_HEADER = "X-Consistency-Token"


# What `str(Position)` prints. The document says it (so a client, or a fuzzer, tells a token from any text);
# the server reads it below and answers anything else with its 400 `invalid_consistency_token`.
_TOKEN = {"pattern": r"^[0-9]+\.[0-9]+$"}
_TOKEN_SHAPE = re.compile(r"[0-9]+\.[0-9]+")


def _parse(raw: str) -> Position:
    try:
        if not _TOKEN_SHAPE.fullmatch(raw):  # ASCII digits only, nothing around them (the pattern above)
            raise ValueError(raw)
        return Position.parse(raw)
    except ValueError:
        raise bad_header(TOKEN_HEADER, "invalid_consistency_token",
                         "a consistency token from a command response ('<tx>.<pos>'), as is ?after=") from None


async def consistency_token(
    after: Annotated[str, Query(description="Consistency token from a command response ('<tx>.<pos>')",
                                json_schema_extra=_TOKEN)] = None,  # type: ignore[assignment]
    header: Annotated[str, Header(alias=TOKEN_HEADER, json_schema_extra=_TOKEN)] = None,  # type: ignore[assignment]
) -> Position | None:
    """The request's token: `?after=` or the header, the later of the two if both are given (each must be one)."""
    tokens = [_parse(raw) for raw in (after, header) if raw is not None]
    return max(tokens) if tokens else None


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
    issued = False
    while True:
        async with system.pool.connection() as conn:
            checkpoint = await load_checkpoint(conn, name)
            if not issued and (checkpoint is None or checkpoint.position < token):
                # A token past every transaction PostgreSQL has begun was never handed out: no wait can pass it.
                if token.tx >= await next_transaction_id(conn):
                    raise ApiProblem(422, "unknown_consistency_token",
                                     f"{token} is not a consistency token this service has handed out")
                issued = True
        if checkpoint is not None and checkpoint.position >= token:
            return
        if loop.time() >= deadline:
            raise ApiProblem(
                503, "read_model_behind", f"the {projection} read model has not caught up with {token} yet",
                headers={"Retry-After": "1"}, projection=projection,
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)
