"""The console's consumers page: every projector and reactor with its position, lag, state and last error; each
reactor's queue and dead letters; the relay's leader and standbys; and each consumer's lag over the last hour.

The status is the one `GET /admin/status` and `splits status` show (api/admin.py `full_status`); the lag
history is what the consumers processes sample (consumers/runtime/lag_history.py). The page's live part is a
fragment console.js fetches again every few seconds. When RabbitMQ cannot be reached the page still shows
what the database knows, and says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import aio_pika
import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.admin import full_status
from api.deps import Now, SystemDep
from api.operations.console import Operator, render, render_fragment
from api.operations.consumers_chart import FRAME, Metric, panels
from adapters.system import System
from consumers.runtime.lag_history import LAG_HISTORY, LAG_SAMPLE_S, lag_history
from consumers.runtime.status import NEVER_REPORTED, RELAY_INSTANCE, ConsumerStatus, read_status

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/console", include_in_schema=False)

REFRESH_MS = 5000
MetricQuery = Annotated[Metric, Query()]


@dataclass(frozen=True, slots=True)
class Row:
    """A consumer as the page shows it; `dead_letters` only for reactors (None when RabbitMQ is not known)."""

    status: ConsumerStatus
    dead_letters: int | None = None

    @property
    def state_class(self) -> str:
        return "state-" + self.status.state.replace(" ", "-")

    @property
    def short_name(self) -> str:
        return self.status.name.partition(":")[2] or self.status.name


def duration(seconds: float | None) -> str:
    """An age or a lag, as a person reads it (`-` when there is none)."""
    if seconds is None:
        return "-"
    seconds = max(seconds, 0.0)  # a report written in the same instant as the read can look a hair ahead
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


async def _view(request: Request, system: System, now: datetime, metric: Metric) -> dict[str, Any]:
    broker_note = None
    if not system.settings.rabbitmq_url:
        broker_note = ("RabbitMQ is not configured: projectors and reactors read the feed directly, so there is "
                       "no relay, no reactor queue and no dead-letter queue to show.")
    try:
        report = await full_status(request, system)
    except (OSError, aio_pika.exceptions.AMQPException) as exc:
        log.warning("the console could not reach RabbitMQ", error=repr(exc))
        report = await read_status(system.pool)
        broker_note = ("RabbitMQ could not be reached: queue depths and dead letters are not shown; positions, lag "
                       "and states come from the database.")
    with_broker = system.settings.rabbitmq_url is not None and broker_note is None
    dead = dict(report.dead_letters)
    projectors, reactors, relay = [], [], []
    instances = []
    for c in report.consumers:
        if c.name.startswith(RELAY_INSTANCE):
            instances.append(c)
        elif c.kind == "reactor":
            reactors.append(Row(c, dead.pop(c.name.removeprefix("reactor:"), 0 if with_broker else None)))
        elif c.kind == "projection":
            projectors.append(Row(c))
        else:
            relay.append(Row(c))
    # Reactors with dead letters that have never reported (`splits status` shows them the same way).
    for name, letters in sorted(dead.items()):
        if letters:
            reactors.append(Row(ConsumerStatus(f"reactor:{name}", "reactor", None, None, None, NEVER_REPORTED),
                                letters))
    history = await lag_history(system.pool, now)
    kinds = {c.name: c.kind for c in report.consumers}
    return {
        "head": str(report.head), "now": now, "projectors": projectors, "reactors": reactors, "relay": relay,
        "leaders": [c for c in instances if c.state == "live"],
        "standbys": [c for c in instances if c.state == "standby"],
        "gone": [c for c in instances if c.state not in ("live", "standby")],
        "broker_note": broker_note, "with_broker": with_broker, "panels": panels(history, kinds, now, metric),
        "metric": metric, "metrics": ("events", "seconds"), "sample_every_s": LAG_SAMPLE_S,
        "history_minutes": int(LAG_HISTORY.total_seconds() // 60), "duration": duration,
        "refresh_ms": REFRESH_MS, "relay_prefix": RELAY_INSTANCE, "frame": FRAME,
    }


@router.get("/consumers")
async def consumers_page(request: Request, operator: Operator, system: SystemDep, now: Now,
                         metric: MetricQuery = "events") -> HTMLResponse:
    return render(request, "consumers.html", operator, **await _view(request, system, now, metric))


@router.get("/consumers/live")
async def consumers_live(request: Request, operator: Operator, system: SystemDep, now: Now,
                         metric: MetricQuery = "events") -> HTMLResponse:
    """The page's live part, for console.js to swap in."""
    return render_fragment(request, "consumers_live.html", operator, **await _view(request, system, now, metric))
