"""The `append` suite: our event store's append against raw INSERTs and the `eventsourcing` library.

Three implementations do the same appends with the same concurrency, payload and events per append:

- ``ours``: ``eventstore.EventStore.append`` with the expected-version check (one call of the plpgsql
  ``eventstore.append`` function per append: stream row lock, xid check, hash chain), asyncio tasks as
  writers over an ``eventstore.create_pool`` pool of exactly `writers` connections;
- ``raw``: plain INSERTs of the same rows into a table shaped like ``eventstore.events`` (no version
  check, no stream row, no hash chain, a constant hash): one INSERT per append through psycopg async
  autocommit connections, one per writer. The physical limit of this server for these rows;
- ``eventsourcing``: ``PostgresApplicationRecorder.insert_events`` of eventsourcing 9.5 with default
  settings (``LOCK TABLE … IN EXCLUSIVE MODE`` per write), from one thread per writer over a datastore
  pool of `writers` connections. Its version check is the (originator_id, originator_version) key.

And, beside ``ours``, what the feed's wake-up costs:

- ``unwoken``: the same appends through an ``EventStore(wake_readers=False)``: no after-commit ``NOTIFY``
  (eventstore/wakeups.py); `ratio_vs_unwoken` = ours ÷ unwoken.

And, beside ``ours`` (its baseline, `ratio_sealed_vs_ours`), the cost of personal data:

- ``sealed``: the same appends through an ``EventStore`` whose registry declares three fields of the event
  personal (`title`, `location`, `salary`: a name, an address and a salary's worth), each stream its own subject
  (the payload's `job_id` is the stream's id, same length as ours): every append fetches its subject's data key
  (`Keyring.keys_for_append`, which always asks the database so an erased person is refused at once) and seals the
  three fields with AES-256-GCM; a new stream is a new person, so its key is made, wrapped and committed first.

Each writer owns its streams, so no append conflicts: the check is made but never fails.

Reads, beside a raw SELECT of the same rows on a connection of its own (configured as the pool's: jsonb through
orjson), the rows kept as tuples (its baseline, `ratio_vs_raw`):

- ``read_stream/50ev``: ``EventStore.read_stream`` of a 50-event stream, one task, reads one after another over
  `PROBE_STREAMS` such streams in turn (p50/p99 µs per read). With ``--preload`` they are the preload's probe
  streams, deep in the history with their events spread over ~100k others; on an empty store they are appended
  first, one event per append in turn over the streams, so their rows lie apart as a live store's do;
- ``read_feed/1000``: ``read_feed`` batches of 1000 on a pool connection, one after another, from a point deep
  in the history (the middle of the preload), events/s; the raw SELECT reads the same rows by position alone
  (no snapshot bound, no RecordedEvent). On an empty store `FEED_EVENTS` events are appended first and read from the
  start; a reader that reaches the head starts again from its starting point (`wraps`).

Each read case also reports this process's CPU per read (`client_cpu_us_per_read`, what decoding costs however busy
the machine is) and the execution time PostgreSQL gives for the statements (`server_p50_us`, EXPLAIN ANALYZE):
on a shared machine the wall-clock figures drift with the load, these much less.

``--preload N`` COPYs N events of history into the event store first (bench/common.py: `preload`); the report
then holds `preload`, `table_sizes` and `index_sizes`. Only the event store is preloaded: the raw and
eventsourcing tables stay empty, so across two runs their figures show how the machine itself drifted.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Any
from uuid import UUID, uuid4

import orjson
import psycopg

import eventstore
from bench.common import (
    PROBE_LENGTH,
    Measured,
    Preloaded,
    add_preload_argument,
    conn_params,
    drive_tasks,
    drive_threads,
    fmt_ms,
    fmt_rate,
    fmt_ratio,
    history_data,
    percentile,
    preload,
    ratio,
    registry_declaring,
    store_sizes,
    verify_probe,
)
from commands.core import Personal

# A realistic JobCreated event, 324 bytes of JSON.
PAYLOAD: dict[str, Any] = {
    "job_id": "0b6f8a0e-8f4e-4c55-9a55-3c1c7a0d2f11",
    "employer_id": "org_2f9Kx7QmLr4T",
    "title": "Senior Backend Engineer (Python, PostgreSQL)",
    "location": {"city": "Berlin", "country": "DE", "remote": "hybrid"},
    "salary": {"min": 85000, "max": 105000, "currency": "EUR"},
    "fee_percent": 20,
    "split_percent": 50,
    "created_at": "2026-11-27T10:15:00Z",
}
EVENT_TYPE = "JobCreated"
STREAM_TYPE = "job"
ACTOR = "user_2aXk9QbT"
ES_TOPIC = "splits.jobs.events:JobCreated"
STREAMS_PER_WRITER = 4  # each writer of an EXISTING-streams case rotates over this many streams it owns

IMPLEMENTATIONS = ("raw", "ours", "unwoken", "sealed", "eventsourcing")
SEALED_FIELDS = ("title", "location", "salary")  # what `sealed` declares personal in PAYLOAD


class _BenchEvent:
    """The registry's entry for the suite's event type (a dict payload, never decoded here)."""

    schema_version = 1
    upcasters: dict = {}

    @classmethod
    def type_name(cls) -> str:
        return EVENT_TYPE


@dataclass(frozen=True)
class Case:
    name: str
    streams: str  # "new": every append creates a stream; "existing": appends to the writer's own streams
    writers: int
    batch: int  # events per append


CASES: tuple[Case, ...] = (
    Case("new-stream/1ev/w1", "new", 1, 1),
    Case("new-stream/1ev/w4", "new", 4, 1),
    Case("new-stream/1ev/w16", "new", 16, 1),
    Case("existing/1ev/w1", "existing", 1, 1),
    Case("existing/1ev/w4", "existing", 4, 1),
    Case("existing/1ev/w16", "existing", 16, 1),
    Case("existing/100ev/w1", "existing", 1, 100),
    Case("existing/100ev/w4", "existing", 4, 100),
)


def new_stream_id() -> str:
    return f"{STREAM_TYPE}-{uuid4()}"


# --- schema setup (never timed) ---------------------------------------------------------------------

RAW_DDL = """
CREATE SCHEMA IF NOT EXISTS bench_raw;
CREATE TABLE IF NOT EXISTS bench_raw.events (
    position       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id          xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id       uuid        NOT NULL UNIQUE,
    stream_id      text        NOT NULL,
    stream_type    text        NOT NULL,
    version        bigint      NOT NULL CHECK (version >= 1),
    type           text        NOT NULL,
    schema_version integer     NOT NULL DEFAULT 1,
    data           jsonb       NOT NULL,
    metadata       jsonb       NOT NULL DEFAULT '{}',
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    hash           bytea       NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE INDEX IF NOT EXISTS events_feed_idx ON bench_raw.events (tx_id, position);
"""

ES_TABLE = "es_events"


async def setup_schemas(dsn: str) -> None:
    """Our migrations, the raw table, and eventsourcing's tables, type and function."""
    conn = await eventstore.connect(dsn)
    try:
        await eventstore.migrate(conn)
        await conn.execute(RAW_DDL)
    finally:
        await conn.close()
    await asyncio.to_thread(_create_es_tables, dsn)


def _es_datastore(dsn: str, pool_size: int):  # noqa: ANN202
    from eventsourcing.postgres import PostgresDatastore

    p = conn_params(dsn)
    # Defaults everywhere except the pool size, which must cover the writers.
    return PostgresDatastore(p["dbname"], p["host"], p["port"], p["user"], p["password"], pool_size=pool_size)


def _create_es_tables(dsn: str) -> None:
    from eventsourcing.postgres import PostgresApplicationRecorder

    datastore = _es_datastore(dsn, 1)
    try:
        PostgresApplicationRecorder(datastore, events_table_name=ES_TABLE).create_table()
    finally:
        datastore.close()


# --- the implementations: each prepares its writers for a case, and cleans up afterwards --------------


class Implementation:
    name: str
    threaded = False

    async def open(self, case: Case) -> None: ...

    def writers(self) -> list[Callable[[], Any]]:
        raise NotImplementedError

    async def close(self) -> None: ...


class Ours(Implementation):
    name = "ours"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.meta = eventstore.Metadata(actor=ACTOR)

    def make_store(self, pool: Any) -> eventstore.EventStore:
        return eventstore.EventStore(pool)

    def events(self, stream_id: str, n: int) -> list[eventstore.NewEvent]:
        return _new_events(n)

    async def open(self, case: Case) -> None:
        self.case = case
        self.pool = eventstore.create_pool(self.dsn, min_size=case.writers, max_size=case.writers, name="bench")
        try:
            await self.pool.open(wait=True, timeout=15)
        except BaseException:
            await self.pool.close()
            raise
        self.store = self.make_store(self.pool)
        self.owned: list[list[list[Any]]] = [[] for _ in range(case.writers)]
        if case.streams == "existing":
            for owned in self.owned:
                for _ in range(STREAMS_PER_WRITER):
                    sid = new_stream_id()
                    result = await self.store.append(sid, self.events(sid, 1), 0, self.meta)
                    owned.append([sid, result.version])

    def writers(self) -> list[Callable[[], Awaitable[int]]]:
        return [self._writer(owned) for owned in self.owned]

    def _writer(self, owned: list[list[Any]]) -> Callable[[], Awaitable[int]]:
        store, batch, meta, events = self.store, self.case.batch, self.meta, self.events
        if self.case.streams == "new":

            async def append_new() -> int:
                sid = new_stream_id()
                await store.append(sid, events(sid, batch), 0, meta)
                return batch

            return append_new
        turn = [0]

        async def append_existing() -> int:
            stream = owned[turn[0] % len(owned)]
            turn[0] += 1
            result = await store.append(stream[0], events(stream[0], batch), stream[1], meta)
            stream[1] = result.version
            return batch

        return append_existing

    async def close(self) -> None:
        await self.pool.close()


class Unwoken(Ours):
    """``ours`` without the after-commit wake-up of the feed's readers (eventstore/wakeups.py): what it costs."""

    name = "unwoken"

    def make_store(self, pool: Any) -> eventstore.EventStore:
        return eventstore.EventStore(pool, wake_readers=False)


class Sealed(Ours):
    """``ours`` with three fields of the payload declared personal, one subject (person) per stream."""

    name = "sealed"

    def __init__(self, dsn: str) -> None:
        super().__init__(dsn)
        self.kek = [("bench", os.urandom(32))]
        self.registry = registry_declaring(
            [_BenchEvent], {EVENT_TYPE: Personal(SEALED_FIELDS, kind="bench", key="job_id")})

    def make_store(self, pool: Any) -> eventstore.EventStore:
        return eventstore.EventStore(pool, self.registry, eventstore.Keyring(pool, self.kek))

    def events(self, stream_id: str, n: int) -> list[eventstore.NewEvent]:
        data = {**PAYLOAD, "job_id": stream_id.partition("-")[2]}  # the stream's person; as long as ours
        return [eventstore.NewEvent(type=EVENT_TYPE, data=data, event_id=uuid4()) for _ in range(n)]


def _new_events(n: int) -> list[eventstore.NewEvent]:
    return [eventstore.NewEvent(type=EVENT_TYPE, data=PAYLOAD, event_id=uuid4()) for _ in range(n)]


_RAW_INSERT_ONE = (
    "INSERT INTO bench_raw.events (event_id, stream_id, stream_type, version, type, schema_version, data, metadata, hash)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s)"
)
_RAW_INSERT_MANY = (
    "INSERT INTO bench_raw.events (event_id, stream_id, stream_type, version, type, schema_version, data, metadata, hash)"
    " SELECT u.event_id, %s, %s, u.version, u.type, u.schema_version, u.data::jsonb, %s::jsonb, u.hash"
    " FROM unnest(%b::uuid[], %b::int8[], %b::text[], %b::int4[], %b::text[], %b::bytea[])"
    " AS u(event_id, version, type, schema_version, data, hash)"
)


class Raw(Implementation):
    name = "raw"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.hash = hashlib.sha256(b"raw").digest()  # a constant: raw does no hashing
        self.meta_text = orjson.dumps({"actor": ACTOR}).decode()

    async def open(self, case: Case) -> None:
        self.case = case
        self.conns = []
        try:
            for _ in range(case.writers):
                self.conns.append(await psycopg.AsyncConnection.connect(self.dsn, autocommit=True))
        except BaseException:
            await self.close()
            raise
        self.owned: list[list[list[Any]]] = [[] for _ in range(case.writers)]
        if case.streams == "existing":
            for conn, owned in zip(self.conns, self.owned, strict=True):
                for _ in range(STREAMS_PER_WRITER):
                    sid = new_stream_id()
                    await self._insert(conn, sid, 0, 1)
                    owned.append([sid, 1])

    async def _insert(self, conn: psycopg.AsyncConnection, stream_id: str, after: int, n: int) -> None:
        data = orjson.dumps(PAYLOAD).decode()
        if n == 1:
            await conn.execute(
                _RAW_INSERT_ONE,
                (uuid4(), stream_id, STREAM_TYPE, after + 1, EVENT_TYPE, 1, data, self.meta_text, self.hash),
            )
            return
        await conn.execute(
            _RAW_INSERT_MANY,
            (
                stream_id,
                STREAM_TYPE,
                self.meta_text,
                [uuid4() for _ in range(n)],
                list(range(after + 1, after + n + 1)),
                [EVENT_TYPE] * n,
                [1] * n,
                [data] * n,
                [self.hash] * n,
            ),
        )

    def writers(self) -> list[Callable[[], Awaitable[int]]]:
        return [self._writer(conn, owned) for conn, owned in zip(self.conns, self.owned, strict=True)]

    def _writer(self, conn: psycopg.AsyncConnection, owned: list[list[Any]]) -> Callable[[], Awaitable[int]]:
        batch, insert = self.case.batch, self._insert
        if self.case.streams == "new":

            async def append_new() -> int:
                await insert(conn, new_stream_id(), 0, batch)
                return batch

            return append_new
        turn = [0]

        async def append_existing() -> int:
            stream = owned[turn[0] % len(owned)]
            turn[0] += 1
            await insert(conn, stream[0], stream[1], batch)
            stream[1] += batch
            return batch

        return append_existing

    async def close(self) -> None:
        for conn in self.conns:
            await conn.close()


class EventSourcing(Implementation):
    name = "eventsourcing"
    threaded = True

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    async def open(self, case: Case) -> None:
        await asyncio.to_thread(self._open, case)

    def _open(self, case: Case) -> None:
        from eventsourcing.postgres import PostgresApplicationRecorder

        self.case = case
        self.datastore = _es_datastore(self.dsn, case.writers)
        try:
            self.datastore.pool.open(wait=True, timeout=15)
        except BaseException:
            self.datastore.close()
            raise
        self.recorder = PostgresApplicationRecorder(self.datastore, events_table_name=ES_TABLE)
        self.owned: list[list[list[Any]]] = [[] for _ in range(case.writers)]
        if case.streams == "existing":
            for owned in self.owned:
                for _ in range(STREAMS_PER_WRITER):
                    aggregate_id = uuid4()
                    self._insert(aggregate_id, 0, 1)
                    owned.append([aggregate_id, 1])

    def _insert(self, aggregate_id: UUID, after: int, n: int) -> None:
        from eventsourcing.persistence import StoredEvent

        state = orjson.dumps(PAYLOAD)
        self.recorder.insert_events(
            [StoredEvent(originator_id=aggregate_id, originator_version=after + i, topic=ES_TOPIC, state=state) for i in range(1, n + 1)]
        )

    def writers(self) -> list[Callable[[], int]]:
        return [self._writer(owned) for owned in self.owned]

    def _writer(self, owned: list[list[Any]]) -> Callable[[], int]:
        batch, insert = self.case.batch, self._insert
        if self.case.streams == "new":

            def append_new() -> int:
                insert(uuid4(), 0, batch)
                return batch

            return append_new
        turn = [0]

        def append_existing() -> int:
            stream = owned[turn[0] % len(owned)]
            turn[0] += 1
            insert(stream[0], stream[1], batch)
            stream[1] += batch
            return batch

        return append_existing

    async def close(self) -> None:
        await asyncio.to_thread(self.datastore.close)


# --- running ------------------------------------------------------------------------------------------


async def _checkpoint(dsn: str) -> None:
    """Flush dirty pages before each case, so a checkpoint owed to the previous case is less
    likely to land inside this one."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        try:
            await conn.execute("CHECKPOINT")
        except psycopg.Error:
            pass  # not a superuser: measure anyway


async def measure_case(
    implementations: list[Implementation], case: Case, dsn: str, seconds: float, warmup: float, rounds: int
) -> dict[str, Measured]:
    """Time every implementation on `case` for `seconds` each, in `rounds` interleaved slices.

    The slices alternate between the implementations in a rotating order, so a drift in the machine's
    load (other processes, checkpoints, autovacuum) falls on all of them alike instead of on whichever
    ran last. Only one implementation holds connections at a time (the server is shared), so each
    slice opens its implementation, warms it up untimed (pool filled, statements prepared), runs
    timed, and closes it again.
    """
    await _checkpoint(dsn)
    slices: dict[str, list[Measured]] = {impl.name: [] for impl in implementations}
    for r in range(rounds):
        k = r % len(implementations)
        for impl in implementations[k:] + implementations[:k]:
            await impl.open(case)
            try:
                if warmup > 0:
                    await _drive(impl, warmup)
                slices[impl.name].append(await _drive(impl, seconds / rounds))
            finally:
                try:
                    await impl.close()
                except Exception as exc:  # the database is dropped WITH (FORCE) at the end anyway
                    print(f"closing {impl.name} failed: {exc!r}", file=sys.stderr)
    return {name: Measured.combine(parts) for name, parts in slices.items()}


async def _drive(impl: Implementation, seconds: float) -> Measured:
    writers = impl.writers()
    if impl.threaded:
        return await asyncio.to_thread(drive_threads, writers, seconds)
    return await drive_tasks(writers, seconds)


# --- reads on a store with (or without) history ----------------------------------------------------------

READ_CASES = ("read_stream/50ev", "read_feed/1000")
PROBE_STREAMS = 20  # 50-event streams read in turn by read_stream/50ev
FEED_BATCH = 1000
FEED_EVENTS = 20_000  # appended for read_feed/1000 when there is no preloaded history to read

_READ_COLUMNS = (
    "position, tx_id::text AS tx, event_id, stream_id, stream_type, version, type, schema_version,"
    " data, metadata, recorded_at, hash"
)
_RAW_STREAM = f"SELECT {_READ_COLUMNS} FROM eventstore.events WHERE stream_id = %s AND version >= 1 ORDER BY version"
# read_feed's statement (eventstore/store.py), for EXPLAIN ANALYZE only: the timed reads call read_feed itself.
_FEED_SQL = (
    f"SELECT {_READ_COLUMNS} FROM eventstore.events WHERE (tx_id, position) > (%s::text::xid8, %s)"
    f" AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx_id, position LIMIT {FEED_BATCH}"
)
_RAW_FEED = f"SELECT {_READ_COLUMNS} FROM eventstore.events WHERE position > %s ORDER BY position LIMIT {FEED_BATCH}"


def add_arguments(group: Any) -> None:
    add_preload_argument(group)


@dataclass
class _Reads:
    """One reader's timed reads: seconds per read and rows read."""

    latencies: list[float]
    rows: int
    elapsed: float
    cpu_s: float = 0.0  # this process's CPU time meanwhile: what the reader costs the client, however busy the machine

    @staticmethod
    def combine(parts: list[_Reads]) -> _Reads:
        return _Reads([x for p in parts for x in p.latencies], sum(p.rows for p in parts),
                      sum(p.elapsed for p in parts), sum(p.cpu_s for p in parts))

    def side(self, prefix: str = "") -> dict[str, Any]:
        p50, p99 = percentile(self.latencies, 50), percentile(self.latencies, 99)
        return {
            f"{prefix}p50_us": None if p50 is None else p50 * 1e6,
            f"{prefix}p99_us": None if p99 is None else p99 * 1e6,
            f"{prefix}reads_per_s": len(self.latencies) / self.elapsed if self.elapsed else None,
            f"{prefix}events_per_s": self.rows / self.elapsed if self.elapsed else None,
            f"{prefix}reads": len(self.latencies),
            f"{prefix}client_cpu_us_per_read": self.cpu_s / len(self.latencies) * 1e6 if self.latencies else None,
        }


async def _timed(read: Callable[[], Awaitable[int]], seconds: float) -> _Reads:
    """Call `read` (returning the rows it read) one after another for `seconds`."""
    latencies: list[float] = []
    rows = 0
    cpu0 = time.process_time()
    start = perf_counter()
    deadline = start + seconds
    while perf_counter() < deadline:
        t0 = perf_counter()
        rows += await read()
        latencies.append(perf_counter() - t0)
    return _Reads(latencies, rows, perf_counter() - start, time.process_time() - cpu0)


async def _server_us(conn: psycopg.AsyncConnection, query: str, params: list[tuple[Any, ...]]) -> float | None:
    """Median execution time (µs) PostgreSQL reports for `query` over `params` (EXPLAIN ANALYZE, timing off):
    the database's share of a read, apart from the client's decoding and the machine's scheduling."""
    times = []
    for values in params:
        cur = await conn.execute(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {query}", values)
        plan = (await cur.fetchone())[0]  # type: ignore[index]
        plan = orjson.loads(plan) if isinstance(plan, str | bytes) else plan
        times.append(plan[0]["Execution Time"] * 1000.0)
    return percentile(times, 50)


async def _interleaved(readers: dict[str, Callable[[], Awaitable[int]]], seconds: float, warmup: float,
                       rounds: int) -> dict[str, _Reads]:
    """Time each reader for `seconds` in `rounds` slices, alternating which goes first (as `measure_case`)."""
    names = list(readers)
    slices: dict[str, list[_Reads]] = {n: [] for n in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            if warmup > 0:
                await _timed(readers[name], warmup)
            slices[name].append(await _timed(readers[name], seconds / rounds))
    return {n: _Reads.combine(parts) for n, parts in slices.items()}


async def _probe_streams(store: eventstore.EventStore, history: Preloaded | None) -> tuple[list[str], str]:
    """The 50-event streams to read: the preload's, or appended now one event per append in turn."""
    if history is not None and len(history.probe_streams) >= PROBE_STREAMS:
        return history.probe_streams[:PROBE_STREAMS], "preloaded, deep in the history"
    streams = [new_stream_id() for _ in range(PROBE_STREAMS)]
    meta = eventstore.Metadata(actor=ACTOR)
    for version in range(PROBE_LENGTH):
        for sid in streams:
            stream_type, _, entity = sid.partition("-")
            event_type, data = history_data("job", entity, "2026-11-27T10:15:00Z")
            await store.append(sid, [eventstore.NewEvent(event_type, data, uuid4())], version, meta)
    return streams, "appended now, one event per append in turn over the streams"


async def read_stream_case(dsn: str, history: Preloaded | None, seconds: float, warmup: float,
                           rounds: int) -> dict[str, Any]:
    async with eventstore.create_pool(dsn, min_size=1, max_size=1, name="bench-read") as pool:
        store = eventstore.EventStore(pool)
        streams, origin = await _probe_streams(store, history)
        # Configured as the pool's connections are (orjson for jsonb), so only the store's own work differs.
        async with await eventstore.connect(dsn) as conn:
            turn = [0, 0]

            async def ours() -> int:
                turn[0] += 1
                return len(await store.read_stream(streams[turn[0] % len(streams)]))

            async def raw() -> int:
                turn[1] += 1
                cur = await conn.execute(_RAW_STREAM, (streams[turn[1] % len(streams)],), binary=True)
                return len(await cur.fetchall())

            await _checkpoint(dsn)
            measured = await _interleaved({"ours": ours, "raw": raw}, seconds, warmup, rounds)
            server = await _server_us(conn, _RAW_STREAM, [(sid,) for sid in streams])
    o, r = measured["ours"], measured["raw"]
    return {
        "name": "read_stream/50ev", "kind": "read",
        "server_p50_us": server,  # the SELECT both sides send, as PostgreSQL executes it
        "what": "EventStore.read_stream of a 50-event stream, one task, streams in turn; raw: the same SELECT on a"
                " connection of its own (configured as the pool's), rows kept as tuples",
        "streams": len(streams), "events_per_read": o.rows / len(o.latencies) if o.latencies else None,
        "streams_from": origin,
        **o.side(), **r.side("raw_"),
        "ratio_p50_vs_raw": ratio(percentile(o.latencies, 50), percentile(r.latencies, 50)),
        "ratio_client_cpu_vs_raw": ratio(o.cpu_s / len(o.latencies) if o.latencies else None,
                                         r.cpu_s / len(r.latencies) if r.latencies else None),
    }


async def _feed_start(store: eventstore.EventStore, history: Preloaded | None) -> tuple[eventstore.Position, str]:
    """Where the feed readers start: the middle of the preload, or the start of FEED_EVENTS appended now."""
    if history is not None and history.middle is not None and history.events >= 10 * FEED_BATCH:
        return eventstore.Position(*history.middle), f"the middle of the preload (event {history.events // 2:,})"
    start = await store.head()
    meta = eventstore.Metadata(actor=ACTOR)
    for _ in range(FEED_EVENTS // 10):  # ten events per append, one new stream each
        sid = new_stream_id()
        event_type, data = history_data("job", sid.partition("-")[2], "2026-11-27T10:15:00Z")
        await store.append(sid, [eventstore.NewEvent(event_type, data, uuid4()) for _ in range(10)], 0, meta)
    return start, f"{FEED_EVENTS:,} events appended now (ten per append), read from their start"


async def read_feed_case(dsn: str, history: Preloaded | None, seconds: float, warmup: float,
                         rounds: int) -> dict[str, Any]:
    async with eventstore.create_pool(dsn, min_size=1, max_size=1, name="bench-feed") as pool:
        store = eventstore.EventStore(pool)
        start, origin = await _feed_start(store, history)
        # Configured as the pool's connections are (orjson for jsonb), so only the store's own work differs.
        async with await eventstore.connect(dsn) as conn:
            cur = await conn.execute(
                "SELECT position FROM eventstore.events WHERE (tx_id, position) <= (%s::text::xid8, %s)"
                " ORDER BY tx_id DESC, position DESC LIMIT 1", (str(start.tx), start.pos))
            row = await cur.fetchone()
            raw_start = 0 if row is None else row[0]
            at: dict[str, Any] = {"ours": start, "raw": raw_start}
            wraps = {"ours": 0, "raw": 0}

            async def ours() -> int:
                async with pool.connection() as c:
                    events = await eventstore.read_feed(c, at["ours"], FEED_BATCH)
                if len(events) < FEED_BATCH:
                    at["ours"], wraps["ours"] = start, wraps["ours"] + 1
                else:
                    at["ours"] = events[-1].position
                return len(events)

            async def raw() -> int:
                cur = await conn.execute(_RAW_FEED, (at["raw"],), binary=True)
                rows = await cur.fetchall()
                if len(rows) < FEED_BATCH:
                    at["raw"], wraps["raw"] = raw_start, wraps["raw"] + 1
                else:
                    at["raw"] = rows[-1][0]
                return len(rows)

            await _checkpoint(dsn)
            measured = await _interleaved({"ours": ours, "raw": raw}, seconds, warmup, rounds)
            cur = await conn.execute(
                "SELECT tx_id::text, position FROM (SELECT tx_id, position, row_number() OVER (ORDER BY tx_id, position) AS n"
                " FROM eventstore.events WHERE (tx_id, position) > (%s::text::xid8, %s) ORDER BY tx_id, position"
                f" LIMIT {20 * FEED_BATCH}) AS s WHERE n %% {FEED_BATCH} = 1", (str(start.tx), start.pos))
            points = [(tx, pos - 1) for tx, pos in await cur.fetchall()]
            server = await _server_us(conn, _FEED_SQL, points)
            raw_server = await _server_us(conn, _RAW_FEED, [(pos,) for _, pos in points])
    o, r = measured["ours"], measured["raw"]
    return {
        "name": "read_feed/1000", "kind": "read",
        # the feed's and the raw SELECT as PostgreSQL executes them, over the 20 batches from the start
        "server_p50_us": server, "raw_server_p50_us": raw_server,
        "what": "read_feed batches of 1000 on a pool connection, one after another; raw: SELECT … WHERE position > $1"
                " ORDER BY position LIMIT 1000 on a connection of its own (configured as the pool's), rows kept as tuples",
        "batch": FEED_BATCH, "start": str(start), "start_from": origin,
        "wraps": wraps,  # times a reader reached the head and started again (the warm-ups included)
        "ratio_client_cpu_vs_raw": ratio(o.cpu_s / o.rows if o.rows else None, r.cpu_s / r.rows if r.rows else None),
        **o.side(), **r.side("raw_"),
        "ratio_vs_raw": ratio(o.rows / o.elapsed if o.elapsed else None, r.rows / r.elapsed if r.elapsed else None),
    }


READERS = {"read_stream/50ev": read_stream_case, "read_feed/1000": read_feed_case}


def read_progress_line(c: dict[str, Any]) -> str:
    cpu = f"client CPU {fmt_ratio(c['ratio_client_cpu_vs_raw'])} raw"
    if c["name"].startswith("read_stream"):
        return (f"{c['name']:<20} ours p50 {_us(c['p50_us'])} µs p99 {_us(c['p99_us'])} µs"
                f" | raw p50 {_us(c['raw_p50_us'])} µs p99 {_us(c['raw_p99_us'])} µs | {fmt_ratio(c['ratio_p50_vs_raw'])} raw"
                f" | {cpu} | server {_us(c['server_p50_us'])} µs")
    return (f"{c['name']:<20} ours {fmt_rate(c['events_per_s']):>8} ev/s | raw {fmt_rate(c['raw_events_per_s']):>8} ev/s"
            f" | {fmt_ratio(c['ratio_vs_raw'])} raw | {cpu} | server {_us(c['server_p50_us'])} µs,"
            f" raw {_us(c['raw_server_p50_us'])} µs per batch (from {c['start_from']})")


def _us(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _side(m: Measured) -> dict[str, Any]:
    return {
        "events_per_s": m.events_per_s,
        "appends_per_s": m.appends_per_s,
        "p50_ms": m.latency_ms(50),
        "p99_ms": m.latency_ms(99),
        "appends": m.appends,
        "client_cpu_us_per_append": m.client_cpu_us_per_append,
        "machine_busy_cores": m.machine_busy_cores,
        "errors": m.errors,
        "first_error": m.first_error,
    }


def case_result(case: Case, results: dict[str, Measured]) -> dict[str, Any]:
    ours, raw, es, sealed, unwoken = (_side(results[n]) for n in ("ours", "raw", "eventsourcing", "sealed", "unwoken"))
    out: dict[str, Any] = {
        "name": case.name,
        "streams": case.streams,
        "writers": case.writers,
        "batch": case.batch,
        "events_per_s": ours["events_per_s"],
        "appends_per_s": ours["appends_per_s"],
        "p50_ms": ours["p50_ms"],
        "p99_ms": ours["p99_ms"],
        "ratio_vs_raw": ratio(ours["events_per_s"], raw["events_per_s"]),
        "ratio_vs_eventsourcing": ratio(ours["events_per_s"], es["events_per_s"]),
        "raw_events_per_s": raw["events_per_s"],
        "raw_p50_ms": raw["p50_ms"],
        "raw_p99_ms": raw["p99_ms"],
        "eventsourcing_events_per_s": es["events_per_s"],
        "eventsourcing_p50_ms": es["p50_ms"],
        "eventsourcing_p99_ms": es["p99_ms"],
        # Personal data sealed, beside its baseline (ours, the same appends with nothing declared).
        "sealed_events_per_s": sealed["events_per_s"],
        "sealed_p50_ms": sealed["p50_ms"],
        "sealed_p99_ms": sealed["p99_ms"],
        "ratio_sealed_vs_ours": ratio(sealed["events_per_s"], ours["events_per_s"]),
        # The wake-up's cost: ours beside the same appends without it.
        "unwoken_events_per_s": unwoken["events_per_s"],
        "unwoken_p50_ms": unwoken["p50_ms"],
        "unwoken_p99_ms": unwoken["p99_ms"],
        "ratio_vs_unwoken": ratio(ours["events_per_s"], unwoken["events_per_s"]),
        "appends": {"ours": ours["appends"], "raw": raw["appends"], "eventsourcing": es["appends"],
                    "sealed": sealed["appends"], "unwoken": unwoken["appends"]},
        "seconds": {n: results[n].elapsed_s for n in IMPLEMENTATIONS},
        # Diagnostics: this process's CPU per append call, and how many cores the machine kept busy.
        "client_cpu_us_per_append": {
            "ours": ours["client_cpu_us_per_append"], "raw": raw["client_cpu_us_per_append"],
            "eventsourcing": es["client_cpu_us_per_append"], "sealed": sealed["client_cpu_us_per_append"],
            "unwoken": unwoken["client_cpu_us_per_append"],
        },
        "machine_busy_cores": {
            "ours": ours["machine_busy_cores"], "raw": raw["machine_busy_cores"],
            "eventsourcing": es["machine_busy_cores"], "sealed": sealed["machine_busy_cores"],
            "unwoken": unwoken["machine_busy_cores"],
        },
    }
    errors = {n: {"count": s["errors"], "first": s["first_error"]} for n, s in zip(
        ("ours", "raw", "eventsourcing", "sealed", "unwoken"), (ours, raw, es, sealed, unwoken), strict=True)
        if s["errors"]}
    if errors:
        out["errors"] = errors
    return out


# Checked and reported, never asserted: (label, which cases, which baseline, minimum ratio).
TARGETS = (
    ("16 writers: ours >= 0.8x raw", lambda c: c["writers"] == 16, "ratio_vs_raw", 0.8),
    ("16 writers: ours >= 6x eventsourcing", lambda c: c["writers"] == 16, "ratio_vs_eventsourcing", 6.0),
    ("1 writer: ours >= 0.85x raw", lambda c: c["writers"] == 1, "ratio_vs_raw", 0.85),
)


def check_targets(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checks = []
    for label, applies, key, minimum in TARGETS:
        for c in cases:
            if applies(c):
                value = c.get(key)
                checks.append(
                    {"target": label, "case": c["name"], "ratio": value, "minimum": minimum,
                     "met": value is not None and value >= minimum}
                )
    return checks


def progress_line(c: dict[str, Any]) -> str:
    return (
        f"{c['name']:<20} ours {fmt_rate(c['events_per_s']):>8} ev/s p50 {fmt_ms(c['p50_ms'])} ms"
        f" | raw {fmt_rate(c['raw_events_per_s']):>8} | eventsourcing {fmt_rate(c['eventsourcing_events_per_s']):>7}"
        f" | {fmt_ratio(c['ratio_vs_raw'])} raw, {fmt_ratio(c['ratio_vs_eventsourcing'])} es"
        f" | sealed {fmt_rate(c['sealed_events_per_s']):>8} ({fmt_ratio(c['ratio_sealed_vs_ours'])} ours)"
        f" | unwoken {fmt_rate(c['unwoken_events_per_s']):>8} (ours {fmt_ratio(c['ratio_vs_unwoken'])})"
    )


def table(report: dict[str, Any]):  # noqa: ANN201
    from rich.table import Table

    m = report["machine"]
    t = Table(
        title=f"append — {m['cores']} cores, PostgreSQL {m['pg_version']}, {report['seconds_per_case']:g} s per case",
        caption="events/s; latency per append call (ms); ratio = ours ÷ baseline; sealed: personal fields sealed,"
                " ratio = sealed ÷ ours; unwoken: ours without the feed's wake-up, ratio = ours ÷ unwoken",
    )
    for col in ("case", "ours ev/s", "p50", "p99", "raw ev/s", "p50", "p99", "es ev/s", "p50", "p99", "vs raw", "vs es",
                "sealed ev/s", "p50", "p99", "vs ours", "unwoken ev/s", "ours ÷"):
        t.add_column(col, justify="left" if col == "case" else "right")
    for c in report["cases"]:
        if "failed" in c:
            t.add_row(c["name"], "[red]failed[/]")
            continue
        t.add_row(
            c["name"],
            fmt_rate(c["events_per_s"]), fmt_ms(c["p50_ms"]), fmt_ms(c["p99_ms"]),
            fmt_rate(c["raw_events_per_s"]), fmt_ms(c["raw_p50_ms"]), fmt_ms(c["raw_p99_ms"]),
            fmt_rate(c["eventsourcing_events_per_s"]), fmt_ms(c["eventsourcing_p50_ms"]), fmt_ms(c["eventsourcing_p99_ms"]),
            fmt_ratio(c["ratio_vs_raw"]), fmt_ratio(c["ratio_vs_eventsourcing"]),
            fmt_rate(c["sealed_events_per_s"]), fmt_ms(c["sealed_p50_ms"]), fmt_ms(c["sealed_p99_ms"]),
            fmt_ratio(c["ratio_sealed_vs_ours"]),
            fmt_rate(c["unwoken_events_per_s"]), fmt_ratio(c["ratio_vs_unwoken"]),
        )
    failed = [c for c in report["cases"] if "failed" in c]
    if failed:
        t.caption += "".join(f"\n{c['name']} failed: {c['failed']}" for c in failed)
    if not report.get("read_cases"):
        return t
    from rich.console import Group

    return Group(t, _reads_table(report))


def _reads_table(report: dict[str, Any]):  # noqa: ANN202
    from rich.table import Table

    sizes = report.get("table_sizes", {}).get("events")
    t = Table(title=f"reads — {report.get('preload', 0):,} events preloaded"
                    + (f" (eventstore.events {sizes['pretty']})" if sizes else ""),
              caption="read_stream: µs per read of a 50-event stream; read_feed: events/s in batches of 1000;"
                      " ratio = ours ÷ raw (latency for read_stream, rate for read_feed)")
    for col in ("case", "ours", "p50 µs", "p99 µs", "raw", "p50 µs", "p99 µs", "ratio", "from"):
        t.add_column(col, justify="left" if col in ("case", "from") else "right")
    for c in report["read_cases"]:
        if "failed" in c:
            t.add_row(c["name"], "[red]failed[/]", "", "", "", "", "", "", c["failed"])
            continue
        stream = c["name"].startswith("read_stream")
        t.add_row(
            c["name"],
            f"{fmt_rate(c['reads_per_s'])} reads/s" if stream else f"{fmt_rate(c['events_per_s'])} ev/s",
            _us(c["p50_us"]), _us(c["p99_us"]),
            f"{fmt_rate(c['raw_reads_per_s'])} reads/s" if stream else f"{fmt_rate(c['raw_events_per_s'])} ev/s",
            _us(c["raw_p50_us"]), _us(c["raw_p99_us"]),
            fmt_ratio(c["ratio_p50_vs_raw"] if stream else c["ratio_vs_raw"]),
            c["streams_from"] if stream else c["start_from"],
        )
    return t


async def run(dsn: str, *, seconds: float, warmup: float, rounds: int = 3, only: list[str] | None, say: Callable[[str], None],
              options: Any = None) -> dict[str, Any]:
    """Run every case (or those whose name contains one of `only`) and return the report."""
    await setup_schemas(dsn)
    n = getattr(options, "preload", 0) or 0
    history: Preloaded | None = None
    sizes: dict[str, Any] = {}
    if n > 0:
        history = await asyncio.to_thread(preload, dsn, n, say)
        await verify_probe(dsn, history)
        sizes = await asyncio.to_thread(store_sizes, dsn)
        say(f"  preload: probe stream chain verified: {history.chain_verified}; events"
            f" {sizes['table_sizes']['events']['pretty']}, indexes "
            + ", ".join(f"{k} {v['pretty']}" for k, v in sizes["index_sizes"].items() if v["table"] == "events"))
    implementations: list[Implementation] = [Raw(dsn), Ours(dsn), Unwoken(dsn), Sealed(dsn), EventSourcing(dsn)]
    cases = [c for c in CASES if not only or any(o in c.name for o in only)]
    results: list[dict[str, Any]] = []
    for case in cases:
        try:
            measured = await measure_case(implementations, case, dsn, seconds, warmup, rounds)
        except Exception as exc:  # e.g. the shared server is out of connections: report it, go on
            result = {"name": case.name, "streams": case.streams, "writers": case.writers, "batch": case.batch,
                      "failed": f"{type(exc).__name__}: {exc}"}
            results.append(result)
            say(f"{case.name:<20} [red]failed[/]: {result['failed']}")
            continue
        result = case_result(case, measured)
        results.append(result)
        say(progress_line(result))
        if "errors" in result:
            say(f"  errors: {result['errors']}")
    reads: list[dict[str, Any]] = []
    for name, reader in READERS.items():
        if only and not any(o in name for o in only):
            continue
        try:
            result = await reader(dsn, history, seconds, warmup, rounds)
        except Exception as exc:
            result = {"name": name, "kind": "read", "failed": f"{type(exc).__name__}: {exc}"}
            say(f"{name:<20} [red]failed[/]: {result['failed']}")
        else:
            say(read_progress_line(result))
        reads.append(result)
    if n > 0:
        sizes["sizes_after_cases"] = await asyncio.to_thread(store_sizes, dsn)
    elif reads or results:
        sizes = await asyncio.to_thread(store_sizes, dsn)
    return {
        "suite": "append",
        "seconds_per_case": seconds,
        "warmup_seconds": warmup,
        "rounds": rounds,
        "payload_bytes": len(orjson.dumps(PAYLOAD)),
        "sealed_fields": list(SEALED_FIELDS),
        "preload": n,
        "preload_detail": None if history is None else history.as_report(),
        "table_sizes": sizes.get("table_sizes", {}),
        "index_sizes": sizes.get("index_sizes", {}),
        "sizes_after_cases": sizes.get("sizes_after_cases"),
        "cases": results,
        "read_cases": reads,
        "targets": check_targets(results),
        "pid": os.getpid(),
    }
