"""Shared helpers of the benchmark suites: a throwaway database, writer drivers, percentiles, output.

Nothing here asserts anything: the suites only measure and report.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

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
