"""Redis for the API's caches and rate limits (`Cache`: where it is, and the clients made from it), and a
breaker that keeps a Redis outage cheap.

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
from dataclasses import dataclass
from typing import TypeVar

import structlog
from psycopg.conninfo import conninfo_to_dict
from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.settings import Settings

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


@dataclass(frozen=True)
class Cache:
    """Where the caches and rate limits live (`REDIS_URL`, none without it) and the prefix of this deployment's
    keys there: what `cache_for` reads from the settings, once, in the composition root.

    A configuration rather than a client: a Redis client's connections belong to the event loop they were opened
    in, and the client is closed by whoever opened it when it stops (the API's lifespan, api/gateway.py; the
    consumers' run, consumers/runtime/app.py). Each of them takes its own from `client()`, so one System may serve
    several apps, one after another or on other loops, as the tests do.
    """

    url: str | None
    prefix: str = "splits"

    def client(self) -> Redis | None:
        """A new client (the caller closes it), or None when no Redis is configured."""
        return redis_client(self.url) if self.url else None


def cache_for(settings: Settings) -> Cache:
    return Cache(settings.redis_url or None, deployment_prefix(settings.database_url))


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
