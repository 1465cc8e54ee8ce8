"""Wake-ups for the feed's readers: a hint that events were appended, sent after commit, never a promise.

The relay and the feed-driven consumers used to poll the feed every few milliseconds. Now each appending
process sends `NOTIFY splits_feed` after its append has committed, and the readers wait for it, keeping a
slow poll as the safety net. The notification is only a hint: a reader always reads the feed from its
checkpoint, so a lost, late or spurious one changes when it reads, never what.

The notify is not part of the append's transaction: PostgreSQL serialises the commits of transactions that
notify (a global lock on the notification queue), which would put every append in one line. Each process
has at most one notify in flight: appends that commit while one is on its way are covered by one more sent
after it, so a burst of appends costs two notifies, not one each; and notifies are at least `spacing_s` (2 ms)
apart, so a process appending one event after another (each notify would otherwise go out alone) sends at
most 500 a second, while a reader waits at most those 2 ms longer. The payload is the highest position
appended so far: a reader already past it knows the hint is stale, and one not past it that reads
nothing knows the events are there but not yet in the feed (an older transaction is still open).
"""

from __future__ import annotations

import asyncio
import contextvars

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from eventstore.db import Pool
from eventstore.types import START, Position

log = structlog.get_logger(__name__)

CHANNEL = "splits_feed"


class AppendSignal:
    """Sends the after-commit hint for one process's appends: coalesced, one in flight at a time."""

    def __init__(self, pool: AsyncConnectionPool, *, spacing_s: float = 0.002) -> None:
        self._pool = pool
        self.spacing_s = spacing_s
        self._last_sent = float("-inf")
        self._pending = False
        self._highest = START
        self._sender: asyncio.Task[None] | None = None

    def appended(self, position: Position) -> None:
        """Note a committed append; a notify follows soon, shared with any other append meanwhile."""
        self._pending = True
        self._highest = max(self._highest, position)
        if self._sender is None or self._sender.done():
            # A context of its own: the appending task's (its pool holdings, its span) is not the sender's.
            self._sender = asyncio.get_running_loop().create_task(self._send(), context=contextvars.Context())

    async def _send(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending and not self._pool.closed:
            early = self._last_sent + self.spacing_s - loop.time()
            if early > 0:
                await asyncio.sleep(early)
            self._pending = False
            self._last_sent = loop.time()
            try:
                if isinstance(self._pool, Pool):  # never waits for, nor takes, a connection the appenders use
                    conn = await self._pool.side_connection()
                    await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(self._highest)))
                else:
                    async with self._pool.connection() as conn:
                        await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(self._highest)))
            except Exception as exc:  # a hint: the readers' safety poll covers a lost one
                if not self._pool.closed:
                    log.warning("could not send the feed wake-up; readers will poll", error=repr(exc))
                return

    async def flushed(self) -> None:
        """Wait until the hint for every append so far has been sent (for a clean shutdown)."""
        while self._sender is not None and not self._sender.done():
            await asyncio.shield(self._sender)


async def listen(conn: psycopg.AsyncConnection) -> None:
    """Subscribe `conn` to the feed's wake-ups."""
    await conn.execute(f"LISTEN {CHANNEL}")


async def woken(conn: psycopg.AsyncConnection, timeout: float) -> Position | None:
    """Wait up to `timeout` s for wake-ups on a connection that `listen`s: the highest position they name,
    or None when none came (START for one that names none).

    Notifications that arrived while the connection ran other statements are kept by psycopg and count.
    """
    highest: Position | None = None
    async for notify in conn.notifies(timeout=timeout, stop_after=1):
        try:
            named = Position.parse(notify.payload)
        except ValueError:
            named = START
        highest = named if highest is None else max(highest, named)
    return highest
