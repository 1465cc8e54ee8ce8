"""Reactors on RabbitMQ: once per event, retries with delay, dead letters, requeue after a fix."""

from __future__ import annotations

import asyncio
import logging
from uuid import uuid4

import pytest
from faststream.rabbit import Channel, RabbitBroker

from commands.ats.events import JobCreated
from commands.ats.job import CreateJob, job
from consumers.runtime.dlq import dead_letter_count, list_dead_letters, requeue_dead_letters
from consumers.runtime.reactor import Reaction, Reactor, ReactorRunner
from consumers.runtime.relay import Relay
from eventstore import START, handle
from tests.conftest import RABBITMQ_URL
from tests.helpers import NOW, create_jobs, publish_settled, wait_until


class SideEffects:
    """A stand-in for a provider call: records every call it receives, fails on "poison" until fixed."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fixed = False

    async def __call__(self, reaction: Reaction) -> None:
        event: JobCreated = reaction.event
        self.calls.append((reaction.idempotency_key, event.title))
        if event.title.startswith("poison") and not self.fixed:
            raise RuntimeError("the provider refused this one")


async def test_poison_event_is_dead_lettered_and_requeued_once_fixed(fresh_store, amqp, topology) -> None:
    store = fresh_store
    effects = SideEffects()
    reactor = Reactor("audit", [JobCreated], effects, max_attempts=3, retry_base_ms=50)
    runner = ReactorRunner(reactor, store.pool, store, store.registry)
    channel = await amqp.channel()
    await topology.declare_reactor(channel, "audit", reactor.routing_keys(store.registry), reactor.retry_delays_ms())

    broker = RabbitBroker(RABBITMQ_URL, default_channel=Channel(on_return_raises=True), log_level=logging.DEBUG)
    runner.subscribe(broker, topology)
    await broker.start()
    relay = Relay(store.pool, broker, topology, store.registry)
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop))
    try:
        good = await create_jobs(store, 10)
        poison_id = uuid4()
        await handle(store, job, poison_id, CreateJob(job_id=poison_id, company_id=uuid4(), title="poison pill", fee_bps=1000, by="u", at=NOW))
        more = await create_jobs(store, 10)

        async def settled() -> bool:
            return runner.stats.handled == 20 and runner.stats.dead_lettered == 1

        await wait_until(settled)

        async def dead_lettered() -> bool:  # the broker routes the rejected message to the dead-letter queue after the reject
            return await dead_letter_count(amqp, topology, "audit") == 1

        await wait_until(dead_lettered)
        letters = await list_dead_letters(amqp, topology, "audit")
        assert [(l.type, l.reason) for l in letters] == [("JobCreated", "rejected")]
        assert await dead_letter_count(amqp, topology, "audit") == 1  # listing leaves them in place
        poison_calls = [c for c in effects.calls if c[1] == "poison pill"]
        assert len(poison_calls) == 3  # the first try and two delayed retries

        # Every other event: exactly one side effect, whatever the redeliveries.
        ok_keys = [k for k, title in effects.calls if title != "poison pill"]
        assert len(ok_keys) == len(set(ok_keys)) == 20 == len(good) + len(more)

        effects.fixed = True
        assert await requeue_dead_letters(amqp, topology, "audit") == 1
        await wait_until(lambda: _handled(runner, 21))
        assert await dead_letter_count(amqp, topology, "audit") == 0

        # Delivering everything again (e.g. the relay republishing) changes nothing.
        await relay.publish_batch(START)
        await wait_until(lambda: _duplicates(runner, 21))
        assert len(effects.calls) == 20 + 3 + 1
    finally:
        stop.set()
        await relay_task
        await broker.stop()
        await topology.delete_all(channel, {"audit": reactor.retry_delays_ms()})


async def _handled(runner: ReactorRunner, n: int) -> bool:
    return runner.stats.handled == n


async def _duplicates(runner: ReactorRunner, n: int) -> bool:
    return runner.stats.duplicates >= n


async def test_an_outcome_about_an_erased_person_is_skipped_not_retried(fresh_store) -> None:
    """A reactor whose outcome would record new data of an erased person has no one to act for: the event is
    marked done at once instead of being retried into the dead-letter queue."""
    store = fresh_store
    from commands.identity.events import UserProfileUpdated
    from commands.identity.user import RegisterUser, UpdateProfile, user

    user_id = uuid4()
    calls: list[str] = []

    async def outcome(reaction: Reaction) -> None:
        calls.append(reaction.event.title)
        await handle(store, user, user_id, UpdateProfile(user_id=user_id, name="Someone", by="u", at=NOW))

    await handle(store, user, user_id, RegisterUser(
        user_id=user_id, clerk_user_id=f"user_{user_id.hex}", email="someone@example.com", name=None, image_url=None,
        source="portal", by="u", at=NOW))
    await store.keyring.erase([f"user:{user_id}"])
    job_id = uuid4()
    await handle(store, job, job_id, CreateJob(job_id=job_id, company_id=uuid4(), title="t", fee_bps=1000, by="u", at=NOW))
    runner = ReactorRunner(Reactor("erased-outcome", [JobCreated], outcome), store.pool, store, store.registry)
    recorded = next(e for e in await store.read_stream(f"job-{job_id}") if e.type == "JobCreated")

    await runner.react(recorded)
    await runner.react(recorded)  # a redelivery finds it done

    assert calls == ["t"] and runner.stats.skipped_erased == 1 and runner.stats.handled == 1
    assert [e.type for e in await store.read_stream(f"user-{user_id}")] == ["UserRegistered"]
    assert UserProfileUpdated.type_name() not in [e.type for e in await store.read_stream(f"user-{user_id}")]


class Overlap:
    """A side effect that takes a while and notes how many of its calls ran at once, and in which order."""

    def __init__(self) -> None:
        self.running = self.most = 0
        self.titles: list[str] = []

    async def __call__(self, reaction: Reaction) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        self.titles.append(reaction.event.title)
        await asyncio.sleep(0.02)
        self.running -= 1


@pytest.mark.parametrize("in_order", [True, False])
async def test_an_in_order_reactor_handles_one_event_at_a_time_in_the_order_recorded(
    fresh_store, amqp, topology, in_order: bool
) -> None:
    store, effects = fresh_store, Overlap()
    reactor = Reactor("audit", [JobCreated], effects, in_order=in_order)
    runner = ReactorRunner(reactor, store.pool, store, store.registry)
    channel = await amqp.channel()
    await topology.declare_reactor(channel, "audit", reactor.routing_keys(store.registry), reactor.retry_delays_ms())
    broker = RabbitBroker(RABBITMQ_URL, default_channel=Channel(on_return_raises=True), log_level=logging.DEBUG)
    runner.subscribe(broker, topology, prefetch=20)
    await broker.start()
    relay = Relay(store.pool, broker, topology, store.registry)
    try:
        for n in range(12):  # one at a time: each its own transaction, in this order in the feed
            job_id = uuid4()
            await handle(store, job, job_id, CreateJob(job_id=job_id, company_id=uuid4(), title=f"job {n:02}",
                                                       fee_bps=1000, by="u", at=NOW))
        await publish_settled(store, relay)
        await wait_until(lambda: _handled(runner, 12))
    finally:
        await broker.stop()
        await topology.delete_all(channel, {"audit": reactor.retry_delays_ms()})
    if in_order:
        assert (effects.most, effects.titles) == (1, [f"job {n:02}" for n in range(12)])
    else:
        assert effects.most > 1  # the default: up to the prefetch at once


async def test_a_requeue_to_a_reactor_queue_that_is_gone_keeps_the_letter(fresh_store, amqp, topology) -> None:
    """A requeue publishes to the reactor's queue by name: with that queue deleted (a reactor renamed or removed)
    the broker would route the letter nowhere, so the letter must stay dead-lettered, not be acknowledged away."""
    import aio_pika

    from consumers.runtime.envelope import encode

    store = fresh_store
    await create_jobs(store, 1)

    async def recorded() -> bool:  # on the feed once no older transaction of the cluster is open
        return bool(await store.feed(START, 10))

    await wait_until(recorded, timeout=10)
    event = (await store.feed(START, 10))[-1]
    channel = await amqp.channel()
    await topology.declare_reactor(channel, "audit", ["#"], [1000])
    body, headers = encode(event, START)
    await channel.default_exchange.publish(aio_pika.Message(body, headers=headers, message_id=str(event.event_id)),
                                           routing_key=topology.dead_letter_queue("audit"))
    await wait_until(lambda: _count(amqp, topology), timeout=10)
    await channel.queue_delete(topology.reactor_queue("audit"))

    with pytest.raises(aio_pika.exceptions.DeliveryError):
        await requeue_dead_letters(amqp, topology, "audit")
    await wait_until(lambda: _count(amqp, topology), timeout=10)
    assert [letter.event_id for letter in await list_dead_letters(amqp, topology, "audit")] == [str(event.event_id)]


async def _count(amqp, topology) -> bool:
    return await dead_letter_count(amqp, topology, "audit") == 1
