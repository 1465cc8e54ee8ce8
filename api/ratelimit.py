"""Rate limiting in Redis: a sliding-window counter per caller, shared by every API replica.

The window is approximated from two fixed windows (the current one and the previous one, weighted by
how much of it still overlaps): one script call per request, two small keys per caller, and no burst of
2× the limit at a window boundary. When Redis is unreachable the request is served and the miss is
counted: an outage of the limiter must not become an outage of the API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import Redis

from adapters.clock import SYSTEM_CLOCK, Clock
from adapters.redis import Breaker

# KEYS: current window, previous window. ARGV: limit, window (ms), elapsed in the current window (ms).
# Returns {allowed (0/1), count after this request, ms until the current window ends}.
_SLIDING_WINDOW = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local elapsed = tonumber(ARGV[3])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local count = math.floor(previous * (window - elapsed) / window) + current
if count >= limit then
  return {0, count, window - elapsed}
end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], window * 2)
return {1, count + 1, window - elapsed}
"""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # seconds until the current window ends
    degraded: bool = False  # Redis could not be asked; the request was let through

    def headers(self) -> dict[str, str]:
        """The RateLimit-* headers (and Retry-After when refused)."""
        values = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
        }
        if not self.allowed:
            values["Retry-After"] = str(max(self.reset_s, 1))
        return values


class RateLimiter:
    """Counts requests per key in Redis; `check` answers whether one more is allowed."""

    def __init__(
        self, redis: Redis, metrics: CollectorRegistry | None = None, prefix: str = "splits:rl",
        breaker: Breaker | None = None, clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.redis = redis
        self.clock = clock
        self.prefix = prefix
        self.breaker = breaker or Breaker()
        self._script = redis.register_script(_SLIDING_WINDOW)
        self.unavailable = Counter(
            "splits_rate_limit_unavailable",
            "Requests served without a rate-limit decision because Redis could not be reached",
            registry=metrics,
        )

    async def check(self, key: str, limit: int, window_s: int = 60, now: float | None = None) -> Decision:
        """Count one request for `key` against `limit` per `window_s` seconds."""
        now = self.clock.now().timestamp() if now is None else now
        window_ms = window_s * 1000
        now_ms = int(now * 1000)
        index, elapsed = divmod(now_ms, window_ms)
        keys = [f"{self.prefix}:{key}:{index}", f"{self.prefix}:{key}:{index - 1}"]
        answer = await self.breaker.call(
            lambda: self._script(keys=keys, args=[limit, window_ms, elapsed]), lambda: None, "rate limit"
        )
        if answer is None:
            self.unavailable.inc()
            return Decision(True, limit, limit, window_s, degraded=True)
        allowed, count, left_ms = answer
        return Decision(bool(allowed), limit, max(limit - int(count), 0), math.ceil(int(left_ms) / 1000))
