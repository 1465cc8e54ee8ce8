"""The reactor runtime: side effects of events, once per event, however often it is delivered.

A reactor consumes its own quorum queue (bound to the routing keys of the events it reacts to). For
each event it checks its inbox (reactor, event id) in PostgreSQL, runs its side effect with an
idempotency key derived from the event id (the provider deduplicates a repeated call), records the
outcome as a command through `handle`, then marks the event done in the inbox and acks.

A failure parks the message in a delay queue that dead-letters it back after 1×, 4×, 16×… the base
delay (no hot loop); after `max_attempts` it is rejected into the reactor's dead-letter queue, where
`splits dlq` shows it and can requeue it once fixed. A consumer that crashes repeatedly on one message
is stopped by the quorum queue's delivery limit, which dead-letters it the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from faststream import AckPolicy
from faststream.rabbit import Channel, RabbitBroker, RabbitMessage, RabbitQueue
from psycopg_pool import AsyncConnectionPool

from consumers.runtime.dead_letter_errors import error_text, record_dead_letter_error
from consumers.runtime.envelope import decode, routing_key
from consumers.runtime.topology import Topology
from consumers.runtime.waiting import FeedWakeups, sleep_or_stop
from eventstore import (
    START,
    EventRegistry,
    EventStore,
    Metadata,
    RecordedEvent,
    SubjectErased,
    load_checkpoint,
    read_feed,
    save_checkpoint,
)
from eventstore.db import one_connection_per_task
from adapters.clock import SYSTEM_CLOCK, Clock
from adapters.live import LiveHub
from adapters.mail import Mailer
from adapters.payments import Payments
from adapters.reviewer import LOCAL_REVIEWER, Reviewer
from adapters.settings import Settings
from adapters.storage import Storage
from adapters.tokens import TokenSigner
from adapters.tracing import span_from

log = structlog.get_logger(__name__)

ATTEMPT_HEADER = "x-splits-attempt"


class PermanentError(Exception):
    """Retrying cannot help (bad data, a refused request): dead-letter the event at once."""


@dataclass(frozen=True)
class ReactorContext:
    """What side effects need beyond the store: the settings, the payment provider, the mailer, where
    documents are stored, the clock, the AI reviewer and the token signer (the system's adapters,
    infra/bootstrap.py)."""

    settings: Settings
    payments: Payments
    mailer: Mailer | None = None
    storage: Storage | None = None
    clock: Clock = SYSTEM_CLOCK
    reviewer: Reviewer = LOCAL_REVIEWER
    tokens: TokenSigner | None = None
    live: LiveHub | None = None  # who has a live stream open (adapters/live.py): the chat emails' presence


@dataclass(frozen=True)
class Reaction:
    """What a reactor's handler receives: the typed event, where it came from, and how to act on it."""

    event: Any
    recorded: RecordedEvent
    reactor: str
    store: EventStore
    context: ReactorContext | None = None

    @property
    def clock(self) -> Clock:
        """The system's clock, from the context (the machine's own when a test runs a handler without one)."""
        return self.context.clock if self.context is not None else SYSTEM_CLOCK

    @property
    def idempotency_key(self) -> str:
        """Stable for this reactor and event: pass it to Stripe, Resend, OpenAI… with the side effect."""
        return f"{self.reactor}:{self.recorded.event_id}"

    def metadata(self) -> Metadata:
        """Metadata for the outcome command: caused by this event, same correlation, keyed for retries."""
        return Metadata(
            actor=f"reactor:{self.reactor}",
            correlation_id=self.recorded.metadata.get("correlation_id") or str(self.recorded.event_id),
            causation_id=str(self.recorded.event_id),
            idempotency_key=self.idempotency_key,
            source="reactor",
        )


@dataclass
class Reactor:
    name: str
    events: list[type]
    handler: Callable[[Reaction], Awaitable[None]]
    max_attempts: int = 5
    retry_base_ms: int = 1000
    # One event at a time, in the order they were recorded (a prefetch of one): for a reactor whose events
    # build on each other, as a sender's webhooks do (an organization before its memberships).
    in_order: bool = False

    def retry_delays_ms(self) -> list[int]:
        return [self.retry_base_ms * 4**n for n in range(self.max_attempts - 1)]

    def routing_keys(self, registry: EventRegistry) -> list[str]:
        keys = []
        for cls in self.events:
            name = cls.type_name()  # type: ignore[attr-defined]
            keys.append(routing_key(registry.context_of(name, "unknown"), name))
        return keys


@dataclass
class ReactorStats:
    handled: int = 0
    duplicates: int = 0
    retried: int = 0
    dead_lettered: int = 0
    skipped_erased: int = 0
    last_error: str | None = None
    in_flight: dict[int, datetime | None] = field(default_factory=dict)  # message → its publish time

    @property
    def oldest_in_flight(self) -> datetime | None:
        """The publish time of the oldest message this process holds unacknowledged (None: it holds none).

        A queue hands out its head first, so while the reactor has work this is the oldest message of its
        queue that is not parked for a retry; the relay stamps each message with its event's record time.
        """
        stamps = [t for t in self.in_flight.values() if t is not None]
        return min(stamps) if stamps else None


class ReactorRunner:
    """Runs one reactor's handler for events, with the inbox; shared by the broker and feed modes."""

    def __init__(self, reactor: Reactor, pool: AsyncConnectionPool, store: EventStore, registry: EventRegistry,
                 context: ReactorContext | None = None) -> None:
        self.reactor = reactor
        self.context = context
        self.pool = pool
        self.store = store
        self.registry = registry
        if registry.keyring is None:  # a registry not shared with the event store: use the store's keys
            registry.keyring = store.keyring
        self.stats = ReactorStats()
        self._types = {cls.type_name() for cls in reactor.events}  # type: ignore[attr-defined]

    async def seen(self, event_id: UUID) -> bool:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT 1 FROM eventstore.inbox WHERE reactor = %s AND event_id = %s", (self.reactor.name, event_id)
            )
            return await cur.fetchone() is not None

    async def react(self, recorded: RecordedEvent) -> None:
        """Run the side effect for `recorded` unless the inbox says it is done. Errors propagate.

        The handler may hold one pool connection at a time, never two (`NestedConnection` otherwise): a
        process runs `prefetch × reactors` handlers at once on a pool sized for one connection each.
        """
        with one_connection_per_task():
            await self._react(recorded)

    async def _react(self, recorded: RecordedEvent) -> None:
        if recorded.type not in self._types:
            return
        if await self.seen(recorded.event_id):
            self.stats.duplicates += 1
            return
        if self.registry.keyring is not None:
            await self.registry.keyring.load([recorded])
        event = self.registry.decode(recorded)
        try:
            with span_from(f"react {self.reactor.name}", recorded.metadata, **{"splits.event_type": recorded.type}):
                await self.reactor.handler(Reaction(event, recorded, self.reactor.name, self.store, self.context))
        except SubjectErased as exc:
            # Its outcome would record new data of a person whose data was erased: there is no one to act for.
            log.info("reactor skipped an event about an erased person", reactor=self.reactor.name,
                     event_id=str(recorded.event_id), subjects=list(exc.subjects))
            self.stats.skipped_erased += 1
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO eventstore.inbox (reactor, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (self.reactor.name, recorded.event_id),
            )
        self.stats.handled += 1

    def subscribe(self, broker: RabbitBroker, topology: Topology, prefetch: int = 20) -> None:
        """Register the reactor's queue consumer on `broker` (before the broker starts); an `in_order` reactor takes
        one message at a time whatever `prefetch` says."""
        queue = RabbitQueue(topology.reactor_queue(self.reactor.name), declare=False)
        if self.reactor.in_order:
            prefetch = 1
        delays = self.reactor.retry_delays_ms()

        @broker.subscriber(queue, channel=Channel(prefetch_count=prefetch), ack_policy=AckPolicy.MANUAL)
        async def on_message(msg: RabbitMessage) -> None:
            published = getattr(msg.raw_message, "timestamp", None)
            self.stats.in_flight[id(msg)] = published
            try:
                await handle_message(msg, published)
            finally:
                self.stats.in_flight.pop(id(msg), None)

        async def handle_message(msg: RabbitMessage, published: datetime | None) -> None:
            recorded = decode(msg.body)
            attempt = int((msg.headers or {}).get(ATTEMPT_HEADER, 0)) + 1
            try:
                await self.react(recorded)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.last_error = repr(exc)
                if isinstance(exc, PermanentError) or attempt >= self.reactor.max_attempts:
                    log.error("reactor gave up on an event; dead-lettered", reactor=self.reactor.name,
                              event_id=str(recorded.event_id), attempt=attempt, error=repr(exc))
                    # The note first, so a letter never lacks its error; a failed note never holds the reject back.
                    await self._note_dead_letter(recorded.event_id, exc, attempt)
                    self.stats.dead_lettered += 1
                    await msg.reject(requeue=False)
                    return
                delay = delays[attempt - 1]
                log.warning("reactor failed; retrying later", reactor=self.reactor.name,
                            event_id=str(recorded.event_id), attempt=attempt, delay_ms=delay, error=repr(exc))
                await broker.publish(
                    msg.body,
                    queue=topology.retry_queue(self.reactor.name, delay),
                    persist=True,
                    message_id=msg.message_id,
                    content_type=msg.content_type,
                    headers={**(msg.headers or {}), ATTEMPT_HEADER: attempt},
                    timestamp=published,  # the event's age in `splits status` counts from its first publish
                )
                self.stats.retried += 1
            await msg.ack()

        self._subscriber = on_message

    async def run_from_feed(
        self, stop: asyncio.Event, wakeups: FeedWakeups | None = None, idle_poll_s: float = 0.25
    ) -> None:
        """Without a broker (`splits dev`): follow the feed from this reactor's checkpoint, waiting between reads
        for the appenders' wake-up (`wakeups`; polling every 50 ms without one) or `idle_poll_s` at most."""
        name = f"reactor:{self.reactor.name}"
        async with self.pool.connection() as conn:
            checkpoint = await load_checkpoint(conn, name)
        position = START if checkpoint is None else checkpoint.position
        while not stop.is_set():
            if wakeups is None:
                wake = None
                async with self.pool.connection() as conn:
                    events = await read_feed(conn, position, 100)
            else:
                wake = wakeups.next()
                events = await wakeups.read(self.pool, position, 100)
            for event in events:
                await self._react_with_retries(event, stop)
                position = event.position
                async with self.pool.connection() as conn:
                    await save_checkpoint(conn, name, position)
            if not events:
                if wakeups is None:
                    await sleep_or_stop(stop, 0.05)
                else:
                    await wakeups.wait(wake, position, stop, idle_poll_s)

    async def _note_dead_letter(self, event_id: UUID, exc: Exception, attempts: int) -> None:
        clock = self.context.clock if self.context is not None else SYSTEM_CLOCK
        await record_dead_letter_error(self.pool, self.reactor.name, event_id, error_text(exc), attempts, clock.now())

    async def _react_with_retries(self, event: RecordedEvent, stop: asyncio.Event) -> None:
        delays = self.reactor.retry_delays_ms()
        for attempt in range(1, self.reactor.max_attempts + 1):
            try:
                await self.react(event)
                return
            except Exception as exc:
                self.stats.last_error = repr(exc)
                if isinstance(exc, PermanentError) or attempt == self.reactor.max_attempts:
                    await self._note_dead_letter(event.event_id, exc, attempt)
                    break
                log.warning("reactor failed; retrying", reactor=self.reactor.name, event_id=str(event.event_id),
                            attempt=attempt, error=repr(exc))
                await asyncio.sleep(delays[attempt - 1] / 1000)
        self.stats.dead_lettered += 1
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO eventstore.inbox (reactor, event_id, outcome) VALUES (%s, %s, 'dead-lettered')"
                " ON CONFLICT DO NOTHING",
                (self.reactor.name, event.event_id),
            )
        log.error("reactor gave up on an event", reactor=self.reactor.name, event_id=str(event.event_id),
                  error=self.stats.last_error)

