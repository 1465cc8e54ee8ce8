"""A short Redis cache of whole JSON answers, for the public catalogue reads anonymous callers make.

Only answers that are the same for every anonymous caller are cached, under a key built from the
route and its query; entries simply expire (a few seconds of staleness is the price of the catalogue
staying up under a crawl). A read that asks for a consistency token bypasses the cache. The gateway's
prefix names the deployment's database (`adapters.redis.deployment_prefix`): another deployment sharing the
Redis has other jobs, and never reads these answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from adapters.redis import Breaker


class ResponseCache:
    def __init__(self, redis: Redis, ttl_s: float, prefix: str = "splits:catalogue", breaker: Breaker | None = None) -> None:
        self.redis = redis
        self.ttl_ms = int(ttl_s * 1000)
        self.prefix = prefix
        self.breaker = breaker or Breaker()
        self.hits = 0
        self.misses = 0

    def key(self, *parts: str) -> str:
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
        return f"{self.prefix}:{digest}"

    async def get_or_compute(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        cached = await self.breaker.call(lambda: self.redis.get(key), lambda: None, "catalogue cache read")
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        body = await compute()
        await self.breaker.call(lambda: self.redis.set(key, body, px=self.ttl_ms), lambda: None, "catalogue cache write")
        return body
