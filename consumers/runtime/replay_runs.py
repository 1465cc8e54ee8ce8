"""The replays started from the console, as rows of `eventstore.replay_runs` that every API process reads.

The process running a replay writes its progress here (`record_progress`, about twice a second), so the run
page shows the same numbers whichever process serves it. Two guards keep a projection to one replay at a time:
the replay's own advisory lock (`replay:<name>`, held by whoever replays it, the CLI included) and a unique
index on the running rows, which makes `begin_run` the one place a start is decided across processes.

Decided here: a run is *abandoned* when it still says `running`, nothing has updated it for
`ABANDONED_AFTER_S`, and nobody holds the replay's lock: its process died (a running replay holds the lock
until it ends, however slow a chunk or a swap). It reads as abandoned at once, and is marked so by the next
start of its projection, which it no longer blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from eventstore import advisory_key

ABANDONED_AFTER_S = 30.0
# Replays running at once in the deployment, whichever projections: each holds a pool of its own
# (replay_runner.REPLAY_POOL_SIZE connections), so every projection's at once would take the database's
# connections from the API and the consumers.
MAX_RUNNING = 2
ERROR_CHARS = 500
RUNNING, COMPLETED, FAILED, ABANDONED = "running", "completed", "failed", "abandoned"

# Whether a session of this database holds the replay lock of a projection (a bigint advisory key is
# shown in pg_locks as its high and low 32 bits, objsubid 1).
_LOCK_HELD = """
EXISTS (SELECT 1 FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint = (%(key)s::bigint >> 32) & 4294967295
           AND l.objid::bigint = %(key)s::bigint & 4294967295)
"""

_COLUMNS = """
run_id, projection, state, done, total, started_at, updated_at, finished_at, events, seconds, position, error,
extract(epoch FROM coalesce(finished_at, updated_at) - started_at)::float8 AS elapsed_s,
extract(epoch FROM now() - updated_at)::float8 AS quiet_s
"""


@dataclass(frozen=True, slots=True)
class ReplayRun:
    """One replay as its row says, with `lock_held` (someone holds the projection's replay lock now)."""

    run_id: UUID
    projection: str
    state: str
    done: int
    total: int | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    events: int | None
    seconds: float | None
    position: str | None
    error: str | None
    elapsed_s: float
    quiet_s: float
    lock_held: bool

    @property
    def shown_state(self) -> str:
        """The state to show: a running row whose process is gone is abandoned."""
        if self.state == RUNNING and not self.lock_held and self.quiet_s > ABANDONED_AFTER_S:
            return ABANDONED
        return self.state

    @property
    def finished(self) -> bool:
        return self.shown_state != RUNNING

    @property
    def events_per_s(self) -> float:
        if self.seconds is not None and self.events is not None:
            return self.events / self.seconds if self.seconds > 0 else 0.0
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0


def replay_lock_key(projection: str) -> int:
    """The advisory key `consumers.runtime.replay` holds while it replays `projection`."""
    return advisory_key(f"replay:{projection}")


async def begin_run(pool: AsyncConnectionPool, run_id: UUID, projection: str) -> bool:
    """Record a new running replay of `projection`; False (nothing written) when one is running already —
    a running row that is not abandoned, or the replay lock held (a replay outside the console) — or when
    `run_id` is taken. Raises `ReplaysAtCapacity` (nothing written) when `MAX_RUNNING` others are running."""
    key = replay_lock_key(projection)
    async with pool.connection() as conn, conn.transaction():
        cur = await conn.execute(f"SELECT {_LOCK_HELD}", {"key": key})
        if (await cur.fetchone())[0]:  # type: ignore[index]
            return False
        await conn.execute(
            "UPDATE eventstore.replay_runs SET state = 'abandoned', finished_at = now()"
            " WHERE projection = %(projection)s AND state = 'running'"
            "   AND updated_at < now() - make_interval(secs => %(after)s)",
            {"projection": projection, "after": ABANDONED_AFTER_S},
        )
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("replay-runs:begin"),))
        cur = await conn.execute(
            "INSERT INTO eventstore.replay_runs (run_id, projection) VALUES (%s, %s)"
            " ON CONFLICT DO NOTHING RETURNING run_id",  # one running per projection; a run id once
            (run_id, projection),
        )
        if await cur.fetchone() is None:
            return False
        cur = await conn.execute(
            "SELECT count(*) FROM eventstore.replay_runs WHERE state = 'running'"
            "   AND updated_at >= now() - make_interval(secs => %s)", (ABANDONED_AFTER_S,))
        if (await cur.fetchone())[0] > MAX_RUNNING:  # type: ignore[index]
            raise ReplaysAtCapacity(f"{MAX_RUNNING} replays are running; one more waits until one ends")
        return True


class ReplaysAtCapacity(Exception):
    """`MAX_RUNNING` replays (of other projections) are running already; nothing was written."""


async def record_progress(pool: AsyncConnectionPool, run_id: UUID, done: int, total: int | None) -> None:
    """Write how far a running replay is (also when nothing moved: the update says its process lives)."""
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE eventstore.replay_runs SET done = %s, total = %s, updated_at = now()"
            " WHERE run_id = %s AND state = 'running'",
            (done, total, run_id),
        )


async def complete_run(pool: AsyncConnectionPool, run_id: UUID, events: int, seconds: float,
                       position: str | None) -> None:
    """Mark a run swapped in: `events` replayed in `seconds`, the live checkpoint then at `position`."""
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE eventstore.replay_runs SET state = 'completed', done = %(events)s, total = %(events)s,"
            " events = %(events)s, seconds = %(seconds)s,"
            " position = %(position)s, updated_at = now(), finished_at = now()"
            " WHERE run_id = %(run_id)s AND state = 'running'",
            {"run_id": run_id, "events": events, "seconds": seconds, "position": position},
        )


async def fail_run(pool: AsyncConnectionPool, run_id: UUID, error: str) -> None:
    """Mark a run failed with its error (cut to `ERROR_CHARS`)."""
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE eventstore.replay_runs SET state = 'failed', error = %s, updated_at = now(), finished_at = now()"
            " WHERE run_id = %s AND state = 'running'",
            (error[:ERROR_CHARS], run_id),
        )


async def get_run(pool: AsyncConnectionPool, run_id: UUID) -> ReplayRun | None:
    """One run, or None."""
    async with pool.connection() as conn:
        rows = await _runs(conn, f"SELECT {_COLUMNS} FROM eventstore.replay_runs WHERE run_id = %(run_id)s",
                           {"run_id": run_id})
    return rows[0] if rows else None


async def latest_runs(pool: AsyncConnectionPool) -> dict[str, ReplayRun]:
    """Each projection's most recent run, by projection name."""
    async with pool.connection() as conn:
        rows = await _runs(conn, f"SELECT DISTINCT ON (projection) {_COLUMNS} FROM eventstore.replay_runs"
                                 " ORDER BY projection, started_at DESC, run_id", {})
    return {run.projection: run for run in rows}


async def replays_locked(pool: AsyncConnectionPool, projections: list[str]) -> set[str]:
    """The projections among `projections` someone is replaying now (their replay lock is held)."""
    held = set()
    async with pool.connection() as conn:
        for name in projections:
            cur = await conn.execute(f"SELECT {_LOCK_HELD}", {"key": replay_lock_key(name)})
            if (await cur.fetchone())[0]:  # type: ignore[index]
                held.add(name)
    return held


async def _runs(conn: psycopg.AsyncConnection, query: str, params: dict) -> list[ReplayRun]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, params)
    rows = await cur.fetchall()
    held = {}
    for row in rows:
        if row["state"] == RUNNING and row["projection"] not in held:
            lock = await conn.execute(f"SELECT {_LOCK_HELD}", {"key": replay_lock_key(row["projection"])})
            held[row["projection"]] = (await lock.fetchone())[0]  # type: ignore[index]
    return [ReplayRun(**row, lock_held=held.get(row["projection"], False)) for row in rows]
