"""RabbitMQ names and their idempotent declaration.

Every name derives from one prefix (`splits` in production), so test runs and environments sharing a
broker never see each other's messages.
"""

from __future__ import annotations

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from adapters.system import System


@dataclass(frozen=True)
class Topology:
    prefix: str = "splits"
    log_max_age: str = "7D"  # retention of the event log stream (RabbitMQ x-max-age)
    delivery_limit: int = 10  # redeliveries of one reactor message (crash loops) before dead-lettering

    @property
    def exchange(self) -> str:
        return f"{self.prefix}.events"

    @property
    def log(self) -> str:
        return f"{self.prefix}.events.log"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.prefix}.dlx"

    def reactor_queue(self, reactor: str) -> str:
        return f"{self.prefix}.reactor.{reactor}"

    def dead_letter_queue(self, reactor: str) -> str:
        return f"{self.reactor_queue(reactor)}.dlq"

    def retry_queue(self, reactor: str, delay_ms: int) -> str:
        return f"{self.reactor_queue(reactor)}.retry.{delay_ms}ms"

    async def declare_events(self, channel: AbstractChannel) -> AbstractExchange:
        """The topic exchange every event is published to, and the log stream bound to all of it."""
        exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        log = await channel.declare_queue(
            self.log, durable=True, arguments={"x-queue-type": "stream", "x-max-age": self.log_max_age}
        )
        await log.bind(exchange, routing_key="#")
        return exchange

    async def declare_reactor(
        self, channel: AbstractChannel, reactor: str, routing_keys: list[str], retry_delays_ms: list[int]
    ) -> AbstractQueue:
        """A reactor's quorum queue with its bindings, dead-letter queue and delayed-retry queues."""
        exchange = await self.declare_events(channel)
        dlx = await channel.declare_exchange(self.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
        name = self.reactor_queue(reactor)
        dlq = await channel.declare_queue(
            self.dead_letter_queue(reactor), durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dlq.bind(dlx, routing_key=name)
        queue = await channel.declare_queue(
            name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": self.dead_letter_exchange,
                "x-dead-letter-routing-key": name,
            },
        )
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)
        for delay in retry_delays_ms:
            # A parked message expires after `delay` and dead-letters straight back into the reactor's queue.
            await channel.declare_queue(
                self.retry_queue(reactor, delay),
                durable=True,
                arguments={
                    "x-message-ttl": delay,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": name,
                },
            )
        return queue

    async def delete_all(self, channel: AbstractChannel, reactors: dict[str, list[int]]) -> None:
        """Remove everything this topology declared (tests and teardown of an environment)."""
        for reactor, delays in reactors.items():
            for queue in [self.reactor_queue(reactor), self.dead_letter_queue(reactor)] + [
                self.retry_queue(reactor, d) for d in delays
            ]:
                await channel.queue_delete(queue)
        await channel.queue_delete(self.log)
        await channel.exchange_delete(self.exchange)
        await channel.exchange_delete(self.dead_letter_exchange)


def topology_of(system: System) -> Topology:
    """The names of a running system's exchanges and queues, from its settings."""
    return Topology(prefix=system.settings.rabbitmq_prefix, log_max_age=system.settings.events_log_max_age)
