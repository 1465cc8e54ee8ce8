"""The per-stream hash chain detects a changed, removed or reordered event."""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest

from eventstore import NO_STREAM, EventStore, NewEvent, verify_chain


async def _stream_of_five(store: EventStore) -> str:
    sid = f"ledger-{uuid4()}"
    await store.append(sid, [NewEvent("Opened", {"owner": "acme"}, uuid4())], NO_STREAM)
    await store.append(sid, [NewEvent("Credited", {"cents": c}, uuid4()) for c in (100, 250)], 1)
    await store.append(sid, [NewEvent("Debited", {"cents": 50}, uuid4())], 3)
    await store.append(sid, [NewEvent("Closed", {}, uuid4())], 4)
    return sid


async def _tamper(store: EventStore, sql: str, sid: str) -> None:
    async with store.pool.connection() as conn:
        await conn.execute(sql, {"sid": sid})


async def test_intact_stream_verifies_against_its_tip(store: EventStore) -> None:
    sid = await _stream_of_five(store)
    _, tip = await store.stream_tip(sid)
    assert verify_chain(await store.read_stream(sid), expected_tip=tip) == []


@pytest.mark.parametrize(
    ("tampering", "version"),
    [
        ("UPDATE eventstore.events SET data = '{\"cents\": 9999}' WHERE stream_id = %(sid)s AND version = 2", 2),
        ("UPDATE eventstore.events SET metadata = '{\"actor\": \"mallory\"}' WHERE stream_id = %(sid)s AND version = 4", 4),
        ("UPDATE eventstore.events SET recorded_at = recorded_at - interval '1 day' WHERE stream_id = %(sid)s AND version = 3", 3),
        ("UPDATE eventstore.events SET type = 'Refunded' WHERE stream_id = %(sid)s AND version = 4", 4),
    ],
    ids=["data", "metadata", "time", "type"],
)
async def test_changed_event_is_detected_at_its_version(store: EventStore, tampering: str, version: int) -> None:
    sid = await _stream_of_five(store)
    await _tamper(store, tampering, sid)
    problems = verify_chain(await store.read_stream(sid))
    assert [p.version for p in problems] == [version]


async def test_removed_event_is_detected(store: EventStore) -> None:
    sid = await _stream_of_five(store)
    await _tamper(store, "DELETE FROM eventstore.events WHERE stream_id = %(sid)s AND version = 3", sid)
    problems = verify_chain(await store.read_stream(sid))
    assert problems and problems[0].version == 4


async def test_removed_last_event_is_detected_by_the_tip(store: EventStore) -> None:
    sid = await _stream_of_five(store)
    _, tip = await store.stream_tip(sid)
    await _tamper(store, "DELETE FROM eventstore.events WHERE stream_id = %(sid)s AND version = 5", sid)
    recorded = await store.read_stream(sid)
    assert verify_chain(recorded) == []  # a truncated chain is self-consistent...
    assert [p.reason for p in verify_chain(recorded, expected_tip=tip)] == ["stream tip differs from the recorded tip"]


async def test_reordered_events_are_detected(store: EventStore) -> None:
    sid = await _stream_of_five(store)
    for swap in ("SET version = 1000 WHERE version = 2", "SET version = 2 WHERE version = 3", "SET version = 3 WHERE version = 1000"):
        await _tamper(store, f"UPDATE eventstore.events {swap} AND stream_id = %(sid)s", sid)
    problems = verify_chain(await store.read_stream(sid))
    assert {p.version for p in problems} >= {2, 3}


async def test_chain_hashes_are_the_ones_postgres_stored(store: EventStore) -> None:
    """The Python recomputation and the SQL append function agree byte for byte."""
    sid = await _stream_of_five(store)
    recorded = await store.read_stream(sid)
    async with await psycopg.AsyncConnection.connect(store.pool.conninfo) as conn:
        cur = await conn.execute("SELECT last_hash FROM eventstore.streams WHERE stream_id = %s", (sid,))
        (tip,) = await cur.fetchone()
    assert recorded[-1].hash == bytes(tip)
    assert len({e.hash for e in recorded}) == 5
