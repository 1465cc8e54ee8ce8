"""Sealing the personal fields of events stored before sealing existed: the one time events are rewritten.

An event type that gained a `personal` declaration after some of its events were stored leaves those events
holding the person's data in plain text, out of reach of erasure. This module finds them, seals their declared
fields exactly as an append would (the subject's data key, associated data ``<event id>/<field>``), and
re-chains each touched stream from its first changed event to its tip (`hashing.chain`, the same link the
append function computes), keeping every event's id, version, recorded time and transaction id. The stream
row's `last_hash` moves to the new tip.

Decided where the issue is silent:
- a stream whose chain does not verify before the rewrite is refused, not re-chained: the rewrite would
  otherwise launder whatever changed it;
- a field of a subject already erased is sealed under a key made for the occasion and thrown away, so it reads
  as erased like every other field of that subject (its plain text must not outlive the erasure);
- fields are matched by their current names; an event stored in an older shape is sealed only where its stored
  data uses the declared names (the upcasters then see the opened values as always).

The procedure around it (the lock, the signed record, the record's event) is `infra/personal_migration.py`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from eventstore.hashing import canonical_json, chain, content_digest, verify_chain
from eventstore.personal import is_sealed, seal_fields
from eventstore.registry import EventRegistry
from eventstore.store import _COLUMNS, _recorded
from eventstore.types import RecordedEvent

_SCAN_BATCH = 5000


class ChainBroken(RuntimeError):
    """A stream to be rewritten does not verify as stored: it is left alone and the rewrite refused."""


class StillWritten(RuntimeError):
    """Plain personal data appeared after the scan: something that does not seal is still appending."""


@dataclass(frozen=True, slots=True)
class Unsealed:
    """What of one event is still plain: whose it is (and the second subject it is sealed for, if its type
    declares one) and which declared fields hold something."""

    subject: str
    fields: tuple[str, ...]
    also: str | None = None


def unsealed(registry: EventRegistry, event: RecordedEvent) -> Unsealed | None:
    """The declared personal fields of `event` that hold plain values; None when there are none."""
    personal = registry.personal_of(event.type)
    if personal is None:
        return None
    fields = tuple(f for f in personal.fields if event.data.get(f) is not None and not is_sealed(event.data[f]))
    if not fields:
        return None
    subject = personal.subject_of(event.data)
    if subject is None:
        raise ValueError(f"{event.type} {event.event_id} holds personal data but names no subject")
    return Unsealed(subject, fields, personal.also_of(event.data))


@dataclass(frozen=True, slots=True)
class Found:
    """The scan's answer: per stream, how many of its events hold plain personal fields; every subject named."""

    streams: dict[str, int]
    fields: int
    subjects: frozenset[str]

    @property
    def events(self) -> int:
        return sum(self.streams.values())


async def scan(conn: psycopg.AsyncConnection, registry: EventRegistry, batch: int = _SCAN_BATCH,
               progress: Callable[[int], None] | None = None) -> Found:
    """Every stored event of a declaring type that still holds a plain personal field (read-only, in batches)."""
    types = [name for name in registry.names() if registry.personal_of(name) is not None]
    streams: dict[str, int] = {}
    subjects: set[str] = set()
    fields = 0
    seen = 0
    async for events in _declared_events(conn, types, batch):
        for event in events:
            plain = unsealed(registry, event)
            if plain is not None:
                streams[event.stream_id] = streams.get(event.stream_id, 0) + 1
                subjects.update(s for s in (plain.subject, plain.also) if s is not None)
                fields += len(plain.fields)
        seen += len(events)
        if progress is not None:
            progress(seen)
    return Found(dict(sorted(streams.items())), fields, frozenset(subjects))


async def _declared_events(conn: psycopg.AsyncConnection, types: list[str], batch: int) -> AsyncIterator[list[RecordedEvent]]:
    after = 0
    while types:
        cur = await conn.execute(
            f"SELECT {_COLUMNS} FROM eventstore.events WHERE type = ANY(%s) AND position > %s ORDER BY position LIMIT %s",
            (types, after, batch), binary=True,
        )
        events = [_recorded(row) for row in await cur.fetchall()]
        if not events:
            return
        yield events
        after = events[-1].position.pos


@dataclass(frozen=True, slots=True)
class Rewritten:
    """One stream after its rewrite: what changed and the chain's tips before and after."""

    stream_id: str
    version: int
    first_version: int
    events_sealed: int
    fields_sealed: int
    links_rehashed: int
    old_tip: bytes
    new_tip: bytes


@dataclass(frozen=True, slots=True)
class _Row:
    event_id: UUID
    data_json: str | None  # None: the data stays, only the hash moves
    hash: bytes


def rechain(
    registry: EventRegistry, events: Sequence[RecordedEvent], keys: Mapping[str, bytes | None]
) -> tuple[Rewritten, list[_Row]] | None:
    """The stream `events` (all of it, in version order) with its plain personal fields sealed and its chain
    recomputed from the first changed event; None when nothing in it is plain. `keys[subject]` is None for an
    erased subject: its fields (and those sealed jointly with it) are sealed under a key nobody keeps."""
    if not events:
        return None
    previous = b""
    rows: list[_Row] = []
    first: int | None = None
    sealed_events = sealed_fields = 0
    for event in events:
        plain = unsealed(registry, event)
        data = event.data
        if plain is not None:
            missing = [s for s in (plain.subject, plain.also) if s is not None and s not in keys]
            if missing:
                raise StillWritten(f"{event.type} {event.event_id} in {event.stream_id} holds plain personal data of "
                                   f"{missing[0]} that the scan did not see: a process that does not seal is still "
                                   "writing; stop it and run again")
            key, also_key = keys[plain.subject], keys[plain.also] if plain.also is not None else None
            if key is None or (plain.also is not None and also_key is None):  # erased: sealed for nobody
                key, also_key = os.urandom(32), os.urandom(32)
            data = seal_fields(data, plain.fields, plain.subject, key, event.event_id,
                               None if plain.also is None else (plain.also, also_key))
            sealed_events += 1
            sealed_fields += len(plain.fields)
            first = event.version if first is None else first
        if first is None:
            previous = event.hash
            continue
        data_json = canonical_json(data)
        digest = content_digest(event.event_id, event.stream_id, event.stream_type, event.type, event.schema_version,
                                data_json, canonical_json(event.metadata))
        link = chain(previous, event.version, event.recorded_at, digest)
        rows.append(_Row(event.event_id, data_json.decode() if plain is not None else None, link))
        previous = link
    if first is None:
        return None
    summary = Rewritten(events[0].stream_id, events[-1].version, first, sealed_events, sealed_fields, len(rows),
                        events[-1].hash, previous)
    return summary, rows


async def rewrite_stream(conn: psycopg.AsyncConnection, registry: EventRegistry, stream_id: str,
                         keys: Mapping[str, bytes | None]) -> Rewritten | None:
    """Seal and re-chain one stream inside the caller's transaction, its row locked first; None when nothing in
    it is plain. Raises `ChainBroken` when the stream does not verify before or after."""
    cur = await conn.execute("SELECT last_hash FROM eventstore.streams WHERE stream_id = %s FOR UPDATE", (stream_id,))
    row = await cur.fetchone()
    if row is None:
        return None
    events = await _stream(conn, stream_id)
    problems = verify_chain(events, expected_tip=bytes(row[0]))
    if problems:
        raise ChainBroken(f"stream {stream_id} does not verify as stored ({problems[0].reason} at version "
                          f"{problems[0].version}); nothing was rewritten")
    planned = rechain(registry, events, keys)
    if planned is None:
        return None
    summary, rows = planned
    async with conn.cursor() as upd:
        await upd.executemany(
            "UPDATE eventstore.events SET data = COALESCE(%s::jsonb, data), hash = %s WHERE event_id = %s",
            [(r.data_json, r.hash, r.event_id) for r in rows],
        )
    cur = await conn.execute(
        "UPDATE eventstore.streams SET last_hash = %s WHERE stream_id = %s AND last_hash = %s",
        (summary.new_tip, stream_id, summary.old_tip),
    )
    if cur.rowcount != 1:
        raise ChainBroken(f"stream {stream_id} moved during its rewrite")
    after = verify_chain(await _stream(conn, stream_id), expected_tip=summary.new_tip)
    if after:
        raise ChainBroken(f"stream {stream_id} does not verify after its rewrite ({after[0].reason}); rolled back")
    return summary


async def _stream(conn: psycopg.AsyncConnection, stream_id: str) -> list[RecordedEvent]:
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM eventstore.events WHERE stream_id = %s ORDER BY version", (stream_id,), binary=True
    )
    return [_recorded(row) for row in await cur.fetchall()]


async def verify_all_streams(conn: psycopg.AsyncConnection, stream_ids: Iterable[str] | None = None) -> list[str]:
    """Every stream's chain (or the named ones') checked against its recorded tip; one message per problem."""
    if stream_ids is None:
        cur = await conn.execute("SELECT stream_id FROM eventstore.streams ORDER BY stream_id")
        stream_ids = [r[0] for r in await cur.fetchall()]
    problems: list[str] = []
    for stream_id in stream_ids:
        cur = await conn.execute("SELECT last_hash FROM eventstore.streams WHERE stream_id = %s", (stream_id,))
        row = await cur.fetchone()
        if row is None:
            problems.append(f"stream {stream_id} does not exist")
            continue
        for p in verify_chain(await _stream(conn, stream_id), expected_tip=bytes(row[0])):
            problems.append(f"stream {p.stream_id} version {p.version}: {p.reason}")
    return problems


def subject_keys(keys: Mapping[str, bytes], erased: Iterable[str]) -> dict[str, Any]:
    """The key map `rechain` takes: each subject's data key, None for the erased ones."""
    return {**dict(keys), **{s: None for s in erased}}
