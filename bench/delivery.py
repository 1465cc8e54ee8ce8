"""The `delivery` suite: event store → relay → RabbitMQ log stream → projector → read model.

Cases (each reports `events_per_s`; run one with `--only NAME`):

- ``latency``: the real path at a steady offered rate (default 200 events/s for 20 s). Writer tasks
  append JobCreated events to new job streams (``EventStore.append`` with ``NO_STREAM``) while a
  ``Relay`` (publishing through FastStream, ``consumers.runtime.app.broker_for``) and a ``Projector`` of the
  ats projection following the log (``run_from_log``) run as tasks of this same process. Latency is
  per event, from the append's return to its row being visible in ats.jobs: a poller reads the
  projector's checkpoint (``projection:ats``) every `--poll-ms` and stamps every appended event at or
  before it as visible (the checkpoint commits in the transaction that writes the rows, so this is
  row visibility; the stamp is taken after the poll returns, so it errs by at most one poll late).
  `stage_breakdown` splits it per event into append → relay read → broker confirm → projector batch
  → applied → seen, from timestamps that subclasses of Relay and Projector note around the unchanged
  `_publish` and `_apply_messages` (only while this case runs).
- ``sustained``: the same pipeline, offered stepped rates (default 500, 1000, 2000, 4000, 8000
  events/s, `--sustain-seconds` each, from `--sustain-writers` concurrent writer tasks). A step is
  sustained when the writers achieved ≥ 95 % of the offered rate and the lag (appended minus visible)
  is not growing: the mean lag over the last 20 % of the step is ≤ 2× that around mid-step (40–60 %)
  (or below 0.1 s worth of events), ≤ 1 s worth of events, and its least-squares slope over the
  second half is ≤ 5 % of the offered rate. Stepping stops at the first step not sustained, then
  `--sustain-refine` steps bisect between the last sustained and the first failed rate.
  `events_per_s` is the highest sustained offered rate.
- ``relay_publish``: `--events` events pre-appended, then ``Relay.publish_batch`` looped from the
  start until caught up (batches of `--batch-size`, each read from the feed, published with confirms,
  then the relay checkpoint saved), beside plain aio-pika publishing of the same messages (bodies and
  headers from ``consumers.runtime.envelope.encode``, encoded inside the timed loop; persistent, mandatory,
  publisher confirms, same exchange and routing keys, batches of the same size, all confirms awaited
  per batch; the events are read from the store before the timing). Interleaved over
  `--publish-rounds` rounds.
- ``projector_apply``: the same events applied to fresh schemas two ways, each timed on its own:
  ``store_catch_up`` is ``Projector.catch_up`` (batch 5000, what ``run_from_log`` does at startup)
  straight from the event store; ``log`` is ``Projector.run_from_log`` consuming the events from the
  broker's log stream, where they were published beforehand (untimed). For the log path the
  projector's checkpoint is set to the start with stream offset -1 (so it consumes from offset 0) and
  its startup catch-up from the store is skipped (a subclass that returns 0 for that one call only),
  so every event comes through the log; its `caught_up_from_store` is reported and should be 0.
  Timed from the consumer being attached ("live") until every event is applied.

With ``--preload N`` the event store first gets N events of history by COPY (bench/common.py: `preload`), and
every case runs on top of it: `reset` then keeps the events and streams, empties the rest, and starts the relay's
and the projectors' checkpoints at the head, so nothing of the history is published or projected (the history's
event types are not the registry's); each case's events are read from that head (`Bench.base`). The events of
earlier cases stay in the store too.

Everything runs in this one Python process (2 cores shared with PostgreSQL and RabbitMQ on the
benchmark machine), so the sustained rate includes the writers' own CPU.

RabbitMQ names use the prefix ``splits_bench_<pid>_<case>``; every queue and exchange declared is
deleted at the end, also on failure (see `cleanup`).
"""

from __future__ import annotations

import asyncio
import heapq
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any
from uuid import uuid4

import aio_pika
import psycopg
from psycopg import sql

from bench.common import (
    Preloaded,
    _machine_busy_s,
    add_preload_argument,
    fmt_ms,
    fmt_rate,
    fmt_ratio,
    percentile,
    preload,
    ratio,
    store_sizes,
)
from consumers.runtime.app import broker_for
from consumers.runtime.envelope import encode, routing_key
from consumers.runtime.projector import Projector, checkpoint_name
from consumers.runtime.relay import CHECKPOINT as RELAY_CHECKPOINT
from consumers.runtime.relay import Relay
from consumers.runtime.topology import Topology
from eventstore import (
    NO_STREAM,
    START,
    EventStore,
    NewEvent,
    Position,
    create_pool,
    read_feed,
    read_head,
    save_checkpoint,
)
from infra.bootstrap import event_registry, migrate_all
from projections.ats import ats

DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
CASES = ("latency", "sustained", "relay_publish", "projector_apply")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

# Topologies declared and not deleted yet: `cleanup` removes them if the run could not.
_LEFTOVERS: list[Topology] = []
_URL = [DEFAULT_RABBITMQ_URL]


def add_arguments(group: Any) -> None:
    env_url = os.environ.get("SPLITS_BENCH_RABBITMQ_URL") or os.environ.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL
    group.add_argument("--rabbitmq-url", default=env_url, help="broker (default $SPLITS_BENCH_RABBITMQ_URL, $RABBITMQ_URL or local guest)")
    group.add_argument("--rate", type=float, default=200.0, help="latency: offered events/s (default 200)")
    group.add_argument("--latency-seconds", type=float, default=20.0, help="latency: timed duration (default 20)")
    group.add_argument("--latency-writers", type=int, default=4, help="latency: writer tasks sharing the rate (default 4)")
    group.add_argument("--poll-ms", type=float, default=2.0, help="checkpoint poll interval (default 2 ms)")
    group.add_argument("--sustain-seconds", type=float, default=15.0, help="sustained: seconds per step (default 15; 30 for the full criterion)")
    group.add_argument("--sustain-rates", default="500,1000,2000,4000,8000", help="sustained: offered rates to step through (default 500,1000,2000,4000,8000)")
    group.add_argument("--sustain-writers", type=int, default=16, help="sustained: concurrent writer tasks (default 16)")
    group.add_argument("--sustain-writers-process", action="store_true",
                       help="sustained: run the writers in a child process instead of as tasks beside the relay and projector")
    group.add_argument("--sustain-refine", type=int, default=1,
                       help="sustained: steps halving the gap between the last sustained and the first failed rate (default 1)")
    group.add_argument("--events", type=int, default=20_000, help="relay_publish / projector_apply: events (default 20000)")
    group.add_argument("--batch-size", type=int, default=500, help="relay_publish: relay and aio-pika batch size (default 500, the relay's)")
    group.add_argument("--publish-rounds", type=int, default=2, help="relay_publish: interleaved rounds per implementation (default 2)")
    add_preload_argument(group)


def describe(args: Any) -> str:
    return (
        f"latency {args.rate:g} ev/s for {args.latency_seconds:g} s, sustained steps {args.sustain_rates} ev/s of"
        f" {args.sustain_seconds:g} s each, relay/projector {args.events} events (--seconds/--rounds unused)"
        + (f", on {args.preload:,} preloaded events" if args.preload else "")
    )


# --- events ---------------------------------------------------------------------------------------------


def _job_created(job_id: Any, company_id: Any) -> Any:
    from commands.ats.events import JobCreated

    return JobCreated(
        job_id=job_id, company_id=company_id, source_firm_id=None, title="Senior Backend Engineer (Python, PostgreSQL)",
        department="Engineering", location="Berlin, DE", recruiter_description="Payments platform team, 8 engineers.",
        candidate_description=None, salary_min_cents=8_500_000, salary_max_cents=10_500_000, show_salary_range=True,
        fee_bps=2000, guarantee_days=90, employment_type="full_time", commute_types=["hybrid_2"], job_level="senior",
        open_to_relocation=False, is_early_access=False, activates_at=None, closes_at=None, is_priority=False,
        job_owner_recruiter_id=None, created_by="bench", at=NOW,
    )


class EventFactory:
    """JobCreated events for new job streams: a template encoded once through the registry, new ids each."""

    def __init__(self, registry: Any) -> None:
        self.template = registry.encode(_job_created(uuid4(), uuid4())).data

    def new(self) -> tuple[str, NewEvent]:
        job_id = uuid4()
        data = dict(self.template)
        data["job_id"] = str(job_id)
        data["company_id"] = str(uuid4())
        return f"job-{job_id}", NewEvent(type="JobCreated", data=data, event_id=uuid4())


# --- the bench's shared state -------------------------------------------------------------------------


@dataclass
class Bench:
    dsn: str
    url: str
    pool: Any
    store: EventStore
    registry: Any
    factory: EventFactory
    say: Callable[[str], None]
    loaded: int | None = None  # events after `base` as appended by `load` (None: unknown or mixed)
    history: Preloaded | None = None  # the preloaded history, kept by `reset`
    base: Position = START  # where the events of the current case begin: the head at the last `reset`

    async def topology(self, case: str) -> Topology:
        topo = Topology(prefix=f"splits_bench_{os.getpid()}_{case}")
        _LEFTOVERS.append(topo)
        connection = await aio_pika.connect(self.url)
        async with connection:
            await topo.declare_events(await connection.channel())
        return topo

    async def reset(self) -> None:
        """Empty the store, the checkpoints and the read models (a throwaway database: fast and exact).

        With a preloaded history the events and streams stay, and the relay's and the ats projector's
        checkpoints start at the head instead: a case then publishes and projects only its own events.
        """
        async with self.pool.connection() as conn:
            cur = await conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'")
            for (schema,) in await cur.fetchall():
                await conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
            kept = "" if self.history is not None else "eventstore.events, eventstore.streams, "
            await conn.execute(
                f"TRUNCATE {kept}eventstore.checkpoints, eventstore.inbox, eventstore.consumer_status, ats.jobs"
            )
            self.base = START if self.history is None else await read_head(conn)
            if self.base != START:
                for name in (RELAY_CHECKPOINT, checkpoint_name(ats.name)):
                    await save_checkpoint(conn, name, self.base)
        self.loaded = 0
        await pg_checkpoint(self.pool)

    async def load(self, n: int, writers: int = 16) -> float:
        """Append `n` JobCreated events, one per new job stream, from `writers` tasks; returns seconds."""
        started = perf_counter()
        per = [n // writers + (1 if k < n % writers else 0) for k in range(writers)]

        async def writer(count: int) -> None:
            for _ in range(count):
                stream, event = self.factory.new()
                await self.store.append(stream, [event], NO_STREAM)

        await asyncio.gather(*(writer(c) for c in per))
        self.loaded = (self.loaded or 0) + n
        await pg_checkpoint(self.pool)
        return perf_counter() - started


async def pg_checkpoint(pool: Any) -> None:
    async with pool.connection() as conn:
        try:
            await conn.execute("CHECKPOINT")
        except psycopg.Error:
            pass


class CpuWindow:
    def __init__(self) -> None:
        self.t0, self.cpu0, self.busy0 = perf_counter(), time.process_time(), _machine_busy_s()

    def close(self) -> dict[str, float | None]:
        wall = perf_counter() - self.t0
        busy = _machine_busy_s() - self.busy0
        return {
            "client_cpu_cores": (time.process_time() - self.cpu0) / wall if wall > 0 else None,
            "machine_busy_cores": busy / wall if wall > 0 and busy > 0 else None,
        }


def _ms(values: list[float], pct: float) -> float | None:
    v = percentile(values, pct)
    return None if v is None else v * 1000.0


# --- the running pipeline (latency, sustained) ----------------------------------------------------------


class _StampedRelay(Relay):
    """The relay, unchanged, noting when each event's publish started (just after its feed read) and was confirmed."""

    stamps: dict[int, tuple[float, float]] | None = None

    async def _publish(self, event: Any, previous: Position) -> None:
        t0 = perf_counter()
        await super()._publish(event, previous)
        if self.stamps is not None:
            self.stamps[event.position.pos] = (t0, perf_counter())


class _StampedProjector(Projector):
    """The projector, unchanged, noting when each log batch started being applied and when it was done (acked)."""

    stamps: dict[int, tuple[float, float]] | None = None

    async def _apply_messages(self, messages: list[Any]) -> None:
        t0 = perf_counter()
        await super()._apply_messages(messages)
        if self.stamps is not None:
            t1 = perf_counter()
            for message in messages:
                self.stamps[Position.parse(str((message.headers or {})["x-position"])).pos] = (t0, t1)


STAGES = (
    ("append_to_relay_read", "append returned → the relay read it from the feed (idle poll, xmin horizon)"),
    ("relay_publish_confirm", "relay publish → broker confirm (the whole batch is published concurrently)"),
    ("confirm_to_projector", "confirm → the projector's batch starts (stream delivery + 2 ms linger + previous batch)"),
    ("projector_apply", "projector batch: checkpoint read, transaction with rows + checkpoint, ack"),
    ("applied_to_seen", "applied → seen by the checkpoint poller"),
)


def stage_breakdown(visible: dict[int, tuple[float, float]], relay: dict[int, tuple[float, float]],
                    projector: dict[int, tuple[float, float]]) -> dict[str, Any]:
    """Percentiles of each stage, and where the slowest 1 % of events spent their time (mean ms per stage)."""
    rows = []
    for pos, (appended, seen) in visible.items():
        r, p = relay.get(pos), projector.get(pos)
        if r is None or p is None:
            continue
        rows.append((r[0] - appended, r[1] - r[0], p[0] - r[1], p[1] - p[0], seen - p[1], seen - appended))
    if not rows:
        return {}
    out: dict[str, Any] = {"events": len(rows)}
    for k, (name, _) in enumerate(STAGES):
        col = [row[k] for row in rows]
        out[name] = {"p50_ms": _ms(col, 50), "p99_ms": _ms(col, 99), "max_ms": max(col) * 1000.0}
    rows.sort(key=lambda row: row[-1])
    tail = rows[int(len(rows) * 0.99):] or rows[-1:]
    out["slowest_1pct_mean_ms"] = {name: statistics.fmean(row[k] for row in tail) * 1000.0 for k, (name, _) in enumerate(STAGES)}
    out["stages"] = dict(STAGES)
    return out


class Pipeline:
    """A relay, the ats projector following the log, and the checkpoint poller, as tasks of this process."""

    def __init__(self, bench: Bench, topology: Topology, poll_s: float) -> None:
        self.bench = bench
        self.topology = topology
        self.poll_s = poll_s
        self.pending: list[tuple[int, int, float]] = []  # heap of (tx, pos, appended_at) not yet visible
        self.sink: list[float] | None = None  # where visibility latencies go (None: discarded)
        self.visible: dict[int, tuple[float, float]] | None = None  # pos → (appended, seen), when stamping
        self.polls = 0
        self.poll_started = 0.0
        self.tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        b = self.bench
        self.stop = asyncio.Event()
        self.broker = broker_for(b.url)
        await self.broker.connect()
        self.amqp = await aio_pika.connect_robust(b.url)
        self.relay = _StampedRelay(b.pool, self.broker, self.topology, b.registry)
        self.projector = _StampedProjector(b.pool, ats, b.registry)
        self.poll_conn = await psycopg.AsyncConnection.connect(b.dsn, autocommit=True)
        self.tasks = [
            asyncio.create_task(self.relay.run(self.stop), name="relay"),
            asyncio.create_task(self.projector.run_from_log(self.stop, self.amqp, self.topology), name="projector"),
            asyncio.create_task(self._poll(), name="poller"),
        ]
        await self.wait(lambda: self.relay.stats.is_leader and self.projector.stats.mode == "live", 30, "the pipeline to start")

    def record(self, position: Position, at: float) -> None:
        heapq.heappush(self.pending, (position.tx, position.pos, at))

    def check(self) -> None:
        for task in self.tasks:
            if task.done():
                exc = task.exception()
                raise RuntimeError(f"{task.get_name()} stopped: {exc!r}" if exc else f"{task.get_name()} stopped")

    async def wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> bool:
        deadline = perf_counter() + timeout
        while not predicate():
            self.check()
            if perf_counter() > deadline:
                raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
            await asyncio.sleep(0.005)
        return True

    async def drain(self, timeout: float) -> tuple[bool, float]:
        """Wait until every appended event is visible; (drained, seconds waited)."""
        t0 = perf_counter()
        try:
            await self.wait(lambda: not self.pending, timeout, "the pipeline to drain")
        except TimeoutError:
            return False, perf_counter() - t0
        return True, perf_counter() - t0

    async def _poll(self) -> None:
        name = self.projector.checkpoint
        query = "SELECT tx_id::text, position FROM eventstore.checkpoints WHERE name = %s"
        self.poll_started = perf_counter()
        while not self.stop.is_set():
            cur = await self.poll_conn.execute(query, (name,), prepare=True)
            row = await cur.fetchone()
            now = perf_counter()
            self.polls += 1
            if row is not None:
                tx, pos = int(row[0]), row[1]
                pending, sink, visible = self.pending, self.sink, self.visible
                while pending and (pending[0][0], pending[0][1]) <= (tx, pos):
                    _, event_pos, appended_at = heapq.heappop(pending)
                    if sink is not None:
                        sink.append(now - appended_at)
                    if visible is not None:
                        visible[event_pos] = (appended_at, now)
            await asyncio.sleep(self.poll_s)

    def mean_poll_interval_ms(self) -> float | None:
        if not self.polls:
            return None
        return (perf_counter() - self.poll_started) / self.polls * 1000.0

    async def close(self) -> None:
        """Stop the tasks and close what `start` opened (as far as it got)."""
        if hasattr(self, "stop"):
            self.stop.set()
        results = await asyncio.gather(*self.tasks, return_exceptions=True)
        for task, result in zip(self.tasks, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                self.bench.say(f"  {task.get_name()} ended with {result!r}")
        for name in ("poll_conn", "broker", "amqp"):
            thing = getattr(self, name, None)
            if thing is None:
                continue
            try:
                await (thing.stop() if name == "broker" else thing.close())
            except Exception as exc:
                self.bench.say(f"  closing the {name} failed: {exc!r}")


@dataclass
class Offered:
    rate: float
    seconds: float
    elapsed: float = 0.0
    appended: int = 0
    errors: int = 0
    first_error: str | None = None
    append_latencies: list[float] = field(default_factory=list)
    lag_samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds into the step, lag)

    @property
    def achieved(self) -> float:
        return self.appended / self.elapsed if self.elapsed > 0 else 0.0


async def paced_appends(
    store: Any, factory: Any, rate: float, writers: int, k: int, start: float, deadline: float,
    appended: Callable[[Position, float, float], None], failed: Callable[[Exception], None],
) -> None:
    """Writer `k` of `writers`: one new-stream append every `writers / rate` seconds, offset by k.

    A writer that falls behind catches up (appends without sleeping) rather than skipping its slots.
    """
    i = 0
    while True:
        due = start + (i * writers + k) / rate
        if due >= deadline:
            return
        delay = due - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        i += 1
        stream, event = factory.new()
        t0 = perf_counter()
        try:
            result = await store.append(stream, [event], NO_STREAM)
        except Exception as exc:
            failed(exc)
            continue
        appended(result.position, t0, perf_counter())


async def offer(bench: Bench, pipeline: Pipeline, rate: float, seconds: float, writers: int, sample_every: float = 0.25) -> Offered:
    """Append at `rate` events/s for `seconds` from `writers` paced tasks (a late writer catches up, never skips)."""
    result = Offered(rate, seconds)
    store, factory = bench.store, bench.factory
    start = perf_counter()
    deadline = start + seconds

    def appended(position: Position, t0: float, t1: float) -> None:
        pipeline.record(position, t1)
        result.append_latencies.append(t1 - t0)
        result.appended += 1

    def failed(exc: Exception) -> None:  # counted and reported
        result.errors += 1
        result.first_error = result.first_error or f"{type(exc).__name__}: {exc}"

    def writer(k: int) -> Awaitable[None]:
        return paced_appends(store, factory, rate, writers, k, start, deadline, appended, failed)

    async def sampler() -> None:
        while True:
            result.lag_samples.append((perf_counter() - start, len(pipeline.pending)))
            pipeline.check()
            await asyncio.sleep(sample_every)

    sampling = asyncio.create_task(sampler())
    try:
        await asyncio.gather(*(writer(k) for k in range(writers)))
    finally:
        sampling.cancel()
        await asyncio.gather(sampling, return_exceptions=True)
    result.elapsed = perf_counter() - start
    result.lag_samples.append((result.elapsed, len(pipeline.pending)))
    return result


async def offer_from_subprocess(bench: Bench, pipeline: Pipeline, rate: float, seconds: float, writers: int,
                                sample_every: float = 0.25) -> Offered:
    """`offer`, but the writers run in a child process (`python -m bench.delivery writer …`) with a pool of their own.

    The child reports each append's position and return time (perf_counter is the system-wide monotonic clock,
    comparable across processes) on its stdout; this process records them for the poller as `offer` does.
    """
    result = Offered(rate, seconds)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.delivery", "writer", bench.dsn, repr(rate), repr(seconds), str(writers),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=str(Path(__file__).resolve().parents[1]),
        limit=1 << 20,
    )
    assert proc.stdin is not None and proc.stdout is not None
    sampling: asyncio.Task | None = None
    try:
        while (line := await proc.stdout.readline()) and line != b"READY\n":
            pass
        if not line:
            raise RuntimeError(f"the writer process exited before it was ready (code {await proc.wait()})")
        proc.stdin.write(b"GO\n")
        await proc.stdin.drain()
        start = float((await proc.stdout.readline()).split()[1])

        async def sampler() -> None:
            while True:
                result.lag_samples.append((perf_counter() - start, len(pipeline.pending)))
                pipeline.check()
                await asyncio.sleep(sample_every)

        sampling = asyncio.create_task(sampler())
        while line := await proc.stdout.readline():
            kind, _, rest = line.decode().rstrip("\n").partition(" ")
            if kind == "A":
                tx, pos, at, took = rest.split()
                pipeline.record(Position(int(tx), int(pos)), float(at))
                result.append_latencies.append(float(took))
                result.appended += 1
            elif kind == "E":
                result.errors += 1
                result.first_error = result.first_error or rest
            elif kind == "END":
                result.elapsed = float(rest)
                break
        if not result.elapsed:
            raise RuntimeError(f"the writer process stopped early (code {await proc.wait()})")
    finally:
        if sampling is not None:
            sampling.cancel()
            await asyncio.gather(sampling, return_exceptions=True)
        if proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    result.lag_samples.append((perf_counter() - start, len(pipeline.pending)))
    return result


async def _writer_process(dsn: str, rate: float, seconds: float, writers: int) -> None:
    """The child of `offer_from_subprocess`: paced appends, one line per append on stdout."""
    registry = event_registry()
    pool = create_pool(dsn, min_size=writers, max_size=writers, name="bench-writers")
    await pool.open(wait=True, timeout=30)
    store, factory = EventStore(pool, registry), EventFactory(registry)
    lines: list[str] = []
    out = sys.stdout
    out.write("READY\n")
    out.flush()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    start = perf_counter()
    deadline = start + seconds
    out.write(f"START {start!r}\n")
    out.flush()

    def appended(position: Position, t0: float, t1: float) -> None:
        lines.append(f"A {position.tx} {position.pos} {t1!r} {t1 - t0!r}")

    def failed(exc: Exception) -> None:
        lines.append(f"E {type(exc).__name__}: {exc}".replace("\n", " "))

    def writer(k: int) -> Awaitable[None]:
        return paced_appends(store, factory, rate, writers, k, start, deadline, appended, failed)

    async def flusher() -> None:
        while True:
            await asyncio.sleep(0.002)
            if lines:
                out.write("\n".join(lines) + "\n")
                lines.clear()
                out.flush()

    flushing = asyncio.create_task(flusher())
    await asyncio.gather(*(writer(k) for k in range(writers)))
    elapsed = perf_counter() - start
    flushing.cancel()
    await asyncio.gather(flushing, return_exceptions=True)
    if lines:
        out.write("\n".join(lines) + "\n")
    out.write(f"END {elapsed!r}\n")
    out.flush()
    await pool.close()


async def case_latency(bench: Bench, pipeline: Pipeline, opts: Any, warmup: float) -> dict[str, Any]:
    pipeline.sink = None
    if warmup > 0:
        await offer(bench, pipeline, opts.rate, warmup, opts.latency_writers)
        await pipeline.drain(30)
    await pg_checkpoint(bench.pool)
    relay0, proj0 = pipeline.relay.stats.batches, pipeline.projector.stats.batches
    latencies: list[float] = []
    pipeline.sink = latencies
    pipeline.visible, pipeline.relay.stamps, pipeline.projector.stamps = {}, {}, {}
    polls0, poll_t0 = pipeline.polls, perf_counter()
    cpu = CpuWindow()
    run = await offer(bench, pipeline, opts.rate, opts.latency_seconds, opts.latency_writers)
    usage = cpu.close()
    drained, drain_s = await pipeline.drain(30)
    poll_ms = (perf_counter() - poll_t0) / max(1, pipeline.polls - polls0) * 1000.0
    stages = stage_breakdown(pipeline.visible, pipeline.relay.stamps, pipeline.projector.stamps)
    pipeline.sink = None
    pipeline.visible, pipeline.relay.stamps, pipeline.projector.stamps = None, None, None
    relay_batches = pipeline.relay.stats.batches - relay0
    projector_batches = pipeline.projector.stats.batches - proj0
    return {
        "name": "latency",
        "what": "append return → row visible in ats.jobs (projector checkpoint polled), relay + projector on the log in this process",
        "offered_events_per_s": opts.rate,
        "events_per_s": run.achieved,
        "seconds": run.elapsed,
        "events": run.appended,
        "visible": len(latencies),
        "not_visible_after_30s": 0 if drained else len(pipeline.pending),
        "p50_ms": _ms(latencies, 50),
        "p90_ms": _ms(latencies, 90),
        "p99_ms": _ms(latencies, 99),
        "max_ms": max(latencies) * 1000.0 if latencies else None,
        "append_p50_ms": _ms(run.append_latencies, 50),
        "append_p99_ms": _ms(run.append_latencies, 99),
        "writers": opts.latency_writers,
        "poll_interval_ms": {"set": opts.poll_ms, "measured_mean": poll_ms},
        "relay_events_per_batch": run.appended / relay_batches if relay_batches else None,
        "projector_events_per_batch": run.appended / projector_batches if projector_batches else None,
        "drain_seconds": drain_s,
        "errors": run.errors,
        "first_error": run.first_error,
        **usage,
        "stage_breakdown": stages,
    }


def _mean_lag(samples: list[tuple[float, int]], seconds: float, lo: float, hi: float) -> float:
    chosen = [lag for t, lag in samples if lo * seconds <= t <= hi * seconds]
    return statistics.fmean(chosen) if chosen else float("nan")


def _slope(samples: list[tuple[float, int]]) -> float:
    if len(samples) < 3:
        return 0.0
    xs, ys = [t for t, _ in samples], [lag for _, lag in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


async def _sustain_step(bench: Bench, pipeline: Pipeline, opts: Any, rate: float) -> dict[str, Any]:
    """Offer `rate` for --sustain-seconds (the pipeline drained first) and judge whether it kept up."""
    seconds = opts.sustain_seconds
    drained, _ = await pipeline.drain(60)
    if not drained:
        return {"offered_events_per_s": rate, "sustained": False, "skipped": "the previous step's lag did not drain in 60 s"}
    latencies: list[float] = []
    pipeline.sink = latencies
    applied0, published0 = pipeline.projector.stats.applied, pipeline.relay.stats.published
    cpu = CpuWindow()
    offering = offer_from_subprocess if opts.sustain_writers_process else offer
    run = await offering(bench, pipeline, rate, seconds, opts.sustain_writers)
    usage = cpu.close()
    applied = pipeline.projector.stats.applied - applied0
    published = pipeline.relay.stats.published - published0
    lag_end_now = len(pipeline.pending)
    drained, drain_s = await pipeline.drain(60)
    pipeline.sink = None
    mid = _mean_lag(run.lag_samples, run.elapsed, 0.4, 0.6)
    end = _mean_lag(run.lag_samples, run.elapsed, 0.8, 1.0)
    slope = _slope([(t, lag) for t, lag in run.lag_samples if t >= run.elapsed / 2])
    kept_up = run.achieved >= 0.95 * rate
    not_growing = end <= max(2 * mid, 0.1 * rate)
    within_1s = end <= rate
    flat = slope <= 0.05 * rate
    sustained = kept_up and not_growing and within_1s and flat and run.errors == 0
    step = {
        "offered_events_per_s": rate,
        "appended_events_per_s": run.achieved,
        "published_events_per_s": published / run.elapsed if run.elapsed else None,
        "projected_events_per_s": applied / run.elapsed if run.elapsed else None,
        "events": run.appended,
        "lag_mid": mid,
        "lag_end": end,
        "lag_at_stop": lag_end_now,
        "lag_slope_per_s": slope,
        "max_lag": max((lag for _, lag in run.lag_samples), default=0),
        "p50_ms": _ms(latencies, 50),
        "p99_ms": _ms(latencies, 99),
        "max_ms": max(latencies) * 1000.0 if latencies else None,
        "append_p99_ms": _ms(run.append_latencies, 99),
        "drain_seconds": drain_s if drained else None,
        "checks": {"appends_kept_up": kept_up, "lag_end_le_2x_mid": not_growing, "lag_end_le_1s": within_1s,
                   "slope_le_5pct": flat},
        "sustained": sustained,
        "errors": run.errors,
        "first_error": run.first_error,
        "lag_per_second": [lag for t, lag in run.lag_samples if abs(t - round(t)) < 0.13],
        **usage,
    }
    bench.say(
        f"  sustained step {rate:>6,.0f} ev/s: appended {run.achieved:,.0f}/s, published {step['published_events_per_s']:,.0f}/s,"
        f" projected {step['projected_events_per_s']:,.0f}/s, lag mid {mid:,.0f} end {end:,.0f} slope {slope:,.0f}/s,"
        f" p99 {fmt_ms(step['p99_ms'])} ms → {'sustained' if sustained else 'NOT sustained'}"
    )
    return step


async def case_sustained(bench: Bench, pipeline: Pipeline, opts: Any) -> dict[str, Any]:
    rates = [float(r) for r in str(opts.sustain_rates).split(",") if r.strip()]
    seconds = opts.sustain_seconds
    steps: list[dict[str, Any]] = []
    best: float | None = None
    failed_at: float | None = None
    for rate in rates:
        step = await _sustain_step(bench, pipeline, opts, rate)
        steps.append(step)
        if not step["sustained"]:
            failed_at = rate
            break
        best = rate
    # Narrow down between the last sustained rate and the first that was not.
    for _ in range(opts.sustain_refine if best is not None and failed_at is not None else 0):
        rate = round((best + failed_at) / 2, -1)  # type: ignore[operator]
        step = await _sustain_step(bench, pipeline, opts, rate)
        step["refinement"] = True
        steps.append(step)
        if step["sustained"]:
            best = rate
        else:
            failed_at = rate
    return {
        "name": "sustained",
        "what": "highest offered append rate the relay + projector pipeline keeps up with (lag not growing), all in this process",
        "events_per_s": best,
        "first_not_sustained_events_per_s": failed_at,
        "seconds_per_step": seconds,
        "note": f"{seconds:g} s per step (the full criterion is 30 s: --sustain-seconds 30)" if seconds < 30 else None,
        "writers": opts.sustain_writers,
        "writers_in": "a child process" if opts.sustain_writers_process else "this process (tasks beside the relay and projector)",
        "criterion": "appended >= 95% of offered; mean lag over the last 20% <= max(2x mean lag at 40-60%, 0.1 s worth);"
                     " <= 1 s worth of events; lag slope over the second half <= 5% of the rate",
        "steps": steps,
    }


# --- relay_publish --------------------------------------------------------------------------------------


async def _relay_publish_all(bench: Bench, broker: Any, topology: Topology, name: str, batch: int) -> tuple[float, int]:
    relay = Relay(bench.pool, broker, topology, bench.registry, name=name, batch_size=batch)
    t0 = perf_counter()
    position = bench.base
    while (published := await relay.publish_batch(position)) is not None:
        position = published
    return perf_counter() - t0, relay.stats.published


async def _aio_pika_publish_all(exchange: Any, registry: Any, events: list[Any], batch: int,
                                start: Position = START) -> tuple[float, int]:
    t0 = perf_counter()
    previous = start
    for i in range(0, len(events), batch):
        chunk = events[i:i + batch]
        publishes = []
        for event in chunk:
            body, headers = encode(event, previous)
            previous = event.position
            message = aio_pika.Message(
                body,
                headers=headers,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(event.event_id),
                correlation_id=event.metadata.get("correlation_id"),
                timestamp=event.recorded_at,
            )
            key = routing_key(registry.context_of(event.type, event.stream_type), event.type)
            publishes.append(exchange.publish(message, routing_key=key, mandatory=True, timeout=10))
        await asyncio.gather(*publishes)
    return perf_counter() - t0, len(events)


async def _read_all(bench: Bench, batch: int = 5000) -> list[Any]:
    events: list[Any] = []
    position = bench.base
    async with bench.pool.connection() as conn:
        while chunk := await read_feed(conn, position, batch):
            events.extend(chunk)
            position = chunk[-1].position
    return events


async def case_relay_publish(bench: Bench, opts: Any, warmup: float) -> dict[str, Any]:
    n, batch = opts.events, opts.batch_size
    await bench.reset()
    topology = await bench.topology("relay")
    setup_s = await bench.load(n)
    bench.say(f"  relay_publish: {n} events appended in {setup_s:.1f} s (setup)")
    events = await _read_all(bench)
    broker = broker_for(bench.url)
    await broker.connect()
    connection = await aio_pika.connect(bench.url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(topology.exchange, ensure=True)
        # Warm-up (untimed): one batch each.
        warm = Relay(bench.pool, broker, topology, bench.registry, name="bench_relay_warmup", batch_size=batch)
        await warm.publish_batch(bench.base)
        await _aio_pika_publish_all(exchange, bench.registry, events[:batch], batch, bench.base)
        times: dict[str, list[float]] = {"relay": [], "aio_pika": []}
        counts: dict[str, int] = {"relay": 0, "aio_pika": 0}
        usage: dict[str, list[dict[str, Any]]] = {"relay": [], "aio_pika": []}
        for r in range(max(1, opts.publish_rounds)):
            order = ("relay", "aio_pika") if r % 2 == 0 else ("aio_pika", "relay")
            for impl in order:
                await pg_checkpoint(bench.pool)
                cpu = CpuWindow()
                if impl == "relay":
                    seconds, count = await _relay_publish_all(bench, broker, topology, f"bench_relay_{r}", batch)
                else:
                    seconds, count = await _aio_pika_publish_all(exchange, bench.registry, events, batch, bench.base)
                usage[impl].append(cpu.close())
                times[impl].append(seconds)
                counts[impl] += count
                bench.say(f"  relay_publish round {r + 1}: {impl} {count / seconds:,.0f} ev/s")
        # Diagnostic: what the relay's own database work (feed reads + checkpoint saves) costs alone.
        t0 = perf_counter()
        position = bench.base
        async with bench.pool.connection() as conn:
            while chunk := await read_feed(conn, position, batch):
                position = chunk[-1].position
                await save_checkpoint(conn, "bench_relay_dbonly", position)
        db_only_s = perf_counter() - t0
    finally:
        await connection.close()
        await broker.stop()
    relay_rate = counts["relay"] / sum(times["relay"])
    pika_rate = counts["aio_pika"] / sum(times["aio_pika"])
    return {
        "name": "relay_publish",
        "what": "Relay.publish_batch looped from the start until caught up vs plain aio-pika publishing of the same messages",
        "events": n,
        "batch_size": batch,
        "rounds": max(1, opts.publish_rounds),
        "events_per_s": relay_rate,
        "aio_pika_events_per_s": pika_rate,
        "ratio_vs_aio_pika": ratio(relay_rate, pika_rate),
        "relay_rounds_events_per_s": [n / t for t in times["relay"]],
        "aio_pika_rounds_events_per_s": [n / t for t in times["aio_pika"]],
        "relay_db_only_events_per_s": n / db_only_s if db_only_s else None,
        "relay_db_only_share": (db_only_s / (sum(times["relay"]) / len(times["relay"]))) if times["relay"] else None,
        "client_cpu_cores": {k: statistics.fmean(u["client_cpu_cores"] or 0 for u in v) for k, v in usage.items()},
        "client_cpu_us_per_event": {k: statistics.fmean(u["client_cpu_cores"] or 0 for u in v) / rate * 1e6
                                    for (k, v), rate in zip(usage.items(), (relay_rate, pika_rate), strict=True)},
        "machine_busy_cores": {k: statistics.fmean(u["machine_busy_cores"] or 0 for u in v) for k, v in usage.items()},
        "setup_seconds": setup_s,
        "baseline": "aio-pika 10: persistent, mandatory, publisher confirms, same exchange/routing keys/bodies/headers"
                    " (encode() in the timed loop), batches of batch_size with all confirms awaited; events read beforehand",
    }


# --- projector_apply ------------------------------------------------------------------------------------


class _LogOnlyProjector(Projector):
    """A projector whose startup catch-up from the store is skipped, so that the events come from the log."""

    skip_startup_catch_up = True

    async def catch_up(self, until: Position | None = None, *, batch_size: int | None = None, stop: asyncio.Event | None = None) -> int:
        if self.skip_startup_catch_up and until is None:
            self.skip_startup_catch_up = False
            return 0
        return await super().catch_up(until, batch_size=batch_size, stop=stop)


async def case_projector_apply(bench: Bench, opts: Any) -> dict[str, Any]:
    n = opts.events
    setup_s = 0.0
    if bench.loaded != n:
        await bench.reset()
        setup_s = await bench.load(n)
    topology = await bench.topology("projector")
    broker = broker_for(bench.url)
    await broker.connect()
    try:
        publish_s, published = await _relay_publish_all(bench, broker, topology, "bench_relay_projector", 2000)
    finally:
        await broker.stop()
    bench.say(f"  projector_apply: {published} events in the log of {topology.prefix} (setup, {publish_s:.1f} s)")

    # (1) straight from the event store: what run_from_log does at startup.
    from_store = Projector(bench.pool, ats, bench.registry, schema="bench_from_store", checkpoint="projection:bench_from_store")
    await from_store.ensure_schema()
    if bench.base != START:  # start after the preloaded history
        async with bench.pool.connection() as conn:
            await save_checkpoint(conn, from_store.checkpoint, bench.base)
    await pg_checkpoint(bench.pool)
    cpu = CpuWindow()
    t0 = perf_counter()
    read = await from_store.catch_up(batch_size=5000)
    store_s = perf_counter() - t0
    store_usage = cpu.close()
    bench.say(f"  projector_apply: catch_up from the store {read / store_s:,.0f} ev/s")

    # (2) from the broker's log stream.
    from_log = _LogOnlyProjector(bench.pool, ats, bench.registry, schema="bench_from_log", checkpoint="projection:bench_from_log")
    await from_log.ensure_schema()
    async with bench.pool.connection() as conn:
        await save_checkpoint(conn, from_log.checkpoint, bench.base, -1)  # consume from stream offset 0
    await pg_checkpoint(bench.pool)
    amqp = await aio_pika.connect_robust(bench.url)
    stop = asyncio.Event()
    task = asyncio.create_task(from_log.run_from_log(stop, amqp, topology))
    try:
        deadline = perf_counter() + 60
        while from_log.stats.mode != "live":
            if task.done():
                task.result()
            if perf_counter() > deadline:
                raise TimeoutError("the log projector did not attach in 60 s")
            await asyncio.sleep(0.001)
        cpu = CpuWindow()
        t0 = perf_counter()
        deadline = t0 + 300
        while from_log.stats.applied < n:
            if task.done():
                task.result()
                raise RuntimeError("the log projector stopped early")
            if perf_counter() > deadline:
                raise TimeoutError(f"the log projector applied {from_log.stats.applied} of {n} in 300 s")
            await asyncio.sleep(0.001)
        log_s = perf_counter() - t0
        log_usage = cpu.close()
    finally:
        stop.set()
        await asyncio.gather(task, return_exceptions=True)
        await amqp.close()
    bench.say(f"  projector_apply: run_from_log from the broker {n / log_s:,.0f} ev/s")
    return {
        "name": "projector_apply",
        "what": "ats projector applying N JobCreated events: `log` = run_from_log consuming the broker's stream"
                " (startup catch-up skipped); `store_catch_up` = Projector.catch_up(batch_size=5000) from the event store",
        "events": n,
        "events_per_s": n / log_s,
        "path": "log",
        "log_events_per_s": n / log_s,
        "log_seconds": log_s,
        "log_batches": from_log.stats.batches,
        "log_batch_size": from_log.batch_size,
        "log_caught_up_from_store": from_log.stats.caught_up_from_store,
        "log_skipped": from_log.stats.skipped,
        "store_catch_up_events_per_s": read / store_s if store_s else None,
        "store_catch_up_seconds": store_s,
        "store_catch_up_events": read,
        "client_cpu_cores": {"log": log_usage["client_cpu_cores"], "store_catch_up": store_usage["client_cpu_cores"]},
        "client_cpu_us_per_event": {"log": (log_usage["client_cpu_cores"] or 0) * log_s / n * 1e6,
                                    "store_catch_up": (store_usage["client_cpu_cores"] or 0) * store_s / read * 1e6 if read else None},
        "machine_busy_cores": {"log": log_usage["machine_busy_cores"], "store_catch_up": store_usage["machine_busy_cores"]},
        "setup_seconds": setup_s + publish_s,
    }


# --- running ------------------------------------------------------------------------------------------


async def _delete_topologies(url: str, topologies: list[Topology]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        for topo in topologies:
            for kind, name in (("queue", topo.log), ("exchange", topo.exchange), ("exchange", topo.dead_letter_exchange)):
                channel = await connection.channel()
                try:
                    if kind == "queue":
                        await channel.queue_delete(name)
                    else:
                        await channel.exchange_delete(name)
                except Exception:  # already gone: the channel is closed by the broker, take a new one
                    pass
                finally:
                    if not channel.is_closed:
                        await channel.close()
            if topo in _LEFTOVERS:
                _LEFTOVERS.remove(topo)


def cleanup() -> None:
    """Delete RabbitMQ queues and exchanges a failed or interrupted run left behind."""
    if _LEFTOVERS:
        try:
            asyncio.run(_delete_topologies(_URL[0], list(_LEFTOVERS)))
        except Exception as exc:
            print(f"could not delete RabbitMQ objects {[t.prefix for t in _LEFTOVERS]}: {exc!r}", file=sys.stderr)


TARGETS = (
    ("latency p99 <= 50 ms at 200 events/s", "latency", "p99_ms", "max", 50.0),
    ("relay >= 0.5x aio-pika", "relay_publish", "ratio_vs_aio_pika", "min", 0.5),
)


def check_targets(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checks = []
    for label, name, key, kind, bound in TARGETS:
        for c in cases:
            if c["name"] == name and "failed" not in c:
                value = c.get(key)
                met = value is not None and (value <= bound if kind == "max" else value >= bound)
                check = {"target": label, "case": name, "value": value, ("maximum" if kind == "max" else "minimum"): bound, "met": met}
                check["ratio"] = value if kind == "min" else None
                checks.append(check)
    return checks


def table(report: dict[str, Any]):
    from rich.table import Table

    m = report["machine"]
    t = Table(title=f"delivery — {m['cores']} cores, PostgreSQL {m['pg_version']}", caption="events/s; latency append → row visible")
    for col in ("case", "events/s", "details"):
        t.add_column(col, justify="right" if col == "events/s" else "left")
    for c in report["cases"]:
        if "failed" in c:
            t.add_row(c["name"], "[red]failed[/]", c["failed"])
            continue
        if c["name"] == "latency":
            detail = (f"offered {c['offered_events_per_s']:g}/s, p50 {fmt_ms(c['p50_ms'])} ms, p99 {fmt_ms(c['p99_ms'])} ms,"
                      f" max {fmt_ms(c['max_ms'])} ms ({c['visible']} events)")
        elif c["name"] == "sustained":
            detail = "; ".join(f"{s['offered_events_per_s']:,.0f}: {'ok' if s.get('sustained') else 'no'}" for s in c["steps"])
            detail += f" ({c['seconds_per_step']:g} s per step)"
        elif c["name"] == "relay_publish":
            detail = f"aio-pika {fmt_rate(c['aio_pika_events_per_s'])}/s → {fmt_ratio(c['ratio_vs_aio_pika'])}, batch {c['batch_size']}"
        else:
            detail = f"log path; catch_up from the store {fmt_rate(c['store_catch_up_events_per_s'])}/s"
        t.add_row(c["name"], fmt_rate(c.get("events_per_s")), detail)
    return t


async def run(dsn: str, *, seconds: float, warmup: float, rounds: int = 3, only: list[str] | None, say: Callable[[str], None],
              options: Any = None) -> dict[str, Any]:
    opts = options
    if opts is None:  # called without the suite's options: their defaults
        import argparse

        parser = argparse.ArgumentParser()
        add_arguments(parser)
        opts = parser.parse_args([])
    _URL[0] = opts.rabbitmq_url
    wanted = [c for c in CASES if not only or any(o in c for o in only)]
    await migrate_all(dsn)
    history: Preloaded | None = None
    sizes: dict[str, Any] = {}
    if opts.preload > 0:
        history = await asyncio.to_thread(preload, dsn, opts.preload, say)
        sizes = await asyncio.to_thread(store_sizes, dsn)
    registry = event_registry()
    pool = create_pool(dsn, min_size=4, max_size=max(24, opts.sustain_writers + 8), name="bench-delivery")
    await pool.open(wait=True, timeout=30)
    bench = Bench(dsn, opts.rabbitmq_url, pool, EventStore(pool, registry), registry, EventFactory(registry), say,
                  history=history)
    results: list[dict[str, Any]] = []
    started = perf_counter()
    warm = max(warmup, 1.0)

    def failed(name: str, exc: BaseException) -> None:
        results.append({"name": name, "failed": f"{type(exc).__name__}: {exc}"})
        say(f"{name:<16} [red]failed[/]: {type(exc).__name__}: {exc}")

    try:
        if "latency" in wanted or "sustained" in wanted:
            await bench.reset()
            pipeline = Pipeline(bench, await bench.topology("live"), opts.poll_ms / 1000.0)
            try:
                await pipeline.start()
                if "latency" in wanted:
                    try:
                        result = await case_latency(bench, pipeline, opts, warm)
                        results.append(result)
                        say(f"latency          {result['events_per_s']:,.0f} ev/s: p50 {fmt_ms(result['p50_ms'])} ms,"
                            f" p99 {fmt_ms(result['p99_ms'])} ms, max {fmt_ms(result['max_ms'])} ms")
                    except Exception as exc:
                        failed("latency", exc)
                if "sustained" in wanted:
                    try:
                        result = await case_sustained(bench, pipeline, opts)
                        results.append(result)
                        say(f"sustained        highest sustained {fmt_rate(result['events_per_s'])} ev/s")
                    except Exception as exc:
                        failed("sustained", exc)
            except Exception as exc:
                failed("latency" if "latency" in wanted else "sustained", exc)
            finally:
                await pipeline.close()
            bench.loaded = None
        if "relay_publish" in wanted:
            try:
                result = await case_relay_publish(bench, opts, warmup)
                results.append(result)
                say(f"relay_publish    {fmt_rate(result['events_per_s'])} ev/s vs aio-pika {fmt_rate(result['aio_pika_events_per_s'])}"
                    f" → {fmt_ratio(result['ratio_vs_aio_pika'])}")
            except Exception as exc:
                failed("relay_publish", exc)
                bench.loaded = None
        if "projector_apply" in wanted:
            try:
                result = await case_projector_apply(bench, opts)
                results.append(result)
            except Exception as exc:
                failed("projector_apply", exc)
    finally:
        await pool.close()
        await _delete_topologies(opts.rabbitmq_url, list(_LEFTOVERS))
    return {
        "suite": "delivery",
        "rabbitmq": opts.rabbitmq_url.rsplit("@", 1)[-1],
        "preload": opts.preload,
        "preload_detail": None if history is None else history.as_report(),
        "table_sizes": sizes.get("table_sizes", {}),
        "index_sizes": sizes.get("index_sizes", {}),
        "cases": results,
        "targets": check_targets(results),
        "total_seconds": perf_counter() - started,
        "pid": os.getpid(),
    }


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "writer":
    # The writer child of `offer_from_subprocess`: python -m bench.delivery writer DSN RATE SECONDS WRITERS
    asyncio.run(_writer_process(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])))
