"""Consumer status: where each consumer is in the feed, how far behind, and whether it is running.

One source for `splits status`, `GET /admin/status` and the Prometheus gauges. Positions and lag come
from the checkpoints; liveness comes from the states the consumers report every few seconds (a report
that stops arriving means the process is gone, whatever it last said).

Each relay process reports under its own name, `relay@<instance>` (INSTANCE_ID, else host:pid), as the
leader (`live`) or a `standby`; the relay's checkpoint row is `live` while a leader reports, else
`no leader`. Reactors are also measured in RabbitMQ: `queue_depth` is the messages ready in the
reactor's queue (a passive declare; the messages a consumer holds unacknowledged and those parked for a
retry are not in it), and `oldest_message_age_s` is the age of the oldest message the reactor's process
holds unacknowledged, from the publish time the relay stamps on it (its event's record time): the queue
hands out its head first, so while the reactor works that is the oldest message of its queue. It is 0
when the reactor holds none and None when the reactor does not report (nothing is then consuming, and
the depth is all there is to say); RabbitMQ's management API would be needed to read it otherwise.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import aio_pika
from prometheus_client import CollectorRegistry, Gauge
from psycopg_pool import AsyncConnectionPool
from rich.table import Table
from rich.text import Text

from consumers.runtime.topology import Topology
from eventstore import Position, read_head

# States of a running consumer (`splits_consumer_up` = 1). A standby relay is running and ready.
UP_STATES = frozenset({"live", "catching up", "starting", "standby"})
STOPPED = "stopped"
NEVER_REPORTED = "never reported"
LAG_CAP = 1_000_000
NO_LEADER = "no leader"
RELAY_INSTANCE = "relay@"  # the prefix of each relay process's own status row

# Every checkpoint and every reported consumer, with lag measured on the gap-safe feed: only events
# whose transaction has ended count, like the head. The count walks at most `lag_cap` index entries.
_STATUS = """
SELECT coalesce(c.name, s.name), s.kind, c.tx_id::text, c.position, s.state, s.detail,
       extract(epoch FROM now() - s.updated_at)::float8,
       extract(epoch FROM now() - s.oldest_message_at)::float8,
       lag.events, coalesce(extract(epoch FROM now() - next.recorded_at)::float8, 0)
  FROM eventstore.checkpoints c
  FULL JOIN eventstore.consumer_status s ON s.name = c.name
  LEFT JOIN LATERAL (
       SELECT count(*) AS events FROM (
              SELECT 1 FROM eventstore.events e
               WHERE (e.tx_id, e.position) > (c.tx_id, c.position)
                 AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
               LIMIT %(cap)s) behind
        WHERE c.name IS NOT NULL) lag ON true
  LEFT JOIN LATERAL (
       SELECT e.recorded_at FROM eventstore.events e
        WHERE c.name IS NOT NULL
          AND (e.tx_id, e.position) > (c.tx_id, c.position)
          AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY e.tx_id, e.position LIMIT 1) next ON true
 ORDER BY 1
"""


@dataclass(frozen=True, slots=True)
class ConsumerStatus:
    """One consumer. Position and lag are None for a consumer that reports but keeps no checkpoint."""

    name: str
    kind: str
    position: str | None
    lag_events: int | None
    lag_seconds: float | None
    state: str
    detail: str | None = None
    reported_state: str | None = None
    reported_age_s: float | None = None
    lag_capped: bool = False
    queue_depth: int | None = None  # reactors: messages ready in their RabbitMQ queue
    oldest_message_age_s: float | None = None  # reactors: see the module's docstring

    @property
    def up(self) -> bool:
        return self.state in UP_STATES

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "position": self.position, "lag_events": self.lag_events,
            "lag_events_capped": self.lag_capped, "lag_seconds": self.lag_seconds, "state": self.state,
            "up": self.up, "detail": self.detail, "reported_state": self.reported_state,
            "reported_age_s": self.reported_age_s, "queue_depth": self.queue_depth,
            "oldest_message_age_s": self.oldest_message_age_s,
        }


@dataclass
class StatusReport:
    """The feed head and every consumer; `dead_letters` (reactor → count) is filled in by the caller."""

    head: Position
    consumers: list[ConsumerStatus]
    dead_letters: dict[str, int] = field(default_factory=dict)

    def with_queue_depths(self, depths: dict[str, int | None]) -> StatusReport:
        """The report with each reactor's queue depth (reactor name → ready messages, from RabbitMQ)."""
        consumers = [
            replace(c, queue_depth=depths.get(c.name.removeprefix("reactor:"))) if c.kind == "reactor" else c
            for c in self.consumers
        ]
        return StatusReport(self.head, consumers, dict(self.dead_letters))

    def consumer(self, name: str) -> ConsumerStatus | None:
        return next((c for c in self.consumers if c.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (positions as consistency tokens)."""
        return {
            "head": str(self.head),
            "consumers": [c.as_dict() for c in self.consumers],
            "dead_letters": dict(self.dead_letters),
        }


async def report(pool: AsyncConnectionPool, name: str, kind: str, state: str, detail: str | None = None,
                 oldest_message_at: datetime | None = None) -> None:
    """Record a consumer's current state (`name` is its checkpoint name, e.g. ``projection:ats``, or a
    relay process's `relay@<instance>`); a reactor also gives the publish time of the oldest message it holds.

    Consumers call this every few seconds; `read_status` shows one whose report has aged as stopped.
    """
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO eventstore.consumer_status AS s (name, kind, state, detail, oldest_message_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, now())"
            " ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, state = EXCLUDED.state,"
            " detail = EXCLUDED.detail, oldest_message_at = EXCLUDED.oldest_message_at,"
            " updated_at = EXCLUDED.updated_at",
            (name, kind, state, detail, oldest_message_at),
        )


async def forget_stopped_relays(pool: AsyncConnectionPool, older_than_s: float = 600.0) -> None:
    """Drop the rows of relay processes that stopped reporting long ago (each process has its own row)."""
    async with pool.connection() as conn:
        await conn.execute(
            "DELETE FROM eventstore.consumer_status WHERE kind = 'relay' AND name LIKE 'relay@%%'"
            " AND updated_at < now() - make_interval(secs => %s)", (older_than_s,))


async def queue_depths(url: str, topology: Topology, reactors: list[str]) -> dict[str, int | None]:
    """Messages ready in each reactor's queue (None for a queue never declared), by passive declares."""
    depths: dict[str, int | None] = {}
    async with await aio_pika.connect(url) as connection:
        for reactor in reactors:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(topology.reactor_queue(reactor), passive=True)
                depths[reactor] = queue.declaration_result.message_count
            except aio_pika.exceptions.ChannelClosed:  # not declared: the channel is closed by the broker
                depths[reactor] = None
                continue
            await channel.close()
    return depths


async def read_status(pool: AsyncConnectionPool, *, stale_after_s: float = 15.0, lag_cap: int = LAG_CAP) -> StatusReport:
    """The feed head and, for every checkpoint and reported consumer, its position, lag and state.

    `lag_events` counts at most `lag_cap` events (`lag_capped` says when it hit the cap); `lag_seconds`
    is the age of the next event the consumer has yet to handle (0 when it is caught up). A consumer
    whose last report is older than `stale_after_s` is "stopped"; one that never reported but has a
    checkpoint is "never reported".
    """
    async with pool.connection() as conn, conn.transaction():
        # One snapshot for the head and every lag, so they agree with each other.
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        head = await read_head(conn)
        cur = await conn.execute(_STATUS, {"cap": lag_cap})
        rows = await cur.fetchall()
    consumers = []
    for name, kind, tx, pos, state, detail, age, oldest_age, lag_events, lag_seconds in rows:
        has_checkpoint = tx is not None
        fresh = state is not None and age <= stale_after_s
        kind = kind or _kind_of(name)
        consumers.append(ConsumerStatus(
            name=name,
            kind=kind,
            position=str(Position(int(tx), pos)) if has_checkpoint else None,
            lag_events=lag_events if has_checkpoint else None,
            lag_seconds=lag_seconds if has_checkpoint else None,
            state=NEVER_REPORTED if state is None else state if fresh else STOPPED,
            detail=detail,
            reported_state=state,
            reported_age_s=age,
            lag_capped=has_checkpoint and lag_events >= lag_cap,
            oldest_message_age_s=(max(oldest_age or 0.0, 0.0) if fresh else None) if kind == "reactor" else None,
        ))
    return StatusReport(head, _with_relay_leader(consumers))


def _with_relay_leader(consumers: list[ConsumerStatus]) -> list[ConsumerStatus]:
    """The relay's checkpoint row is live while one of its processes reports as the leader."""
    instances = [c for c in consumers if c.name.startswith(RELAY_INSTANCE)]
    leaders = [c for c in instances if c.state == "live"]
    standbys = [c for c in instances if c.state == "standby"]
    shown = []
    for c in consumers:
        if c.kind == "relay" and not c.name.startswith(RELAY_INSTANCE) and c.reported_state is None and instances:
            if leaders:
                names = ", ".join(leader.name.removeprefix(RELAY_INSTANCE) for leader in leaders)
                c = replace(c, state="live", detail=f"leader {names}", reported_state="live",
                            reported_age_s=min(leader.reported_age_s or 0.0 for leader in leaders))
            else:
                c = replace(c, state=NO_LEADER, detail=f"{len(standbys)} standby, no leader")
        shown.append(c)
    return shown


def _kind_of(name: str) -> str:
    # Checkpoint names say what kind of consumer keeps them: relay, projection:<name>, reactor:<name>.
    return name.partition(":")[0] if ":" in name else name


class _Gauges:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["consumer"]
        self.lag_events = Gauge("splits_consumer_lag_events", "Events in the feed after the consumer's checkpoint.",
                                labels, registry=registry)
        self.lag_seconds = Gauge("splits_consumer_lag_seconds", "Age of the oldest event the consumer has yet to handle.",
                                 labels, registry=registry)
        self.up = Gauge("splits_consumer_up", "1 when the consumer reports itself running.", labels, registry=registry)
        self.head = Gauge("splits_feed_head_position", "Global position of the last event the feed can hand out.",
                          registry=registry)
        self.exported: set[str] = set()


# Gauges can be registered once per registry: keep them with it (and let them go with it).
_gauges: weakref.WeakKeyDictionary[CollectorRegistry, _Gauges] = weakref.WeakKeyDictionary()


def export_metrics(report: StatusReport, registry: CollectorRegistry) -> None:
    """Set the status gauges on `registry`; consumers gone from the report lose their series."""
    gauges = _gauges.get(registry)
    if gauges is None:
        gauges = _gauges[registry] = _Gauges(registry)
    gauges.head.set(report.head.pos)
    names = {c.name for c in report.consumers}
    for gone in gauges.exported - names:
        for gauge in (gauges.lag_events, gauges.lag_seconds, gauges.up):
            try:
                gauge.remove(gone)
            except KeyError:
                pass
    for c in report.consumers:
        gauges.up.labels(c.name).set(1 if c.up else 0)
        # A consumer without a checkpoint has no lag to speak of: no series rather than a made-up 0.
        if c.lag_events is not None:
            gauges.lag_events.labels(c.name).set(c.lag_events)
        if c.lag_seconds is not None:
            gauges.lag_seconds.labels(c.name).set(c.lag_seconds)
    gauges.exported = names


_STATE_STYLES = {"live": "green", "catching up": "yellow", "starting": "yellow", "standby": "cyan",
                 "error": "bold red", STOPPED: "red", NEVER_REPORTED: "dim", NO_LEADER: "bold red"}


def render_table(report: StatusReport) -> Table:
    """The report as a rich table for the CLI, with dead-letter counts beside their reactors."""
    table = Table(title="Consumers", caption=f"feed head {report.head}")
    for column, justify in (("consumer", "left"), ("kind", "left"), ("state", "left"), ("position", "right"),
                            ("lag (events)", "right"), ("lag (s)", "right"), ("queued", "right"),
                            ("oldest (s)", "right"), ("dead letters", "right"), ("detail", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    dead = dict(report.dead_letters)
    for c in report.consumers:
        letters = dead.pop(c.name.removeprefix("reactor:"), None) if c.kind == "reactor" else None
        lag = "-" if c.lag_events is None else f"{c.lag_events:,}{'+' if c.lag_capped else ''}"
        lag_s = "-" if c.lag_seconds is None else f"{c.lag_seconds:,.1f}"
        # Text, not markup: details are error reprs, and "[Errno 111]" must print as it is.
        queued = "-" if c.queue_depth is None else f"{c.queue_depth:,}"
        oldest = "-" if c.oldest_message_age_s is None else f"{c.oldest_message_age_s:,.1f}"
        table.add_row(
            Text(c.name), Text(c.kind), Text(c.state, style=_STATE_STYLES.get(c.state, "")), Text(c.position or "-"),
            lag, lag_s, queued, oldest, "-" if letters is None else f"{letters:,}", Text(c.detail or ""),
        )
    for reactor, letters in sorted(dead.items()):  # reactors that have dead letters but no status yet
        table.add_row(Text(f"reactor:{reactor}"), "reactor", Text(NEVER_REPORTED, style="dim"), "-", "-", "-",
                      "-", "-", f"{letters:,}", "")
    return table
