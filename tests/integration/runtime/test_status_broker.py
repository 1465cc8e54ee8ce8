"""`splits status` with RabbitMQ (issue 15, reproduction 8): two relay processes each keep their own row
(before, both wrote one row, which flipped between live and standby), and each reactor shows its queue's
depth and the age of its oldest message."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack

from faststream.rabbit import Channel, RabbitBroker

from commands.ats.events import JobCreated
from consumers.runtime.reactor import Reaction, Reactor, ReactorRunner
from consumers.runtime.relay import Relay
from consumers.runtime.status import queue_depths, read_status, report
from eventstore import START
from infra.bootstrap import System, system_for
from adapters.settings import Settings
from tests.api import running_consumers
from tests.conftest import RABBITMQ_URL
from tests.helpers import wait_until
from tests.integration.runtime.test_status import append_jobs, backdate_events


async def test_two_relay_processes_show_as_leader_and_standby_each_in_its_own_row(fresh_store, topology) -> None:
    store = fresh_store
    await append_jobs(store, 3)

    def process(instance: str) -> System:
        settings = Settings(database_url=store.pool.conninfo, rabbitmq_url=RABBITMQ_URL,
                            rabbitmq_prefix=topology.prefix, instance_id=instance, environment="test")
        return system_for(settings, store)

    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(running_consumers(process("first"), only={"relay"}))
        await wait_until(lambda: _leads(first))
        await stack.enter_async_context(running_consumers(process("second"), only={"relay"}))

        expected = {"relay": ("live", "leader first"), "relay@first": ("live", "published 3"),
                    "relay@second": ("standby", "published 0")}

        async def rows() -> dict[str, tuple[str, str | None]]:
            return {c.name: (c.state, c.detail) for c in (await read_status(store.pool)).consumers if c.kind == "relay"}

        async def both_reported() -> bool:
            return await rows() == expected

        await wait_until(both_reported)
        for _ in range(3):  # over several heartbeats (every 2 s), nothing flips
            await asyncio.sleep(2.1)
            assert await rows() == expected


async def _leads(consumers) -> bool:
    return consumers.relay_instance is not None and consumers.relay_instance.stats.published == 3


async def test_a_reactor_shows_its_queue_depth_and_the_age_of_its_oldest_message(fresh_store, amqp, topology) -> None:
    store = fresh_store
    feed = await append_jobs(store, 3)
    await backdate_events(store, feed, 120)  # recorded two minutes ago: the relay stamps that on each message
    release = asyncio.Event()

    async def slow(reaction: Reaction) -> None:
        await release.wait()

    reactor = Reactor("audit", [JobCreated], slow)
    channel = await amqp.channel()
    await topology.declare_reactor(channel, "audit", reactor.routing_keys(store.registry), reactor.retry_delays_ms())
    broker = RabbitBroker(RABBITMQ_URL, default_channel=Channel(on_return_raises=True), log_level=logging.DEBUG)
    await broker.connect()
    try:
        await Relay(store.pool, broker, topology, store.registry).publish_batch(START)
        assert await queue_depths(RABBITMQ_URL, topology, ["audit", "never-declared"]) == {
            "audit": 3, "never-declared": None}

        runner = ReactorRunner(reactor, store.pool, store, store.registry)
        runner.subscribe(broker, topology, prefetch=1)
        await broker.start()
        await wait_until(lambda: _holding(runner, 1))
        await report(store.pool, "reactor:audit", "reactor", "live", oldest_message_at=runner.stats.oldest_in_flight)
        status = (await read_status(store.pool)).with_queue_depths(
            await queue_depths(RABBITMQ_URL, topology, ["audit"]))
        audit = status.consumer("reactor:audit")
        assert audit is not None and audit.queue_depth == 2
        assert 119 <= audit.oldest_message_age_s < 200  # the head of the queue, held by the reactor
        assert status.as_dict()["consumers"][0]["queue_depth"] == 2

        release.set()
        await wait_until(lambda: _handled(runner, 3))
        await report(store.pool, "reactor:audit", "reactor", "live", oldest_message_at=runner.stats.oldest_in_flight)
        status = (await read_status(store.pool)).with_queue_depths(
            await queue_depths(RABBITMQ_URL, topology, ["audit"]))
        audit = status.consumer("reactor:audit")
        assert (audit.queue_depth, audit.oldest_message_age_s) == (0, 0.0)
    finally:
        release.set()
        await broker.stop()
        await topology.delete_all(channel, {"audit": reactor.retry_delays_ms()})  # not one of all_reactors()


async def _holding(runner: ReactorRunner, n: int) -> bool:
    return len(runner.stats.in_flight) == n


async def _handled(runner: ReactorRunner, n: int) -> bool:
    return runner.stats.handled == n and not runner.stats.in_flight


