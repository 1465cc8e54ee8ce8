"""Shared helpers of the benchmark suites: a throwaway database, writer drivers, percentiles, output.

Nothing here asserts anything: the suites only measure and report.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import platform
import random
import re
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.copy import QueuedLibpqWriter

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_dsn() -> str:
    """The server to benchmark on: `DATABASE_URL`, or the local default."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DSN


def bench_database_name() -> str:
    return f"splits_bench_{os.getpid()}"


@contextlib.contextmanager
def throwaway_database(dsn: str | None = None) -> Iterator[str]:
    """Create `splits_bench_<pid>` on the server of `dsn`, yield its DSN, and always drop it afterwards.

    The database is dropped WITH (FORCE), so connections a failed run left open do not keep it alive.
    """
    admin_dsn = dsn or server_dsn()
    name = bench_database_name()
    ident = sql.Identifier(name)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        # A database of the same name can only be a leftover of a killed run that had our pid.
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    try:
        yield make_conninfo(admin_dsn, dbname=name)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def conn_params(dsn: str) -> dict[str, Any]:
    """host, port, user, password and dbname of a DSN (for libraries that want them separately)."""
    params = conninfo_to_dict(dsn)
    return {
        "dbname": params.get("dbname") or "postgres",
        "host": params.get("host") or "127.0.0.1",
        "port": int(params.get("port") or 5432),
        "user": params.get("user") or os.environ.get("PGUSER") or "postgres",
        "password": params.get("password") or "",
    }


# --- personal data declared, or not -----------------------------------------------------------------------


def registry_declaring(classes: Sequence[Any], declarations: dict[str, Any] | None = None, *,
                       others: bool = True) -> Any:
    """An event registry of `classes` whose personal declarations are `declarations` (type name → `Personal`, or
    None for "nothing personal") over the classes' own; with `others=False` no other type declares anything.

    A store appending through it seals what it declares, so the same events can be stored sealed or plain in one
    run: `registry_declaring(classes, others=False)` is a store as it was before sealing existed.
    """
    from eventstore import EventRegistry

    chosen = dict(declarations or {})

    class Declaring(EventRegistry):
        def personal_of(self, name: str) -> Any:
            if name in chosen:
                return chosen[name]
            return super().personal_of(name) if others else None

    return Declaring(classes)


# --- measuring ----------------------------------------------------------------------------------------


@dataclass
class Measured:
    """What one implementation did in one timed run of a case."""

    elapsed_s: float
    events: int
    appends: int
    latencies_s: list[float]
    errors: int = 0
    first_error: str | None = None
    client_cpu_s: float = 0.0  # CPU time of this process (all its threads) during the run
    machine_busy_s: float = 0.0  # CPU time all processes on the machine used during the run (all cores)

    @property
    def events_per_s(self) -> float:
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def appends_per_s(self) -> float:
        return self.appends / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @classmethod
    def combine(cls, parts: Sequence[Measured]) -> Measured:
        """Several timed slices of the same implementation and case, as one measurement."""
        return cls(
            sum(p.elapsed_s for p in parts),
            sum(p.events for p in parts),
            sum(p.appends for p in parts),
            [x for p in parts for x in p.latencies_s],
            sum(p.errors for p in parts),
            next((p.first_error for p in parts if p.first_error), None),
            sum(p.client_cpu_s for p in parts),
            sum(p.machine_busy_s for p in parts),
        )

    @property
    def client_cpu_us_per_append(self) -> float | None:
        return self.client_cpu_s / self.appends * 1e6 if self.appends else None

    @property
    def machine_busy_cores(self) -> float | None:
        """Average number of cores busy during the run (this process, PostgreSQL and everything else)."""
        return self.machine_busy_s / self.elapsed_s if self.elapsed_s > 0 and self.machine_busy_s else None

    def latency_ms(self, pct: float) -> float | None:
        value = percentile(self.latencies_s, pct)
        return None if value is None else value * 1000.0


def _machine_busy_s() -> float:
    """Busy CPU seconds of the whole machine since boot (all cores), from /proc/stat; 0 if unavailable."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class _CpuWindow:
    def __init__(self) -> None:
        self.cpu0, self.busy0 = time.process_time(), _machine_busy_s()

    def close(self, measured: Measured) -> Measured:
        measured.client_cpu_s = time.process_time() - self.cpu0
        measured.machine_busy_s = max(0.0, _machine_busy_s() - self.busy0)
        return measured


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    events: int = 0
    errors: int = 0
    first_error: str | None = None

    def failed(self, exc: BaseException) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = f"{type(exc).__name__}: {exc}"


def _merge(tallies: Sequence[_Tally], elapsed: float) -> Measured:
    latencies = [x for t in tallies for x in t.latencies]
    errors = sum(t.errors for t in tallies)
    first = next((t.first_error for t in tallies if t.first_error), None)
    return Measured(elapsed, sum(t.events for t in tallies), len(latencies), latencies, errors, first)


async def drive_tasks(writers: Sequence[Callable[[], Awaitable[int]]], seconds: float) -> Measured:
    """Run each writer (an async append returning its event count) in its own task for `seconds`.

    A writer starts no append after the deadline; the elapsed time runs until the last one returns.
    """
    cpu = _CpuWindow()
    start = perf_counter()
    deadline = start + seconds

    async def loop(append: Callable[[], Awaitable[int]]) -> _Tally:
        tally = _Tally()
        while perf_counter() < deadline:
            t0 = perf_counter()
            try:
                n = await append()
            except Exception as exc:  # counted and reported, never hidden
                tally.failed(exc)
                continue
            tally.latencies.append(perf_counter() - t0)
            tally.events += n
        return tally

    tallies = await asyncio.gather(*(loop(w) for w in writers))
    return cpu.close(_merge(tallies, perf_counter() - start))


def drive_threads(writers: Sequence[Callable[[], int]], seconds: float) -> Measured:
    """Run each writer (a blocking append returning its event count) in its own thread for `seconds`."""
    barrier = threading.Barrier(len(writers) + 1)
    window: dict[str, float] = {}

    def loop(append: Callable[[], int]) -> _Tally:
        tally = _Tally()
        barrier.wait()
        deadline = window["deadline"]
        while perf_counter() < deadline:
            t0 = perf_counter()
            try:
                n = append()
            except Exception as exc:
                tally.failed(exc)
                continue
            tally.latencies.append(perf_counter() - t0)
            tally.events += n
        return tally

    with ThreadPoolExecutor(max_workers=len(writers), thread_name_prefix="bench-writer") as pool:
        futures = [pool.submit(loop, w) for w in writers]
        cpu = _CpuWindow()
        start = perf_counter()
        window["deadline"] = start + seconds
        barrier.wait()
        tallies = [f.result() for f in futures]
    return cpu.close(_merge(tallies, perf_counter() - start))


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The `pct`-th percentile (0–100) with linear interpolation between closest ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (pct / 100.0) * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# --- describing the machine -------------------------------------------------------------------------------


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return None


def _package_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def machine_info(dsn: str) -> dict[str, Any]:
    """Cores, CPU, load, Python and the PostgreSQL server's version and durability settings."""
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "packages": {p: _package_version(p) for p in ("psycopg", "psycopg-pool", "eventsourcing", "orjson")},
    }
    params = conninfo_to_dict(dsn)
    info["pg_host"] = params.get("host")
    with psycopg.connect(dsn, autocommit=True) as conn:
        info["pg_version"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        settings = {}
        for name in ("synchronous_commit", "fsync", "shared_buffers", "wal_level", "max_connections"):
            settings[name] = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]  # type: ignore[index]
        info["pg_settings"] = settings
    return info


# --- output ------------------------------------------------------------------------------------------------


def fmt_rate(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def fmt_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return a / b


def round_floats(value: Any, digits: int = 3) -> Any:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [round_floats(v, digits) for v in value]
    return value


def stderr_console():  # noqa: ANN201 - rich is imported lazily
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def stdout_console():  # noqa: ANN201
    from rich.console import Console

    # Piped output would otherwise be cut to 80 columns and the table's numbers truncated.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def quiet_logs_to_stderr() -> None:
    """Send structlog output (e.g. "migration applied") to stderr, so stdout holds only results."""
    import structlog

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))


# --- a history to measure on (--preload N) ---------------------------------------------------------------

# Events per COPY transaction. The batch's events share its xid, as the events of one append share theirs:
# the feed (ordered by xid, then position) reads them in position order, and every batch's xid is below the
# snapshot of anything that runs after the load. 50 transactions for 10M events.
PRELOAD_BATCH = 200_000
# Streams being written at any one time. Each event goes to one of them at random, so a stream's events lie
# spread over the history (a 50-event stream over ~100k events) as a live store's do, not side by side.
PRELOAD_OPEN_STREAMS = 2_000
PROBE_LENGTH = 50  # events of each probe stream: the stream `read_stream` is measured on
PROBE_STREAMS = 20  # probe streams, opened at even intervals over the first 90 % of the history

_HISTORY_ACTOR = "user_2aXk9QbT"
# Stream lengths: mostly short (a candidate with a few changes), a tail up to 50 (a job's whole life).
_LENGTHS = ((range(1, 4), 40), (range(4, 13), 35), (range(13, 31), 20), (range(31, 51), 5))

# One shape per stream type, 450–590 bytes of canonical JSON (metadata another 81); @@name@@ marks what differs
# per event.
_TEMPLATES: dict[str, tuple[str, dict[str, Any]]] = {
    "job": ("JobDetailsChanged", {
        "job_id": "@@id@@", "company_id": "@@ref@@", "title": "Senior Backend Engineer (Python, PostgreSQL)",
        "department": "Engineering", "location": {"city": "Berlin", "country": "DE", "remote": "hybrid"},
        "salary": {"min_cents": 8_500_000, "max_cents": 10_500_000, "currency": "EUR", "show_range": True},
        "fee_bps": 2000, "guarantee_days": 90, "employment_type": "full_time", "commute_types": ["hybrid_2"],
        "job_level": "senior", "recruiter_description": "Payments platform team of eight engineers, on call one week in six.",
        "by": "@@by@@", "at": "@@at@@",
    }),
    "application": ("ApplicationStageChanged", {
        "application_id": "@@id@@", "job_id": "@@ref@@", "candidate_id": "@@id@@", "from_stage": "screen",
        "to_stage": "interview", "reason": "Strong system design answers; wants a second technical round with the team lead.",
        "scorecard": {"technical": 4, "communication": 5, "culture": 4, "notes": "Led the migration of a billing ledger."},
        "by": "@@by@@", "at": "@@at@@",
    }),
    "candidate": ("CandidateProfileUpdated", {
        "candidate_id": "@@id@@", "source_firm_id": "@@ref@@", "headline": "Backend engineer, payments and ledgers",
        "skills": ["python", "postgresql", "kafka", "kubernetes", "domain-driven design"],
        "experience_years": 9, "notice_period_days": 60, "open_to_relocation": False,
        "preferences": {"remote": "hybrid", "cities": ["Berlin", "Hamburg"], "min_salary_cents": 9_000_000},
        "by": "@@by@@", "at": "@@at@@",
    }),
}
_STREAM_TYPES = tuple(_TEMPLATES)


def history_data(stream_type: str, entity_id: str, at: str) -> tuple[str, dict[str, Any]]:
    """(event type, data) of a history event of `stream_type`: what the preload stores, as a dict to append."""
    import orjson

    event_type, template = _TEMPLATES[stream_type]
    text = orjson.dumps(template).decode()
    for name, value in (("id", entity_id), ("ref", str(uuid.uuid4())), ("by", _HISTORY_ACTOR), ("at", at)):
        text = text.replace(f"@@{name}@@", value)
    return event_type, orjson.loads(text)


def _splice(template: dict[str, Any]) -> str:
    """The template's canonical JSON as a %-format string with a %(name)s for each @@name@@ mark."""
    from eventstore import canonical_json

    return re.sub(r"@@(\w+)@@", r"%(\1)s", canonical_json(template).decode().replace("%", "%%"))


def _uuid4_text() -> str:
    """A random (version 4) UUID as text, without building a UUID object: the preload makes millions."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


@dataclass
class _Open:
    """A stream being written by the preload: where its hash chain and version stand."""

    stream_id: str
    stream_type: str
    entity_id: str
    length: int  # events it will have
    version: int = 0
    last_hash: bytes = b""
    created_us: int = 0
    updated_us: int = 0
    last_tx: str = ""


@dataclass
class Preloaded:
    """What `preload` stored, and where to measure in it."""

    events: int
    streams: int
    probe_streams: list[str]  # streams of exactly PROBE_LENGTH events, deep in the history
    middle: tuple[int, int] | None  # (tx, position) of the event halfway through the history
    seconds: dict[str, float]
    open_streams: int = PRELOAD_OPEN_STREAMS
    chain_verified: bool | None = None  # a probe stream read back through EventStore verifies (None: none read)

    def as_report(self) -> dict[str, Any]:
        copy_s = self.seconds.get("copy") or 0.0
        return {
            "events": self.events, "streams": self.streams, "probe_streams": len(self.probe_streams),
            "events_per_copy_transaction": PRELOAD_BATCH, "open_streams": self.open_streams,
            "seconds": self.seconds, "copy_rows_per_s": self.events / copy_s if copy_s else None,
            "chain_verified": self.chain_verified,
        }


class _History:
    """Generates the preload's rows as COPY text: valid versions, hash chains and stream rows.

    recorded_at runs evenly over the year before the load, so every preloaded event is older than what a
    benchmark appends later, and each stream row's created_at/updated_at are its first and last event's.
    """

    def __init__(self, total: int, open_streams: int = PRELOAD_OPEN_STREAMS, seed: int = 20261207) -> None:
        import orjson

        from eventstore import canonical_json

        self.total = total
        self.open_streams = open_streams
        self.rng = random.Random(seed)
        end_us = int(time.time() * 1e6) - 3_600_000_000
        self.step_us = max(1, 365 * 86_400_000_000 // max(total, 1))
        self.start_us = end_us - self.step_us * total
        self.fill = {t: _splice(template) for t, (_, template) in _TEMPLATES.items()}
        for text in self.fill.values():  # still JSON once filled
            orjson.loads(text % {"id": "x", "ref": "x", "by": "x", "at": "x"})
        self.meta_prefix = canonical_json({"actor": _HISTORY_ACTOR, "correlation_id": "@@c@@"}).decode().split("@@c@@")
        self.dumps = orjson.dumps
        self.emitted = 0
        self.open: list[_Open] = []
        self.closed: list[_Open] = []  # finished in the current batch, rows not written yet
        self.written = 0  # stream rows made
        self.probes: list[_Open] = []
        every = max(1, int(total * 0.9) // PROBE_STREAMS)
        self.probe_at = [every * k for k in range(PROBE_STREAMS)] if total >= PROBE_LENGTH * 10 else []
        self._second = -1
        self._second_text = ""
        self.tx = ""

    def _timestamp(self, us: int) -> str:
        minute, micro = divmod(us, 60_000_000)
        if minute != self._second:
            self._second = minute
            self._second_text = time.strftime("%Y-%m-%d %H:%M:", time.gmtime(minute * 60))
        second, micro = divmod(micro, 1_000_000)
        return f"{self._second_text}{second:02d}.{micro:06d}+00"

    def _new_stream(self) -> _Open:
        stream_type = _STREAM_TYPES[self.rng.randrange(len(_STREAM_TYPES))]
        entity_id = _uuid4_text()
        if self.probe_at and self.emitted >= self.probe_at[0]:
            self.probe_at.pop(0)
            stream = _Open(f"{stream_type}-{entity_id}", stream_type, entity_id, PROBE_LENGTH)
            self.probes.append(stream)
        else:
            ranges = self.rng.choices([r for r, _ in _LENGTHS], weights=[w for _, w in _LENGTHS])[0]
            stream = _Open(f"{stream_type}-{entity_id}", stream_type, entity_id, self.rng.choice(ranges))
        return stream

    def events(self, n: int, chunk: int = 5_000) -> Iterator[str]:
        """The next `n` events as COPY text lines for eventstore.events, `chunk` lines at a time."""
        lines: list[str] = []
        random_, opened, dumps, sha256, fill = self.rng.random, self.open, self.dumps, hashlib.sha256, self.fill
        meta_a, meta_b = self.meta_prefix
        for _ in range(n):
            while len(opened) < self.open_streams:
                opened.append(self._new_stream())
            k = int(random_() * len(opened))
            s = opened[k]
            us = self.start_us + self.emitted * self.step_us
            at = self._timestamp(us)
            event_id = _uuid4_text()
            event_type = _TEMPLATES[s.stream_type][0]
            data = fill[s.stream_type] % {"id": s.entity_id, "ref": event_id, "by": _HISTORY_ACTOR,
                                          "at": at[:19].replace(" ", "T") + "Z"}
            meta = f"{meta_a}{event_id}{meta_b}"
            head = dumps([event_id, s.stream_id, s.stream_type, event_type, 1])
            digest = sha256(b"".join((head[:-1], b",", data.encode(), b",", meta.encode(), b"]"))).digest()
            s.version += 1
            s.last_hash = sha256(s.last_hash + s.version.to_bytes(8, "big", signed=True)
                                 + us.to_bytes(8, "big", signed=True) + digest).digest()
            if s.version == 1:
                s.created_us = us
            s.updated_us, s.last_tx = us, self.tx
            lines.append(f"{event_id}\t{s.stream_id}\t{s.stream_type}\t{s.version}\t{event_type}\t1\t{data}\t{meta}"
                         f"\t{at}\t\\\\x{s.last_hash.hex()}\n")
            self.emitted += 1
            if s.version == s.length:
                self.closed.append(s)
                opened[k] = opened[-1]
                opened.pop()
            if len(lines) >= chunk:
                yield "".join(lines)
                lines = []
        if lines:
            yield "".join(lines)

    def stream_rows(self, streams: list[_Open]) -> str:
        """COPY text for eventstore.streams: each stream's version, chain tip and last writer's xid."""
        self.written += len(streams)
        return "".join(
            f"{s.stream_id}\t{s.stream_type}\t{s.version}\t\\\\x{s.last_hash.hex()}\t{s.last_tx}"
            f"\t{self._timestamp(s.created_us)}\t{self._timestamp(s.updated_us)}\n"
            for s in streams
        )


_EVENT_COLUMNS = "event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at, hash"
_STREAM_COLUMNS = "stream_id, stream_type, version, last_hash, last_tx, created_at, updated_at"


def _secondary_indexes(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(name, drop statement, create statement) of every index of eventstore.events but its primary key.

    Unique constraints are dropped and added back as constraints, under their own names (the store tells
    an event id reused from a raced append by the constraint's name).
    """
    rows = conn.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid), c.conname, pg_get_constraintdef(c.oid)"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid"
        " WHERE x.indrelid = 'eventstore.events'::regclass AND NOT x.indisprimary ORDER BY i.relname"
    ).fetchall()
    out = []
    for index, index_def, constraint, constraint_def in rows:
        if constraint is not None:
            out.append((index, f'ALTER TABLE eventstore.events DROP CONSTRAINT "{constraint}"',
                        f'ALTER TABLE eventstore.events ADD CONSTRAINT "{constraint}" {constraint_def}'))
        else:
            out.append((index, f'DROP INDEX eventstore."{index}"', index_def))
    return out


def preload(dsn: str, n: int, say: Callable[[str], None], *, open_streams: int = PRELOAD_OPEN_STREAMS) -> Preloaded:
    """COPY `n` events, and the rows of their streams, into the migrated, empty event store at `dsn`.

    Bulk-loaded the way a restore would be: the secondary indexes of eventstore.events are dropped first and
    built again at the end (built whole they come out denser than indexes grown one insert at a time, so
    `index_sizes` is a little below what a store that grew to this size would show), autovacuum is off for
    the table meanwhile, and then VACUUM ANALYZE and a CHECKPOINT leave it as a settled store would be.
    Every row is what the append functions would have written: versions 1, 2, … per stream, each event's hash
    chained from its predecessor's over its content digest, each stream row holding its version, chain tip
    and its last event's xid. Progress goes to `say`.
    """
    seconds: dict[str, float] = {}
    history = _History(n, open_streams)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '1GB'")
        indexes = _secondary_indexes(conn)
        conn.execute("ALTER TABLE eventstore.events SET (autovacuum_enabled = false)")
        for _, drop, _ in indexes:
            conn.execute(drop)
        t0 = last = perf_counter()
        last_emitted = 0
        while history.emitted < n:
            with conn.transaction():
                history.tx = conn.execute("SELECT pg_current_xact_id()::text").fetchone()[0]  # type: ignore[index]
                # The writer sends from a thread of its own, so the server parses one chunk while the next is made.
                cur = conn.cursor()
                with cur.copy(f"COPY eventstore.events ({_EVENT_COLUMNS}) FROM STDIN", writer=QueuedLibpqWriter(cur)) as copy:
                    for chunk in history.events(min(PRELOAD_BATCH, n - history.emitted)):
                        copy.write(chunk)
                if history.emitted == n:  # the streams still open end here (those given no event yet are none)
                    history.closed.extend(s for s in history.open if s.version)
                    history.open = []
                with conn.cursor().copy(f"COPY eventstore.streams ({_STREAM_COLUMNS}) FROM STDIN") as copy:
                    copy.write(history.stream_rows(history.closed))
                history.closed = []
            now = perf_counter()
            say(f"  preload: {history.emitted:,} of {n:,} events, {history.written:,} streams,"
                f" {(history.emitted - last_emitted) / (now - last):,.0f} rows/s now,"
                f" {history.emitted / (now - t0):,.0f} rows/s overall")
            last, last_emitted = now, history.emitted
        seconds["copy"] = perf_counter() - t0
        for name, _, create in indexes:
            t1 = perf_counter()
            conn.execute(create)
            seconds[f"index {name}"] = perf_counter() - t1
            say(f"  preload: {name} built in {seconds[f'index {name}']:.1f} s")
        conn.execute("ALTER TABLE eventstore.events RESET (autovacuum_enabled)")
        t1 = perf_counter()
        conn.execute("VACUUM (ANALYZE) eventstore.events, eventstore.streams")
        seconds["vacuum_analyze"] = perf_counter() - t1
        t1 = perf_counter()
        with contextlib.suppress(psycopg.Error):  # not a superuser: the first case's checkpoint pays for it
            conn.execute("CHECKPOINT")
        seconds["checkpoint"] = perf_counter() - t1
        middle = conn.execute(
            "SELECT tx_id::text, position FROM eventstore.events ORDER BY position OFFSET %s LIMIT 1", (n // 2,)
        ).fetchone() if n else None
    seconds["total"] = sum(v for k, v in seconds.items())
    probes = [s.stream_id for s in history.probes if s.version == PROBE_LENGTH]
    say(f"  preload: {n:,} events in {seconds['total']:.0f} s (COPY {seconds['copy']:.0f} s,"
        f" {n / seconds['copy'] if seconds['copy'] else 0:,.0f} rows/s; indexes"
        f" {sum(v for k, v in seconds.items() if k.startswith('index')):.0f} s; VACUUM ANALYZE {seconds['vacuum_analyze']:.0f} s)")
    return Preloaded(n, history.written, probes, None if middle is None else (int(middle[0]), middle[1]), seconds,
                     open_streams)


async def verify_probe(dsn: str, loaded: Preloaded) -> None:
    """Read one probe stream back through EventStore and check its hash chain against its stream row."""
    import eventstore
    from eventstore import verify_chain

    if not loaded.probe_streams:
        return
    stream_id = loaded.probe_streams[0]
    async with eventstore.create_pool(dsn, min_size=1, max_size=1, name="bench-verify") as pool:
        store = eventstore.EventStore(pool)
        events = await store.read_stream(stream_id)
        tip = await store.stream_tip(stream_id)
    problems = verify_chain(events, expected_tip=None if tip is None else tip[1])
    loaded.chain_verified = len(events) == PROBE_LENGTH and tip is not None and tip[0] == PROBE_LENGTH and not problems


def store_sizes(dsn: str) -> dict[str, Any]:
    """`table_sizes` and `index_sizes` of the eventstore schema: bytes (main fork) and pretty."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT c.relname, pg_relation_size(c.oid), pg_size_pretty(pg_relation_size(c.oid)),"
            " pg_total_relation_size(c.oid), pg_size_pretty(pg_total_relation_size(c.oid)), c.reltuples::bigint"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'eventstore' AND c.relkind = 'r' ORDER BY pg_relation_size(c.oid) DESC, c.relname"
        ).fetchall()
        indexes = conn.execute(
            "SELECT i.tablename, i.indexname, pg_relation_size(format('%I.%I', i.schemaname, i.indexname)::regclass)"
            " FROM pg_indexes i WHERE i.schemaname = 'eventstore' ORDER BY 3 DESC, 2"
        ).fetchall()
        pretty = {b: conn.execute("SELECT pg_size_pretty(%s::bigint)", (b,)).fetchone()[0] for _, _, b in indexes}  # type: ignore[index]
    return {
        "table_sizes": {name: {"bytes": size, "pretty": shown, "total_bytes": total, "total_pretty": total_shown,
                               "rows_estimate": rows}
                        for name, size, shown, total, total_shown, rows in tables},
        "index_sizes": {name: {"table": table, "bytes": size, "pretty": pretty[size]} for table, name, size in indexes},
    }


def add_preload_argument(group: Any) -> None:
    group.add_argument("--preload", type=int, default=0, metavar="N",
                       help="COPY N events of history into the event store before the cases (default 0: an empty store)")
