"""The bulk of a replay: building a projection's shadow schema from the event store, as fast as it will go.

The live projector applies a batch at a time, each read, decoded and written in turn, with a span per
event: right for a few events at a time, slow for a whole store. Here the reading, the decoding and the
writing of successive chunks overlap, the statements go out merged (`multirow`), and the commits do not
wait for the disk. The rows come out as the projector would write them: the same handlers, in feed
order, one transaction per chunk with the shadow's checkpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from consumers.runtime.multirow import Statement, merged
from consumers.runtime.projector import Projector
from eventstore import (
    START,
    EventRegistry,
    Position,
    RecordedEvent,
    UnknownEventType,
    advisory_key,
    load_checkpoint,
    read_feed,
    save_checkpoint,
)
from eventstore.personal import is_sealed
from projections.core import Sql

log = structlog.get_logger(__name__)

# Events decoded between two turns of the event loop, so that the reader and the writer keep going meanwhile.
_YIELD_EVERY = 250


async def build(pool: AsyncConnectionPool, projector: Projector, size: int, advanced: Callable[[int], None]) -> None:
    """Bring the shadow near the feed's head, one chunk of `size` events at a time.

    Three tasks hand the chunks on: one reads the feed, one decodes and builds the statements, one
    writes them. The server reads the next chunk and writes the previous one while the client decodes
    this one, instead of each waiting for the others in turn. Once a read returns less than a chunk, it
    took the rest up to the head as of then and the build stops: under steady traffic, chasing a head
    that never stands still may never end. What arrives after is caught up at the swap, under the live lock.
    """
    position, _ = await projector.position()
    read: asyncio.Queue[_Read | None] = asyncio.Queue(maxsize=1)
    decoded: asyncio.Queue[_Chunk | None] = asyncio.Queue(maxsize=1)
    try:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(_read(pool, projector, position, size, read))
            tasks.create_task(_decode(projector, read, decoded))
            tasks.create_task(_write(pool, projector, position, decoded, advanced))
    except ExceptionGroup as failed:
        # The first task to fail cancels the others: its error is the replay's, as it was before the split.
        raise failed.exceptions[0] from None


@dataclass(frozen=True, slots=True)
class _Read:
    events: int
    last: Position
    handled: list[tuple[RecordedEvent, bool]]  # the events the projection handles, and whether each holds sealed fields


@dataclass(frozen=True, slots=True)
class _Chunk:
    events: int
    last: Position
    statements: list[Statement]


async def _read(
    pool: AsyncConnectionPool, projector: Projector, position: Position, size: int, read: asyncio.Queue[_Read | None]
) -> None:
    """Read the feed from `position` in chunks of `size`, then None once a chunk comes back short.

    The data keys of a chunk's sealed fields are loaded here, on the reader's connection, before the chunk
    is handed on to be decoded.
    """
    handlers, keyring = projector.projection.handlers, projector.registry.keyring
    async with pool.connection() as conn:
        while True:
            events = await read_feed(conn, position, size)
            if events:
                handled = [(e, _holds_sealed(e.data)) for e in events if e.type in handlers]
                sealed = [e for e, holds_sealed in handled if holds_sealed]
                if sealed and keyring is not None:
                    await keyring.load(sealed, conn)
                position = events[-1].position
                await read.put(_Read(len(events), position, handled))
            if len(events) < size:
                break
    await read.put(None)


async def _decode(projector: Projector, read: asyncio.Queue[_Read | None], decoded: asyncio.Queue[_Chunk | None]) -> None:
    """Turn each chunk of events into the statements that write it."""
    while (chunk := await read.get()) is not None:
        statements = merged(await _statements(projector, chunk.handled))
        await decoded.put(_Chunk(chunk.events, chunk.last, statements))
    await decoded.put(None)


async def _write(
    pool: AsyncConnectionPool, projector: Projector, position: Position, decoded: asyncio.Queue[_Chunk | None],
    advanced: Callable[[int], None],
) -> None:
    """Apply each chunk and move the shadow's checkpoint past it, in one transaction per chunk."""
    async with pool.connection() as conn:
        while (chunk := await decoded.get()) is not None:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(projector.checkpoint),))
                checkpoint = await load_checkpoint(conn, projector.checkpoint)
                if (START if checkpoint is None else checkpoint.position) != position:
                    raise RuntimeError(f"the checkpoint of {projector.schema} moved during its build")
                # The shadow is thrown away and rebuilt by the next replay if this one does not finish, and its
                # rows commit with its checkpoint: a commit lost in a crash loses nothing that is not redone
                # anyway, so the build does not wait for each commit to reach the disk. The swap's commit is
                # synchronous: it flushes the log up to itself, the shadow's commits with it.
                await conn.execute("SET LOCAL synchronous_commit = off")
                await conn.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(projector.schema)))
                await _execute(conn, chunk.statements)
                await save_checkpoint(conn, projector.checkpoint, chunk.last)
            position = chunk.last
            projector.stats.applied += chunk.events
            advanced(chunk.events)


async def _statements(projector: Projector, handled: list[tuple[RecordedEvent, bool]]) -> list[Sql]:
    """The handlers' statements for `handled`, in feed order."""
    statements: list[Sql] = []
    for i, (event, holds_sealed) in enumerate(handled):
        if i % _YIELD_EVERY == 0:
            await asyncio.sleep(0)  # let the reader and the writer go on while this chunk is decoded
        statements.extend(_sql(projector, event, holds_sealed))
    return statements


def _holds_sealed(data: dict[str, Any]) -> bool:
    # A sealed value is an object: most events hold none, and the type check runs in C. (Data decoded from
    # JSON holds plain dicts, never a subclass.)
    return dict in map(type, data.values()) and any(map(is_sealed, data.values()))


def _sql(projector: Projector, event: RecordedEvent, sealed: bool) -> list[Sql]:
    """The projector's handling of one event, without its span.

    A span per event of a rebuild would be a million spans nobody looks at, each tied to the trace of a
    request long gone; and under cProfile it cost nearly as much as decoding the event and building its SQL.
    """
    try:
        typed = projector.registry.decode(event) if sealed else _decode_plain(projector.registry, event)
        return projector.projection.sql_for(typed, event.type)
    except (UnknownEventType, ValueError, TypeError, KeyError) as exc:
        # As the projector does: a projection never stops on bad data; it is logged, counted and skipped.
        projector.stats.bad_events += 1
        log.error("projection skipped an event it could not handle", projection=projector.projection.name,
                  event_id=str(event.event_id), type=event.type, error=repr(exc))
        return []


def _decode_plain(registry: EventRegistry, event: RecordedEvent) -> Any:
    """`registry.decode` of an event with nothing sealed in it: there is nothing to open, so no copy to open it into."""
    cls = registry.class_of(event.type)
    data = event.data
    if event.schema_version != cls.schema_version:
        data = registry.upcast(event.type, event.schema_version, dict(data))
    return cls.model_validate(data)


async def _execute(conn: psycopg.AsyncConnection, statements: list[Statement]) -> None:
    """All of a chunk's statements in one pipeline: one round trip for the chunk."""
    async with conn.pipeline(), conn.cursor() as cur, psycopg.AsyncRawCursor(conn) as raw:
        for statement in statements:
            run = raw if statement.numbered else cur
            if len(statement.param_sets) == 1:
                await run.execute(statement.text, statement.param_sets[0])
            else:
                await run.executemany(statement.text, statement.param_sets)
