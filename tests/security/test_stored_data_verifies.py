"""A chain that verifies what was stored, always (DESIGN §5.13), and a store API without sharp edges.

Reproductions: an event whose data held a whole float of 1e16 or more, or -0.0, was stored, but PostgreSQL's jsonb
handed it back as 10000000000000000 / 0.0, so `verify_chain` (and `splits audit verify`) cried wolf on untouched
data; a NUL character ended in a raw database error; two identical concurrent `append_in` calls gave one success and
a raw UniqueViolation; an any-version append that kept losing the xid race reported a version conflict.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstore import (
    ANY_VERSION,
    NO_STREAM,
    AppendContended,
    AppendRaced,
    EventStore,
    NewEvent,
    Unstorable,
    storable,
    verify_chain,
)
from adapters.settings import Settings
from tests.api import dev_auth, seed_user, serving
from tests.helpers import feed_settled

JSON_LEAVES = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1e16, -0.0, 2.0**63, 1e300, -1e19, 123.0])
    | st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                              max_size=8), inner, max_size=4),
    max_leaves=30,
)


async def stored_and_verified(store: EventStore, data: dict[str, Any]) -> dict[str, Any]:
    stream_id = f"probe-{uuid4()}"
    await store.append(stream_id, [NewEvent("Probe", data, uuid4())], NO_STREAM)
    recorded = await store.read_stream(stream_id)
    tip = await store.stream_tip(stream_id)
    assert tip is not None
    assert verify_chain(recorded, expected_tip=tip[1]) == [], data
    return recorded[0].data


@pytest.mark.parametrize("value", [1e16, -0.0, 1e19, 9.5e18, -1e17, 1e300, 1.5e-7, 123.0, 2**64 - 1, -(2**63)])
async def test_numbers_jsonb_rewrites_still_verify(fresh_store: EventStore, value: Any) -> None:
    data = await stored_and_verified(fresh_store, {"x": value, "nested": [{"y": value}]})
    assert data == {"x": storable(value), "nested": [{"y": storable(value)}]}
    assert data["x"] == value  # the same number, written the way the database gives it back


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=JSON)
async def test_any_json_an_append_accepts_verifies_after_a_round_trip(fresh_store: EventStore, payload: Any) -> None:
    data = await stored_and_verified(fresh_store, {"payload": payload})
    assert data == {"payload": storable(payload)}


@pytest.mark.parametrize("bad", [{"x": "a\x00b"}, {"k\x00": 1}, {"x": [float("nan")]}, {"x": float("inf")},
                                 {"x": 2**64}, {"x": -(2**63) - 1}])
async def test_unstorable_input_is_a_clear_value_error_and_writes_nothing(fresh_store: EventStore, bad: Any) -> None:
    store = fresh_store
    stream_id = f"probe-{uuid4()}"
    with pytest.raises(Unstorable) as refused:
        await store.append(stream_id, [NewEvent("Probe", bad, uuid4())], NO_STREAM)
    assert isinstance(refused.value, ValueError) and "\x00" not in str(refused.value)
    assert await store.read_stream(stream_id) == []


async def test_a_nul_in_a_body_is_a_422_problem(fresh_store: EventStore) -> None:
    settings_ = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True)
    async with serving(fresh_store, settings_) as (client, _):
        answer = await client.post("/v1/users/register", headers=dev_auth("user_nul"),
                                   json={"email": "nul@example.com", "name": "Ada\u0000Lovelace"})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] in {"unstorable_value", "invalid_request"} and "\x00" not in answer.text
    async with fresh_store.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM eventstore.events WHERE stream_id LIKE 'user-%'")
        assert (await cur.fetchone())[0] == 0


async def test_identical_concurrent_append_in_calls_answer_like_append(fresh_store: EventStore) -> None:
    store = fresh_store
    stream_id = f"probe-{uuid4()}"
    await store.append(stream_id, [NewEvent("Probe", {"n": 0}, uuid4())], NO_STREAM)
    event = NewEvent("Probe", {"n": 1}, uuid4())
    first = await psycopg.AsyncConnection.connect(store.pool.conninfo)
    second = await psycopg.AsyncConnection.connect(store.pool.conninfo)
    try:
        winner = await store.append_in(first, stream_id, [event], ANY_VERSION)  # its transaction is still open
        loser = asyncio.create_task(store.append_in(second, stream_id, [event], ANY_VERSION))
        await asyncio.sleep(0.3)  # the second waits on the first's uncommitted row
        await first.commit()
        with pytest.raises(AppendRaced) as raced:
            await loser
        assert raced.value.event_ids == (event.event_id,)
        await second.rollback()
    finally:
        await first.close()
        await second.close()
    # What the contract tells the loser to do: `append` returns the stored result.
    again = await store.append(stream_id, [event], ANY_VERSION)
    assert (again.duplicate, again.version, again.position) == (True, winner.version, winner.position)


async def test_an_any_version_append_that_keeps_losing_the_xid_race_is_not_a_version_conflict(fresh_store: EventStore) -> None:
    store = fresh_store
    stream_id = f"probe-{uuid4()}"
    await store.append(stream_id, [NewEvent("Probe", {"n": 1}, uuid4())], NO_STREAM)
    async with store.pool.connection() as conn:  # as if a newer transaction wrote it last, forever
        await conn.execute("UPDATE eventstore.streams SET last_tx = '9000000000000000000'::xid8 WHERE stream_id = %s",
                           (stream_id,))
    with pytest.raises(AppendContended):
        await store.append(stream_id, [NewEvent("Probe", {"n": 2}, uuid4())], ANY_VERSION)
    assert len(await store.read_stream(stream_id)) == 1


async def count_events(store: EventStore) -> int:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM eventstore.events")
        return (await cur.fetchone())[0]  # type: ignore[index]


async def test_starting_a_relay_writes_no_event_and_migrate_seeds_the_catalogue(fresh_store: EventStore, topology) -> None:
    """Only `splits migrate`, the API and the consumers record the plan catalogue; a relay starting writes nothing."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from infra.bootstrap import system_for
    from tests.api import running_consumers
    from tests.conftest import RABBITMQ_URL

    settings_ = Settings(database_url=fresh_store.pool.conninfo, rabbitmq_url=RABBITMQ_URL,
                         rabbitmq_prefix=topology.prefix)
    system = system_for(settings_, fresh_store)
    async with running_consumers(system, only={"relay"}) as consumers:
        await asyncio.sleep(1.0)
        assert consumers.relay_instance is not None and not consumers.projectors and not consumers.reactors
    assert await count_events(fresh_store) == 0

    env = os.environ | {"DATABASE_URL": fresh_store.pool.conninfo, "LOG_LEVEL": "error", "ENVIRONMENT": "development"}
    env.pop("SPLITS_DATA_KEY", None)
    splits = str(Path(sys.executable).parent / "splits")
    migrated = await asyncio.to_thread(subprocess.run, [splits, "migrate"], env=env, capture_output=True, text=True,
                                       timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    seeded = await count_events(fresh_store)
    assert seeded > 0
    async with fresh_store.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM eventstore.events WHERE stream_id NOT LIKE 'plan-%'")
        assert (await cur.fetchone())[0] == 0
    again = await asyncio.to_thread(subprocess.run, [splits, "migrate"], env=env, capture_output=True, text=True,
                                    timeout=120)
    assert again.returncode == 0 and await count_events(fresh_store) == seeded  # recorded once


async def test_the_relay_publishes_the_log_in_feed_order(fresh_store: EventStore, topology, amqp, broker) -> None:
    """Events of many streams appended concurrently reach the log stream exactly in feed order, each naming the
    one published before it: the relay's order is explicit, so a reorder would show here."""
    from consumers.runtime.envelope import decode
    from consumers.runtime.relay import Relay

    store = fresh_store
    streams = [f"probe-{uuid4()}" for _ in range(40)]
    for round_ in range(5):
        await asyncio.gather(*(store.append(s, [NewEvent("Probe", {"n": round_}, uuid4())], ANY_VERSION)
                               for s in streams))
    await feed_settled(store)  # the feed holds events back behind any open transaction in the cluster
    feed = await store.feed(limit=1000)
    assert len(feed) == 200
    channel = await amqp.channel()
    await topology.declare_events(channel)
    relay = Relay(store.pool, broker, topology, store.registry)
    position = await relay.publish_batch(await relay._checkpoint())
    assert position == feed[-1].position

    await channel.set_qos(prefetch_count=500)
    queue = await channel.get_queue(topology.log)
    received: list[Any] = []
    done = asyncio.Event()

    async def take(message: Any) -> None:
        received.append((decode(message.body), (message.headers or {}).get("x-prev-position")))
        await message.ack()
        if len(received) == len(feed):
            done.set()

    tag = await queue.consume(take, arguments={"x-stream-offset": "first"})
    await asyncio.wait_for(done.wait(), timeout=30)
    await queue.cancel(tag)
    assert [e.event_id for e, _ in received] == [e.event_id for e in feed]
    assert [prev for _, prev in received] == ["0.0", *(str(e.position) for e in feed[:-1])]
