"""Value types of the event store: feed positions, events to append, recorded events, results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import total_ordering
from typing import Any
from uuid import UUID

ANY_VERSION: None = None
"""Expected version meaning "append whatever the stream's version is"."""

NO_STREAM = 0
"""Expected version meaning "the stream must not exist yet"."""


@total_ordering
@dataclass(frozen=True, slots=True)
class Position:
    """A place in the ordered feed: the writing transaction's xid8 and the event's global position.

    The feed is ordered by (tx, pos); a consumer that has applied everything up to a position has
    applied every event that sorts before it, so comparing positions answers "has it passed?".
    As a consistency token it prints as ``<tx>.<pos>``, safe in a URL.
    """

    tx: int
    pos: int

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Position):
            return NotImplemented
        return (self.tx, self.pos) < (other.tx, other.pos)

    def __str__(self) -> str:
        return f"{self.tx}.{self.pos}"

    @classmethod
    def parse(cls, token: str) -> Position:
        """Read a token printed by ``str(position)``; raises ValueError on anything else."""
        tx, sep, pos = token.strip().partition(".")
        if not sep or not tx.isdigit() or not pos.isdigit():
            raise ValueError(f"not a consistency token: {token!r} (expected '<tx>.<pos>')")
        return cls(int(tx), int(pos))


START = Position(0, 0)
"""Before the first event: a feed read from here starts at the beginning."""


class CommandCount:
    """The commands one request (or one run of a process) has sent so far under its idempotency key, counted
    per (stream, command type): the position that tells apart two commands sharing the key (`handle`
    derives each one's event ids from it). A retried request sends the same commands in the same order,
    so it counts the same positions and meets its first run's ids. Never stored."""

    __slots__ = ("_sent",)

    def __init__(self) -> None:
        self._sent: dict[tuple[str, str], int] = {}

    def next(self, stream_id: str, command_type: str) -> int:
        """The position of this command among those of its type on this stream (0 for the first)."""
        n = self._sent.get((stream_id, command_type), 0)
        self._sent[(stream_id, command_type)] = n + 1
        return n


_STORED_METADATA = ("actor", "correlation_id", "causation_id", "idempotency_key", "source", "traceparent")


@dataclass(frozen=True, slots=True)
class Metadata:
    """Who and what caused an append. Stored with each event and covered by its hash.

    `commands` is not stored: it counts the commands sent with this metadata (copies made with
    `dataclasses.replace` share it), so that each gets event ids of its own under one idempotency key."""

    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    idempotency_key: str | None = None
    source: str | None = None
    # The W3C trace context of the span that appended (adapters/tracing.py); only while tracing is on.
    traceparent: str | None = None
    commands: CommandCount | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, str]:
        return {k: v for k in _STORED_METADATA if (v := getattr(self, k)) is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metadata:
        return cls(**{k: data.get(k) for k in _STORED_METADATA})


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended: its type, shape version and JSON-native data."""

    type: str
    data: dict[str, Any]
    event_id: UUID
    schema_version: int = 1


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored, exactly as it was written (no upcasting: the hash covers these bytes)."""

    position: Position
    event_id: UUID
    stream_id: str
    stream_type: str
    version: int
    type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    hash: bytes


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an append landed. `duplicate` is true when it was an idempotent retry of a stored append."""

    stream_id: str
    version: int
    position: Position
    duplicate: bool = False
    event_ids: tuple[UUID, ...] = field(default=())


def stream_type_of(stream_id: str) -> str:
    """The stream's type is the part of its id before the first '-' (``job-<uuid>`` → ``job``)."""
    kind, sep, rest = stream_id.partition("-")
    if not sep or not kind or not rest:
        raise ValueError(f"stream id must look like '<type>-<id>', got {stream_id!r}")
    return kind
