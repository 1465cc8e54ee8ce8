"""A replay's bulk build writes what the projector would: merged inserts, duplicates, upserts and updates after
inserts, across chunk boundaries and within long runs."""

from __future__ import annotations

import asyncio
import random
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from commands.core import Event
from consumers.runtime.multirow import merged
from consumers.runtime.projector import Projector
from consumers.runtime.replay import replay
from eventstore import NO_STREAM, EventRegistry, EventStore, NewEvent, read_feed
from projections.core import Projection, Sql
from tests.helpers import feed_settled


class Opened(Event):
    item: str
    title: str


class Renamed(Event):
    item: str
    title: str


class Noted(Event):
    item: str
    note: str


class Counted(Event):
    item: str


registry = EventRegistry([Opened, Renamed, Noted, Counted])

bulk = Projection(
    name="bulk",
    ddl=[
        "CREATE TABLE IF NOT EXISTS items (item text PRIMARY KEY, title text NOT NULL, renames integer NOT NULL)",
        "CREATE TABLE IF NOT EXISTS notes (id bigserial PRIMARY KEY, item text NOT NULL, note text NOT NULL)",
        "CREATE TABLE IF NOT EXISTS counts (item text PRIMARY KEY, n integer NOT NULL)",
    ],
)


@bulk.handles(Opened)
def _(e: Opened) -> Sql:
    # Opening an item again changes nothing: the first title stays until a rename.
    return Sql("INSERT INTO items (item, title, renames) VALUES (%(item)s, %(title)s, 0) ON CONFLICT (item) DO NOTHING",
               {"item": e.item, "title": e.title})


@bulk.handles(Renamed)
def _(e: Renamed) -> Sql:
    return Sql("UPDATE items SET title = %s, renames = renames + 1 WHERE item = %s", (e.title, e.item))


@bulk.handles(Noted)
def _(e: Noted) -> Sql:
    return Sql("INSERT INTO notes (item, note) VALUES (%s, %s)", (e.item, e.note))


@bulk.handles(Counted)
def _(e: Counted) -> Sql:
    return Sql("INSERT INTO counts (item, n) VALUES (%s, 1) ON CONFLICT (item) DO UPDATE SET n = counts.n + 1", (e.item,))


def _events(rng: random.Random) -> list[NewEvent]:
    """Long runs of each type, with items opened twice in one run, renamed and opened again after."""
    items = [f"item-{k}" for k in range(700)]
    events: list[NewEvent] = []
    for round_ in range(3):
        opened = items[round_ * 200:round_ * 200 + 400]
        events += [NewEvent("Opened", {"item": i, "title": f"{i} opened in round {round_}, {rng.random()}"}, uuid4())
                   for i in opened + rng.sample(opened, 150)]
        events += [NewEvent("Renamed", {"item": i, "title": f"{i} renamed in round {round_}"}, uuid4())
                   for i in rng.sample(items, 120)]
        events += [NewEvent("Noted", {"item": rng.choice(items), "note": f"note {round_}.{k}"}, uuid4()) for k in range(300)]
        events += [NewEvent("Counted", {"item": rng.choice(items[:20])}, uuid4()) for _ in range(200)]
        events += [NewEvent(rng.choice(["Opened", "Renamed"]), {"item": rng.choice(items), "title": f"mixed {k}"}, uuid4())
                   for k in range(100)]
    return events


async def _append(store: EventStore, events: list[NewEvent]) -> None:
    for start in range(0, len(events), 250):
        await store.append(f"bulk-{uuid4()}", events[start:start + 250], NO_STREAM)


async def _tables(store: EventStore, schema: str) -> dict[str, list[tuple]]:
    out = {}
    async with store.pool.connection() as conn:
        for table, order in (("items", "item"), ("notes", "id"), ("counts", "item")):
            query = sql.SQL("SELECT * FROM {}.{} ORDER BY {}").format(sql.Identifier(schema), sql.Identifier(table),
                                                                     sql.Identifier(order))
            out[table] = await (await conn.execute(query)).fetchall()
    return out


async def _built_by_the_projector(store: EventStore, schema: str) -> dict[str, list[tuple]]:
    projector = Projector(store.pool, bulk, registry, schema=schema, checkpoint=f"projection:{schema}", batch_size=100)
    await projector.ensure_schema()
    await projector.catch_up()
    return await _tables(store, schema)


@pytest.mark.parametrize("batch_size", [37, 2000])
async def test_a_replay_merging_inserts_equals_the_projectors_build(fresh_store, batch_size: int) -> None:
    store = fresh_store
    await _append(store, _events(random.Random(batch_size)))
    await feed_settled(store)
    async with store.pool.connection() as conn:
        stored = await read_feed(conn, limit=100_000)
    merged_statements = merged([s for e in stored for s in bulk.sql_for(registry.decode(e), e.type)])
    assert max(len(s.param_sets[0]) for s in merged_statements if s.numbered) > 2 * 100  # long runs do merge
    live = await _built_by_the_projector(store, "bulk")

    result = await replay(store.pool, bulk, registry, batch_size=batch_size)

    assert result.events == len(stored)
    assert await _tables(store, "bulk") == live == await _built_by_the_projector(store, "bulk_reference")
    assert len(live["items"]) == 700 and any(renames > 1 for _, _, renames in live["items"])
    assert sum(n for _, n in live["counts"]) == 600


async def test_a_write_failing_mid_replay_stops_it_and_leaves_the_live_schema_as_it_was(fresh_store) -> None:
    store = fresh_store
    events = _events(random.Random(1))
    await _append(store, events)
    await feed_settled(store)
    live = await _built_by_the_projector(store, "bulk")
    failing = Projection(name="bulk", ddl=bulk.ddl, handlers=dict(bulk.handlers), event_classes=dict(bulk.event_classes))
    failing.handlers["Noted"] = lambda e: Sql("INSERT INTO notes (item, note) VALUES (%s, %s)",
                                              (e.item, None if e.note.endswith(".150") else e.note))

    with pytest.raises(psycopg.errors.NotNullViolation):
        await asyncio.wait_for(replay(store.pool, failing, registry, batch_size=500), timeout=60)

    assert await _tables(store, "bulk") == live
    await replay(store.pool, bulk, registry, batch_size=500)  # and the next replay starts over and completes
    assert await _tables(store, "bulk") == live
