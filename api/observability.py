"""Per-request plumbing: the correlation id, and request counts and latencies for Prometheus."""

from __future__ import annotations

import re
import time
from uuid import uuid4

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.tracing import SpanKind, span_from
from eventstore import loads_reused

CORRELATION_HEADER = "x-correlation-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "splits_http_requests", "HTTP requests by route template, method and status",
            ["route", "method", "status"], registry=registry,
        )
        self.latency = Histogram(
            "splits_http_request_seconds", "HTTP request latency by route template and method",
            ["route", "method"], registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class RequestContext:
    """ASGI middleware: a correlation id for every request (the caller's if it sent a sane one, else new),
    bound to every log line and echoed in the response; and the request's route, status and duration.
    Also the request's scope for `loads_reused` (a command decides on the state its route loaded)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(CORRELATION_HEADER.encode(), b"").decode("latin-1")
        correlation_id = given if _SAFE_ID.match(given) else str(uuid4())
        state = scope.setdefault("state", {})
        state["correlation_id"] = correlation_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                headers.append((CORRELATION_HEADER.encode(), correlation_id.encode()))
                # Headers a dependency asked for (rate-limit counts), whatever response the route made.
                present = {name.lower() for name, _ in headers}
                for name, value in state.get("response_headers", {}).items():
                    if name.lower().encode() not in present:
                        headers.append((name.encode(), value.encode()))
            await send(message)

        incoming = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
                    if k in (b"traceparent", b"tracestate")}
        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id), loads_reused(), \
                span_from(scope["method"], incoming, SpanKind.SERVER, **{"splits.correlation_id": correlation_id}) as span:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = _route_template(scope)
                span.update_name(f"{scope['method']} {route}")
                span.set_attribute("http.response.status_code", status)
                self.metrics.requests.labels(route, scope["method"], str(status)).inc()
                self.metrics.latency.labels(route, scope["method"]).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    """The matched route's path template (`/v1/jobs/{job_id}`), so metrics do not grow with every id."""
    route = scope.get("route")  # path_format: without the convertors of typed parameters (api/paths.py)
    return getattr(route, "path_format", None) or getattr(route, "path", "unmatched")
