"""The ordered feed under concurrency: no committed event skipped, none twice, each stream in order.

Invariant 1 of DESIGN.md §5, on the event store's side: 20 concurrent writers (own streams with an
expected version, shared streams with and without one) while two transactions take their positions
early and commit seconds later. A plain `position >` reader runs beside ours to show that the late
commits really happened: it loses them, ours does not.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from uuid import UUID, uuid4

import psycopg
import pytest

from eventstore import (
    ANY_VERSION,
    NO_STREAM,
    START,
    Conflict,
    EventStore,
    NewEvent,
    Position,
    RecordedEvent,
)

pytestmark = pytest.mark.slow

HOLD_SECONDS = 2.0


def one(kind: str, n: int) -> list[NewEvent]:
    return [NewEvent(kind, {"n": n}, uuid4())]


class Writers:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.stop = asyncio.Event()
        self.shared_any = [f"shared-any{i}-{uuid4()}" for i in range(3)]
        self.shared_checked = [f"shared-chk{i}-{uuid4()}" for i in range(3)]
        self.conflicts = 0

    async def own_streams(self, w: int) -> None:
        """Appends with the exact expected version to streams only this writer touches."""
        versions: dict[str, int] = {f"own{w}x{i}-{uuid4()}": 0 for i in range(4)}
        n = 0
        while not self.stop.is_set():
            sid = random.choice(list(versions))
            result = await self.store.append(sid, one("Own", n), versions[sid] or NO_STREAM)
            versions[sid] = result.version
            n += 1

    async def any_version(self, w: int) -> None:
        n = 0
        while not self.stop.is_set():
            await self.store.append(random.choice(self.shared_any), one("Any", n), ANY_VERSION)
            n += 1

    async def checked_shared(self, w: int) -> None:
        """Read the version, append expecting it, retry on conflict: the command loop's shape."""
        n = 0
        while not self.stop.is_set():
            sid = random.choice(self.shared_checked)
            try:
                await self.store.append(sid, one("Checked", n), await self.store.stream_version(sid))
            except Conflict:
                self.conflicts += 1
                continue
            n += 1


async def our_reader(store: EventStore, done: asyncio.Event) -> list[RecordedEvent]:
    """Tail the feed; once the writers are done, read on until the last committed event is reached.

    Transactions anywhere on the server (other databases too) hold the snapshot's xmin back, so an
    empty batch only means "nothing more yet", not "drained".
    """
    seen: list[RecordedEvent] = []
    position = START
    target: Position | None = None
    while target is None or position < target:
        if target is None and done.is_set():
            target = await last_committed(store)
        batch = await store.feed(position, 500)
        seen.extend(batch)
        if batch:
            position = batch[-1].position
        else:
            await asyncio.sleep(0.002)
    return seen


async def last_committed(store: EventStore) -> Position:
    async with store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT tx_id::text AS tx, position FROM eventstore.events ORDER BY tx_id DESC, position DESC LIMIT 1"
        )
        tx, pos = await cur.fetchone()
    return Position(int(tx), pos)


async def naive_reader(url: str, done: asyncio.Event) -> set[UUID]:
    """What a "last position seen" checkpoint does: it passes positions whose transaction is still open."""
    seen: set[UUID] = set()
    last = 0
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        while True:
            finished = done.is_set()
            cur = await conn.execute(
                "SELECT position, event_id FROM eventstore.events WHERE position > %s ORDER BY position LIMIT 500", (last,)
            )
            rows = await cur.fetchall()
            seen.update(r[1] for r in rows)
            if rows:
                last = rows[-1][0]
            elif finished:
                return seen
            else:
                await asyncio.sleep(0.002)


async def late_commit(store: EventStore, url: str, stream_id: str, evidence: list[tuple[int, int, bool]]) -> list[UUID]:
    """Append in a transaction that stays open for seconds after taking its positions, then commit."""
    batch = [NewEvent("Late", {"n": i}, uuid4()) for i in range(3)]
    async with await psycopg.AsyncConnection.connect(url) as conn:
        result = await store.append_in(conn, stream_id, batch, ANY_VERSION)
        await asyncio.sleep(HOLD_SECONDS)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as probe:
            cur = await probe.execute(
                "SELECT max(position), bool_or(position = %s) FROM eventstore.events", (result.position.pos,)
            )
            visible_max, held_visible = await cur.fetchone()
        evidence.append((result.position.pos, visible_max, bool(held_visible)))
        await conn.commit()
    return [e.event_id for e in batch]


async def test_reader_collects_every_committed_event_once_in_stream_order(fresh_store: EventStore) -> None:
    store = fresh_store
    url = store.pool.conninfo
    writers = Writers(store)
    done = asyncio.Event()
    readers = [asyncio.create_task(our_reader(store, done)), asyncio.create_task(naive_reader(url, done))]
    tasks = (
        [asyncio.create_task(writers.own_streams(w)) for w in range(12)]
        + [asyncio.create_task(writers.any_version(w)) for w in range(4)]
        + [asyncio.create_task(writers.checked_shared(w)) for w in range(4)]
    )
    await asyncio.sleep(0.3)
    evidence: list[tuple[int, int, bool]] = []
    late = await asyncio.gather(
        late_commit(store, url, f"late-{uuid4()}", evidence),
        late_commit(store, url, writers.shared_any[0], evidence),  # holds a shared stream's lock meanwhile
    )
    await asyncio.sleep(0.3)
    writers.stop.set()
    await asyncio.gather(*tasks)
    done.set()
    ours, naive = await asyncio.wait_for(asyncio.gather(*readers), timeout=60)

    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute("SELECT event_id FROM eventstore.events")
        committed = {row[0] for row in await cur.fetchall()}

    # The late commits really were late: while each was open, later positions were already visible.
    for held_position, visible_max, held_visible in evidence:
        assert visible_max > held_position and not held_visible
    late_ids = {i for batch in late for i in batch}
    assert late_ids - naive, "the plain position reader should have skipped the late commits"

    ids = [e.event_id for e in ours]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    assert set(ids) == committed, "an event was skipped"
    assert len(committed) > 1000

    versions: dict[str, list[int]] = defaultdict(list)
    for event in ours:
        versions[event.stream_id].append(event.version)
    for stream_id, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), f"{stream_id} out of order"
    assert [e.position for e in ours] == sorted(e.position for e in ours)
    assert writers.conflicts > 0, "the shared streams with an expected version never contended"


@pytest.mark.parametrize("expected", [ANY_VERSION, 2], ids=["any-version", "expected-version"])
async def test_append_holding_an_older_xid_than_the_streams_last_writer_must_retry(fresh_store: EventStore, expected) -> None:
    """Without the xid guard the feed would show version 3 (older xid) before version 2."""
    store = fresh_store
    sid = f"guard-{uuid4()}"
    await store.append(sid, one("First", 1), NO_STREAM)
    async with await psycopg.AsyncConnection.connect(store.pool.conninfo) as early:
        await early.execute("SELECT pg_current_xact_id()")  # this transaction's xid is now taken
        await store.append(sid, one("Second", 2), ANY_VERSION)  # a newer transaction commits version 2
        with pytest.raises(psycopg.errors.SerializationFailure):
            await store.append_in(early, sid, one("Third", 3), expected)
        await early.rollback()
    await store.append(sid, one("Third", 3), expected)  # the store's own retry path takes a new xid

    for _ in range(500):
        feed = [e for e in await store.feed(START, 100) if e.stream_id == sid]
        if len(feed) == 3:
            break
        await asyncio.sleep(0.01)
    assert [e.version for e in feed] == [1, 2, 3]


async def test_two_appenders_with_the_same_expected_version_one_wins(fresh_store: EventStore) -> None:
    store = fresh_store
    sid = f"race-{uuid4()}"
    await store.append(sid, one("Start", 0), NO_STREAM)
    for round_ in range(1, 41):
        a, b = one("A", round_), one("B", round_)
        results = await asyncio.gather(
            store.append(sid, a, round_), store.append(sid, b, round_), return_exceptions=True
        )
        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, Conflict)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert losers[0].actual == round_ + 1
    recorded = await store.read_stream(sid)
    assert [e.version for e in recorded] == list(range(1, 42))
    assert len({e.event_id for e in recorded}) == 41
    # Transactions elsewhere on the server can hold the feed back for a moment: wait, never skip.
    for _ in range(500):
        feed = await store.feed(START, 1000)
        if len(feed) == len(recorded):
            break
        await asyncio.sleep(0.01)
    assert [e.position for e in feed] == [e.position for e in recorded]


def test_position_order_matches_feed_order() -> None:
    """The feed sorts by transaction first: a higher position in an older transaction comes first."""
    assert Position(10, 500) < Position(11, 3)


async def test_feed_orders_transactions_as_numbers_not_text(fresh_store: EventStore) -> None:
    """xid 99 comes before xid 100 (as text '100' < '99': a text sort would hand out the newer first
    and move the reader past the older one)."""
    async with fresh_store.pool.connection() as conn:
        for tx, stream in ((100, "late"), (99, "early")):
            await conn.execute(
                "INSERT INTO eventstore.events (tx_id, event_id, stream_id, stream_type, version, type, data, hash)"
                " VALUES (%s::text::xid8, %s, %s, 'crafted', 1, 'Crafted', '{}', '')",
                (str(tx), uuid4(), f"crafted-{stream}"),
            )
    feed = await fresh_store.feed(START, 10)
    assert [(e.position.tx, e.stream_id) for e in feed] == [(99, "crafted-early"), (100, "crafted-late")]
    assert await fresh_store.head() == feed[-1].position
    assert [e.stream_id for e in await fresh_store.feed(feed[0].position, 10)] == ["crafted-late"]
