"""Operations: consumer status as JSON (Prometheus metrics are on the internal listener, api/serving.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from adapters.system import System
from api.deps import PlatformAdmin, SystemDep
from consumers.runtime.topology import topology_of
from consumers.runtime.dlq import dead_letter_counts
from consumers.runtime.status import StatusReport, queue_depths, read_status

router = APIRouter(tags=["operations"])


async def full_status(request: Request, system: System) -> StatusReport:
    """The consumers' status with, where RabbitMQ is configured, each reactor's dead letters and queue depth
    (for /admin/status and the console's consumers page)."""
    report = await read_status(system.pool)
    if system.settings.rabbitmq_url:
        names = request.app.state.reactor_names  # given by the app factory (infra/app.py)
        report.dead_letters = await dead_letter_counts(system.settings.rabbitmq_url, topology_of(system), names)
        report = report.with_queue_depths(await queue_depths(system.settings.rabbitmq_url, topology_of(system), names))
    return report


@router.get("/admin/status", responses={401: {}, 403: {}})
async def consumer_status(request: Request, system: SystemDep, _: PlatformAdmin) -> dict[str, Any]:
    """Each consumer's position, lag in events and seconds, and state (live, catching up, stopped, error); each
    relay process; each reactor's queue depth and the age of its oldest message (consumers/runtime/status.py)."""
    return (await full_status(request, system)).as_dict()
