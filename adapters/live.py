"""Live updates: what is pushed to a signed-in user's open streams (`GET /v1/stream`), and whether they have one.

Each user has a bounded backlog of what was pushed to them (a Redis stream, `<prefix>:live:backlog:<user id>`,
at most `backlog` entries, expiring `backlog_ttl_s` after its last one): its entry ids are the server-sent
events' ids, so a reconnect with `Last-Event-ID` reads from the backlog what it missed. Publishing appends to
the backlogs and then wakes the API processes on one pub/sub channel (`<prefix>:live`, carrying user ids only):
each API process holds one subscription and wakes those of its connections whose user was named, and each
connection then reads its own backlog. Pub/sub is only a wake-up: a connection also reads its backlog at every
keep-alive, so a lost wake-up (Redis restarted, the subscription re-made) delays an update, never loses it.

Presence: each open stream is a member of the user's sorted set `<prefix>:live:present:<user id>`, scored by
when it lapses, refreshed at every keep-alive; the user is present while one member has not lapsed. The same
set bounds a user's open streams across every API process (`max_connections`).

Without Redis (`splits dev`, where the API and the consumers share one process) `LocalHub` keeps all of this
in memory, with the same behaviour.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.clock import Clock
from adapters.redis import Cache

log = structlog.get_logger(__name__)

_ID = re.compile(r"^([0-9]{1,15})-([0-9]{1,15})$")


def parse_id(value: str) -> tuple[int, int] | None:
    """An event id (`<milliseconds>-<sequence>`, a Redis stream entry id) as a pair that sorts, or None."""
    match = _ID.match(value)
    return (int(match[1]), int(match[2])) if match else None


@dataclass(frozen=True)
class Publication:
    """One thing to push to one user: its SSE event name and its JSON data."""

    user_id: UUID
    event: str
    data: dict[str, Any]


@dataclass(frozen=True)
class LiveMessage:
    id: str
    event: str
    data: str


class TooManyConnections(Exception):
    """The user has `max_connections` streams open already (across every API process)."""


class Connection(Protocol):
    reset: bool  # the backlog no longer reaches back to the id it was opened after: the client should reload
    closed: bool  # the process is stopping: end the stream (the client reconnects elsewhere)

    async def next(self, timeout_s: float) -> list[LiveMessage]:
        """What was pushed since the last call (in order), waiting up to `timeout_s` for something; [] if nothing."""
        ...

    async def touch(self) -> None:
        """Keep the user present (called at every keep-alive)."""
        ...


class LiveHub(Protocol):
    async def publish(self, publications: Sequence[Publication]) -> None: ...

    def connect(self, user_id: UUID, after: str | None) -> Any:
        """An async context manager yielding a `Connection` (TooManyConnections past the bound)."""
        ...

    async def is_present(self, user_id: UUID) -> bool: ...

    async def claim(self, name: str, ttl_s: int) -> bool:
        """True the first time `name` is claimed within `ttl_s` (a stream ticket is used once)."""
        ...

    async def end_streams(self) -> None:
        """End every stream open in this process (it is stopping: the clients reconnect to another)."""
        ...

    async def close(self) -> None:
        """Release what this hub holds (its Redis client); the in-process hub has nothing to release."""
        ...


@dataclass(frozen=True)
class Live:
    """Where live updates go (`REDIS_URL`, or this process without it) and their bounds: what `live_for` reads from
    the settings in the composition root. `hub()` gives a process its own hub (with Redis, a client of its own,
    closed by `close()`); without Redis every call gives the one in-process hub."""

    cache: Cache
    clock: Clock
    backlog: int = 200
    backlog_ttl_s: int = 3600
    presence_ttl_s: float = 45.0
    max_connections: int = 5
    local: LocalHub | None = field(default=None, compare=False)

    @property
    def prefix(self) -> str:
        return self.cache.prefix

    def hub(self) -> LiveHub:
        client = self.cache.client()
        if client is not None:
            return RedisHub(client, self)
        assert self.local is not None
        return self.local


def _ms(clock: Clock) -> int:
    return int(clock.now().timestamp() * 1000)


# --- in this process -----------------------------------------------------------------------------------------


class _LocalConnection:
    def __init__(self, hub: LocalHub, user_id: UUID, after: tuple[int, int] | None) -> None:
        self.hub, self.user_id, self.after = hub, user_id, after or (0, 0)
        self.wake = asyncio.Event()
        self.token = secrets.token_hex(8)
        self.reset = after is not None and after < hub.floor(user_id)
        self.closed = False

    async def next(self, timeout_s: float) -> list[LiveMessage]:
        self.wake.clear()
        if not self.closed:
            found = self._read()
            if found:
                return found
            try:
                await asyncio.wait_for(self.wake.wait(), timeout_s)
            except TimeoutError:
                pass
        return [] if self.closed else self._read()

    def _read(self) -> list[LiveMessage]:
        found = [(key, m) for key, m in self.hub.backlogs.get(self.user_id, ()) if key > self.after]
        if found:
            self.after = found[-1][0]
        return [m for _, m in found]

    async def touch(self) -> None:
        self.hub.present[self.user_id][self.token] = _ms(self.hub.config.clock) + self.hub.config.presence_ttl_s * 1000


class LocalHub:
    """Live updates within one process: backlogs, wake-ups and presence in memory."""

    def __init__(self, config: Live | None = None) -> None:
        self._config = config
        self.backlogs: dict[UUID, deque[tuple[tuple[int, int], LiveMessage]]] = {}
        self.dropped: dict[UUID, tuple[int, int]] = {}
        self.present: dict[UUID, dict[str, float]] = {}
        self.connections: dict[UUID, set[_LocalConnection]] = {}
        self.claimed: dict[str, float] = {}
        self._last = (0, 0)
        self._started: tuple[int, int] | None = None

    @property
    def config(self) -> Live:
        assert self._config is not None
        return self._config

    def bind(self, config: Live) -> None:
        self._config = config

    def floor(self, user_id: UUID) -> tuple[int, int]:
        """The newest id this process no longer holds for the user (what it dropped, or what it never saw)."""
        if self._started is None:
            self._started = (_ms(self.config.clock), 0)
        return max(self.dropped.get(user_id, (0, 0)), self._started)

    def _next_id(self) -> tuple[int, int]:
        now = _ms(self.config.clock)
        self._last = (now, 0) if now > self._last[0] else (self._last[0], self._last[1] + 1)
        return self._last

    async def publish(self, publications: Sequence[Publication]) -> None:
        self.floor(UUID(int=0))  # ids this process hands out are after its start
        for p in publications:
            key = self._next_id()
            backlog = self.backlogs.setdefault(p.user_id, deque())
            backlog.append((key, LiveMessage(f"{key[0]}-{key[1]}", p.event, json.dumps(p.data, default=str))))
            while len(backlog) > self.config.backlog:
                self.dropped[p.user_id] = backlog.popleft()[0]
            for connection in self.connections.get(p.user_id, ()):
                connection.wake.set()

    def _lapse(self, user_id: UUID) -> dict[str, float]:
        now = _ms(self.config.clock)
        members = {k: v for k, v in self.present.get(user_id, {}).items() if v > now}
        self.present[user_id] = members
        return members

    @asynccontextmanager
    async def connect(self, user_id: UUID, after: str | None) -> AsyncIterator[_LocalConnection]:
        if len(self._lapse(user_id)) >= self.config.max_connections:
            raise TooManyConnections()
        connection = _LocalConnection(self, user_id, parse_id(after) if after else None)
        if after is None:  # from now on: the backlog is for reconnections
            backlog = self.backlogs.get(user_id)
            connection.after = backlog[-1][0] if backlog else (0, 0)
        await connection.touch()
        self.connections.setdefault(user_id, set()).add(connection)
        try:
            yield connection
        finally:
            self.connections[user_id].discard(connection)
            self.present.get(user_id, {}).pop(connection.token, None)

    async def is_present(self, user_id: UUID) -> bool:
        return bool(self._lapse(user_id))

    async def claim(self, name: str, ttl_s: int) -> bool:
        now = _ms(self.config.clock)
        self.claimed = {k: v for k, v in self.claimed.items() if v > now}
        if name in self.claimed:
            return False
        self.claimed[name] = now + ttl_s * 1000
        return True

    async def end_streams(self) -> None:
        """End the streams open now (the hub itself stays: the process's consumers publish on)."""
        for connections in self.connections.values():
            for connection in connections:
                connection.closed = True
                connection.wake.set()

    async def close(self) -> None:
        return None


# --- through Redis -------------------------------------------------------------------------------------------

# Join the user's streams unless they have `max` open already; members lapse at their score (milliseconds).
_JOIN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
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
        lapses = _ms(config.clock) + int(config.presence_ttl_s * 1000)
        try:
            async with self.hub.redis.pipeline(transaction=False) as pipe:
                pipe.zadd(key, {self.token: lapses})
                pipe.pexpire(key, int(config.presence_ttl_s * 1000))
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

    async def publish(self, publications: Sequence[Publication]) -> None:
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
        now = _ms(config.clock)
        joined = await self._join(keys=[self.presence_key(user_id)], args=[
            now, now + int(config.presence_ttl_s * 1000), config.max_connections, connection.token,
            int(config.presence_ttl_s * 1000)])
        if not joined:
            raise TooManyConnections()
        self.connections.setdefault(user_id, set()).add(connection)
        try:
            parsed = parse_id(after) if after else None
            if parsed is None:  # from now on: the backlog is for reconnections
                latest = await self.redis.xrevrange(self.backlog_key(user_id), "+", "-", count=1)
                connection.after = latest[0][0].decode() if latest else "0-0"
            connection.reset = parsed is not None and await connection.lost_since(parsed)
            yield connection
        finally:
            self.connections[user_id].discard(connection)
            try:
                await self.redis.zrem(self.presence_key(user_id), connection.token)
            except RedisError as exc:
                log.warning("live updates: could not leave presence", error=repr(exc))

    async def is_present(self, user_id: UUID) -> bool:
        return bool(await self.redis.zcount(self.presence_key(user_id), _ms(self.config.clock), "+inf"))

    async def claim(self, name: str, ttl_s: int) -> bool:
        return bool(await self.redis.set(f"{self.config.prefix}:live:claimed:{name}", 1, nx=True, ex=ttl_s))

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


def live_config(cache: Cache, clock: Clock, **bounds: Any) -> Live:
    """The live updates of one deployment: through the cache's Redis, or in this process without one."""
    config = Live(cache=cache, clock=clock, local=None if cache.url else LocalHub(), **bounds)
    if config.local is not None:
        config.local.bind(config)
    return config
