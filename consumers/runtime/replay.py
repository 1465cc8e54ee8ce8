"""Replay: rebuild a projection from the event store into a shadow schema, then swap it in atomically.

The live schema keeps serving reads, and the live projector keeps applying, while the shadow
`<name>__rebuild` is built under its own checkpoint. The swap is one short transaction holding the
live projector's batch lock: the shadow is brought to the live checkpoint (or the live checkpoint to
the shadow's), the schemas are renamed, and the live projector then simply carries on from a
checkpoint that matches the rows it now writes to. Reactors have their own checkpoints and inboxes
and are never touched, so nothing re-fires.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from consumers.runtime.projector import Projector, checkpoint_name
from consumers.runtime.shadow_build import build
from eventstore import (
    START,
    EventRegistry,
    Position,
    advisory_key,
    delete_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from projections.core import Projection

ProgressCallback = Callable[[int, int], None]


class ReplayInProgress(RuntimeError):
    """Another replay of the same projection is running; two would drop each other's shadow."""


@dataclass(frozen=True, slots=True)
class ReplayResult:
    projection: str
    events: int
    seconds: float
    position: Position | None = None  # the live checkpoint the swapped-in schema carries on from

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def shadow_schema(projection: str) -> str:
    """The schema a replay builds into before the swap."""
    return f"{projection}__rebuild"


def retired_schema(projection: str) -> str:
    """Where the replaced live schema goes at the swap, until it is dropped just after."""
    return f"{projection}__old"


async def replay(
    pool: AsyncConnectionPool,
    projection: Projection,
    registry: EventRegistry,
    *,
    batch_size: int = 5000,
    progress: ProgressCallback | None = None,
) -> ReplayResult:
    """Rebuild `projection` from the whole event store into a shadow schema and swap it in.

    `progress(done, total)` is called after each chunk of `batch_size` events; `total` is the number
    of events in the store at the start, raised to `done` when live traffic carries the replay past
    it. Raises `ReplayInProgress` when another replay of this projection is running.
    """
    started = time.perf_counter()
    name = projection.name
    shadow = shadow_schema(name)
    shadow_checkpoint = checkpoint_name(shadow)
    async with _exclusive(pool, name):
        async with pool.connection() as conn, conn.transaction():
            # A replay that died half-way leaves its shadow (and possibly the retired schema) behind.
            await conn.execute(_drop(shadow))
            await conn.execute(_drop(retired_schema(name)))
            await delete_checkpoint(conn, shadow_checkpoint)
            cur = await conn.execute("SELECT count(*) FROM eventstore.events")
            total = (await cur.fetchone())[0]  # type: ignore[index]
        projector = Projector(pool, projection, registry, schema=shadow, checkpoint=shadow_checkpoint, batch_size=batch_size)
        await projector.ensure_schema()

        done = 0

        def advanced(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(done, max(total, done))

        await build(pool, projector, batch_size, advanced)
        caught_up, position = await _swap(pool, projector, name)
        advanced(caught_up)
        # Outside the swap, so that readers still inside the old tables never hold the swap up.
        async with pool.connection() as conn:
            await conn.execute(_drop(retired_schema(name)))
    return ReplayResult(name, done, time.perf_counter() - started, position)


async def _swap(pool: AsyncConnectionPool, projector: Projector, name: str) -> tuple[int, Position]:
    """Swap the shadow in for the live schema in one transaction; returns the events caught up in it and the
    position the live checkpoint stands at after it."""
    live_checkpoint = checkpoint_name(name)
    async with pool.connection() as conn, conn.transaction():
        # The live projector takes this lock in every batch: none commits until the swap is done.
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(live_checkpoint),))
        live = await load_checkpoint(conn, live_checkpoint)
        live_position = START if live is None else live.position
        # Before any write of ours, so this transaction holds no xid that would hold the feed back.
        # The shadow applies on other connections under its own lock key: no deadlock with ours.
        caught_up = await projector.catch_up(until=live_position)
        shadow_position, _ = await projector.position()
        if shadow_position < live_position:
            raise RuntimeError(f"the shadow of {name} stopped at {shadow_position}, behind the live {live_position}")
        if await _schema_exists(conn, name):
            await conn.execute(_rename(name, retired_schema(name)))
        await conn.execute(_rename(projector.schema, name))
        if shadow_position > live_position:
            # Keeps the live stream offset; messages up to the new position are skipped as applied.
            await save_checkpoint(conn, live_checkpoint, shadow_position)
        await delete_checkpoint(conn, projector.checkpoint)
    return caught_up, shadow_position


@asynccontextmanager
async def _exclusive(pool: AsyncConnectionPool, name: str) -> AsyncIterator[None]:
    """Hold a session lock for the replay of `name` on a connection of its own."""
    key = advisory_key(f"replay:{name}")
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        if not (await cur.fetchone())[0]:  # type: ignore[index]
            raise ReplayInProgress(f"a replay of {name} is already running")
        try:
            yield
        finally:
            # The connection goes back to the pool: a session lock would outlive the replay.
            await _unlock(conn, key)


async def _unlock(conn: psycopg.AsyncConnection, key: int) -> None:
    try:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
    except psycopg.Error:
        pass  # the session is gone, and its lock with it


async def _schema_exists(conn: psycopg.AsyncConnection, schema: str) -> bool:
    cur = await conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
    return await cur.fetchone() is not None


def _drop(schema: str) -> sql.Composed:
    return sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))


def _rename(schema: str, to: str) -> sql.Composed:
    return sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(schema), sql.Identifier(to))


class _RateColumn(ProgressColumn):
    """Events per second, from rich's own moving estimate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- ev/s" if speed is None else f"{speed:,.0f} ev/s", style="progress.data.speed")


async def replay_with_progress(
    pool: AsyncConnectionPool,
    projection: Projection,
    registry: EventRegistry,
    *,
    batch_size: int = 5000,
    console: Console | None = None,
) -> ReplayResult:
    """`replay` with a progress bar on stderr: events done/total, events/s and time remaining."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console or Console(stderr=True), transient=False) as bar:
        task = bar.add_task(f"replay {projection.name}", total=None)

        def show(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return await replay(pool, projection, registry, batch_size=batch_size, progress=show)
