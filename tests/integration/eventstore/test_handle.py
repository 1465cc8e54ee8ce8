"""The command loop on the real store: load → decide → append, retry on conflict, idempotency keys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from commands.ats.job import (
    CreateJob,
    EditJob,
    FillJob,
    PublishJob,
    StatusTransitionNotAllowed,
    SubmitJobForApproval,
    job,
)
from eventstore import EventStore, Metadata, Position, handle, load, loads_reused, new_stream, stream_id_for
from eventstore.types import CommandCount

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def create(job_id, **extra) -> CreateJob:
    return CreateJob(job_id=job_id, company_id=uuid4(), title="Staff Engineer", fee_bps=2000, by="user_1", at=NOW, **extra)


async def test_commands_append_events_and_state_folds_back(store: EventStore) -> None:
    job_id = uuid4()
    created = await handle(store, job, job_id, create(job_id), Metadata(actor="user_1"))
    published = await handle(store, job, job_id, PublishJob(job_id=job_id, billing_ready=True, by="user_1", at=NOW))

    assert (created.version, created.event_types) == (1, ("JobCreated",))
    assert (published.version, published.event_types) == (2, ("JobStatusChanged",))
    assert published.position is not None and created.position is not None and created.position < published.position
    assert Position.parse(published.token) == published.position
    state, version, _ = await load(store, job, stream_id_for(job, job_id))
    assert (state.status, version) == ("active", 2)


async def test_no_op_command_appends_nothing_and_returns_current_position(store: EventStore) -> None:
    job_id = uuid4()
    await handle(store, job, job_id, create(job_id))
    publish = PublishJob(job_id=job_id, billing_ready=True, by="user_1", at=NOW)
    first = await handle(store, job, job_id, publish)
    again = await handle(store, job, job_id, publish)
    assert (again.version, again.position, again.event_types) == (first.version, first.position, ())


async def test_domain_error_propagates_and_writes_nothing(store: EventStore) -> None:
    job_id = uuid4()
    await handle(store, job, job_id, create(job_id))
    await handle(store, job, job_id, PublishJob(job_id=job_id, billing_ready=True, by="u", at=NOW))
    await handle(store, job, job_id, FillJob(job_id=job_id, billing_ready=True, by="u", at=NOW))
    with pytest.raises(StatusTransitionNotAllowed):
        await handle(store, job, job_id, SubmitJobForApproval(job_id=job_id, billing_ready=True, by="u", at=NOW))
    assert await store.stream_version(stream_id_for(job, job_id)) == 3


async def test_concurrent_commands_on_one_stream_all_land_by_retrying(store: EventStore) -> None:
    job_id = uuid4()
    await handle(store, job, job_id, create(job_id))
    titles = [f"Title {i}" for i in range(10)]
    results = await asyncio.gather(
        *(handle(store, job, job_id, EditJob(job_id=job_id, title=t, by="u", at=NOW), max_attempts=20) for t in titles)
    )
    assert sorted(r.version for r in results) == list(range(2, 12))
    recorded = await store.read_stream(stream_id_for(job, job_id))
    assert sorted(e.data["changes"]["title"] for e in recorded[1:]) == sorted(titles)


async def test_command_retried_with_its_idempotency_key_acts_once(store: EventStore) -> None:
    job_id = uuid4()
    meta = Metadata(actor="user_1", idempotency_key="req-123")
    first = await handle(store, job, job_id, create(job_id), meta)
    again = await handle(store, job, job_id, create(job_id), meta)  # would be a Conflict if decided again
    assert again.duplicate and (again.version, again.position) == (first.version, first.position)
    assert await store.stream_version(stream_id_for(job, job_id)) == 1

    other = await handle(store, job, job_id, EditJob(job_id=job_id, title="New", by="user_1", at=NOW),
                         Metadata(actor="user_1", idempotency_key="req-124"))
    assert other.version == 2 and not other.duplicate


async def test_concurrent_retries_with_one_idempotency_key_act_once(store: EventStore) -> None:
    job_id = uuid4()
    await handle(store, job, job_id, create(job_id))
    meta = Metadata(actor="user_1", idempotency_key="edit-1")
    edit = EditJob(job_id=job_id, title="Once", by="user_1", at=NOW)
    results = await asyncio.gather(*(handle(store, job, job_id, edit, meta) for _ in range(5)))
    assert {r.version for r in results} == {2}
    assert await store.stream_version(stream_id_for(job, job_id)) == 2


async def test_each_command_of_one_keyed_request_is_recorded_and_a_retry_repeats_none(store: EventStore) -> None:
    """One request, one Idempotency-Key, three commands on one stream (two of one type): each records its
    events; the request sent again meets each first result and records nothing."""
    job_id = uuid4()

    async def request() -> list:
        meta = Metadata(actor="user_1", idempotency_key="req-1", commands=CommandCount())
        return [await handle(store, job, job_id, create(job_id), meta),
                await handle(store, job, job_id, EditJob(job_id=job_id, title="First", by="user_1", at=NOW), meta),
                await handle(store, job, job_id, EditJob(job_id=job_id, title="Second", by="user_1", at=NOW), meta)]

    first = await request()
    assert [r.version for r in first] == [1, 2, 3] and not any(r.duplicate for r in first)
    recorded = await store.read_stream(stream_id_for(job, job_id))
    assert [e.data.get("changes", {}).get("title") for e in recorded] == [None, "First", "Second"]
    again = await request()
    assert all(r.duplicate for r in again) and [r.version for r in again] == [1, 2, 3]
    assert await store.stream_version(stream_id_for(job, job_id)) == 3


class CountingStore(EventStore):
    """The real store, counting its stream reads (what `loads_reused` saves)."""

    reads = 0

    async def read_stream(self, stream_id: str, from_version: int = 1):
        self.reads += 1
        return await super().read_stream(stream_id, from_version)


async def test_a_command_decides_on_the_state_its_route_loaded(store: EventStore) -> None:
    counting = CountingStore(store.pool, store.registry)
    job_id = uuid4()
    await handle(counting, job, job_id, create(job_id))
    counting.reads = 0
    with loads_reused():
        state, version, _ = await load(counting, job, stream_id_for(job, job_id))  # the route's access check
        result = await handle(counting, job, job_id, EditJob(job_id=job_id, title="Renamed", by="u", at=NOW))
        assert (version, result.version, counting.reads) == (1, 2, 1)
        again = await handle(counting, job, job_id, EditJob(job_id=job_id, title="Twice", by="u", at=NOW))
        assert (again.version, counting.reads) == (3, 2)  # a remembered load serves one command
    counting.reads = 0
    await load(counting, job, stream_id_for(job, job_id))
    await handle(counting, job, job_id, EditJob(job_id=job_id, title="Outside", by="u", at=NOW))
    assert counting.reads == 2  # outside a request's scope every command reads its stream


async def test_a_write_between_the_routes_load_and_the_command_is_a_conflict_retried(store: EventStore) -> None:
    counting = CountingStore(store.pool, store.registry)
    job_id = uuid4()
    await handle(counting, job, job_id, create(job_id))
    with loads_reused():
        await load(counting, job, stream_id_for(job, job_id))
        await handle(store, job, job_id, EditJob(job_id=job_id, title="Meanwhile", by="other", at=NOW))
        counting.reads = 0
        result = await handle(counting, job, job_id, EditJob(job_id=job_id, title="Final", by="u", at=NOW))
        assert counting.reads == 1  # the remembered state lost the race; the retry read the stream
    state, version, _ = await load(store, job, stream_id_for(job, job_id))
    assert (result.version, version, state.title) == (3, 3, "Final")


async def test_a_minted_stream_is_created_without_reading_it(store: EventStore) -> None:
    counting = CountingStore(store.pool, store.registry)
    job_id = uuid4()
    result = await handle(counting, job, job_id, create(job_id), loaded=new_stream(job))
    assert (result.version, counting.reads) == (1, 0)
