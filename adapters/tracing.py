"""Tracing with OpenTelemetry: one trace from an HTTP command to the provider call its events cause.

On only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the SDK's own variable; its other `OTEL_*` variables, such
as `OTEL_SERVICE_NAME` and `OTEL_EXPORTER_OTLP_HEADERS`, apply as the SDK documents them). Off, every span here
is the API's no-op and nothing is added to events or messages.

The trace context travels with the event, beside the correlation id: the append writes the current span's
W3C `traceparent` into the event's metadata (so it is kept with the event, replayed with it, and exported in
audit bundles), the relay copies it into the message headers, and the projectors and reactors start their
spans as children of it. The chain of one command:

    HTTP POST /v1/… (server) → append <stream type> → publish <routing key> (producer)
                                                     → project <name> / react <name> (consumer)
                                                         → stripe.transfer / resend.send / openai.review (client)
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from opentelemetry import context, propagate, trace
from opentelemetry.trace import Span, SpanKind

__all__ = ["SpanKind", "configure_tracing", "span", "span_from", "traced", "tracer", "current_context"]

TRACER = "splits"
ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
# The metadata keys (and broker headers) that carry the trace context: W3C Trace Context.
CARRIED = ("traceparent", "tracestate")

_configured = False
T = TypeVar("T")


def configure_tracing(process: str, *, exporter: Any = None, sampler: Any = None) -> bool:
    """Install the SDK's tracer provider for this process when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or when a
    test hands in an `exporter`, and perhaps a `sampler`); returns whether tracing is on. Once per process."""
    global _configured
    if _configured:
        return True
    if exporter is None and not os.environ.get(ENDPOINT):
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or f"splits-{process}"})
    provider = TracerProvider(resource=resource, **({"sampler": sampler} if sampler is not None else {}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured = True
    return True


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER)


def carried(metadata: Mapping[str, Any]) -> dict[str, str]:
    """The trace context an event's metadata (or a message's headers) carries, if any."""
    return {k: str(metadata[k]) for k in CARRIED if metadata.get(k)}


def current_context() -> dict[str, str]:
    """The current span's context as W3C headers; empty when no span records (tracing off, or a span the
    sampler dropped: what follows from it downstream is not traced either)."""
    if not _configured or not trace.get_current_span().is_recording():
        return {}
    found: dict[str, str] = {}
    propagate.inject(found)
    return carried(found)


@contextmanager
def span(name: str, kind: SpanKind = SpanKind.INTERNAL) -> Iterator[Span]:
    """A span current while the block runs; with tracing off, nothing at all (no context is attached: the
    API's no-op span still costs tens of microseconds, which an append or a projected event should not pay)."""
    if not _configured:
        yield trace.INVALID_SPAN
        return
    with tracer().start_as_current_span(name, kind=kind) as current:
        yield current


@contextmanager
def span_from(name: str, metadata: Mapping[str, Any], kind: SpanKind = SpanKind.CONSUMER,
              **attributes: Any) -> Iterator[Span]:
    """A span whose parent is the context an event (or message) carries, current while the block runs
    (nothing with tracing off, as `span`)."""
    if not _configured:
        yield trace.INVALID_SPAN
        return
    parent = propagate.extract(carried(metadata)) if carried(metadata) else context.get_current()
    with tracer().start_as_current_span(name, context=parent, kind=kind,
                                        attributes={k: v for k, v in attributes.items() if v is not None}) as span:
        yield span


def traced(provider: str, client: T) -> T:
    """`client` with each of its coroutine methods in a client span `<provider>.<method>`."""
    return _Traced(provider, client)  # type: ignore[return-value]


class _Traced:
    def __init__(self, provider: str, client: Any) -> None:
        self._provider = provider
        self._client = client

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._client, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(value):
            return value

        @functools.wraps(value)
        async def call(*args: Any, **kwargs: Any) -> Any:
            with tracer().start_as_current_span(f"{self._provider}.{name}", kind=SpanKind.CLIENT,
                                                attributes={"peer.service": self._provider}):
                return await value(*args, **kwargs)

        return call


def wrap_async(name: str, function: Callable[..., Awaitable[T]], kind: SpanKind = SpanKind.CLIENT,
               **attributes: Any) -> Callable[..., Awaitable[T]]:
    """`function` with each call in a span `name`."""

    @functools.wraps(function)
    async def call(*args: Any, **kwargs: Any) -> T:
        with tracer().start_as_current_span(name, kind=kind, attributes=attributes):
            return await function(*args, **kwargs)

    return call
