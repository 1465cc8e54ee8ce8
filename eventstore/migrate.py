"""Schema migrations: numbered SQL files applied once each, in order, under an advisory lock.

Safe to run while other processes run or migrate: concurrent runs queue on the lock, and every
statement is idempotent, so a run that finds the work done does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import psycopg
import structlog

log = structlog.get_logger(__name__)

# Any constant works; it only has to be the same for every process migrating this database.
_LOCK_KEY = 0x5_9117_5000


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    sql: str


def eventstore_migrations() -> list[Migration]:
    """The event store's own migrations, shipped as package data in `eventstore/migrations/`."""
    folder = resources.files("eventstore") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [Migration(f"eventstore/{f.name}", f.read_text(encoding="utf-8")) for f in files]


async def migrate(conn: psycopg.AsyncConnection, migrations: list[Migration] | None = None) -> list[str]:
    """Apply the migrations not yet applied; returns the names applied by this call."""
    migrations = eventstore_migrations() if migrations is None else migrations
    applied_now: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        await conn.execute("CREATE SCHEMA IF NOT EXISTS eventstore")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS eventstore.migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur = await conn.execute("SELECT name FROM eventstore.migrations")
        done = {row[0] for row in await cur.fetchall()}
        for migration in migrations:
            if migration.name in done:
                continue
            await conn.execute(migration.sql)
            await conn.execute("INSERT INTO eventstore.migrations (name) VALUES (%s)", (migration.name,))
            applied_now.append(migration.name)
            log.info("migration applied", migration=migration.name)
    return applied_now
