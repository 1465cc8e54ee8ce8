"""Contract of every event store operation, on the real PostgreSQL."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import psycopg
import pytest

from commands.core import Event
from eventstore import (
    ANY_VERSION,
    NO_STREAM,
    START,
    Conflict,
    EventIdReused,
    EventRegistry,
    EventStore,
    Metadata,
    MissingUpcaster,
    NewEvent,
    Position,
    UnknownEventType,
    connect,
    eventstore_migrations,
    migrate,
    verify_chain,
)
from tests.helpers import feed_settled


def stream() -> str:
    return f"test-{uuid4()}"


def events(*types: str, **data: object) -> list[NewEvent]:
    return [NewEvent(t, {"n": i, **data}, uuid4()) for i, t in enumerate(types)]


async def test_append_to_new_stream_then_read_it_back(store: EventStore) -> None:
    sid = stream()
    meta = Metadata(actor="user_1", correlation_id="c1", causation_id="k1", idempotency_key="i1", source="api")
    result = await store.append(sid, events("Opened", "Named", name="Acme"), NO_STREAM, meta)

    assert result.version == 2 and not result.duplicate
    recorded = await store.read_stream(sid)
    assert [(e.version, e.type, e.data) for e in recorded] == [
        (1, "Opened", {"n": 0, "name": "Acme"}),
        (2, "Named", {"n": 1, "name": "Acme"}),
    ]
    assert all(e.metadata == meta.as_dict() and e.stream_type == "test" for e in recorded)
    assert recorded[0].position < recorded[1].position == result.position
    assert await store.stream_version(sid) == 2
    assert await store.read_stream(sid, from_version=2) == recorded[1:]


async def test_append_to_existing_stream_with_its_version_extends_it(store: EventStore) -> None:
    sid = stream()
    await store.append(sid, events("A"), NO_STREAM)
    result = await store.append(sid, events("B", "C"), 1)
    assert result.version == 3
    assert [e.version for e in await store.read_stream(sid)] == [1, 2, 3]


async def test_stale_expected_version_raises_conflict_with_current_version(store: EventStore) -> None:
    sid = stream()
    await store.append(sid, events("A", "B"), NO_STREAM)
    with pytest.raises(Conflict) as caught:
        await store.append(sid, events("C"), 1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert [e.type for e in await store.read_stream(sid)] == ["A", "B"]


async def test_no_stream_expected_on_existing_stream_conflicts(store: EventStore) -> None:
    sid = stream()
    await store.append(sid, events("A"), NO_STREAM)
    with pytest.raises(Conflict) as caught:
        await store.append(sid, events("B"), NO_STREAM)
    assert caught.value.actual == 1


async def test_expected_version_on_missing_stream_conflicts_and_creates_nothing(store: EventStore) -> None:
    sid = stream()
    with pytest.raises(Conflict) as caught:
        await store.append(sid, events("A"), 3)
    assert caught.value.actual == 0
    assert await store.stream_tip(sid) is None


async def test_any_version_appends_whatever_the_version(store: EventStore) -> None:
    sid = stream()
    await store.append(sid, events("A"), ANY_VERSION)
    result = await store.append(sid, events("B"), ANY_VERSION)
    assert result.version == 2


async def test_retried_append_returns_original_result_and_stores_nothing_new(store: EventStore) -> None:
    sid = stream()
    batch = events("A", "B")
    first = await store.append(sid, batch, NO_STREAM)
    await store.append(sid, events("C"), 2)

    again = await store.append(sid, batch, NO_STREAM)
    again_any = await store.append(sid, batch, ANY_VERSION)

    for retry in (again, again_any):
        assert retry.duplicate
        assert (retry.version, retry.position) == (first.version, first.position)
    assert [e.type for e in await store.read_stream(sid)] == ["A", "B", "C"]


async def test_concurrent_retries_of_one_append_store_it_once(store: EventStore) -> None:
    sid = stream()
    batch = events("A")
    results = await asyncio.gather(*(store.append(sid, batch, ANY_VERSION) for _ in range(8)))
    assert sum(not r.duplicate for r in results) == 1
    assert {r.position for r in results} == {results[0].position}
    assert len(await store.read_stream(sid)) == 1


async def test_event_id_reused_on_another_stream_is_refused(store: EventStore) -> None:
    batch = events("A")
    await store.append(stream(), batch, NO_STREAM)
    with pytest.raises(EventIdReused):
        await store.append(stream(), batch, NO_STREAM)
    with pytest.raises(EventIdReused):
        await store.append(stream(), batch, ANY_VERSION)


async def test_find_append_locates_a_stored_append(store: EventStore) -> None:
    sid = stream()
    batch = events("A", "B")
    result = await store.append(sid, batch, NO_STREAM)
    found = await store.find_append(batch[0].event_id)
    assert found is not None
    assert (found.stream_id, found.version, found.position) == (sid, 2, result.position)
    assert found.event_ids == (batch[0].event_id, batch[1].event_id)
    assert await store.find_append(uuid4()) is None


async def test_malformed_stream_id_and_empty_append_are_refused(store: EventStore) -> None:
    with pytest.raises(ValueError):
        await store.append("nodash", events("A"), NO_STREAM)
    with pytest.raises(ValueError):
        await store.append(stream(), [], NO_STREAM)


async def test_feed_returns_events_after_a_position_in_order(fresh_store: EventStore) -> None:
    a, b = stream(), stream()
    await fresh_store.append(a, events("A1", "A2"), NO_STREAM)
    await fresh_store.append(b, events("B1"), NO_STREAM)
    await fresh_store.append(a, events("A3"), 2)
    await feed_settled(fresh_store)  # the feed holds events back behind any open transaction in the cluster

    everything = await fresh_store.feed(START, 100)
    assert [e.type for e in everything] == ["A1", "A2", "B1", "A3"]
    assert [e.position for e in everything] == sorted(e.position for e in everything)
    assert [e.type for e in await fresh_store.feed(everything[1].position, 2)] == ["B1", "A3"]
    assert await fresh_store.feed(everything[-1].position, 100) == []
    assert await fresh_store.head() == everything[-1].position


async def test_feed_of_empty_store_is_empty(fresh_store: EventStore) -> None:
    assert await fresh_store.feed(START, 10) == []
    assert await fresh_store.head() == START


def test_consistency_token_round_trips_and_orders() -> None:
    early, late = Position(5, 900), Position(6, 3)
    assert early < late and Position.parse(str(late)) == late
    assert str(early) == "5.900"
    for bad in ("", "5", "a.b", "5.-1", "5.3.2"):
        with pytest.raises(ValueError):
            Position.parse(bad)


class Renamed(Event):
    """v1 had `name`; v2 split it into `first` and `last`."""

    schema_version = 2
    upcasters = {1: lambda d: {"first": d["name"].split()[0], "last": d["name"].split()[-1]}}
    first: str
    last: str


async def test_old_shape_is_upcast_on_read_and_stored_bytes_stay(store: EventStore) -> None:
    registry = EventRegistry([Renamed])
    sid = stream()
    await store.append(sid, [NewEvent("Renamed", {"name": "Ada Lovelace"}, uuid4(), schema_version=1)], NO_STREAM)
    await store.append(sid, [registry.encode(Renamed(first="Grace", last="Hopper"))], 1)

    recorded = await store.read_stream(sid)
    assert [registry.decode(e) for e in recorded] == [Renamed(first="Ada", last="Lovelace"), Renamed(first="Grace", last="Hopper")]
    assert recorded[0].data == {"name": "Ada Lovelace"} and recorded[0].schema_version == 1
    assert verify_chain(recorded) == []


def test_registry_refuses_gaps_in_upcasters_and_unknown_types() -> None:
    class Skipped(Event):
        schema_version = 3
        upcasters = {1: lambda d: d}

    with pytest.raises(MissingUpcaster):
        EventRegistry([Skipped])
    with pytest.raises(UnknownEventType):
        EventRegistry().class_of("Nope")


async def test_concurrent_migrations_apply_once(empty_database_url: str) -> None:
    async def run() -> list[str]:
        conn = await connect(empty_database_url)
        try:
            return await migrate(conn)
        finally:
            await conn.close()

    results = await asyncio.gather(run(), run(), run())
    applied = [names for names in results if names]
    assert len(applied) == 1 and applied[0] == [m.name for m in eventstore_migrations()]
    assert await run() == []
    async with await psycopg.AsyncConnection.connect(empty_database_url) as conn:
        cur = await conn.execute("SELECT count(*) FROM eventstore.migrations")
        assert (await cur.fetchone())[0] == len(eventstore_migrations())
