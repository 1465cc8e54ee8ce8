"""One Redis client for the API's caches and rate limits, and a breaker that keeps a Redis outage cheap.

Redis here only ever makes things faster or fairer, never correct: every caller has a way to go on
without it. The breaker makes that way cheap: after a failure Redis is left alone for a few seconds,
so an outage costs one short timeout every few seconds instead of one on every request.

One Redis may serve several deployments (staging beside production, tenants of one server): a value true of
one database only (a catalogue answer) is kept under `deployment_prefix`, which names that database.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from psycopg.conninfo import conninfo_to_dict
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)
T = TypeVar("T")


def deployment_prefix(database_url: str | None) -> str:
    """`splits:<12 hex digits>`, the start of the Redis keys of the deployment whose database `database_url` names.

    The digits name the database by host, port and name (a URL or a conninfo string naming the same database
    give the same prefix; the user, the password and the options do not count), so two deployments sharing a
    Redis never read each other's entries, and all processes given one DATABASE_URL share theirs. A hash,
    not the name itself: a key prefix is also a SCAN pattern, where `*`, `?` and `[` in a name would match.
    Without a database URL, plain `splits`.
    """
    if not database_url:
        return "splits"
    params = conninfo_to_dict(database_url)
    host = str(params.get("host") or params.get("hostaddr") or "").lower()
    port = str(params.get("port") or "5432")
    name = str(params.get("dbname") or params.get("user") or "")
    digest = hashlib.sha256("\x1f".join((host, port, name)).encode()).hexdigest()[:12]
    return f"splits:{digest}"


def redis_client(url: str) -> Redis:
    # Short timeouts: a cache that answers slowly is worse than none.
    return Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.5, health_check_interval=30)


class Breaker:
    """Skips Redis for `open_s` seconds after a failure; `call` returns `fallback()` meanwhile."""

    def __init__(self, open_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.open_s = open_s
        self._clock = clock
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        return self._clock() < self._open_until

    async def call(self, action: Callable[[], Awaitable[T]], fallback: Callable[[], T], what: str) -> T:
        if self.is_open:
            return fallback()
        try:
            return await action()
        except (RedisError, OSError) as exc:
            if not self.is_open:
                log.warning("redis unavailable; going on without it", what=what, error=repr(exc), retry_in_s=self.open_s)
            self._open_until = self._clock() + self.open_s
            return fallback()
