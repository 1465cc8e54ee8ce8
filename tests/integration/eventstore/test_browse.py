"""The operator's reads of the store (eventstore/browse.py): stream and event searches, keyset pages, bounds, and
that migration 0007's indexes are the ones the searches use."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from eventstore import NO_STREAM, EventStore, Metadata, NewEvent
from eventstore.browse import (
    MAX_PAGE,
    EventSearch,
    SearchTooSlow,
    events_caused_by,
    events_of_correlation,
    events_statement,
    get_event,
    get_stream,
    prefix_upper_bound,
    search_events,
    search_streams,
    stream_events,
    streams_statement,
)
from eventstore.chain_check import verify_stream


def _kind() -> str:
    """A stream type of this test's own (the shared database holds other tests' streams)."""
    return f"br{uuid4().hex[:10]}"


async def _create(store: EventStore, stream_id: str, n: int = 1, metadata: Metadata | None = None) -> list[UUID]:
    ids = [uuid4() for _ in range(n)]
    await store.append(stream_id, [NewEvent("Noted", {"i": i}, ids[i]) for i in range(n)], NO_STREAM, metadata)
    return ids


async def test_a_prefix_is_text_not_a_pattern(store: EventStore) -> None:
    kind = _kind()
    names = ["a%b", "axb", "a_b", "ayb", "a\\b", "a%"]
    for name in names:
        await _create(store, f"{kind}-{name}")
    async with store.pool.connection() as conn:
        async def found(prefix: str) -> list[str]:
            page = await search_streams(conn, prefix=f"{kind}-{prefix}")
            return [s.stream_id.removeprefix(f"{kind}-") for s in page.streams]

        assert await found("a%") == ["a%", "a%b"]
        assert await found("a_") == ["a_b"]
        assert await found("a\\") == ["a\\b"]
        assert await found("a") == sorted(names)
        assert await found("b") == []


async def test_a_stream_type_is_the_id_before_its_dash(store: EventStore) -> None:
    kind = _kind()
    await _create(store, f"{kind}-1")
    await _create(store, f"{kind}-2")
    await _create(store, f"{kind}x-1")  # its id starts with the type's letters, its type is another
    async with store.pool.connection() as conn:
        page = await search_streams(conn, stream_type=kind)
        assert [s.stream_id for s in page.streams] == [f"{kind}-1", f"{kind}-2"]
        assert {s.stream_type for s in page.streams} == {kind}
        both = await search_streams(conn, stream_type=kind, prefix=f"{kind}-2")
        assert [s.stream_id for s in both.streams] == [f"{kind}-2"]


async def test_streams_are_paged_by_id(store: EventStore) -> None:
    kind = _kind()
    ids = sorted(f"{kind}-{i}" for i in range(5))
    for sid in ids:
        await _create(store, sid, 2)
    async with store.pool.connection() as conn:
        seen: list[str] = []
        after, pages = None, 0
        while True:
            page = await search_streams(conn, stream_type=kind, after=after, limit=2)
            seen += [s.stream_id for s in page.streams]
            pages += 1
            if page.next_after is None:
                break
            after = page.next_after
        assert (seen, pages) == (ids, 3)
        one = await get_stream(conn, ids[0])
        assert one is not None and one.version == 2 and one.stream_type == kind
        assert one.last_hash == (await store.stream_tip(ids[0]))[1]
        assert await get_stream(conn, f"{kind}-none") is None


async def test_events_are_found_newest_first_and_paged_by_position(store: EventStore) -> None:
    kind = _kind()
    event_type = f"Seen{kind}"
    for i in range(5):
        await store.append(f"{kind}-{i}", [NewEvent(event_type, {"i": i}, uuid4())], NO_STREAM)
    async with store.pool.connection() as conn:
        seen: list[int] = []
        before = None
        while True:
            page = await search_events(conn, EventSearch(type=event_type), before=before, limit=2)
            seen += [e.data["i"] for e in page.events]
            if page.next_before is None:
                break
            before = page.next_before
        assert seen == [4, 3, 2, 1, 0]


async def test_events_of_a_correlation_a_causation_and_a_time_range(store: EventStore) -> None:
    kind = _kind()
    correlation = f"corr-{uuid4()}"
    first = (await _create(store, f"{kind}-a", 1, Metadata(actor="t", correlation_id=correlation)))[0]
    caused = await _create(store, f"{kind}-b", 2, Metadata(actor="t", correlation_id=correlation,
                                                           causation_id=str(first)))
    await _create(store, f"{kind}-c", 1, Metadata(actor="t", correlation_id=f"other-{uuid4()}"))
    async with store.pool.connection() as conn:
        of_correlation = await events_of_correlation(conn, correlation)
        assert [e.event_id for e in of_correlation.events] == [caused[1], caused[0], first]
        assert [e.event_id for e in (await events_caused_by(conn, first)).events] == [caused[1], caused[0]]
        assert (await events_caused_by(conn, caused[0])).events == []
        both = await search_events(conn, EventSearch(correlation_id=correlation, stream_id=f"{kind}-a"))
        assert [e.event_id for e in both.events] == [first]

        recorded = {e.event_id: e.recorded_at for e in of_correlation.events}
        window = EventSearch(correlation_id=correlation, recorded_from=recorded[caused[0]],
                             recorded_to=recorded[caused[0]] + timedelta(microseconds=1))
        assert [e.event_id for e in (await search_events(conn, window)).events] == [caused[1], caused[0]]
        after = EventSearch(correlation_id=correlation, recorded_to=recorded[caused[0]])
        assert [e.event_id for e in (await search_events(conn, after)).events] == [first]

        event = await get_event(conn, first)
        assert event is not None and event.metadata["correlation_id"] == correlation
        assert await get_event(conn, uuid4()) is None


async def test_a_streams_events_are_those_read_stream_returns_as_stored(store: EventStore) -> None:
    kind = _kind()
    sid = f"{kind}-1"
    await _create(store, sid, 3, Metadata(actor="t"))
    await store.append(sid, [NewEvent("Noted", {"i": 3}, uuid4())], 3)
    async with store.pool.connection() as conn:
        first = await stream_events(conn, sid, limit=3)
        rest = await stream_events(conn, sid, after_version=3, limit=3)
    assert [e.version for e in first] == [1, 2, 3] and [e.version for e in rest] == [4]
    assert first + rest == await store.read_stream(sid)


@pytest.mark.parametrize(
    "call",
    [
        lambda conn: search_streams(conn, limit=0),
        lambda conn: search_streams(conn, limit=MAX_PAGE + 1),
        lambda conn: search_streams(conn, prefix=""),
        lambda conn: search_streams(conn, prefix="x" * 301),
        lambda conn: search_streams(conn, stream_type="a\x00b"),
        lambda conn: search_events(conn, EventSearch(), limit=MAX_PAGE + 1),
        lambda conn: search_events(conn, EventSearch(), before=0),
        lambda conn: search_events(conn, EventSearch(recorded_from=datetime(2026, 1, 1))),
        lambda conn: search_events(conn, EventSearch(correlation_id="c" * 301)),
        lambda conn: stream_events(conn, "x-1", after_version=-1),
        lambda conn: stream_events(conn, "x-1", limit=MAX_PAGE + 1),
    ],
)
async def test_out_of_bounds_searches_are_refused(store: EventStore, call) -> None:
    async with store.pool.connection() as conn:
        with pytest.raises(ValueError):
            await call(conn)


def test_the_upper_bound_of_a_prefix() -> None:
    assert prefix_upper_bound("job-") == "job."
    assert prefix_upper_bound("a\U0010ffff") == "b"
    assert prefix_upper_bound("\U0010ffff") is None
    assert prefix_upper_bound("a\ud7ff") == "a\ue000"


async def _plan(conn, statement: tuple[str, tuple]) -> str:
    query, params = statement
    cur = await conn.execute(f"EXPLAIN (FORMAT JSON) {query}", params)
    return json.dumps((await cur.fetchone())[0])


@pytest.mark.parametrize(
    ("statement", "index"),
    [
        (streams_statement(prefix="job-1", stream_type=None, after=None, limit=50), "streams_id_c_idx"),
        (streams_statement(prefix=None, stream_type="job", after="job-1", limit=50), "streams_id_c_idx"),
        (events_statement(EventSearch(type="JobCreated"), before=10, limit=50), "events_type_idx"),
        (events_statement(EventSearch(correlation_id="c-1"), before=None, limit=50), "events_correlation_idx"),
        (events_statement(EventSearch(causation_id=str(uuid4())), before=None, limit=50), "events_causation_idx"),
    ],
    ids=["prefix", "type", "event-type", "correlation", "causation"],
)
async def test_the_searches_use_the_indexes_made_for_them(store: EventStore, statement, index: str) -> None:
    async with store.pool.connection() as conn, conn.transaction():
        # The test's store is small: without this the planner reads it whole, whatever the indexes.
        await conn.execute("SET LOCAL enable_seqscan = off")
        assert index in await _plan(conn, statement)


async def test_a_time_range_uses_the_block_range_index(store: EventStore) -> None:
    search = EventSearch(recorded_from=datetime.fromisoformat("2026-01-01T00:00:00+00:00"),
                         recorded_to=datetime.fromisoformat("2026-01-02T00:00:00+00:00"))
    async with store.pool.connection() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        await conn.execute("SET LOCAL enable_indexscan = off")  # else the position key, read backwards, is cheaper
        assert "events_recorded_at_brin" in await _plan(conn, events_statement(search, before=None, limit=50))


async def _tamper(store: EventStore, sql: str, sid: str) -> None:
    async with store.pool.connection() as conn:
        await conn.execute(sql, {"sid": sid})


async def test_a_chain_checked_a_part_at_a_time_verifies_and_finds_a_break(store: EventStore) -> None:
    sid = f"{_kind()}-1"
    await _create(store, sid, 4)
    for version in range(4, 7):
        await store.append(sid, [NewEvent("Noted", {"i": version}, uuid4())], version)
    intact = await verify_stream(store.pool, sid, chunk=3)
    assert (intact.ok, intact.events_checked, intact.version, intact.capped, intact.problems) == (True, 7, 7, None, ())

    await _tamper(store, "UPDATE eventstore.events SET hash = sha256(hash) WHERE stream_id = %(sid)s AND version = 5", sid)
    broken = await verify_stream(store.pool, sid, chunk=3)
    assert not broken.ok and broken.problems[0].version == 5


async def test_a_removed_event_at_a_part_boundary_and_a_removed_last_event_are_found(store: EventStore) -> None:
    sid = f"{_kind()}-1"
    await _create(store, sid, 7)
    await _tamper(store, "DELETE FROM eventstore.events WHERE stream_id = %(sid)s AND version = 4", sid)
    assert [p.version for p in (await verify_stream(store.pool, sid, chunk=3)).problems][:1] == [5]

    other = f"{_kind()}-1"
    await _create(store, other, 3)
    await _tamper(store, "DELETE FROM eventstore.events WHERE stream_id = %(sid)s AND version = 3", other)
    verdict = await verify_stream(store.pool, other, chunk=2)
    assert not verdict.ok and verdict.events_checked == 2


async def test_a_long_chain_check_stops_at_its_cap_and_says_so(store: EventStore) -> None:
    sid = f"{_kind()}-1"
    await _create(store, sid, 9)
    verdict = await verify_stream(store.pool, sid, chunk=2, max_events=5)
    assert (verdict.ok, verdict.events_checked) == (True, 5)
    assert verdict.capped is not None and "5 events" in verdict.capped
    missing = await verify_stream(store.pool, f"{_kind()}-none")
    assert (missing.exists, missing.ok) == (False, False)


async def test_a_search_that_runs_too_long_is_stopped(store: EventStore) -> None:
    async with store.pool.connection() as locker, store.pool.connection() as conn:
        async with locker.transaction():
            await locker.execute("LOCK TABLE eventstore.streams IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(SearchTooSlow):
                await search_streams(conn, prefix="anything-")
        assert (await search_streams(conn, prefix=f"{_kind()}-")).streams == []  # the connection is usable again
