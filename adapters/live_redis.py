"""Live updates through Redis (adapters/live.py says what they are): each user's backlog a Redis stream, one
pub/sub subscription per process waking its connections, presence and the bound on streams a sorted set."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from uuid import UUID

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.live import Live, LiveMessage, LiveUnavailable, Publication, TooManyConnections, now_ms, parse_id

log = structlog.get_logger(__name__)

# Join the user's streams unless they have `max` open already; members lapse at their score (milliseconds).
# The user is marked seen (KEYS[2], for ARGV[6] seconds): only a user seen lately has a backlog kept for them.
_JOIN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], 1, 'EX', ARGV[6])
return 1
"""


class _RedisConnection:
    def __init__(self, hub: RedisHub, user_id: UUID, after: str | None) -> None:
        self.hub, self.user_id = hub, user_id
        self.after = after or "0-0"
        self.wake = asyncio.Event()
        self.token = secrets.token_hex(8)
        self.reset = False

    @property
    def closed(self) -> bool:
        return self.hub.closing

    async def next(self, timeout_s: float) -> list[LiveMessage]:
        self.wake.clear()
        if not self.hub.closing:
            found = await self._read()
            if found:
                return found
            try:
                await asyncio.wait_for(self.wake.wait(), timeout_s)
            except TimeoutError:
                pass
        return [] if self.hub.closing else await self._read()

    async def _read(self) -> list[LiveMessage]:
        try:
            entries = await self.hub.redis.xrange(self.hub.backlog_key(self.user_id), f"({self.after}", "+", count=100)
        except RedisError as exc:  # Redis away: nothing to read now; the next keep-alive tries again
            log.warning("live updates: could not read a backlog", error=repr(exc))
            return []
        if entries:
            self.after = entries[-1][0].decode()
        return [LiveMessage(key.decode(), fields[b"e"].decode(), fields[b"d"].decode()) for key, fields in entries]

    async def touch(self) -> None:
        key, config = self.hub.presence_key(self.user_id), self.hub.config
        lapses = now_ms(config.clock) + int(config.presence_ttl_s * 1000)
        try:
            async with self.hub.redis.pipeline(transaction=False) as pipe:
                pipe.zadd(key, {self.token: lapses})
                pipe.pexpire(key, int(config.presence_ttl_s * 1000))
                # Seen, and their backlog kept as long as they are connected (even with nothing new in it).
                pipe.set(self.hub.seen_key(self.user_id), 1, ex=config.backlog_ttl_s)
                pipe.expire(self.hub.backlog_key(self.user_id), config.backlog_ttl_s)
                await pipe.execute()
        except RedisError as exc:
            log.warning("live updates: could not refresh presence", error=repr(exc))

    async def lost_since(self, after: tuple[int, int]) -> bool:
        """Whether something pushed after `after` may be gone from the backlog: the backlog (trimmed to its length,
        or expired and begun again) starts after it. At worst `after` itself was the last entry trimmed, and the
        client reloads what it did not need to."""
        try:
            first = await self.hub.redis.xrange(self.hub.backlog_key(self.user_id), "-", "+", count=1)
        except RedisError:
            return False
        return not first or (parse_id(first[0][0].decode()) or (0, 0)) > after


class RedisHub:
    """Live updates across processes through Redis: one client per process, one pub/sub subscription (started by
    the first stream opened here), and a connection's reads on the client's shared pool."""

    def __init__(self, redis: Redis, config: Live) -> None:
        self.redis, self.config = redis, config
        self.channel = f"{config.prefix}:live"
        self.connections: dict[UUID, set[_RedisConnection]] = {}
        self.closing = False
        self._listener: asyncio.Task[None] | None = None
        self._join = redis.register_script(_JOIN)

    def backlog_key(self, user_id: UUID) -> str:
        return f"{self.config.prefix}:live:backlog:{user_id}"

    def presence_key(self, user_id: UUID) -> str:
        return f"{self.config.prefix}:live:present:{user_id}"

    def seen_key(self, user_id: UUID) -> str:
        return f"{self.config.prefix}:live:seen:{user_id}"

    async def publish(self, publications: Sequence[Publication]) -> None:
        """Append to the backlogs of the users seen on a stream within the backlog's lifetime (a user who has
        not been is not waiting to resume anything: nothing is kept for them), then wake the API processes."""
        users = sorted({p.user_id for p in publications})
        if not users:
            return
        seen = {user for user, there in zip(users, await self.redis.mget([self.seen_key(u) for u in users]),
                                            strict=True) if there is not None}
        publications = [p for p in publications if p.user_id in seen]
        if not publications:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for p in publications:
                key = self.backlog_key(p.user_id)
                pipe.xadd(key, {"e": p.event, "d": json.dumps(p.data, default=str)}, maxlen=self.config.backlog,
                          approximate=False)
                pipe.expire(key, self.config.backlog_ttl_s)
            pipe.publish(self.channel, json.dumps(sorted({str(p.user_id) for p in publications})))
            await pipe.execute()

    async def _listen(self) -> None:
        """Wake this process's connections of the users each message names; re-subscribe after a failure."""
        backoff = 0.5
        while not self.closing:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                backoff = 0.5
                for connections in self.connections.values():  # what was published while not subscribed
                    for connection in connections:
                        connection.wake.set()
                while not self.closing:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    for user in json.loads(message["data"]):
                        for connection in self.connections.get(UUID(user), ()):
                            connection.wake.set()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, ValueError) as exc:
                log.warning("live updates: subscription lost; subscribing again", error=repr(exc), retry_in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                try:
                    await pubsub.aclose()
                except (RedisError, OSError):
                    pass

    @asynccontextmanager
    async def connect(self, user_id: UUID, after: str | None) -> AsyncIterator[_RedisConnection]:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen())
        connection = _RedisConnection(self, user_id, after)
        config = self.config
        now = now_ms(config.clock)
        parsed = parse_id(after) if after else None
        try:
            joined = await self._join(keys=[self.presence_key(user_id), self.seen_key(user_id)], args=[
                now, now + int(config.presence_ttl_s * 1000), config.max_connections, connection.token,
                int(config.presence_ttl_s * 1000), config.backlog_ttl_s])
            if joined and parsed is None:  # from now on: the backlog is for reconnections
                latest = await self.redis.xrevrange(self.backlog_key(user_id), "+", "-", count=1)
                connection.after = latest[0][0].decode() if latest else "0-0"
        except (RedisError, OSError) as exc:
            log.warning("live updates: Redis unavailable; refusing a stream", error=repr(exc))
            raise LiveUnavailable() from exc
        if not joined:
            raise TooManyConnections()
        self.connections.setdefault(user_id, set()).add(connection)
        try:
            connection.reset = parsed is not None and await connection.lost_since(parsed)
            yield connection
        finally:
            self.connections[user_id].discard(connection)
            try:
                await self.redis.zrem(self.presence_key(user_id), connection.token)
            except RedisError as exc:
                log.warning("live updates: could not leave presence", error=repr(exc))

    async def is_present(self, user_id: UUID) -> bool:
        """Whether the user has a stream open; without Redis, no (a chat email too many beats a message unheard)."""
        try:
            return bool(await self.redis.zcount(self.presence_key(user_id), now_ms(self.config.clock), "+inf"))
        except (RedisError, OSError) as exc:
            log.warning("live updates: Redis unavailable; taking the user as away", error=repr(exc))
            return False

    async def claim(self, name: str, ttl_s: int) -> bool:
        try:
            return bool(await self.redis.set(f"{self.config.prefix}:live:claimed:{name}", 1, nx=True, ex=ttl_s))
        except (RedisError, OSError) as exc:
            raise LiveUnavailable() from exc

    async def end_streams(self) -> None:
        self.closing = True
        for connections in self.connections.values():
            for connection in connections:
                connection.wake.set()

    async def close(self) -> None:
        await self.end_streams()
        if self._listener is not None:
            self._listener.cancel()
            try:
                await self._listener
            except (asyncio.CancelledError, Exception):
                pass
        await self.redis.aclose()
