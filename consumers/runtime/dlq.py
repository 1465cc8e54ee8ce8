"""Dead letters: see what a reactor gave up on, and send it back once the cause is fixed.

`list_dead_letters`, `requeue_dead_letters` and the counts speak to RabbitMQ only (`splits dlq`); the console reads
them with the errors the reactors noted in the database (`dead_letters_with_errors`, `requeue_and_forget`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from psycopg_pool import AsyncConnectionPool

from consumers.runtime.dead_letter_errors import DeadLetterView, forget_dead_letter_errors, with_errors
from consumers.runtime.envelope import decode
from consumers.runtime.reactor import ATTEMPT_HEADER
from consumers.runtime.topology import Topology
from eventstore import advisory_key


@dataclass(frozen=True)
class DeadLetter:
    reactor: str
    event_id: str
    type: str
    stream_id: str
    position: str
    reason: str
    deaths: int
    body: bytes
    dead_lettered_at: datetime | None = None  # the broker's latest death of it; None when it does not say

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "body"}


def dead_lettered_at(message: AbstractIncomingMessage) -> datetime | None:
    """When the broker dead-lettered the message (its latest death), None when it does not say."""
    deaths = (message.headers or {}).get("x-death") or []
    times = [d.get("time") for d in deaths if isinstance(d, dict) and isinstance(d.get("time"), datetime)]
    return max(times) if times else None


def _dead_letter(reactor: str, message: AbstractIncomingMessage) -> DeadLetter:
    event = decode(message.body)
    deaths = (message.headers or {}).get("x-death") or []
    reason = str(deaths[0].get("reason", "")) if deaths else ""
    count = sum(int(d.get("count", 1)) for d in deaths) if deaths else 0
    return DeadLetter(reactor, str(event.event_id), event.type, event.stream_id, str(event.position), reason, count,
                      message.body, dead_lettered_at(message))


async def _drain(channel: AbstractChannel, queue_name: str, limit: int | None = None
                 ) -> list[AbstractIncomingMessage]:
    """Take every message currently in the queue (the first `limit` when given) without acknowledging any."""
    queue = await channel.get_queue(queue_name, ensure=False)
    taken: list[AbstractIncomingMessage] = []
    while (limit is None or len(taken) < limit) and (message := await queue.get(no_ack=False, fail=False)) is not None:
        taken.append(message)
    return taken


async def list_dead_letters(connection: aio_pika.abc.AbstractConnection, topology: Topology, reactor: str,
                            limit: int | None = None) -> list[DeadLetter]:
    """The reactor's dead letters, oldest first (the oldest `limit` when given: the rest are not touched); they
    stay in the queue."""
    channel = await connection.channel()
    try:
        taken = await _drain(channel, topology.dead_letter_queue(reactor), limit)
        letters = [_dead_letter(reactor, m) for m in taken]
        for message in taken:
            await message.nack(requeue=True)
        return letters
    finally:
        await channel.close()


async def requeue_dead_letters(
    connection: aio_pika.abc.AbstractConnection, topology: Topology, reactor: str, event_id: str | None = None
) -> int:
    """Send dead letters (all, or the one of `event_id`) back to the reactor with a fresh retry budget."""
    return len(await requeue_dead_letter_ids(connection, topology, reactor, event_id))


class RequeueCutShort(Exception):
    """The broker failed part-way through a requeue: the letters of `moved` went back before it did, the rest
    stay dead-lettered."""

    def __init__(self, moved: list[str]) -> None:
        super().__init__(f"{len(moved)} dead letters went back before the broker failed")
        self.moved = moved


async def requeue_dead_letter_ids(
    connection: aio_pika.abc.AbstractConnection, topology: Topology, reactor: str, event_id: str | None = None
) -> list[str]:
    """`requeue_dead_letters`, answering the event ids of the letters sent back.

    Each letter is published `mandatory`: were the reactor's queue gone (a reactor renamed or removed), the broker
    would otherwise confirm a message it routed nowhere and the letter, acknowledged here, would be lost. It
    returns it instead, the publish raises, and the letter stays dead-lettered."""
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    moved: list[str] = []
    try:
        taken = await _drain(channel, topology.dead_letter_queue(reactor))
        for message in taken:
            letter = _dead_letter(reactor, message)
            if event_id is not None and letter.event_id != event_id:
                await message.nack(requeue=True)
                continue
            # A fresh retry budget: drop our attempt count and the broker's death records.
            headers = {
                k: v for k, v in (message.headers or {}).items()
                if k != ATTEMPT_HEADER and not k.startswith(("x-death", "x-first-death", "x-last-death"))
            }
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    headers=headers,
                    message_id=message.message_id,
                    content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=topology.reactor_queue(reactor),
                mandatory=True,
            )
            await message.ack()
            moved.append(letter.event_id)
        return moved
    except (OSError, aio_pika.exceptions.AMQPException) as exc:
        if moved:  # those went back: the requeue happened, for them
            raise RequeueCutShort(moved) from exc
        raise
    finally:
        await channel.close()


async def dead_letter_count(connection: aio_pika.abc.AbstractConnection, topology: Topology, reactor: str) -> int:
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(topology.dead_letter_queue(reactor), passive=True)
        return queue.declaration_result.message_count or 0
    finally:
        await channel.close()


async def dead_letter_counts(url: str, topology: Topology, reactors: list[str]) -> dict[str, int]:
    """Dead letters per reactor (0 for a reactor whose queues were never declared)."""
    counts: dict[str, int] = {}
    async with await aio_pika.connect(url) as connection:
        for reactor in reactors:
            try:
                counts[reactor] = await dead_letter_count(connection, topology, reactor)
            except aio_pika.exceptions.ChannelClosed:
                counts[reactor] = 0
    return counts


async def dead_letters_with_errors(url: str, topology: Topology, pool: AsyncConnectionPool,
                                   reactor: str, limit: int | None = None) -> list[DeadLetterView]:
    """`list_dead_letters` (none for a reactor whose queues were never declared), each with the error and attempts
    its reactor noted (consumers/runtime/dead_letter_errors.py)."""
    async with await aio_pika.connect(url) as connection:
        try:
            letters = await list_dead_letters(connection, topology, reactor, limit)
        except aio_pika.exceptions.ChannelClosed:
            letters = []
    return await with_errors(pool, reactor, letters)


async def requeue_and_forget(url: str, topology: Topology, pool: AsyncConnectionPool, reactor: str,
                             event_id: str | None = None) -> int:
    """`requeue_dead_letters`, then forget the errors noted of the letters sent back (a new failure notes afresh)."""
    async with await aio_pika.connect(url) as connection:
        try:
            moved = await requeue_dead_letter_ids(connection, topology, reactor, event_id)
        except aio_pika.exceptions.ChannelClosed:
            moved = []
        except RequeueCutShort as cut:
            await forget_dead_letter_errors(pool, reactor, cut.moved)
            raise
    await forget_dead_letter_errors(pool, reactor, moved)
    return len(moved)


REQUEUE_TURN_TRIES, REQUEUE_TURN_PAUSE_S = 300, 0.1  # a requeue under way is waited for up to 30 s


class RequeueUnderWay(Exception):
    """Another requeue of the reactor's dead letters did not end while this one waited for its turn."""


@asynccontextmanager
async def requeue_turn(pool: AsyncConnectionPool, reactor: str) -> AsyncIterator[None]:
    """One requeue of a reactor's dead letters at a time, across processes: a requeue checks whether it was done
    already, moves the letters and records them inside its turn, so the same form posted twice at once moves and
    records once (side by side, each drained part of the queue and only one was recorded). A waiting requeue holds
    no connection; the lock is the transaction's, released whatever happens."""
    key = advisory_key(f"dead-letter-requeue:{reactor}")
    for _ in range(REQUEUE_TURN_TRIES):
        async with pool.connection() as conn, conn.transaction():
            cur = await conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,))
            row = await cur.fetchone()
            if row is not None and row[0]:
                # The transaction idles while the letters move: a big queue takes longer than the pool's 60 s.
                await conn.execute("SET LOCAL idle_in_transaction_session_timeout = '10min'")
                yield
                return
        await asyncio.sleep(REQUEUE_TURN_PAUSE_S)
    raise RequeueUnderWay(f"a requeue of {reactor}'s dead letters is still under way")
