"""The consumers process: relay, projectors and reactors, each supervised and restarted on failure.

With RabbitMQ configured, the relay publishes the feed, projectors follow the log stream and reactors
their queues. Without it (`splits dev` on a bare machine), projectors and reactors read the ordered
feed directly, each from its own checkpoint; the guarantees are the same, only the transport differs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import structlog
from faststream.rabbit import Channel, RabbitBroker

from consumers.runtime.projector import Projector
from consumers.runtime.reactor import ReactorContext, ReactorRunner
from consumers.reactors import all_reactors
from consumers.runtime.lag_history import LAG_SAMPLE_S, QueueDepths, run_sampler
from consumers.runtime.relay import Relay
from consumers.runtime.status import RELAY_INSTANCE, forget_stopped_relays, queue_depths, report
from consumers.runtime.topology import topology_of
from consumers.runtime.waiting import FeedWakeups, sleep_or_stop
from eventstore import RecordedEvent
from eventstore.db import one_connection_per_task
from adapters.system import System
from consumers.billing.catalogue import seed_catalogue
from adapters.settings import Settings
from projections.identity.access import AccessCache, AccessInvalidation
from projections.live import LiveFeed, chain
from projections.live_registry import LIVE_PLANNERS
from projections.network.access import NetworkAccessInvalidation
from projections.registry import all_projections

log = structlog.get_logger(__name__)


def broker_for(url: str) -> RabbitBroker:
    """A FastStream broker whose publishes fail loudly when unroutable (never a silent return)."""
    return RabbitBroker(url, default_channel=Channel(on_return_raises=True), log_level=logging.DEBUG)


class PoolTooSmall(RuntimeError):
    """The process's database pool cannot give each of its consumers a connection (one line, naming the setting)."""


@dataclass(frozen=True)
class Concurrency:
    """How many things a consumers process does at once, all derived from CONSUMER_PREFETCH.

    Each reactor queue hands the process `prefetch` messages at once and each message runs as its own
    handler; a handler holds at most one connection at a time (the pool refuses it a second), and so does
    each projector, the relay, the status reports and the lag sampler. A pool of `connections` therefore
    never makes anyone wait for a connection, whatever the backlog.
    """

    prefetch: int
    reactors: int
    projectors: int
    relay: bool

    @property
    def handlers(self) -> int:
        return self.prefetch * self.reactors

    @property
    def connections(self) -> int:
        # + the status reports, the lag sampler and metrics scrapes
        return self.handlers + self.projectors + int(self.relay) + 3

    def too_small(self, pool_max: int) -> str | None:
        """A one-line refusal when a pool of `pool_max` connections cannot serve this, else None."""
        if pool_max >= self.connections:
            return None
        return (f"DB_POOL_MAX={pool_max} is too small for this consumers process: it needs {self.connections} "
                f"connections (CONSUMER_PREFETCH={self.prefetch} × {self.reactors} reactor queues, "
                f"{self.projectors} projectors{', the relay' if self.relay else ''}, status reports, the lag sampler "
                f"and metrics); "
                f"unset DB_POOL_MAX to size the pool from CONSUMER_PREFETCH, raise it, or lower CONSUMER_PREFETCH")


def concurrency_of(settings: Settings, only: set[str] | None = None, relay: bool = True) -> Concurrency:
    """What a consumers process with these settings runs at once (`only` as for `Consumers`)."""
    wanted = (lambda name: only is None or name in only)
    return Concurrency(
        # Without RabbitMQ each reactor follows the feed one event at a time.
        prefetch=settings.consumer_prefetch if settings.rabbitmq_url else 1,
        reactors=sum(1 for r in all_reactors() if wanted(r.name)),
        projectors=sum(1 for name in all_projections() if wanted(name)),
        relay=relay and bool(settings.rabbitmq_url) and wanted("relay"),
    )


def consumer_settings(settings: Settings, only: set[str] | None = None, relay: bool = True, *,
                      shared: int = 0) -> Settings:
    """`settings` with the pool sized for the consumers (plus `shared` connections for what else the process
    runs, e.g. the API under `splits dev`). DB_POOL_MAX given explicitly is kept, and checked: PoolTooSmall."""
    need = concurrency_of(settings, only, relay)
    if "db_pool_max" in settings.model_fields_set:
        problem = need.too_small(settings.db_pool_max - shared)
        if problem:
            raise PoolTooSmall(problem)
        return settings
    size = need.connections + shared
    return settings.model_copy(update={"db_pool_max": size, "db_pool_min": min(settings.db_pool_min, size)})


@dataclass
class Consumers:
    """What one process runs; `only` limits it to the named consumers (relay, projection or reactor names)."""

    system: System
    only: set[str] | None = None
    relay: bool = True
    projectors: list[Projector] = field(default_factory=list)
    reactors: list[ReactorRunner] = field(default_factory=list)
    relay_instance: Relay | None = None
    lag_sample_s: int = LAG_SAMPLE_S  # how often the lag chart's sampler samples

    def __post_init__(self) -> None:
        registry = self.system.store.registry
        assert registry is not None
        settings = self.system.settings
        # The API caches access contexts in Redis; the identity and network projectors evict what their
        # events change.
        # The process's own client, closed when it stops (adapters/redis.py `Cache` says why it is not shared).
        self._redis = self.system.adapters.cache.client()
        hooks: dict[str, Callable[[Sequence[RecordedEvent]], Awaitable[None]]] = {}
        if self._redis:
            # The API's keys: under the name of this deployment's database (adapters.redis.deployment_prefix).
            cache = AccessCache(self._redis, settings.access_cache_ttl_s,
                                prefix=f"{self.system.adapters.cache.prefix}:access")
            hooks = {"identity": AccessInvalidation(cache), "network": NetworkAccessInvalidation(cache, self.system.pool)}
        # Live updates (GET /v1/stream): what a projection just committed, pushed to the users it concerns.
        self._live = self.system.adapters.live.hub()
        live = {name: LiveFeed(self.system.adapters.live, self._live, self.system.pool, registry, types, plan)
                for name, (types, plan) in LIVE_PLANNERS.items()}
        self.projectors = [
            Projector(self.system.pool, p, registry, on_applied=chain(hooks.get(name), live.get(name)))
            for name, p in all_projections().items() if self._wanted(name)
        ]
        a = self.system.adapters
        context = ReactorContext(settings=settings, payments=a.payments, mailer=a.mailer, storage=a.storage,
                                 clock=a.clock, reviewer=a.reviewer, tokens=a.tokens, live=self._live)
        self.reactors = [
            ReactorRunner(r, self.system.pool, self.system.store, registry, context)
            for r in all_reactors() if self._wanted(r.name)
        ]

    def _wanted(self, name: str) -> bool:
        return self.only is None or name in self.only

    @property
    def relay_status_name(self) -> str:
        """This process's relay row in `splits status`: each relay process reports under its own name."""
        instance = self.system.settings.instance_id or f"{socket.gethostname()}:{os.getpid()}"
        return f"{RELAY_INSTANCE}{instance}"

    @property
    def concurrency(self) -> Concurrency:
        settings = self.system.settings
        return Concurrency(
            prefetch=settings.consumer_prefetch if settings.rabbitmq_url else 1,
            reactors=len(self.reactors),
            projectors=len(self.projectors),
            relay=self.relay and bool(settings.rabbitmq_url) and self._wanted("relay"),
        )

    async def run(self, stop: asyncio.Event) -> None:
        # `splits consumers` sizes its pool with `consumer_settings` and refuses to start with one too small;
        # a process put together otherwise (tests, a shared pool) is told, since its consumers will wait.
        problem = self.concurrency.too_small(self.system.pool.max_size)
        if problem:
            log.warning("the database pool is smaller than the consumers need; they will wait for connections",
                        problem=problem)
        url = self.system.settings.rabbitmq_url
        if self.projectors or self.reactors:  # the snapshot process needs the plans' rates; a relay writes nothing
            await seed_catalogue(self.system.store, self.system.clock)
        async with AsyncExitStack() as stack:
            if self._redis is not None:
                stack.push_async_callback(self._redis.aclose)
            stack.push_async_callback(self._live.close)
            tasks = await (self._with_broker(url, stop, stack) if url else self._from_feed(stop))
            tasks.append(self._heartbeat(stop))
            # The console's lag chart; a sample that fails is logged and skipped, never the end of the run.
            tasks.append(run_sampler(self.system.pool, self.system.clock, stop, every_s=self.lag_sample_s,
                                     depths=self._queue_depths(url) if url else None))
            # A task group, not gather: should one of them fail after all, the others are cancelled before the
            # stack closes the broker under them (a relay left running on a stopped broker publishes nothing).
            async with asyncio.TaskGroup() as group:
                for task in tasks:
                    group.create_task(task)

    def _queue_depths(self, url: str) -> QueueDepths:
        """Every reactor's queue depth, for the lag sample (whichever reactors this process runs)."""
        topology, names = topology_of(self.system), [r.name for r in all_reactors()]
        return lambda: queue_depths(url, topology, names)

    async def _with_broker(self, url: str, stop: asyncio.Event, stack: AsyncExitStack) -> list[Coroutine[Any, Any, None]]:
        topology = topology_of(self.system)
        registry = self.system.store.registry
        assert registry is not None
        amqp = await aio_pika.connect_robust(url)
        stack.push_async_callback(amqp.close)
        channel = await amqp.channel()
        await topology.declare_events(channel)
        broker = broker_for(url)
        for runner in self.reactors:
            await topology.declare_reactor(
                channel, runner.reactor.name, runner.reactor.routing_keys(registry), runner.reactor.retry_delays_ms()
            )
            runner.subscribe(broker, topology, prefetch=self.system.settings.consumer_prefetch)
        await channel.close()
        await broker.start()
        stack.push_async_callback(broker.stop)
        tasks: list[Coroutine[Any, Any, None]] = []
        if self.relay and self._wanted("relay"):
            self.relay_instance = Relay(self.system.pool, broker, topology, registry)
            relay = self.relay_instance
            tasks.append(self._supervise(self.relay_status_name, "relay", lambda: relay.run(stop), stop))
        for projector in self.projectors:
            tasks.append(self._supervise(
                projector.checkpoint, "projection", lambda p=projector: p.run_from_log(stop, amqp, topology), stop
            ))
        return tasks

    async def _from_feed(self, stop: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
        wakeups = FeedWakeups(self.system.pool.conninfo)
        tasks: list[Coroutine[Any, Any, None]] = [wakeups.run(stop)]
        for projector in self.projectors:
            tasks.append(self._supervise(
                projector.checkpoint, "projection", lambda p=projector: p.run_from_feed(stop, wakeups), stop
            ))
        for runner in self.reactors:
            name = f"reactor:{runner.reactor.name}"
            tasks.append(self._supervise(name, "reactor", lambda r=runner: r.run_from_feed(stop, wakeups), stop))
        return tasks

    async def _supervise(self, name: str, kind: str, run: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
        """Run `run` until `stop`; on an error, report it, wait (1 s doubling to 30 s) and start again."""
        backoff = 1.0
        while not stop.is_set():
            try:
                with one_connection_per_task():  # each consumer holds one connection at a time, as sized
                    await run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("consumer stopped on an error; restarting", consumer=name, error=repr(exc), retry_in_s=backoff)
                try:  # the error is often the database going away: telling `splits status` must not end the retries
                    await report(self.system.pool, name, kind, "error", repr(exc))
                except Exception as unreported:
                    log.warning("could not report consumer status", consumer=name, error=repr(unreported))
                await sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 30.0)

    async def _heartbeat(self, stop: asyncio.Event, every_s: float = 2.0) -> None:
        """Report each consumer's state, so `splits status` can tell live from stopped."""
        while not stop.is_set():
            try:
                for projector in self.projectors:
                    await report(self.system.pool, projector.checkpoint, "projection", projector.stats.mode,
                                 f"applied {projector.stats.applied}, skipped {projector.stats.skipped}, "
                                 f"bad {projector.stats.bad_events}")
                for runner in self.reactors:
                    stats = runner.stats
                    await report(self.system.pool, f"reactor:{runner.reactor.name}", "reactor", "live",
                                 f"handled {stats.handled}, dead-lettered {stats.dead_lettered}, "
                                 f"in flight {len(stats.in_flight)}", oldest_message_at=stats.oldest_in_flight)
                if self.relay_instance is not None:
                    relay = self.relay_instance
                    await report(self.system.pool, self.relay_status_name, "relay",
                                 "live" if relay.stats.is_leader else "standby", f"published {relay.stats.published}")
                    await forget_stopped_relays(self.system.pool)
            except Exception as exc:  # the database is away: the consumers themselves will say so
                log.warning("could not report consumer status", error=repr(exc))
            await sleep_or_stop(stop, every_s)
