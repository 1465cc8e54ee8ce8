"""The PostgreSQL event store: append with optimistic concurrency, stream reads and the ordered feed."""

from __future__ import annotations

import dataclasses

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from psycopg import errors
from psycopg_pool import AsyncConnectionPool

from eventstore.hashing import canonical_json, content_digest, storable
from eventstore.personal import Keyring, seal_fields
from eventstore.types import START, AppendResult, Metadata, NewEvent, Position, RecordedEvent, stream_type_of
from eventstore.wakeups import AppendSignal
from adapters.tracing import current_context, span

if TYPE_CHECKING:
    from eventstore.registry import EventRegistry


class Conflict(Exception):
    """The stream's version is not the one the append expected. Never a silent drop."""

    def __init__(self, stream_id: str, expected: int | None, actual: int) -> None:
        super().__init__(f"stream {stream_id} is at version {actual}, the append expected {expected}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class EventIdReused(Exception):
    """An event id being appended is already stored in another stream."""


class AppendRaced(Exception):
    """A concurrent append stored the same event ids first; the transaction of the losing append is aborted."""

    def __init__(self, stream_id: str, event_ids: Sequence[UUID]) -> None:
        super().__init__(f"a concurrent append to {stream_id} stored event ids {[str(i) for i in event_ids]} first")
        self.stream_id = stream_id
        self.event_ids = tuple(event_ids)


class AppendContended(Exception):
    """An append lost the race for its stream to newer transactions more times than it retries: not a version
    conflict (the caller's expected version may still hold), but a stream written without pause."""


_APPEND = (
    "SELECT status, version, tx, last_position FROM eventstore.append("
    "%s, %s, %s, %b::uuid[], %b::text[], %b::int4[], %b::text[], %b::text[], %b::bytea[])"
)

_APPEND_ONE = (
    "SELECT status, version, tx, last_position FROM eventstore.append_one(%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)

_COLUMNS = (
    "position, tx_id::text AS tx, event_id, stream_id, stream_type, version, type, schema_version,"
    " data, metadata, recorded_at, hash"
)

_FEED = (
    f"SELECT {_COLUMNS} FROM eventstore.events"
    " WHERE (tx_id, position) > (%s::text::xid8, %s)"
    " AND tx_id < pg_snapshot_xmin(pg_current_snapshot())"
    " ORDER BY tx_id, position LIMIT %s"
)

_HEAD = (
    "SELECT tx_id::text AS tx, position FROM eventstore.events"
    " WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())"
    " ORDER BY tx_id DESC, position DESC LIMIT 1"
)

# Retries of an append whose transaction lost the xid race on a stream (see the append function).
_XID_RETRIES = 20


def _append_statement(
    stream_id: str, events: Sequence[NewEvent], expected_version: int | None, metadata: Metadata | None
) -> tuple[str, tuple[Any, ...]]:
    if not events:
        raise ValueError("append needs at least one event")
    stream_type = stream_type_of(stream_id)
    meta_json = canonical_json(storable((metadata or Metadata()).as_dict()))
    if len(events) == 1:
        # The common case goes through scalar parameters: no arrays to build on either side.
        event = events[0]
        data_json = canonical_json(event.data)
        digest = content_digest(
            event.event_id, stream_id, stream_type, event.type, event.schema_version, data_json, meta_json
        )
        return _APPEND_ONE, (
            stream_id, stream_type, expected_version, event.event_id, event.type, event.schema_version,
            data_json.decode(), meta_json.decode(), digest,
        )
    data_texts: list[str] = []
    digests: list[bytes] = []
    for event in events:
        data_json = canonical_json(event.data)
        data_texts.append(data_json.decode())
        digests.append(
            content_digest(event.event_id, stream_id, stream_type, event.type, event.schema_version, data_json, meta_json)
        )
    return _APPEND, (
        stream_id,
        stream_type,
        expected_version,
        [e.event_id for e in events],
        [e.type for e in events],
        [e.schema_version for e in events],
        data_texts,
        [meta_json.decode()] * len(events),
        digests,
    )


def _recorded(row: tuple[Any, ...]) -> RecordedEvent:
    return RecordedEvent(
        position=Position(int(row[1]), row[0]),
        event_id=row[2],
        stream_id=row[3],
        stream_type=row[4],
        version=row[5],
        type=row[6],
        schema_version=row[7],
        data=row[8],
        metadata=row[9],
        recorded_at=row[10],
        hash=bytes(row[11]),
    )


async def read_feed(conn: psycopg.AsyncConnection, after: Position = START, limit: int = 1000) -> list[RecordedEvent]:
    """Events after `after` in feed order, on the caller's connection (so it can share a transaction).

    Only events whose transaction id is below the current snapshot's xmin are returned: every such
    transaction has ended, so no event can later appear before a position already handed out.
    """
    cur = await conn.execute(_FEED, (str(after.tx), after.pos, limit), binary=True)
    return [_recorded(row) for row in await cur.fetchall()]


async def read_head(conn: psycopg.AsyncConnection) -> Position:
    """The last position the feed can hand out now (START when the store is empty)."""
    cur = await conn.execute(_HEAD)
    row = await cur.fetchone()
    return START if row is None else Position(int(row[0]), row[1])


class EventStore:
    """Append-only storage of event streams, with a gap-safe global feed. Safe for concurrent use."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        registry: EventRegistry | None = None,
        keyring: Keyring | None = None,
        *,
        wake_readers: bool = True,
    ) -> None:
        self.pool = pool
        # After each committed append the feed's readers are woken (eventstore/wakeups.py); off, they poll.
        self.signal = AppendSignal(pool) if wake_readers else None
        self.registry = registry
        # Seals the personal fields the registry's event types declare; opens them on decode.
        self.keyring = keyring or Keyring(pool)
        if registry is not None and registry.keyring is None:
            registry.keyring = self.keyring

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None,
        metadata: Metadata | None = None,
    ) -> AppendResult:
        """Append `events` to `stream_id` in one transaction and return where they landed.

        `expected_version` is the version the caller last saw (0: the stream must not exist; None: any).
        A stale version raises `Conflict` carrying the current version. Appending event ids that are
        already stored in this stream returns the original result with `duplicate=True`, so a retried
        append is safe. Each event extends the stream's SHA-256 hash chain.

        Fields an event type declares personal are sealed with their subject's data key first (the
        chain covers what is stored); `SubjectErased` is raised when a subject's data has been erased.
        """
        with span(f"append {stream_type_of(stream_id)}"):
            return await self._append(stream_id, events, expected_version, _traced(metadata))

    async def _append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None, metadata: Metadata | None,
    ) -> AppendResult:
        events = await self.seal([NewEvent(e.type, storable(e.data), e.event_id, e.schema_version) for e in events])
        statement = _append_statement(stream_id, events, expected_version, metadata)
        for _ in range(_XID_RETRIES):
            try:
                async with self.pool.connection() as conn:
                    result = await self.append_in(conn, stream_id, events, expected_version, metadata, statement=statement)
                self.appended(result.position)
                return result
            except errors.SerializationFailure:
                continue
            except AppendRaced:
                return await self._original(stream_id, [e.event_id for e in events])
        raise AppendContended(
            f"stream {stream_id} was appended by newer transactions {_XID_RETRIES} times in a row; try again"
        )

    async def append_in(
        self,
        conn: psycopg.AsyncConnection,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None,
        metadata: Metadata | None = None,
        *,
        statement: tuple[str, tuple[Any, ...]] | None = None,
    ) -> AppendResult:
        """Append on the caller's connection, inside its transaction if one is open.

        The append must be that transaction's first write: the feed orders events by the xid of their
        transaction, and the stream's row lock only guarantees per-stream order for xids taken at the
        append. The events must already be sealed (`seal`) when they hold personal data: sealing needs a
        connection of its own, and this runs on the caller's.

        What the caller must catch, besides `Conflict` and `EventIdReused`:
        - `psycopg.errors.SerializationFailure`: the transaction took its xid earlier than the stream's last
          writer; roll back and retry the whole transaction;
        - `AppendRaced`: a concurrent append stored the same event ids first; the transaction is aborted, roll
          it back, and `append` (or `find_append`) gives the stored result.
        `append` does both for you.
        """
        if statement is None:
            plain = [NewEvent(e.type, storable(e.data), e.event_id, e.schema_version) for e in events]
            statement = _append_statement(stream_id, plain, expected_version, metadata)
        query, params = statement
        try:
            cur = await conn.execute(query, params)
        except errors.UniqueViolation as exc:
            if exc.diag.constraint_name != "events_event_id_key":
                raise
            raise AppendRaced(stream_id, [e.event_id for e in events]) from exc
        status, version, tx, position = await cur.fetchone()  # type: ignore[misc]
        event_ids = tuple(e.event_id for e in events)
        if status == "conflict":
            raise Conflict(stream_id, expected_version, version)
        if version is None:
            raise EventIdReused(f"event ids {list(event_ids)} are already stored in another stream")
        return AppendResult(stream_id, version, Position(int(tx), position), duplicate=status == "duplicate", event_ids=event_ids)

    def appended(self, position: Position) -> None:
        """Wake the feed's readers: call with the result's position after committing a transaction that
        used `append_in`."""
        if self.signal is not None:
            self.signal.appended(position)

    async def seal(self, events: Sequence[NewEvent]) -> list[NewEvent]:
        """`events` with their declared personal fields sealed (unchanged when they declare none)."""
        if self.registry is None:
            return list(events)
        subjects: list[tuple[NewEvent, Any, str | None, str | None]] = []
        for event in events:
            personal = self.registry.personal_of(event.type)
            subject = None if personal is None else personal.subject_of(event.data)
            if personal is not None and subject is None and any(event.data.get(f) is not None for f in personal.fields):
                raise ValueError(f"{event.type} holds personal data but names no subject")
            also = None if subject is None else personal.also_of(event.data)
            subjects.append((event, personal, subject, also))
        wanted = {s for _, _, subject, also in subjects for s in (subject, also) if s is not None}
        if not wanted:
            return list(events)
        keys = await self.keyring.keys_for_append(wanted)
        return [
            event if subject is None else NewEvent(
                event.type,
                seal_fields(event.data, personal.fields, subject, keys[subject], event.event_id,
                            None if also is None else (also, keys[also])),
                event.event_id, event.schema_version,
            )
            for event, personal, subject, also in subjects
        ]

    async def _original(self, stream_id: str, event_ids: list[UUID]) -> AppendResult:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT max(version), max(tx_id)::text, max(position) FROM eventstore.events"
                " WHERE event_id = ANY(%s) AND stream_id = %s",
                (event_ids, stream_id),
            )
            version, tx, position = await cur.fetchone()  # type: ignore[misc]
        if version is None:
            raise EventIdReused(f"event ids {event_ids} are already stored in another stream")
        return AppendResult(stream_id, version, Position(int(tx), position), duplicate=True, event_ids=tuple(event_ids))

    async def find_append(self, event_id: UUID) -> AppendResult | None:
        """Where the append that stored `event_id` landed (its stream's version and position then), if stored."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT stream_id FROM eventstore.events WHERE event_id = %s", (event_id,)
            )
            row = await cur.fetchone()
            if row is None:
                return None
            cur = await conn.execute(
                "SELECT e.version, e.tx_id::text, e.position, e.event_id FROM eventstore.events e"
                " JOIN eventstore.events first ON first.event_id = %s"
                " WHERE e.stream_id = first.stream_id AND e.tx_id = first.tx_id ORDER BY e.version",
                (event_id,),
            )
            rows = await cur.fetchall()
        version, tx, position, _ = rows[-1]
        return AppendResult(
            row[0], version, Position(int(tx), position), duplicate=True, event_ids=tuple(r[3] for r in rows)
        )

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        """The stream's events from `from_version` on, in version order (empty if the stream is unknown)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM eventstore.events WHERE stream_id = %s AND version >= %s ORDER BY version",
                (stream_id, from_version),
                binary=True,
            )
            events = [_recorded(row) for row in await cur.fetchall()]
            await self.keyring.load(events, conn)
            return events

    async def stream_version(self, stream_id: str) -> int:
        """The stream's current version; 0 when it does not exist."""
        tip = await self.stream_tip(stream_id)
        return 0 if tip is None else tip[0]

    async def stream_tip(self, stream_id: str) -> tuple[int, bytes] | None:
        """(version, last hash) of the stream, or None when it does not exist."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT version, last_hash FROM eventstore.streams WHERE stream_id = %s", (stream_id,)
            )
            row = await cur.fetchone()
        return None if row is None else (row[0], bytes(row[1]))

    async def feed(self, after: Position = START, limit: int = 1000) -> list[RecordedEvent]:
        """Up to `limit` events after `after`, in feed order; see `read_feed`."""
        async with self.pool.connection() as conn:
            events = await read_feed(conn, after, limit)
            await self.keyring.load(events, conn)
            return events

    async def head(self) -> Position:
        """The last position the feed can hand out now."""
        async with self.pool.connection() as conn:
            return await read_head(conn)


def _traced(metadata: Metadata | None) -> Metadata | None:
    """`metadata` carrying the current span's `traceparent` when tracing is on and it carries none yet; else
    unchanged (adapters/tracing.py)."""
    here = current_context().get("traceparent")
    if here is None or (metadata is not None and metadata.traceparent):
        return metadata
    return dataclasses.replace(metadata or Metadata(), traceparent=here)
