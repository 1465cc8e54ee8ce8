"""The listeners of an API process: the public API, and Prometheus metrics on an internal port of their own.

Metrics tell fee totals, payout counts and every route's traffic: they are for the operator's scraper,
not for whoever can reach the API. So the public app has no `/metrics` at all (404), and the exposition
is served on METRICS_PORT, a port a deployment keeps inside its network (not published, not routed by
the load balancer). Without METRICS_PORT no metrics are served. `splits consumers` serves the same
listener (consumer and marketplace gauges, without the API's request counts), so either process can be
scraped.

uvicorn is told not to rewrite the caller's address from `X-Forwarded-For`: the gateway decides whom to
believe (TRUSTED_PROXIES, api/gateway.py), and by default believes nobody.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from adapters.system import System
from adapters.settings import Settings


def public_config(app: Any, settings: Settings) -> uvicorn.Config:
    """The public API's listener on HOST:PORT."""
    return uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                          proxy_headers=False)


def metrics_config(state: Any, settings: Settings) -> uvicorn.Config | None:
    """The internal metrics listener on HOST:METRICS_PORT, or None when METRICS_PORT is unset.

    `state` holds the process's `system` (and, in the API, its request `metrics` registry); it is read at
    every scrape, so the listener may start before the system is open (it answers 503 until then).
    """
    if settings.metrics_port is None:
        return None
    return uvicorn.Config(metrics_app(state), host=settings.host, port=settings.metrics_port, log_config=None,
                          access_log=False, proxy_headers=False, lifespan="off")


async def exposition(system: System, requests: CollectorRegistry | None) -> bytes:
    """Prometheus text: the process's request counts and latencies (if any), and the consumer and
    marketplace gauges computed from the database for this scrape."""
    from api.automation.metrics import export_marketplace_gauges
    from consumers.runtime.status import export_metrics, read_status

    consumers = CollectorRegistry()
    export_metrics(await read_status(system.pool), consumers)
    marketplace = CollectorRegistry()
    async with system.pool.connection() as db:
        await export_marketplace_gauges(db, marketplace, now=system.clock.now())
    own = generate_latest(requests) if requests is not None else b""
    return own + generate_latest(consumers) + generate_latest(marketplace)


def metrics_app(state: Any) -> Starlette:
    """The internal listener's app: `GET /metrics`, and `GET /health` for a container's liveness check
    (the process answers: its event loop runs; it reads nothing, so a slow database never restarts it)."""

    async def metrics(_: Request) -> Response:
        system = getattr(state, "system", None)
        if system is None:
            return PlainTextResponse("starting", status_code=503)
        return Response(await exposition(system, getattr(state, "metrics", None)), media_type=CONTENT_TYPE_LATEST)

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/metrics", metrics), Route("/health", health)])
