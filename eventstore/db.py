"""Connection pools for the event store and the read schemas."""

from __future__ import annotations

import hashlib

import orjson
import psycopg
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool

# Keep write transactions short: an open one delays every feed reader (never makes it skip).
SESSION_OPTIONS = "-c idle_in_transaction_session_timeout=60000 -c application_name=splits"


async def _configure(conn: psycopg.AsyncConnection) -> None:
    set_json_loads(orjson.loads, conn)
    set_json_dumps(orjson.dumps, conn)


def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10, name: str = "splits") -> AsyncConnectionPool:
    """An unopened async pool of autocommit connections; open it with `await pool.open()` or `async with`."""
    return AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        name=name,
        open=False,
        configure=_configure,
        # A connection is checked as it leaves the pool: after a PostgreSQL restart the dead ones are
        # replaced quietly instead of failing one request each.
        check=AsyncConnectionPool.check_connection,
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
