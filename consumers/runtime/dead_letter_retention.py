"""Retention of dead letters: the copies of events the reactors gave up on, dropped once older than a cutoff.

A dead letter's age is the time RabbitMQ dead-lettered it (the latest `time` of its `x-death` records); one
without them (published there by hand) has no known age and is kept. Reading a dead-letter queue takes
every message without acknowledging it, as `splits dlq list` does; the old ones are acknowledged (dropped)
and the others given back, in their order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aio_pika

from consumers.runtime.dlq import _drain, dead_lettered_at
from consumers.runtime.topology import Topology


@dataclass(frozen=True)
class DeadLetterQueues:
    """The reactors' dead-letter queues on one broker."""

    url: str
    topology: Topology
    reactors: Sequence[str]

    async def count_before(self, cutoff: datetime) -> int:
        """How many dead letters were dead-lettered before `cutoff` (all are given back)."""
        return await self._sweep(cutoff, drop=False)

    async def drop_before(self, cutoff: datetime) -> int:
        """Drop every dead letter dead-lettered before `cutoff`; returns how many were dropped."""
        return await self._sweep(cutoff, drop=True)

    async def _sweep(self, cutoff: datetime, drop: bool) -> int:
        found = 0
        async with await aio_pika.connect(self.url) as connection:
            for reactor in self.reactors:
                channel = await connection.channel()
                try:
                    try:
                        taken = await _drain(channel, self.topology.dead_letter_queue(reactor))
                    except aio_pika.exceptions.ChannelClosed:
                        continue  # the reactor's queues were never declared: no dead letters
                    for message in taken:
                        at = dead_lettered_at(message)
                        old = at is not None and at < cutoff
                        found += old
                        if old and drop:
                            await message.ack()
                        else:
                            await message.nack(requeue=True)
                finally:
                    if not channel.is_closed:
                        await channel.close()
        return found
