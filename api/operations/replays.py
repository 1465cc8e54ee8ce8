"""The console's replays: rebuild a projection from the event store, watch it, see the swap.

- `GET /console/replays`: every projection with its checkpoint (position, lag, state, as `splits status` shows
  it) and its last replay.
- `GET /console/replays/{projection}/start`: the confirmation page, whose form carries a fresh run id; `POST`
  the same path with `confirmed=yes` starts the replay in the background of this API process (`consumers/runtime/replay_runner.py`), records
  `ReplayRequested` with the operator, and sends the browser to the run's page. One replay per projection at a
  time, whichever process started it (the CLI's included): a second start is a 409 page, and writes nothing.
  The same form posted again (its run id known) goes to that run and starts nothing.
- `GET /console/replays/runs/{run_id}`: the run, live: events done of the total, the rate, a progress bar;
  then the swap (events replayed, seconds, where the live projector carries on from) or the error. Its
  `/progress` fragment is what console.js refreshes; without script the page's "refresh" link does it.

The progress is read from `eventstore.replay_runs`, written by whichever process runs the replay, so any API
process shows it. An unknown projection or run is a 404 page; nothing is changed by a refused request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from adapters.system import System
from api.deps import Store, SystemDep
from api.operations.console import CsrfChecked, Operator, console_error, operator_metadata, render, render_fragment
from commands.operations.replay import replay_run
from consumers.runtime.replay import ReplayInProgress
from consumers.runtime.replay_runner import ReplayRunner, UnknownProjection
from consumers.runtime.replay_runs import (
    ABANDONED_AFTER_S,
    MAX_RUNNING,
    ReplayRun,
    ReplaysAtCapacity,
    get_run,
    latest_runs,
    replays_locked,
)
from consumers.runtime.status import read_status
from eventstore import load, stream_id_for

router = APIRouter(prefix="/console", include_in_schema=False)

REFRESH_MS = 1000
NAME_CHARS = 64


def _runner(request: Request) -> ReplayRunner:
    return request.app.state.replays


def _known(request: Request, projection: str) -> bool:
    return len(projection) <= NAME_CHARS and projection in _runner(request).projections


def _run_id(sent: str) -> UUID | None:
    try:
        return UUID(sent) if len(sent) <= 36 else None
    except ValueError:
        return None


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 120 else f"{int(value) // 60} min {int(value) % 60} s"


_HELPERS = {"when": _when, "seconds": _seconds, "abandoned_after_s": int(ABANDONED_AFTER_S)}


def _no_projection(request: Request, operator: Operator) -> HTMLResponse:
    return console_error(request, operator, 404, "No such projection",
                         "no projection of that name is served here (see the replays page); nothing was changed.")


@router.get("/replays")
async def replays_page(request: Request, operator: Operator, system: SystemDep) -> HTMLResponse:
    names = sorted(_runner(request).projections)
    report = await read_status(system.pool)
    last = await latest_runs(system.pool)
    locked = await replays_locked(system.pool, names)
    rows = [(name, report.consumer(f"projection:{name}"), last.get(name), name in locked) for name in names]
    return render(request, "replays.html", operator, nav="replays", rows=rows, head=str(report.head), **_HELPERS)


@router.get("/replays/{projection}/start")
async def confirm_replay(request: Request, operator: Operator, system: SystemDep, projection: str) -> HTMLResponse:
    """The confirmation: what a replay does, and the form that starts it."""
    if not _known(request, projection):
        return _no_projection(request, operator)
    report = await read_status(system.pool)
    running = await _running(system, projection)
    return render(request, "replays_confirm.html", operator, nav="replays", projection=projection,
                  status=report.consumer(f"projection:{projection}"), running=running, run_id=str(uuid4()),
                  locked=bool(await replays_locked(system.pool, [projection])), **_HELPERS)


@router.post("/replays/{projection}/start", dependencies=[CsrfChecked])
async def start_replay(request: Request, operator: Operator, system: SystemDep, projection: str) -> Response:
    """Start the replay (after the confirmation) and go to its page."""
    form = await request.form()  # read (and bounded) once, by the CSRF check
    if not _known(request, projection):
        return _no_projection(request, operator)
    sent = form.get("run_id")
    run_id = _run_id(sent) if isinstance(sent, str) else None
    if run_id is None:
        return console_error(request, operator, 400, "Confirm first",
                             "open the confirmation page and confirm there; nothing was changed.")
    if form.get("confirmed") != "yes":
        return console_error(request, operator, 400, "Not confirmed",
                             "a replay needs its confirmation (confirmed=yes); nothing was changed.")
    if await get_run(system.pool, run_id) is not None:  # this form was posted before: its run, not another
        return RedirectResponse(f"/console/replays/runs/{run_id}", status_code=303)
    try:
        await _runner(request).start(projection, operator.clerk_user_id, operator_metadata(request, operator), run_id)
    except ReplaysAtCapacity:
        return console_error(request, operator, 409, "Too many replays at once",
                             f"at most {MAX_RUNNING} replays run at once, each on database connections of its own; "
                             "start this one when one of them has ended. Nothing was started.")
    except (ReplayInProgress, UnknownProjection):
        running = await _running(system, projection)
        return render(request, "replays_busy.html", operator, status_code=409, nav="replays", projection=projection,
                      running=running, **_HELPERS)
    return RedirectResponse(f"/console/replays/runs/{run_id}", status_code=303)


@router.get("/replays/runs/{run_id}")
async def run_page(request: Request, operator: Operator, system: SystemDep, store: Store, run_id: str) -> Response:
    wanted = _run_id(run_id)
    run = None if wanted is None else await get_run(system.pool, wanted)
    if run is None:
        return console_error(request, operator, 404, "No such replay", "no replay run has that id.")
    requested, _, _ = await load(store, replay_run, stream_id_for(replay_run, run.run_id))
    return render(request, "replays_run.html", operator, nav="replays", run=run, operator_id=requested.operator,
                  refresh_ms=REFRESH_MS, **_HELPERS)


@router.get("/replays/runs/{run_id}/progress")
async def run_progress(request: Request, operator: Operator, system: SystemDep, run_id: str) -> Response:
    """The run page's live part, for console.js to swap in."""
    wanted = _run_id(run_id)
    run = None if wanted is None else await get_run(system.pool, wanted)
    if run is None:
        return console_error(request, operator, 404, "No such replay", "no replay run has that id.")
    return render_fragment(request, "replays_progress.html", operator, run=run, **_HELPERS)


async def _running(system: System, projection: str) -> ReplayRun | None:
    """The projection's replay running now, if the console started it."""
    run = (await latest_runs(system.pool)).get(projection)
    return run if run is not None and not run.finished else None
