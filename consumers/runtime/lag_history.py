"""Lag history: each consumer's lag over the last hour, for the operator console's chart.

`read_status` says how far behind each consumer is now; nothing kept what it said a minute ago. Every
consumers process runs a sampler that, every `LAG_SAMPLE_S`, writes each checkpointed consumer's lag into
`eventstore.consumer_lag` (a ring buffer: rows older than `LAG_HISTORY` are deleted as new ones come).

A reactor on RabbitMQ keeps no checkpoint: its lag is what waits in its queue, the messages ready
(`queue_depth`) and the age of the oldest message its process holds (`oldest_message_age_s`), sampled when
the sampler is given the depths (`run_sampler(..., depths=...)`).

Where several consumers processes run, each samples: the sample's time is truncated to its bucket, which is
part of the key, so a bucket is written once (ON CONFLICT DO NOTHING) and a process that finds its bucket
written does not read the status at all. Sample times come from the system clock, like every "now" of Splits.
A sample that cannot be written (the database away) is logged and skipped; it never stops the consumers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from psycopg_pool import AsyncConnectionPool

from adapters.clock import Clock
from consumers.runtime.status import StatusReport, read_status
from consumers.runtime.waiting import sleep_or_stop

log = structlog.get_logger(__name__)

LAG_SAMPLE_S = 30
LAG_HISTORY = timedelta(hours=1)
# The sampler counts at most this many events behind each consumer (a count walks the feed's index): a chart of
# a backlog past it shows it flat at the cap, and `splits status` still counts to its own, larger cap.
SAMPLE_LAG_CAP = 100_000

QueueDepths = Callable[[], Awaitable[dict[str, int | None]]]  # reactor name → messages ready in its queue


@dataclass(frozen=True, slots=True)
class LagPoint:
    sampled_at: datetime
    lag_events: int
    lag_seconds: float


@dataclass(frozen=True, slots=True)
class LagSeries:
    """One consumer's samples, oldest first."""

    name: str
    points: list[LagPoint]


def bucket_of(at: datetime, every_s: int = LAG_SAMPLE_S) -> datetime:
    """`at` truncated to the start of its sampling bucket (buckets are aligned on the Unix epoch)."""
    if every_s < 1:
        raise ValueError("a sampling bucket is at least one second")
    seconds = int(at.timestamp())
    return datetime.fromtimestamp(seconds - seconds % every_s, UTC)


async def _bucket_written(pool: AsyncConnectionPool, bucket: datetime) -> bool:
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT 1 FROM eventstore.consumer_lag WHERE sampled_at = %s LIMIT 1", (bucket,))
        return await cur.fetchone() is not None


async def record_sample(pool: AsyncConnectionPool, report: StatusReport, at: datetime, *,
                        every_s: int = LAG_SAMPLE_S, keep: timedelta = LAG_HISTORY) -> int:
    """Write `report`'s lags under `at`'s bucket (once per bucket: a bucket already written is left as it is)
    and delete the samples older than `keep`; returns the rows written.

    A consumer with a checkpoint is sampled by its lag; a reactor without one by its queue (the messages
    ready, and the age of the oldest it holds); a relay process's own row is not sampled.
    """
    bucket = bucket_of(at, every_s)
    rows = []
    for c in report.consumers:
        if c.lag_events is not None and c.lag_seconds is not None:
            rows.append((c.name, bucket, c.lag_events, c.lag_seconds))
        elif c.kind == "reactor" and c.queue_depth is not None:
            rows.append((c.name, bucket, c.queue_depth, c.oldest_message_age_s or 0.0))
    async with pool.connection() as conn, conn.transaction():
        written = 0
        if rows:
            # One statement: a bucket is either wholly written by one sampler or not at all.
            cur = await conn.execute(
                "INSERT INTO eventstore.consumer_lag (name, sampled_at, lag_events, lag_seconds)"
                " SELECT * FROM unnest(%s::text[], %s::timestamptz[], %s::bigint[], %s::float8[])"
                " ON CONFLICT (name, sampled_at) DO NOTHING",
                tuple(list(column) for column in zip(*rows, strict=True)),
            )
            written = cur.rowcount
        await conn.execute("DELETE FROM eventstore.consumer_lag WHERE sampled_at < %s", (bucket - keep,))
    return written


async def sample_lag(pool: AsyncConnectionPool, at: datetime, *, every_s: int = LAG_SAMPLE_S,
                     keep: timedelta = LAG_HISTORY, depths: QueueDepths | None = None) -> int:
    """Take one sample for `at`'s bucket unless another sampler has; returns the rows written.

    `depths` gives the reactors' queue depths (with RabbitMQ); when it fails, the sample is taken without them.
    """
    if await _bucket_written(pool, bucket_of(at, every_s)):
        return 0
    report = await read_status(pool, lag_cap=SAMPLE_LAG_CAP)
    if depths is not None:
        try:
            report = report.with_queue_depths(await depths())
        except Exception as exc:  # RabbitMQ away: the checkpointed consumers are still worth a sample
            log.warning("could not read the reactors' queue depths for the lag sample", error=repr(exc))
    return await record_sample(pool, report, at, every_s=every_s, keep=keep)


async def run_sampler(pool: AsyncConnectionPool, clock: Clock, stop: asyncio.Event, *,
                      every_s: int = LAG_SAMPLE_S, depths: QueueDepths | None = None) -> None:
    """Sample every `every_s` until `stop`; a failed sample is logged and the next one tried in its turn."""
    while not stop.is_set():
        now = clock.now()
        try:
            await sample_lag(pool, now, every_s=every_s, depths=depths)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database is away: the consumers themselves will say so
            log.warning("could not sample consumer lag", error=repr(exc))
        # Wake at the start of the next bucket, so every process samples near the same moment.
        await sleep_or_stop(stop, every_s - now.timestamp() % every_s)


async def lag_history(pool: AsyncConnectionPool, now: datetime, window: timedelta = LAG_HISTORY) -> list[LagSeries]:
    """Each consumer's samples from `window` before `now` up to `now`, oldest first, consumers by name."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT name, sampled_at, lag_events, lag_seconds FROM eventstore.consumer_lag"
            " WHERE sampled_at > %s AND sampled_at <= %s ORDER BY name, sampled_at",
            (now - window, now),
        )
        rows = await cur.fetchall()
    series: dict[str, list[LagPoint]] = {}
    for name, sampled_at, lag_events, lag_seconds in rows:
        series.setdefault(name, []).append(LagPoint(sampled_at, lag_events, lag_seconds))
    return [LagSeries(name, points) for name, points in series.items()]
