"""Operations: consumer status as JSON and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from api.automation.metrics import export_marketplace_gauges
from api.deps import PlatformAdmin, SystemDep
from consumers.app import topology_of
from consumers.dlq import dead_letter_counts
from consumers.reactors import all_reactors
from consumers.status import export_metrics, read_status

router = APIRouter(tags=["operations"])


@router.get("/admin/status", responses={401: {}, 403: {}})
async def consumer_status(system: SystemDep, _: PlatformAdmin) -> dict[str, Any]:
    """Each consumer's position, lag in events and seconds, and state (live, catching up, stopped, error)."""
    report = await read_status(system.pool)
    if system.settings.rabbitmq_url:
        names = [r.name for r in all_reactors()]
        report.dead_letters = await dead_letter_counts(system.settings.rabbitmq_url, topology_of(system), names)
    return report.as_dict()


@router.get("/metrics", include_in_schema=False)
async def metrics(system: SystemDep, request: Request) -> Response:
    """Prometheus exposition: request counts and latencies, and the consumer gauges computed for this scrape."""
    consumers = CollectorRegistry()
    export_metrics(await read_status(system.pool), consumers)
    marketplace = CollectorRegistry()
    async with system.pool.connection() as db:
        await export_marketplace_gauges(db, marketplace)
    body = generate_latest(request.app.state.metrics) + generate_latest(consumers) + generate_latest(marketplace)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
