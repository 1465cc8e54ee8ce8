"""Bounded waits that never swallow a cancellation.

On Python 3.11 a `cancel()` that lands just as a bounded wait ends can be lost: `asyncio.wait_for`
returns the result, and `asyncio.timeout` turns it into its own TimeoutError. Either way a "stopped"
consumer would run on forever, so a pending cancel is checked and honoured here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import psycopg
import psycopg_pool
import structlog

from eventstore.store import read_feed
from eventstore.types import START, Position, RecordedEvent
from eventstore.wakeups import listen, woken

log = structlog.get_logger(__name__)

T = TypeVar("T")


async def at_most(awaitable: Awaitable[T], seconds: float) -> T | None:
    """The awaitable's result, or None when `seconds` pass first (it is then cancelled)."""
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError from None  # a cancel arrived with the timeout: it wins
        return None


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep for `seconds`, or less if `stop` is set meanwhile."""
    await at_most(stop.wait(), seconds)


def honour_cancellation() -> None:
    """Raise CancelledError if this task was cancelled and some library swallowed it on the way.

    Called at the top of consumer loops, so a lost cancel stops the loop at its next turn.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class FeedWakeups:
    """One listening connection per process, shared by every reader in it.

    A reader takes `next()` before it reads the feed and, when the read found nothing, `wait`s on that
    event: a wake-up arriving between the read and the wait is not lost.
    """

    def __init__(self, conninfo: str, *, reconnect_s: float = 1.0) -> None:
        self.conninfo = conninfo
        self.reconnect_s = reconnect_s
        self._event = asyncio.Event()
        self.received = 0
        self.highest = START  # the highest position a wake-up named
        self._reads: dict[tuple[int, Position, int], asyncio.Future[list[RecordedEvent]]] = {}

    async def wait(self, wake: asyncio.Event, position: Position, stop: asyncio.Event, idle_s: float) -> None:
        """After a read that found nothing from `position`: wait for `wake` (taken before the read), `stop`,
        or `idle_s`. When a wake-up already named events past `position` the feed does not show them yet (an
        older transaction is still open): only a short pause then, before reading again."""
        if self.highest > position:
            await sleep_or_stop(stop, 0.005)
        else:
            await wake_or_stop(wake, stop, idle_s)

    def next(self) -> asyncio.Event:
        """The event the next wake-up sets."""
        return self._event

    def _fire(self) -> None:
        event, self._event = self._event, asyncio.Event()
        self._reads = {}  # a read started before this wake-up may miss what it names: none is joined after it
        event.set()

    async def read(self, pool: psycopg_pool.AsyncConnectionPool, position: Position,
                   limit: int) -> list[RecordedEvent]:
        """`read_feed(position, limit)` on a connection of `pool`, joining the same read if one started since the
        last wake-up is still running: after a wake-up every reader of the process reads from where they all
        stopped, and one query serves them. A finished read is never reused (the safety poll reads afresh)."""
        key = (id(pool), position, limit)
        shared = self._reads.get(key)
        if shared is None:
            shared = asyncio.ensure_future(_read(pool, position, limit))
            reads = self._reads
            reads[key] = shared
            shared.add_done_callback(lambda done: _forget(reads, key, done))
        return await asyncio.shield(shared)

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop`; while the database is away, wake every reader now and then instead."""
        while not stop.is_set():
            try:
                conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
                try:
                    await listen(conn)
                    self._fire()  # anything appended before the LISTEN took hold is read now
                    while not stop.is_set():
                        hint = await woken_or_stop(conn, stop, 0.25)
                        if hint is not None:
                            self.received += 1
                            self.highest = max(self.highest, hint)
                            self._fire()
                finally:
                    await conn.close()
            except (psycopg.OperationalError, OSError) as exc:
                log.warning("feed wake-ups lost their connection; readers fall back to polling", error=str(exc))
                self._fire()
                await sleep_or_stop(stop, self.reconnect_s)


def _forget(reads: dict, key: tuple, done: asyncio.Future) -> None:
    if reads.get(key) is done:
        del reads[key]
    if not done.cancelled():
        done.exception()  # retrieved: every reader that joined got it already, or stopped waiting


async def _read(pool: psycopg_pool.AsyncConnectionPool, position: Position, limit: int) -> list[RecordedEvent]:
    async with pool.connection() as conn:
        return await read_feed(conn, position, limit)


async def wake_or_stop(wake: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    """Wait until `wake` or `stop` is set, or `seconds` pass."""
    waits = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await at_most(asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED), seconds)
    finally:
        for waiting in waits:
            waiting.cancel()


async def woken_or_stop(conn: psycopg.AsyncConnection, stop: asyncio.Event, seconds: float) -> Position | None:
    """`woken(conn, seconds)`, ended early (None) when `stop` is set: a stopping process does not wait out the
    listen."""
    listening = asyncio.ensure_future(woken(conn, seconds))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([listening, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not listening.done():
            listening.cancel()
            await asyncio.wait([listening])  # unwound before the connection is closed under it
    return None if listening.cancelled() else listening.result()
