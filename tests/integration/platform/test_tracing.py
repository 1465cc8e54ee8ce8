"""Tracing (adapters/tracing.py): one trace from an HTTP command through its append, the relay's publish and each
projector's and reactor's handling, to the provider call; the trace context travels in the event's metadata
and the message headers. Spans are collected by the SDK's in-memory exporter, installed for this process."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import SpanKind

from adapters.settings import Settings
from adapters.tracing import configure_tracing
from tests.api import dev_auth, running_consumers, seed_user, serving
from tests.conftest import RABBITMQ_URL
from tests.helpers import wait_until


class Captured(SpanExporter):
    """Keeps the spans that end while a test listens, and no others (the provider stays for the process)."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] | None = None

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.spans is not None:
            self.spans.extend(spans)
        return SpanExportResult.SUCCESS


class WhileCaptured(Sampler):
    """Records spans only while a test listens, so the other tests of this process run as if tracing were off."""

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None,  # type: ignore[no-untyped-def]
                      trace_state=None) -> SamplingResult:
        decision = Decision.RECORD_AND_SAMPLE if _EXPORTER.spans is not None else Decision.DROP
        return SamplingResult(decision, attributes if decision == Decision.RECORD_AND_SAMPLE else None)

    def get_description(self) -> str:
        return "WhileCaptured"


_EXPORTER = Captured()


@pytest.fixture
def spans() -> Iterator[list[ReadableSpan]]:
    configure_tracing("test", exporter=_EXPORTER, sampler=WhileCaptured())
    _EXPORTER.spans = []
    yield _EXPORTER.spans
    _EXPORTER.spans = None


async def _registered(client, clerk_id: str) -> bool:
    return (await client.get("/v1/users/me", headers=dev_auth(clerk_id))).status_code == 200


def parent_of(span: ReadableSpan, spans: list[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return next((s for s in spans if s.context.span_id == span.parent.span_id), None)


def chain(span: ReadableSpan, spans: list[ReadableSpan]) -> list[str]:
    names = []
    here: ReadableSpan | None = span
    while here is not None:
        names.append(here.name)
        here = parent_of(here, spans)
    return names[::-1]


async def test_one_command_is_one_trace_from_the_request_to_the_reactors_and_the_read_models(
        fresh_store, topology, spans: list[ReadableSpan]) -> None:
    clerk_id = f"user_traced_{secrets.token_hex(4)}"
    await seed_user(fresh_store, clerk_id)
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True, rabbitmq_url=RABBITMQ_URL,
                        rabbitmq_prefix=topology.prefix)
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        await wait_until(lambda: _registered(client, clerk_id), timeout=30)
        spans.clear()
        created = await client.post("/v1/recruiters", json={}, headers=dev_auth(clerk_id))
        assert created.status_code == 201, created.text

        def named(name: str) -> list[ReadableSpan]:
            return [s for s in spans if s.name == name]

        async def handled() -> bool:
            return bool(named("react recruiter-roles")) and bool(named("project network"))

        await wait_until(handled, timeout=30)
    server = next(s for s in spans if s.kind == SpanKind.SERVER)
    assert server.name == "POST /v1/recruiters"
    trace_id = server.context.trace_id
    stored = (await fresh_store.read_stream(f"recruiter-{created.json()['id']}"))[0]
    assert stored.metadata["traceparent"].split("-")[1] == f"{trace_id:032x}"
    publish = next(s for s in spans if s.name == "publish network.RecruiterCreated")
    assert publish.kind == SpanKind.PRODUCER
    # (FastAPI adds a span of its own for the route between the request and the append.)
    assert chain(publish, spans)[0] == "POST /v1/recruiters"
    assert chain(publish, spans)[-2:] == ["append recruiter", "publish network.RecruiterCreated"]
    project = next(s for s in named("project network") if s.attributes["splits.event_type"] == "RecruiterCreated")
    assert chain(project, spans)[0] == "POST /v1/recruiters"
    assert chain(project, spans)[-2:] == ["append recruiter", "project network"]
    react = named("react recruiter-roles")[0]
    assert react.kind == SpanKind.CONSUMER and react.context.trace_id == trace_id
    # The reactor's own command continues the trace: its append is the reactor's child.
    followed = [s for s in spans if parent_of(s, spans) is react and s.name.startswith("append ")]
    assert followed, [s.name for s in spans]


async def test_a_provider_call_is_a_client_span_of_the_command_that_made_it(
        fresh_store, spans: list[ReadableSpan]) -> None:
    from adapters.payments import payments_for

    settings = Settings(database_url=fresh_store.pool.conninfo, environment="test")
    payments = payments_for(settings)
    from adapters.tracing import tracer

    with tracer().start_as_current_span("POST /v1/connect/account", kind=SpanKind.SERVER):
        account = await payments.create_account(email=None, metadata={}, key=secrets.token_hex(8))
    assert account.startswith("sim_")
    call = next(s for s in spans if s.name == "payments-simulated.create_account")
    assert call.kind == SpanKind.CLIENT and chain(call, spans) == ["POST /v1/connect/account",
                                                                  "payments-simulated.create_account"]


async def test_outside_a_recorded_span_nothing_is_added_to_the_events(fresh_store) -> None:
    from datetime import UTC, datetime
    from uuid import uuid4

    from commands.ats.job import CreateJob, job
    from eventstore import Metadata, handle

    configure_tracing("test", exporter=_EXPORTER, sampler=WhileCaptured())  # on, but recording nothing now
    job_id = uuid4()
    await handle(fresh_store, job, job_id, CreateJob(job_id=job_id, company_id=uuid4(), title="Untraced",
                                                    fee_bps=2000, by="t", at=datetime.now(UTC)), Metadata(actor="t"))
    stored = (await fresh_store.read_stream(f"job-{job_id}"))[0]
    assert stored.metadata == {"actor": "t"}
