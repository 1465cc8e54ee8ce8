"""Replays run in the background of an API process, for the operator console.

`ReplayRunner.start` decides the start (`replay_runs.begin_run`: one running replay per projection, whichever
process asked), records `ReplayRequested` with the operator, and runs `consumers.runtime.replay.replay` as an
asyncio task of this process, on a small pool of its own (the API's pool stays the requests'). The task writes
its progress to `eventstore.replay_runs` at most every `report_every_s` (and every `heartbeat_s` when nothing
moved, so a long chunk or swap does not look dead), and ends with `ReplayCompleted` or `ReplayFailed` — the
event first, then the row, so a page that reads the run as ended finds its event. The app keeps the runner on
its state and `stop`s it when it stops: a replay cut short there ends as failed ("cancelled"), its shadow schema
left for the next replay to drop, the live schema as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID, uuid4

import structlog

from adapters.clock import Clock
from commands.operations.replay import CompleteReplay, FailReplay, RequestReplay, replay_run
from consumers.runtime import replay_runs
from consumers.runtime.replay import ReplayInProgress, replay
from eventstore import EventStore, Metadata, create_pool, handle
from projections.core import Projection
from projections.registry import all_projections

log = structlog.get_logger(__name__)

# The connections one replay holds at most: its lock's, the build's reader and writer, and at the swap the
# swap's own beside the catch-up's.
REPLAY_POOL_SIZE = 6


class UnknownProjection(KeyError):
    """No projection has this name."""


def describe(exc: BaseException) -> str:
    """What a failed run records: the error's type and the first line of its message, which names the
    statement or the schema, never the rows (a database error's DETAIL, with its values, is on later lines)."""
    first = next(iter(str(exc).splitlines()), "").strip()
    return f"{type(exc).__name__}: {first}"[: replay_runs.ERROR_CHARS] if first else type(exc).__name__


@dataclass
class _Progress:
    done: int = 0
    total: int | None = None
    changed: bool = False

    def update(self, done: int, total: int) -> None:
        self.done, self.total, self.changed = done, total, True


class ReplayRunner:
    """The replays this process runs, one asyncio task per run."""

    def __init__(self, store: EventStore, clock: Clock, projections: Mapping[str, Projection], *,
                 batch_size: int = 5000, report_every_s: float = 0.5, heartbeat_s: float = 5.0,
                 pool_size: int = REPLAY_POOL_SIZE) -> None:
        self.store = store
        self.clock = clock
        self.projections = dict(projections)
        self.batch_size = batch_size
        self.report_every_s = report_every_s
        self.heartbeat_s = heartbeat_s
        self.pool_size = pool_size
        self._tasks: dict[UUID, asyncio.Task[None]] = {}

    @property
    def running(self) -> set[UUID]:
        """The runs this process is running now."""
        return set(self._tasks)

    async def start(self, projection: str, operator: str, metadata: Metadata, run_id: UUID | None = None) -> UUID:
        """Start replaying `projection` in the background for `operator` (their Clerk user id, in each event's
        data); the run's events carry `metadata` (the operator as actor), the end's as well. The new run's id
        (`run_id` when given: the console's confirmation form mints it).

        Raises `UnknownProjection`, or `ReplayInProgress` (nothing written) when a replay of it is running in
        any process (or `run_id` was used before).
        """
        if projection not in self.projections:
            raise UnknownProjection(projection)
        pool = self.store.pool
        run_id = run_id or uuid4()
        if not await replay_runs.begin_run(pool, run_id, projection):
            raise ReplayInProgress(f"a replay of {projection} is already running")
        try:
            await handle(self.store, replay_run, run_id,
                         RequestReplay(run_id=run_id, projection=projection, operator=operator, at=self.clock.now()),
                         metadata)
        except BaseException as exc:
            await replay_runs.fail_run(pool, run_id, describe(exc))
            raise
        task = asyncio.create_task(self._run(run_id, self.projections[projection], metadata),
                                   name=f"replay {projection} {run_id}")
        self._tasks[run_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(run_id, None))
        return run_id

    async def stop(self) -> None:
        """Cancel the replays still running and wait until each has recorded how it ended."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, run_id: UUID, projection: Projection, metadata: Metadata) -> None:
        progress = _Progress()
        reporter = asyncio.create_task(self._report(run_id, progress))
        try:
            # A pool of its own: a replay holds connections for minutes, which the API's requests keep.
            async with create_pool(self.store.pool.conninfo, min_size=1, max_size=self.pool_size,
                                   name="splits-replay") as pool:
                result = await replay(pool, projection, self.store.registry, batch_size=self.batch_size,
                                      progress=progress.update)
        except asyncio.CancelledError:
            await _stop(reporter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._fail(run_id, "cancelled: the process running it stopped", metadata), 10)
            raise
        except Exception as exc:  # the run ends failed, the live schema untouched; the error is on its page
            await _stop(reporter)
            log.error("replay failed", projection=projection.name, run_id=str(run_id), error=describe(exc))
            await self._fail(run_id, "another replay of it was started first" if isinstance(exc, ReplayInProgress)
                             else describe(exc), metadata)
            return
        await _stop(reporter)
        position = None if result.position is None else str(result.position)
        await handle(self.store, replay_run, run_id, CompleteReplay(
            run_id=run_id, events=result.events, seconds=result.seconds, position=position, at=self.clock.now(),
        ), metadata)
        await replay_runs.complete_run(self.store.pool, run_id, result.events, result.seconds, position)
        log.info("replay swapped in", projection=projection.name, run_id=str(run_id), events=result.events,
                 seconds=round(result.seconds, 3))

    async def _fail(self, run_id: UUID, error: str, metadata: Metadata) -> None:
        try:
            await handle(self.store, replay_run, run_id, FailReplay(run_id=run_id, error=error, at=self.clock.now()),
                         metadata)
            await replay_runs.fail_run(self.store.pool, run_id, error)
        except Exception as exc:  # the database went too: the row will read as abandoned
            log.error("replay's failure not recorded", run_id=str(run_id), error=describe(exc))

    async def _report(self, run_id: UUID, progress: _Progress) -> None:
        """Write the progress when it moved, at most every `report_every_s`; every `heartbeat_s` regardless."""
        last = time.monotonic()
        while True:
            await asyncio.sleep(self.report_every_s)
            if progress.changed or time.monotonic() - last >= self.heartbeat_s:
                progress.changed = False
                try:
                    await replay_runs.record_progress(self.store.pool, run_id, progress.done, progress.total)
                except Exception as exc:  # a missed report is made up by the next one
                    log.warning("replay progress not recorded", run_id=str(run_id), error=describe(exc))
                last = time.monotonic()


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def new_runner(store: EventStore, clock: Clock) -> ReplayRunner:
    """A runner over every projection of `projections.registry`."""
    return ReplayRunner(store, clock, all_projections())
