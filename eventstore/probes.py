"""What the API asks of the database itself, outside any read model: which migrations are applied (readiness) and
the first transaction id not yet handed out (telling a consistency token this service issued from a made-up one)."""

from __future__ import annotations

import psycopg


async def applied_migrations(conn: psycopg.AsyncConnection) -> set[str]:
    """The names of the migrations applied; raises `psycopg.errors.UndefinedTable` before the first migration."""
    cur = await conn.execute("SELECT name FROM eventstore.migrations")
    return {row[0] for row in await cur.fetchall()}


async def next_transaction_id(conn: psycopg.AsyncConnection) -> int:
    """The first transaction id not yet handed out: every token's tx (an xid8 that wrote events) is below it."""
    cur = await conn.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])
