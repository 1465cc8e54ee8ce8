"""`--preload N` (append and delivery suites) stores a history the event store takes for its own: versions without
gaps, hash chains that verify against their stream rows, each stream row holding its last event's xid, a feed in
order, the indexes back under their names, and appends and reads on top of it that work as on any stream."""

from __future__ import annotations

import argparse
import asyncio
from uuid import uuid4

import pytest

from bench import append
from bench.common import PROBE_LENGTH, history_data, preload, store_sizes, verify_probe
from eventstore import START, EventStore, NewEvent, create_pool, verify_chain
from tests.helpers import wait_until

EVENTS = 6_000


async def test_a_preloaded_history_verifies_and_takes_appends(fresh_database_url: str) -> None:
    loaded = await asyncio.to_thread(preload, fresh_database_url, EVENTS, lambda _: None, open_streams=40)
    await verify_probe(fresh_database_url, loaded)
    assert loaded.events == EVENTS and loaded.probe_streams and loaded.chain_verified
    async with create_pool(fresh_database_url, min_size=1, max_size=2, name="test-preload") as pool:
        store = EventStore(pool)
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT s.stream_id, s.version, s.last_tx::text, max(e.version), count(*), max(e.tx_id)::text"
                " FROM eventstore.streams s JOIN eventstore.events e USING (stream_id) GROUP BY s.stream_id, s.version,"
                " s.last_tx ORDER BY s.stream_id")
            streams = await cur.fetchall()
        assert len(streams) == loaded.streams and sum(row[4] for row in streams) == EVENTS
        assert all(version == top == count and last_tx == tx for _, version, last_tx, top, count, tx in streams)
        for stream_id, *_ in streams[::50] + [(s,) for s in loaded.probe_streams]:
            events = await store.read_stream(stream_id)
            tip = await store.stream_tip(stream_id)
            assert tip is not None and verify_chain(events, expected_tip=tip[1]) == []
        assert {len(await store.read_stream(s)) for s in loaded.probe_streams} == {PROBE_LENGTH}

        # The feed shows a transaction once no older one is still running anywhere on the server, and a clone of
        # the test template being made beside this test is one: read it again until it has caught up.
        feed: list = []

        async def whole_feed() -> bool:
            feed.clear()
            after = START
            while chunk := await store.feed(after, 1000):
                feed.extend(chunk)
                after = chunk[-1].position
            return len(feed) == EVENTS

        await wait_until(whole_feed, timeout=30)
        assert [e.position.pos for e in feed] == sorted(e.position.pos for e in feed)

        # One event (append_one) and several (append) on preloaded streams: the chains go on, the feed moves on.
        for (stream_id, version, *_), n in ((streams[0], 1), (streams[1], 3)):
            kind, _, entity = stream_id.partition("-")
            event_type, data = history_data(kind, entity, "2026-12-07T06:00:00Z")
            result = await store.append(stream_id, [NewEvent(event_type, data, uuid4()) for _ in range(n)], version)
            assert result.version == version + n and result.position > feed[-1].position
            tip = await store.stream_tip(stream_id)
            assert tip is not None and verify_chain(await store.read_stream(stream_id), expected_tip=tip[1]) == []

    sizes = store_sizes(fresh_database_url)
    assert sizes["table_sizes"]["events"]["bytes"] > 0
    assert {"events_pkey", "events_event_id_key", "events_stream_id_version_key", "events_feed_idx",
            "events_sealed_subjects_idx"} <= set(sizes["index_sizes"])


@pytest.mark.slow
async def test_the_append_suite_reads_on_top_of_a_preload(fresh_database_url: str) -> None:
    parser = argparse.ArgumentParser()
    append.add_arguments(parser)
    report = await append.run(fresh_database_url, seconds=0.2, warmup=0, rounds=1, only=["read_"], say=lambda _: None,
                              options=parser.parse_args(["--preload", "12000"]))
    stream, feed = report["read_cases"]
    assert report["preload"] == 12000 and report["table_sizes"]["events"]["bytes"] > 0
    assert stream["name"] == "read_stream/50ev" and stream["events_per_read"] == PROBE_LENGTH and stream["raw_p50_us"]
    assert feed["name"] == "read_feed/1000" and feed["start_from"].startswith("the middle of the preload")
    assert feed["events_per_s"] and feed["raw_events_per_s"]
