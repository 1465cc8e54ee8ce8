"""Connection pools for the event store and the read schemas.

A task holding a pool connection while it waits for a second one from the same pool can starve the pool:
when every connection is held by a task waiting for another, none is ever returned (the consumers did
this under a backlog, each notifier handler holding one while `load()` asked for the next). The pool
remembers, per task, which connections it holds; inside `one_connection_per_task()` (every consumer's
handler runs there) asking for a second raises `NestedConnection` at once instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar

import orjson
import psycopg
import structlog
from psycopg import pq
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool

log = structlog.get_logger(__name__)

# Keep write transactions short: an open one delays every feed reader (never makes it skip).
SESSION_OPTIONS = "-c idle_in_transaction_session_timeout=60000 -c application_name=splits"


async def _configure(conn: psycopg.AsyncConnection) -> None:
    set_json_loads(orjson.loads, conn)
    set_json_dumps(orjson.dumps, conn)


# The pools whose connection this task (and the tasks it starts meanwhile) holds, and whether it may hold two.
_held: ContextVar[frozenset[int]] = ContextVar("splits_pool_held", default=frozenset())
_one_only: ContextVar[bool] = ContextVar("splits_pool_one_only", default=False)


class NestedConnection(RuntimeError):
    """A task holding a pool connection asked the same pool for another (see the module's docstring)."""


@contextmanager
def one_connection_per_task() -> Iterator[None]:
    """Within this block (and tasks started in it) a second connection from a pool already held raises
    `NestedConnection`: release the first, or pass it down, before asking again."""
    token = _one_only.set(True)
    try:
        yield
    finally:
        _one_only.reset(token)


class Pool(AsyncConnectionPool):
    """An async pool that knows which task holds which of its connections (see the module's docstring).

    Beside its connections it keeps one of its own, opened when first asked for and closed with the pool, for
    statements that must never wait for a pooled connection nor take one from the tasks that need it: the
    feed's after-commit wake-ups (eventstore/wakeups.py).
    """

    _side: psycopg.AsyncConnection | None = None

    async def side_connection(self) -> psycopg.AsyncConnection:
        """The pool's own extra connection (autocommit), reopened if it was lost."""
        if self.closed:
            raise psycopg.OperationalError(f"the pool {self.name!r} is closed")
        if self._side is None or self._side.closed:
            side = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True, options=SESSION_OPTIONS)
            if self.closed:  # closed while connecting: the pool's close could not see this one
                await side.close()
                raise psycopg.OperationalError(f"the pool {self.name!r} is closed")
            self._side = side
        return self._side

    async def close(self, timeout: float = 5.0) -> None:
        side, self._side = self._side, None
        if side is not None:
            await _close_when_idle(side, timeout)
        await super().close(timeout)

    @asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[psycopg.AsyncConnection]:
        held = _held.get()
        if id(self) in held and _one_only.get():
            raise NestedConnection(
                f"this task already holds a connection of pool {self.name!r} and asked for a second: with every"
                " connection held by a task waiting for another the pool starves; use the one it holds")
        token = _held.set(held | {id(self)})
        try:
            async with super().connection(timeout) as conn:
                try:
                    yield conn
                finally:
                    if conn.pgconn.pipeline_status != pq.PipelineStatus.OFF:
                        await _discard(conn)
                    else:
                        conn._splits_returned_at = time.monotonic()  # type: ignore[attr-defined]
        finally:
            _held.reset(token)


async def _discard(conn: psycopg.AsyncConnection) -> None:
    """Close a connection a cancelled pipeline left in libpq's pipeline mode.

    psycopg ignores a failure to leave pipeline mode while a cancellation unwinds, and the connection
    then looks idle: handed on, the next task's autocommit statements would run without a sync inside a
    transaction nobody commits. Closed, it is dropped by the pool and its transaction rolls back.
    """
    log.warning("closing a pool connection left in pipeline mode", pid=conn.pgconn.backend_pid)
    await conn.close()


# A connection that went back to the pool this recently, healthy, is handed on without a round trip to prove it.
_PROVEN_FOR_S = 1.0


async def _check(conn: psycopg.AsyncConnection) -> None:
    """The pool's check as a connection leaves it: never in pipeline mode, and alive.

    Alive is proven by a round trip only for a connection idle for `_PROVEN_FOR_S` or more (or never returned
    through `connection()`): one just used is fine but for a server that died in the last second, and a round
    trip on every checkout cost a busy API several per request.
    """
    if conn.pgconn.pipeline_status != pq.PipelineStatus.OFF:
        raise psycopg.OperationalError("connection in pipeline mode")
    if conn.closed or conn.pgconn.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError("connection closed")
    returned = getattr(conn, "_splits_returned_at", None)
    if returned is not None and time.monotonic() - returned < _PROVEN_FOR_S:
        return
    await AsyncConnectionPool.check_connection(conn)


def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10, name: str = "splits") -> Pool:
    """An unopened async pool of autocommit connections; open it with `await pool.open()` or `async with`."""
    return Pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        name=name,
        open=False,
        configure=_configure,
        # A connection is checked as it leaves the pool: after a PostgreSQL restart the dead ones are
        # replaced quietly instead of failing one request each, as is one left in pipeline mode.
        check=_check,
        kwargs={"autocommit": True, "options": SESSION_OPTIONS},
    )


async def connect(dsn: str) -> psycopg.AsyncConnection:
    """A single autocommit connection configured like the pool's."""
    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True, options=SESSION_OPTIONS)
    await _configure(conn)
    return conn


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock key for a name (e.g. a checkpoint's), the same in every process."""
    return int.from_bytes(hashlib.sha256(f"splits:{name}".encode()).digest()[:8], "big", signed=True)


async def _close_when_idle(conn: psycopg.AsyncConnection, timeout: float) -> None:
    """Close a connection another task may be running a statement on, once that statement has ended.

    Closing the socket under a statement in flight leaves the event loop watching a descriptor that no longer
    exists; the next connection the system hands the same number then fails with "connection socket closed".
    A statement still running after `timeout` is cancelled on the server, which ends it promptly.
    """
    try:
        async with asyncio.timeout(timeout):
            async with conn.lock:
                await conn.close()
                return
    except TimeoutError:
        pass
    with contextlib.suppress(psycopg.Error):
        await conn.cancel_safe(timeout=timeout)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await conn.lock.acquire()
            conn.lock.release()
    await conn.close()
