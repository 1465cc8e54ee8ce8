"""Before a command opens anything: each service it needs answers, and the database holds this release's
schema. A mistake an operator makes at 3 a.m. — an unmigrated database, a service down, a malformed URL —
becomes one line naming the setting and the fix (`Unready`), instead of a traceback from deep inside a pool.

The same checks answer `/ready` (`readiness`), so the endpoint names what is not ready.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

import psycopg

from eventstore.migrate import eventstore_migrations
from adapters.settings import Settings

TIMEOUT_S = 5.0


class Unready(RuntimeError):
    """A service the command needs cannot be used; the message is the one line to print."""


@dataclass(frozen=True, slots=True)
class Needs:
    database: bool = True
    migrated: bool = True
    broker: bool = False
    cache: bool = False


def _where(url: str) -> str:
    """host:port of a URL, without its credentials."""
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}:{parts.port}" if parts.port else (parts.hostname or "?")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1].strip() if text else type(exc).__name__


async def check_database(url: str | None, *, migrated: bool = True) -> None:
    if not url:
        raise Unready("DATABASE_URL is not set: set it (postgresql://user:password@host:5432/dbname), or use"
                      " `splits dev`, which starts a local database")
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise Unready("DATABASE_URL is malformed: give postgresql://user:password@host:5432/dbname") from None
    where = f"{params.get('host', 'localhost')}:{params.get('port', 5432)}/{params.get('dbname', '')}"
    try:
        conn = await psycopg.AsyncConnection.connect(url, connect_timeout=int(TIMEOUT_S), autocommit=True)
    except psycopg.Error as exc:
        raise Unready(f"DATABASE_URL: cannot reach PostgreSQL at {where} ({_first_line(exc)})") from None
    async with conn:
        if not migrated:
            return
        cur = await conn.execute("SELECT to_regclass('eventstore.migrations') IS NOT NULL")
        row = await cur.fetchone()
        if not row or not row[0]:
            raise Unready(f"the database at {where} (DATABASE_URL) has no Splits schema yet: run `splits migrate`")
        cur = await conn.execute("SELECT name FROM eventstore.migrations")
        done = {r[0] for r in await cur.fetchall()}
    missing = [m.name for m in eventstore_migrations() if m.name not in done]
    if missing:
        raise Unready(f"the database at {where} (DATABASE_URL) is behind this release ({len(missing)} migration(s)"
                      f" to apply, first {missing[0]}): run `splits migrate`")


async def check_broker(url: str | None) -> None:
    if not url:
        return  # without a broker the consumers read the feed directly
    import aio_pika

    if urlsplit(url).scheme not in ("amqp", "amqps"):
        raise Unready("RABBITMQ_URL is malformed: give amqp://user:password@host:5672/ (or amqps://)")
    try:
        connection = await asyncio.wait_for(aio_pika.connect(url), TIMEOUT_S)
    except (OSError, asyncio.TimeoutError, aio_pika.exceptions.AMQPError) as exc:
        reason = "no answer" if isinstance(exc, asyncio.TimeoutError) else _first_line(exc)
        raise Unready(f"RABBITMQ_URL: cannot reach RabbitMQ at {_where(url)} ({reason})") from None
    except ValueError:
        raise Unready("RABBITMQ_URL is malformed: give amqp://user:password@host:5672/ (or amqps://)") from None
    await connection.close()


async def check_cache(url: str | None) -> None:
    if not url:
        return  # no limits and no cache, said at start
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    try:
        client = Redis.from_url(url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S)
    except ValueError:
        raise Unready("REDIS_URL is malformed: give redis://host:6379/0 (or rediss://)") from None
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        raise Unready(f"REDIS_URL: cannot reach Redis at {_where(url)} ({_first_line(exc)})") from None
    finally:
        await client.aclose()


async def preflight(settings: Settings, needs: Needs) -> None:
    """Every check `needs` asks for, in the order an operator would fix them; the first failure raises."""
    if needs.database:
        await check_database(settings.database_url, migrated=needs.migrated)
    if needs.broker:
        await check_broker(settings.rabbitmq_url)
    if needs.cache:
        await check_cache(settings.redis_url)
