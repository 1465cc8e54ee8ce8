"""Live updates: what is pushed to a signed-in user's open streams (`GET /v1/stream`), and whether they have one.

Each user has a bounded backlog of what was pushed to them (a Redis stream, `<prefix>:live:backlog:<user id>`,
at most `backlog` entries, expiring `backlog_ttl_s` after its last one; kept only for a user seen on a stream
within that time): its entry ids are the server-sent events' ids, so a reconnect with `Last-Event-ID` reads
from the backlog what it missed. Publishing appends to
the backlogs and then wakes the API processes on one pub/sub channel (`<prefix>:live`, carrying user ids only):
each API process holds one subscription and wakes those of its connections whose user was named, and each
connection then reads its own backlog. Pub/sub is only a wake-up: a connection also reads its backlog at every
keep-alive, so a lost wake-up (Redis restarted, the subscription re-made) delays an update, never loses it.

Presence: each open stream is a member of the user's sorted set `<prefix>:live:present:<user id>`, scored by
when it lapses, refreshed at every keep-alive; the user is present while one member has not lapsed. The same
set bounds a user's open streams across every API process (`max_connections`).

Without Redis (`splits dev`, where the API and the consumers share one process) `LocalHub` keeps all of this
in memory, with the same behaviour. The Redis side is adapters/live_redis.py.
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


class LiveUnavailable(Exception):
    """Redis cannot be reached: no stream can be opened now (publishing fails too, and is logged by its hook)."""


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
            from adapters.live_redis import RedisHub  # the Redis side, beside this module

            return RedisHub(client, self)
        assert self.local is not None
        return self.local


def now_ms(clock: Clock) -> int:
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
        self.hub.present[self.user_id][self.token] = now_ms(self.hub.config.clock) + self.hub.config.presence_ttl_s * 1000


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
            self._started = (now_ms(self.config.clock), 0)
        return max(self.dropped.get(user_id, (0, 0)), self._started)

    def _next_id(self) -> tuple[int, int]:
        now = now_ms(self.config.clock)
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
        now = now_ms(self.config.clock)
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
        now = now_ms(self.config.clock)
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


def live_config(cache: Cache, clock: Clock, **bounds: Any) -> Live:
    """The live updates of one deployment: through the cache's Redis, or in this process without one."""
    config = Live(cache=cache, clock=clock, local=None if cache.url else LocalHub(), **bounds)
    if config.local is not None:
        config.local.bind(config)
    return config
