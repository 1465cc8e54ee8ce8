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

And, beside ``ours`` (its baseline, `ratio_sealed_vs_ours`), the cost of personal data:

- ``sealed``: the same appends through an ``EventStore`` whose registry declares three fields of the event
  personal (`title`, `location`, `salary`: a name, an address and a salary's worth), each stream its own subject
  (the payload's `job_id` is the stream's id, same length as ours): every append fetches its subject's data key
  (`Keyring.keys_for_append`, which always asks the database so an erased person is refused at once) and seals the
  three fields with AES-256-GCM; a new stream is a new person, so its key is made, wrapped and committed first.

Each writer owns its streams, so no append conflicts: the check is made but never fails.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import orjson
import psycopg

import eventstore
from bench.common import (
    Measured,
    conn_params,
    drive_tasks,
    drive_threads,
    fmt_ms,
    fmt_rate,
    fmt_ratio,
    ratio,
    registry_declaring,
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

IMPLEMENTATIONS = ("raw", "ours", "sealed", "eventsourcing")
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
    ours, raw, es, sealed = (_side(results[n]) for n in ("ours", "raw", "eventsourcing", "sealed"))
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
        "appends": {"ours": ours["appends"], "raw": raw["appends"], "eventsourcing": es["appends"],
                    "sealed": sealed["appends"]},
        "seconds": {n: results[n].elapsed_s for n in IMPLEMENTATIONS},
        # Diagnostics: this process's CPU per append call, and how many cores the machine kept busy.
        "client_cpu_us_per_append": {
            "ours": ours["client_cpu_us_per_append"], "raw": raw["client_cpu_us_per_append"],
            "eventsourcing": es["client_cpu_us_per_append"], "sealed": sealed["client_cpu_us_per_append"],
        },
        "machine_busy_cores": {
            "ours": ours["machine_busy_cores"], "raw": raw["machine_busy_cores"],
            "eventsourcing": es["machine_busy_cores"], "sealed": sealed["machine_busy_cores"],
        },
    }
    errors = {n: {"count": s["errors"], "first": s["first_error"]} for n, s in zip(
        ("ours", "raw", "eventsourcing", "sealed"), (ours, raw, es, sealed), strict=True) if s["errors"]}
    if errors:
        out["errors"] = errors
    return out


# Checked and reported, never asserted: (label, which cases, which baseline, minimum ratio).
TARGETS = (
    ("16 writers: ours >= 0.6x raw", lambda c: c["writers"] == 16, "ratio_vs_raw", 0.6),
    ("16 writers: ours >= 5x eventsourcing", lambda c: c["writers"] == 16, "ratio_vs_eventsourcing", 5.0),
    ("1 writer: ours >= 0.7x raw", lambda c: c["writers"] == 1, "ratio_vs_raw", 0.7),
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
    )


def table(report: dict[str, Any]):  # noqa: ANN201
    from rich.table import Table

    m = report["machine"]
    t = Table(
        title=f"append — {m['cores']} cores, PostgreSQL {m['pg_version']}, {report['seconds_per_case']:g} s per case",
        caption="events/s; latency per append call (ms); ratio = ours ÷ baseline; sealed: personal fields sealed,"
                " ratio = sealed ÷ ours",
    )
    for col in ("case", "ours ev/s", "p50", "p99", "raw ev/s", "p50", "p99", "es ev/s", "p50", "p99", "vs raw", "vs es",
                "sealed ev/s", "p50", "p99", "vs ours"):
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
        )
    failed = [c for c in report["cases"] if "failed" in c]
    if failed:
        t.caption += "".join(f"\n{c['name']} failed: {c['failed']}" for c in failed)
    return t


async def run(dsn: str, *, seconds: float, warmup: float, rounds: int = 3, only: list[str] | None, say: Callable[[str], None]) -> dict[str, Any]:
    """Run every case (or those whose name contains one of `only`) and return the report."""
    await setup_schemas(dsn)
    implementations: list[Implementation] = [Raw(dsn), Ours(dsn), Sealed(dsn), EventSourcing(dsn)]
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
    return {
        "suite": "append",
        "seconds_per_case": seconds,
        "warmup_seconds": warmup,
        "rounds": rounds,
        "payload_bytes": len(orjson.dumps(PAYLOAD)),
        "sealed_fields": list(SEALED_FIELDS),
        "cases": results,
        "targets": check_targets(results),
        "pid": os.getpid(),
    }
