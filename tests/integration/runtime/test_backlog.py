"""A backlog of 10,000 events drains at the shipped settings, with no dead letter (issue 15, reproduction 5).

The relay and the consumers were stopped while the events piled up in the store; then `splits relay` and
`splits consumers` start as deployed, at the shipped settings, and the test counts: every reactor has handled
every event of its types, every projection and the relay are at the head, no queue holds a message and no
dead-letter queue either. Before, the notifier held two connections per handler while 16 queues × prefetch 20
handlers shared 10 connections: the pool starved, handlers failed on PoolTimeout and were dead-lettered.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import aio_pika
import pytest

from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.ats.application_events import ApplicationCreated, ApplicationStageChanged, ApplicationSubmitted
from commands.ats.saved_item_events import JobSaved
from consumers.runtime.dlq import dead_letter_counts
from consumers.reactors import all_reactors
from consumers.runtime.status import queue_depths, read_status
from projections.registry import all_projections
from eventstore import NO_STREAM, EventStore, Metadata, handle
from eventstore.db import create_pool
from infra.bootstrap import event_registry
from tests.conftest import RABBITMQ_URL
from tests.integration.platform.test_cli import SPLITS
from tests.helpers import NOW, feed_settled, settled_head, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

SEED = Metadata(actor="test", source="test")
# Applications (four events each, which six reactors and most projections take), their jobs and candidates,
# and jobs saved in bulk (projections only) up to 10,000 events. The bulk was jobs created until the notifier
# came to take JobCreated (a company's new job is a notice): 8,200 more events for the notifier to plan, a fifth
# of the drain's time, that no other reactor sees. So the bulk is of a type no reactor takes (checked below):
# the load on the relay and the projections it was meant to be.
APPLICATIONS, JOBS, CANDIDATES, RECRUITERS = 400, 50, 150, 100
BULK_SAVES = 10_000 - 4 * APPLICATIONS - JOBS - CANDIDATES


def _application_events(application_id: UUID, job_id: UUID, company_id: UUID, candidate_id: UUID,
                        recruiter_id: UUID, hour: int) -> list:
    """Created, submitted by the recruiter, reviewed, interviewed: what the notifier, fraud signals,
    reputation tiers and the AI review react to. A recruiter submits once an hour (no rapid-submission signal)."""
    at = NOW + timedelta(hours=hour)
    by = str(recruiter_id)
    return [
        ApplicationCreated(application_id=application_id, job_id=job_id, candidate_id=candidate_id,
                           company_id=company_id, source="recruiter", candidate_recruiter_id=recruiter_id,
                           company_recruiter_id=None, cover_letter=None, stage="draft", created_by=by, at=at),
        ApplicationSubmitted(application_id=application_id, from_stage="draft", to_stage="submitted",
                             submitted_at=at, by=by, by_role="candidate_recruiter", at=at),
        ApplicationStageChanged(application_id=application_id, from_stage="submitted", to_stage="company_review",
                                reason=None, by="company", by_role="company", at=at + timedelta(minutes=1)),
        ApplicationStageChanged(application_id=application_id, from_stage="company_review", to_stage="interview",
                                reason=None, by="company", by_role="company", at=at + timedelta(minutes=2)),
    ]


async def _build_backlog(store: EventStore) -> int:
    registry = store.registry
    assert registry is not None
    companies = [uuid4() for _ in range(JOBS)]
    job_ids = [uuid4() for _ in range(JOBS)]
    candidate_ids = [uuid4() for _ in range(CANDIDATES)]
    recruiters = [uuid4() for _ in range(RECRUITERS)]
    await asyncio.gather(*(handle(store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=company, title=f"Job {n}", fee_bps=2000, by="cora", at=NOW), SEED)
        for n, (job_id, company) in enumerate(zip(job_ids, companies, strict=True))))
    await asyncio.gather(*(handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, full_name=f"Candidate {n}", email=f"c{n}.{candidate_id.hex[:6]}@example.com",
        created_by_user_id=recruiters[n % RECRUITERS], by="rex", at=NOW), SEED)
        for n, candidate_id in enumerate(candidate_ids)))
    for start in range(0, APPLICATIONS, 250):
        appends = []
        for n in range(start, min(start + 250, APPLICATIONS)):
            application_id, j = uuid4(), n % JOBS
            events = _application_events(application_id, job_ids[j], companies[j], candidate_ids[n % CANDIDATES],
                                         recruiters[n % RECRUITERS], n // RECRUITERS)
            appends.append(store.append(f"application-{application_id}", [registry.encode(e) for e in events],
                                        NO_STREAM, SEED))
        await asyncio.gather(*appends)
    await _bulk_saves(store, job_ids, BULK_SAVES)
    return JOBS + CANDIDATES + 4 * APPLICATIONS + BULK_SAVES


async def _bulk_saves(store: EventStore, job_ids: list[UUID], n: int) -> None:
    """`n` savers each saving one of the jobs: one event on a stream of its own, as `bulk_jobs` appends."""
    registry = store.registry
    assert registry is not None
    for start in range(0, n, 500):
        savers = [uuid4() for _ in range(min(500, n - start))]
        await asyncio.gather(*(
            store.append(f"saved_items-recruiter-{saver}", [registry.encode(JobSaved(
                saver_kind="recruiter", saver_id=saver, job_id=job_ids[(start + i) % len(job_ids)], by=str(saver),
                at=NOW))], NO_STREAM, SEED)
            for i, saver in enumerate(savers)))


async def _handled(store: EventStore, types: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """Per reactor: (events of its types in the store, its own outcomes included; those its inbox says done)."""
    counts = {}
    async with store.pool.connection() as conn:
        for reactor, names in types.items():
            cur = await conn.execute(
                "SELECT (SELECT count(*) FROM eventstore.events WHERE type = ANY(%s)),"
                " (SELECT count(*) FROM eventstore.inbox WHERE reactor = %s AND outcome = 'done')", (names, reactor))
            counts[reactor] = await cur.fetchone()
    return counts


async def _handled_everything(store: EventStore, types: dict[str, list[str]]) -> bool:
    return all(done >= events for events, done in (await _handled(store, types)).values())


async def _explain(store: EventStore, types: dict[str, list[str]]) -> None:
    """Where each consumer is, printed (shown when the test fails)."""
    for c in (await read_status(store.pool)).consumers:
        print(c.name, c.state, c.lag_events, c.detail)
    for reactor, (events, done) in (await _handled(store, types)).items():
        if events:
            print(f"{reactor}: {done} of {events} events handled")


def _start(command: str, env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    with open(logs / f"{command}.log", "wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([SPLITS, command], env=env, stdout=out, stderr=subprocess.STDOUT)


async def test_a_backlog_of_ten_thousand_events_drains_with_no_dead_letter(fresh_store, topology, tmp_path) -> None:
    assert not [r.name for r in all_reactors() if JobSaved in r.events], "the bulk is to reach the projections only"
    store = fresh_store
    loop = asyncio.get_running_loop()
    began = loop.time()
    # Built on a few connections of its own, so the test's pool keeps none of them while the consumers run.
    async with create_pool(store.pool.conninfo, min_size=1, max_size=6) as few:
        built = await _build_backlog(EventStore(few, event_registry()))
    assert built == 10_000
    head = await settled_head(store)
    built_s = loop.time() - began

    # `splits relay` and `splits consumers` as deployed (docker-compose.yml), at the shipped settings: only
    # what says where things are is given.
    env = {k: v for k, v in os.environ.items() if k not in ("DB_POOL_MAX", "DB_POOL_MIN", "CONSUMER_PREFETCH")}
    env |= {"DATABASE_URL": store.pool.conninfo, "RABBITMQ_URL": RABBITMQ_URL, "RABBITMQ_PREFIX": topology.prefix,
            "ENVIRONMENT": "test", "LOG_LEVEL": "warning", "LOG_FORMAT": "console"}
    reactors = {r.name: [cls.type_name() for cls in r.events] for r in all_reactors()}
    projections = {f"projection:{name}" for name in all_projections()}
    # The deployment ran before: its reactors' queues exist, so what the relay publishes reaches them.
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        for reactor in all_reactors():
            await topology.declare_reactor(channel, reactor.name, reactor.routing_keys(store.registry),
                                           reactor.retry_delays_ms())
    started = loop.time()
    processes = [_start("relay", env, tmp_path), _start("consumers", env, tmp_path)]
    try:
        async def caught_up() -> bool:
            report = await read_status(store.pool)
            fed = {c.name: c for c in report.consumers if c.name == "relay" or c.name in projections}
            if len(fed) < len(projections) + 1 or any(c.position is None or c.lag_events for c in fed.values()):
                return False
            return await _handled_everything(store, reactors)

        try:
            await wait_until(caught_up, timeout=300)
        finally:
            await _explain(store, reactors)
        drained_s = loop.time() - started
        await feed_settled(store)
        assert await _handled_everything(store, reactors)
        depths = await queue_depths(RABBITMQ_URL, topology, list(reactors))
        assert {name: n for name, n in depths.items() if n} == {}
        letters = await dead_letter_counts(RABBITMQ_URL, topology, list(reactors))
        assert {name: n for name, n in letters.items() if n} == {}
        report = await read_status(store.pool)
        assert all(report.consumer(name).lag_events == 0 for name in projections)
        assert all(c.state in ("live", "standby") for c in report.consumers if c.kind in ("relay", "reactor")
                   and c.reported_state is not None)
        assert (await store.head()) >= head
        assert [p.poll() for p in processes] == [None, None]  # neither process gave up
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for name in ("relay", "consumers"):
            said = (tmp_path / f"{name}.log").read_text(errors="replace").splitlines()
            print(f"--- splits {name}: {len(said)} lines; last:", *said[-15:], sep="\n")
    print(f"backlog of {built} events built in {built_s:.1f} s, drained in {drained_s:.1f} s")
