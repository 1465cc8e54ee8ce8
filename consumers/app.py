"""The consumers process: relay, projectors and reactors, each supervised and restarted on failure.

With RabbitMQ configured, the relay publishes the feed, projectors follow the log stream and reactors
their queues. Without it (`splits dev` on a bare machine), projectors and reactors read the ordered
feed directly, each from its own checkpoint; the guarantees are the same, only the transport differs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import aio_pika
import structlog
from faststream.rabbit import Channel, RabbitBroker

from consumers.projector import Projector
from consumers.reactor import ReactorContext, ReactorRunner
from consumers.reactors import all_reactors
from consumers.relay import Relay
from consumers.status import report
from consumers.topology import Topology
from consumers.waiting import sleep_or_stop
from infra.bootstrap import System, seed_catalogue
from infra.mail import mailer_for
from infra.payments import payments_for
from infra.redis import redis_client
from infra.storage import storage_for
from projections.identity.access import AccessCache, AccessInvalidation
from projections.network.access import NetworkAccessInvalidation
from projections.registry import all_projections

log = structlog.get_logger(__name__)


def topology_of(system: System) -> Topology:
    return Topology(prefix=system.settings.rabbitmq_prefix, log_max_age=system.settings.events_log_max_age)


def broker_for(url: str) -> RabbitBroker:
    """A FastStream broker whose publishes fail loudly when unroutable (never a silent return)."""
    return RabbitBroker(url, default_channel=Channel(on_return_raises=True), log_level=logging.DEBUG)


@dataclass
class Consumers:
    """What one process runs; `only` limits it to the named consumers (relay, projection or reactor names)."""

    system: System
    only: set[str] | None = None
    relay: bool = True
    projectors: list[Projector] = field(default_factory=list)
    reactors: list[ReactorRunner] = field(default_factory=list)
    relay_instance: Relay | None = None

    def __post_init__(self) -> None:
        registry = self.system.store.registry
        assert registry is not None
        settings = self.system.settings
        # The API caches access contexts in Redis; the identity and network projectors evict what their
        # events change.
        self._redis = redis_client(settings.redis_url) if settings.redis_url else None
        hooks: dict[str, AccessInvalidation | NetworkAccessInvalidation] = {}
        if self._redis:
            cache = AccessCache(self._redis, settings.access_cache_ttl_s)
            hooks = {"identity": AccessInvalidation(cache), "network": NetworkAccessInvalidation(cache, self.system.pool)}
        self.projectors = [
            Projector(self.system.pool, p, registry, on_applied=hooks.get(name))
            for name, p in all_projections().items() if self._wanted(name)
        ]
        context = ReactorContext(settings=settings, payments=payments_for(settings), mailer=mailer_for(settings),
                                 storage=storage_for(settings))
        self.reactors = [
            ReactorRunner(r, self.system.pool, self.system.store, registry, context)
            for r in all_reactors() if self._wanted(r.name)
        ]

    def _wanted(self, name: str) -> bool:
        return self.only is None or name in self.only

    async def run(self, stop: asyncio.Event) -> None:
        url = self.system.settings.rabbitmq_url
        if self.projectors or self.reactors:  # the snapshot process needs the plans' rates; a relay writes nothing
            await seed_catalogue(self.system.store)
        async with AsyncExitStack() as stack:
            if self._redis is not None:
                stack.push_async_callback(self._redis.aclose)
            tasks = await (self._with_broker(url, stop, stack) if url else self._from_feed(stop))
            tasks.append(self._heartbeat(stop))
            await asyncio.gather(*tasks)

    async def _with_broker(self, url: str, stop: asyncio.Event, stack: AsyncExitStack) -> list[Awaitable[None]]:
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
            runner.subscribe(broker, topology)
        await channel.close()
        await broker.start()
        stack.push_async_callback(broker.stop)
        tasks: list[Awaitable[None]] = []
        if self.relay and self._wanted("relay"):
            self.relay_instance = Relay(self.system.pool, broker, topology, registry)
            relay = self.relay_instance
            tasks.append(self._supervise("relay", "relay", lambda: relay.run(stop), stop))
        for projector in self.projectors:
            tasks.append(self._supervise(
                projector.checkpoint, "projection", lambda p=projector: p.run_from_log(stop, amqp, topology), stop
            ))
        return tasks

    async def _from_feed(self, stop: asyncio.Event) -> list[Awaitable[None]]:
        tasks: list[Awaitable[None]] = []
        for projector in self.projectors:
            tasks.append(self._supervise(projector.checkpoint, "projection", lambda p=projector: p.run_from_feed(stop), stop))
        for runner in self.reactors:
            name = f"reactor:{runner.reactor.name}"
            tasks.append(self._supervise(name, "reactor", lambda r=runner: r.run_from_feed(stop), stop))
        return tasks

    async def _supervise(self, name: str, kind: str, run: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
        """Run `run` until `stop`; on an error, report it, wait (1 s doubling to 30 s) and start again."""
        backoff = 1.0
        while not stop.is_set():
            try:
                await run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("consumer stopped on an error; restarting", consumer=name, error=repr(exc), retry_in_s=backoff)
                await report(self.system.pool, name, kind, "error", repr(exc))
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
                    await report(self.system.pool, f"reactor:{runner.reactor.name}", "reactor", "live",
                                 f"handled {runner.stats.handled}, dead-lettered {runner.stats.dead_lettered}")
                if self.relay_instance is not None:
                    relay = self.relay_instance
                    await report(self.system.pool, "relay", "relay", "live" if relay.stats.is_leader else "standby",
                                 f"published {relay.stats.published}")
            except Exception as exc:  # the database is away: the consumers themselves will say so
                log.warning("could not report consumer status", error=repr(exc))
            await sleep_or_stop(stop, every_s)
