"""The projector runtime: keeps one projection's schema up to date, exactly once in effect.

Each batch of events is applied to the schema and to the projection's checkpoint in one transaction,
and only then acknowledged to the broker. Events at or before the checkpoint are skipped, so
redeliveries and republished events change nothing. The log is the Kafka model: one RabbitMQ stream,
each projection reading it from its own offset. When the next message shows that something is
missing before it (a new projection, retention passed, the stream purged or recreated), the projector
catches up from the event store and then carries on with the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from consumers.runtime.envelope import decode
from consumers.runtime.relay import CHECKPOINT as RELAY_CHECKPOINT
from consumers.runtime.topology import Topology
from consumers.runtime.waiting import FeedWakeups, at_most, honour_cancellation, sleep_or_stop
from eventstore import (
    Keyring,
    START,
    EventRegistry,
    Position,
    RecordedEvent,
    UnknownEventType,
    advisory_key,
    load_checkpoint,
    read_feed,
)
from eventstore.checkpoints import checked, send_checkpoint
from adapters.tracing import span_from
from projections.core import Projection, Sql

log = structlog.get_logger(__name__)


def checkpoint_name(projection: str) -> str:
    return f"projection:{projection}"


@dataclass
class ProjectorStats:
    applied: int = 0
    skipped: int = 0
    bad_events: int = 0
    caught_up_from_store: int = 0
    reattached: int = 0
    batches: int = 0
    mode: str = "starting"
    last_error: str | None = None
    position: Position = field(default_factory=lambda: START)


class Projector:
    """Applies events to one projection's schema (`schema`, by default the projection's own name)."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        projection: Projection,
        registry: EventRegistry,
        *,
        schema: str | None = None,
        checkpoint: str | None = None,
        batch_size: int = 500,
        on_applied: Callable[[Sequence[RecordedEvent]], Awaitable[None]] | None = None,
    ) -> None:
        """`on_applied` runs after each commit with the events it applied (for cache eviction; it may fail)."""
        self.pool = pool
        if registry.keyring is None:  # a registry not shared with an event store: keys from this database
            registry.keyring = Keyring(pool)
        self.on_applied = on_applied
        self.projection = projection
        self.registry = registry
        self.schema = schema or projection.name
        self.checkpoint = checkpoint or checkpoint_name(projection.name)
        self.batch_size = batch_size
        self.stats = ProjectorStats()

    # -- schema and batches -------------------------------------------------------------------

    async def ensure_schema(self) -> None:
        """Create the schema and its tables if missing (the DDL is idempotent)."""
        async with self.pool.connection() as conn:
            await create_schema(conn, self.projection, self.schema)

    async def position(self) -> tuple[Position, int | None]:
        """The checkpoint: (feed position, broker stream offset)."""
        async with self.pool.connection() as conn:
            checkpoint = await load_checkpoint(conn, self.checkpoint)
        if checkpoint is None:
            return START, None
        return checkpoint.position, checkpoint.stream_offset

    async def apply(self, events: Sequence[RecordedEvent], stream_offset: int | None = None) -> Position:
        """Apply `events` (in feed order) and move the checkpoint past them, in one transaction.

        Events at or before the checkpoint are skipped. Returns the checkpoint after the batch.
        """
        # One pipeline: BEGIN, the lock and the checkpoint read go out together, then the rows and the new
        # checkpoint, then COMMIT: three round trips for the batch, whatever it holds.
        async with self.pool.connection() as conn, conn.pipeline() as pipeline, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(self.checkpoint),))
            checkpoint = await load_checkpoint(conn, self.checkpoint)
            current = START if checkpoint is None else checkpoint.position
            fresh = [e for e in events if e.position > current]
            self.stats.skipped += len(events) - len(fresh)
            if fresh:
                if self.registry.keyring is not None:
                    await self.registry.keyring.load(fresh, conn)
                await _set_search_path(conn, self.schema)
                await self._execute(conn, [s for e in fresh for s in self._sql(e)])
                current = fresh[-1].position
            if fresh or stream_offset is not None:
                saved = await send_checkpoint(conn, self.checkpoint, current, stream_offset)
                await pipeline.sync()
                checked(self.checkpoint, current, saved)
        self.stats.applied += len(fresh)
        self.stats.batches += 1
        self.stats.position = current
        if fresh and self.on_applied is not None:
            try:
                await self.on_applied(fresh)
            except Exception as exc:  # a hook is best effort: the rows and checkpoint are committed
                log.warning("projector hook failed", projection=self.projection.name, error=repr(exc))
        return current

    def _sql(self, event: RecordedEvent) -> list[Sql]:
        if event.type not in self.projection.handlers:
            return []
        try:
            with span_from(f"project {self.projection.name}", event.metadata, **{"splits.event_type": event.type}):
                typed = self.registry.decode(event)
                return self.projection.sql_for(typed, event.type)
        except (UnknownEventType, ValueError, TypeError, KeyError) as exc:
            # A projection never stops on bad data: it is logged, counted and skipped.
            self.stats.bad_events += 1
            log.error("projection skipped an event it could not handle", projection=self.projection.name,
                      event_id=str(event.event_id), type=event.type, error=repr(exc))
            return []

    @staticmethod
    async def _execute(conn: psycopg.AsyncConnection, statements: list[Sql]) -> None:
        """Send the statements on the connection's pipeline: consecutive ones with the same text as one
        executemany. Their errors arrive when the pipeline next syncs."""
        async with conn.cursor() as cur:
            i = 0
            while i < len(statements):
                j = i + 1
                while j < len(statements) and statements[j].text == statements[i].text:
                    j += 1
                if j - i == 1:
                    await cur.execute(statements[i].text, statements[i].params)
                else:
                    await cur.executemany(statements[i].text, [s.params for s in statements[i:j]])
                i = j

    # -- from the event store ------------------------------------------------------------------

    async def catch_up(
        self, until: Position | None = None, *, batch_size: int | None = None, stop: asyncio.Event | None = None,
        wakeups: FeedWakeups | None = None,
    ) -> int:
        """Apply events from the checkpoint straight from the event store, up to `until` (or the head).

        Returns how many events were read; returns early once `stop` is set. With `wakeups`, a read the other
        readers of the process are making from the same position is shared (`FeedWakeups.read`).
        """
        size = batch_size or self.batch_size
        position, _ = await self.position()
        read = 0
        while (until is None or position < until) and not (stop and stop.is_set()):
            if wakeups is None:
                async with self.pool.connection() as conn:
                    events = await read_feed(conn, position, size)
            else:
                events = await wakeups.read(self.pool, position, size)
            if until is not None:
                events = [e for e in events if e.position <= until]
            if not events:
                break
            position = await self.apply(events)
            read += len(events)
        self.stats.caught_up_from_store += read
        return read

    async def run_from_feed(
        self, stop: asyncio.Event, wakeups: FeedWakeups | None = None, idle_poll_s: float = 0.25
    ) -> None:
        """Follow the event store's feed directly (no broker): `splits dev` without RabbitMQ.

        Between reads it waits for the appenders' wake-up (`wakeups`), or `idle_poll_s` at most.
        """
        await self.ensure_schema()
        self.stats.mode = "live"
        self.stats.position, _ = await self.position()
        while not stop.is_set():
            honour_cancellation()
            wake = None if wakeups is None else wakeups.next()
            if not await self.catch_up(batch_size=self.batch_size, stop=stop, wakeups=wakeups):
                if wakeups is None:
                    await sleep_or_stop(stop, 0.01)
                else:
                    await wakeups.wait(wake, self.stats.position, stop, idle_poll_s)

    # -- from the broker's log -----------------------------------------------------------------

    async def run_from_log(
        self,
        stop: asyncio.Event,
        connection: AbstractRobustConnection,
        topology: Topology,
        *,
        prefetch: int = 1000,
        linger_s: float = 0.0,
        stall_s: float = 5.0,
    ) -> None:
        """Consume the log stream from the checkpoint's offset until `stop`; errors propagate (stop).

        Whatever the log holds, the store is read first: a new projection, a long stop or a log that was
        purged or recreated all come down to that. When the log stops delivering while the relay moves
        on (the stream was deleted under the consumer, the server cancelled it, or events the first
        catch-up could not see yet went out on a log the consumer is not reading), the projector catches
        up from the store again and re-attaches at its checkpoint.
        """
        await self.ensure_schema()
        reattaching = False
        while not stop.is_set():
            self.stats.mode = "catching up"
            await self.catch_up(batch_size=5000, stop=stop)
            if stop.is_set():
                return
            await self._follow_log(stop, connection, topology, prefetch=prefetch, linger_s=linger_s, stall_s=stall_s,
                                   from_next=reattaching)
            reattaching = True

    async def _follow_log(
        self, stop: asyncio.Event, connection: AbstractRobustConnection, topology: Topology, *,
        prefetch: int, linger_s: float, stall_s: float, from_next: bool,
    ) -> None:
        """Follow the log from the checkpoint's offset until `stop`, or until it stalls (then return).

        After a stall the stored offset may belong to a log that is gone: `from_next` starts at the log's
        next message instead, and a gap before it is read from the store as any other gap is.
        """
        position, offset = await self.position()
        self.stats.position = position
        start_at: Any = offset + 1 if offset is not None and not from_next else "next"
        channel = await connection.channel()
        try:
            await channel.set_qos(prefetch_count=prefetch)
            await topology.declare_events(channel)
            queue = await channel.get_queue(topology.log, ensure=False)
            inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
            tag = await queue.consume(inbox.put, arguments={"x-stream-offset": start_at})
            self.stats.mode = "live"
            log.info("projector following the log", projection=self.projection.name, offset=start_at,
                     position=str(position))
            try:
                idle_since = asyncio.get_running_loop().time()
                while not stop.is_set():
                    honour_cancellation()
                    batch = await _collect(inbox, stop, max_size=self.batch_size, linger_s=linger_s)
                    now = asyncio.get_running_loop().time()
                    if batch:
                        await self._apply_messages(batch)
                        idle_since = now
                    elif now - idle_since > stall_s:
                        behind = await self._behind_the_relay()
                        if behind is not None:
                            self.stats.reattached += 1
                            log.warning("projector's log stalled behind the relay; catching up from the store"
                                        " and re-attaching", projection=self.projection.name, relay=str(behind),
                                        checkpoint=str(self.stats.position))
                            return
                        idle_since = now
            finally:
                await queue.cancel(tag)
        finally:
            await channel.close()

    async def _behind_the_relay(self) -> Position | None:
        """The relay's position when it has published past this projector's checkpoint, else None."""
        async with self.pool.connection() as conn:
            relay = await load_checkpoint(conn, RELAY_CHECKPOINT)
        position, _ = await self.position()
        return relay.position if relay is not None and relay.position > position else None

    async def _apply_messages(self, messages: list[AbstractIncomingMessage]) -> None:
        # The checkpoint as this projector last committed it: apply() checks it again inside its
        # transaction, so no extra read per batch is needed here.
        position = self.stats.position
        run: list[RecordedEvent] = []
        for message in messages:
            headers = message.headers or {}
            at = Position.parse(str(headers["x-position"]))
            previous = Position.parse(str(headers["x-prev-position"]))
            if at <= position:
                self.stats.skipped += 1  # republished or redelivered: already applied
                continue
            if previous > position:
                # Something between our checkpoint and this message is not in our log: read it from the store.
                if run:
                    position = await self.apply(run)
                    run = []
                self.stats.mode = "catching up"
                log.info("projector found a gap in the log; catching up from the store",
                         projection=self.projection.name, checkpoint=str(position), next_previous=str(previous))
                await self.catch_up(until=previous)
                self.stats.mode = "live"
                position = previous
            run.append(decode(message.body))
            position = at
        await self.apply(run, stream_offset=_offset(messages[-1]))
        await messages[-1].ack(multiple=True)


def _offset(message: AbstractIncomingMessage) -> int:
    return int((message.headers or {})["x-stream-offset"])  # type: ignore[arg-type]


async def _collect(
    inbox: asyncio.Queue[AbstractIncomingMessage], stop: asyncio.Event, *, max_size: int, linger_s: float
) -> list[AbstractIncomingMessage]:
    """Wait for a first message, then take what else arrives within `linger_s`, up to `max_size`."""
    first = await at_most(inbox.get(), 0.2)
    if first is None:
        return []
    batch = [first]
    deadline = asyncio.get_running_loop().time() + linger_s
    while len(batch) < max_size:
        if inbox.empty():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            message = await at_most(inbox.get(), remaining)
            if message is None:
                break
            batch.append(message)
        else:
            batch.append(inbox.get_nowait())
    return batch


async def create_schema(conn: psycopg.AsyncConnection, projection: Projection, schema: str | None = None) -> None:
    """Create a projection's schema (by default its live one) and tables, in one transaction; idempotent."""
    schema = schema or projection.name
    async with conn.transaction():
        await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        await _set_search_path(conn, schema)
        for statement in projection.ddl:
            await conn.execute(statement)


async def _set_search_path(conn: psycopg.AsyncConnection, schema: str) -> None:
    await conn.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(schema)))



