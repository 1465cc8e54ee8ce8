"""The `replay` suite: rebuilding the ats projection from the event store, against plain batched INSERTs.

Setup (reported, not timed): `--events` JobCreated events (default 1,000,000) are appended with
``EventStore.append`` (the real append function and hash chain), `--per-append` events per append to
a new job stream each, from `--setup-writers` concurrent tasks; then ``VACUUM (ANALYZE)`` of the
events table and a CHECKPOINT, as an old, settled store would be.

Timed, one after the other on the same data (a CHECKPOINT before each):

- ``replay``: ``consumers.runtime.replay.replay(pool, ats, registry, batch_size=--batch-size)``: reads the
  feed in chunks, decodes each event through the registry (pydantic), builds the handler's SQL, merges each
  run of one INSERT into multi-row statements and writes a chunk per transaction with its checkpoint (the
  reading, the decoding and the writing of successive chunks overlap), then swaps the shadow schema in.
  `seconds` is the whole call.
- ``insert`` (the baseline of `ratio_vs_insert`): the same rows, already as Python values (built
  untimed), INSERTed into a table of a schema created from the same DDL (same columns, primary key
  and indexes) with the same statement shape (one INSERT … ON CONFLICT (id) DO NOTHING per row) as one
  executemany in a pipeline, one transaction per batch of `--batch-size` rows. It is the live projector's
  write path without reading, decoding or SQL building (the replay's own writing merges the rows).
- ``insert_unnest`` (reported beside it): the same batches as one INSERT … SELECT FROM unnest(arrays)
  each, the cheapest way to write these rows with INSERT; `ratio_vs_insert_unnest`.

After the timing the rows of the rebuilt ats.jobs are compared with the baseline's (`rows_match`).

With personal data sealed (unless `--skip-sealed`), after the above, on the same events:

- ``seal_existing``: ``infra.personal_migration.seal_existing`` with JobCreated's `title`, `location` and
  `recruiter_description` declared personal, one subject (person) per company (2,000 of them; with
  `--subject-per-event` one per event, the worst case: a data key per event): the one-time migration that
  seals stored events in place and re-chains their streams, timed whole (scan, keys, rewrite, record). Then
  ``VACUUM (ANALYZE)`` and a CHECKPOINT, as before the first replay.
- ``replay_sealed``: the same ``replay`` with that registry, so each chunk also loads its subjects' data keys
  and every event has three fields opened (AES-256-GCM) before decoding; `ratio_vs_replay` is its events/s ÷
  the plain replay's (its baseline), `ratio_vs_insert` as for the replay. Its rows are compared with the
  baseline's too, and `decode_us_per_event` puts a sealed event's decode beside a plain one's.

`profile` breaks the replay's per-event cost down on the first `--profile-events` events (default
100,000), each stage on its own: reading the feed, decoding through the registry, building the
handler's SQL (and merging it), executing it (the replay's writing into a scratch schema, a transaction per
batch) and the per-batch bookkeeping (advisory lock, checkpoint load and save). Run one after the other,
their sum is more than the replay takes, whose stages overlap. With `--cprofile` the whole replay also
runs once more under cProfile and the top functions are reported.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from time import perf_counter
from typing import Any
from uuid import UUID

import psycopg

from bench.common import _machine_busy_s, fmt_rate, fmt_ratio, ratio, registry_declaring
from commands.core import Personal
from commands.registry import all_event_classes
from consumers.runtime.multirow import merged
from consumers.runtime.projector import _set_search_path, create_schema
from consumers.runtime.shadow_build import _execute
from consumers.runtime.replay import replay
from eventstore import (
    NO_STREAM,
    START,
    EventStore,
    NewEvent,
    advisory_key,
    create_pool,
    load_checkpoint,
    read_feed,
    save_checkpoint,
)
from infra.bootstrap import event_registry, migrate_all
from projections.ats import ats

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
TITLES = ("Senior Backend Engineer", "Account Executive", "Product Designer", "Data Engineer", "Head of Sales",
          "Staff Frontend Engineer", "Recruiter", "Financial Controller", "Site Reliability Engineer")
DEPARTMENTS = ("Engineering", "Sales", "Design", "Data", "Finance", "People", None)
LOCATIONS = ("Berlin, DE", "London, UK", "Amsterdam, NL", "Paris, FR", "Remote (EU)", "Munich, DE", "Lisbon, PT", None)
DESCRIPTION = ("You will own services end to end, from design to on-call, in a team of eight engineers that ships "
               "several times a day. Hybrid, two days a week in the office; relocation support available.")
EMPLOYMENT = ("full_time", "full_time", "full_time", "contract", "part_time", "temporary")
COMMUTES = (["remote"], ["hybrid_2"], ["hybrid_3", "remote"], ["in_office"])
LEVELS = ("entry", "mid", "senior", "senior", "lead", "manager", "director", None)

# Column order of the ats.jobs INSERT (the handler's) without status, created_at and updated_at.
COLUMNS = ("id", "company_id", "source_firm_id", "title", "department", "location", "recruiter_description",
           "candidate_description", "salary_min_cents", "salary_max_cents", "show_salary_range", "fee_bps",
           "guarantee_days", "employment_type", "commute_types", "job_level", "open_to_relocation", "is_early_access",
           "activates_at", "closes_at", "is_priority", "job_owner_recruiter_id", "created_by")
SQL_TYPES = ("uuid", "uuid", "uuid", "text", "text", "text", "text", "text", "int8", "int8", "bool", "int4", "int4",
             "text", "text", "text", "bool", "bool", "timestamptz", "timestamptz", "bool", "uuid", "text")


def add_arguments(group: Any) -> None:
    group.add_argument("--events", type=int, default=1_000_000, help="events to replay (default 1,000,000)")
    group.add_argument("--batch-size", type=int, default=5000, help="replay chunk and baseline batch size (default 5000, replay's)")
    group.add_argument("--per-append", type=int, default=500, help="setup: events per append, one new stream each (default 500)")
    group.add_argument("--setup-writers", type=int, default=4, help="setup: concurrent appending tasks (default 4)")
    group.add_argument("--profile-events", type=int, default=100_000, help="events of the per-stage breakdown (default 100,000; 0: none)")
    group.add_argument("--cprofile", action="store_true", help="also run the replay once more under cProfile and report the top functions")
    group.add_argument("--skip-unnest", action="store_true", help="skip the INSERT … unnest baseline")
    group.add_argument("--skip-sealed", action="store_true", help="skip sealing the events and replaying them sealed")
    group.add_argument("--subject-per-event", action="store_true",
                       help="sealed: one subject (data key) per event instead of one per company")
    group.add_argument("--what-if-ordered-feed", action="store_true",
                       help="also time the replay once more with the feed queries ordered by the xid8 column (a patch in this process only)")


def describe(args: Any) -> str:
    return f"{args.events:,} events, batch {args.batch_size} (--seconds/--rounds unused)"


# --- the data: deterministic per batch, so the baseline writes exactly the rows the replay builds -------------


_MIX = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd: i ↦ i·_MIX mod 2¹²⁸ is a bijection that scatters the high bits


def job_id(i: int) -> UUID:
    """The job id of event i: unique, and as scattered over the primary key as random uuid4s are."""
    return UUID(int=((i + 1) * _MIX) % (1 << 128))


def _company_ids() -> list[UUID]:
    rng = random.Random(7)
    return [UUID(int=rng.getrandbits(128), version=4) for _ in range(2000)]


COMPANIES = _company_ids()


def rows(start: int, count: int) -> list[tuple[Any, ...]]:
    """The typed column values (COLUMNS order, then `at`) of events start … start + count - 1."""
    out = []
    for i in range(start, start + count):
        low = 6_000_000 + (i % 50) * 100_000
        out.append((
            job_id(i), COMPANIES[i % len(COMPANIES)], None, f"{TITLES[i % len(TITLES)]} #{i}", DEPARTMENTS[i % len(DEPARTMENTS)],
            LOCATIONS[i % len(LOCATIONS)], DESCRIPTION, None, low, low + 2_000_000, i % 3 != 0, 1500 + (i % 11) * 100, 90,
            EMPLOYMENT[i % len(EMPLOYMENT)], COMMUTES[i % len(COMMUTES)], LEVELS[i % len(LEVELS)], i % 5 == 0, False, None,
            None, i % 17 == 0, None, f"user_{i % 997:04d}", BASE_TIME + timedelta(milliseconds=37 * i),
        ))
    return out


def _json_value(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def event_data(row: tuple[Any, ...]) -> dict[str, Any]:
    """The JSON-native data of the JobCreated event a row comes from (as `registry.encode` would store it)."""
    data = {("job_id" if c == "id" else c): _json_value(v) for c, v in zip(COLUMNS, row, strict=False)}
    data["at"] = _json_value(row[-1])
    return data


# --- setup ----------------------------------------------------------------------------------------------------


async def load(store: EventStore, n: int, per_append: int, writers: int, say: Callable[[str], None]) -> float:
    started = perf_counter()
    starts = list(range(0, n, per_append))
    next_index = [0]
    done = [0]
    last_report = [started]

    async def writer() -> None:
        while next_index[0] < len(starts):
            start = starts[next_index[0]]
            next_index[0] += 1
            count = min(per_append, n - start)
            events = [NewEvent(type="JobCreated", data=event_data(r), event_id=_uuid_for_event(start, k))
                      for k, r in enumerate(rows(start, count))]
            await store.append(f"job-{events[0].data['job_id']}", events, NO_STREAM)
            done[0] += count
            if perf_counter() - last_report[0] > 10:
                last_report[0] = perf_counter()
                say(f"  setup: {done[0]:,} of {n:,} events appended ({done[0] / (perf_counter() - started):,.0f}/s)")

    await asyncio.gather(*(writer() for _ in range(writers)))
    return perf_counter() - started


def _uuid_for_event(start: int, k: int) -> UUID:
    return UUID(int=(0xBE7C << 112) | (start + k), version=4)


async def _checkpoint(conn: psycopg.AsyncConnection) -> None:
    try:
        await conn.execute("CHECKPOINT")
    except psycopg.Error:
        pass


# --- the baselines ---------------------------------------------------------------------------------------------


def _insert_sql(schema: str) -> str:
    cols = ", ".join(COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    return (f"INSERT INTO {schema}.jobs ({cols}, status, created_at, updated_at)"
            f" VALUES ({marks}, 'draft', %s, %s) ON CONFLICT (id) DO NOTHING")


def _unnest_sql(schema: str) -> str:
    cols = ", ".join(COLUMNS)
    args = ", ".join(f"%s::{t}[]" for t in SQL_TYPES) + ", %s::timestamptz[]"
    names = ", ".join(f"c{i}" for i in range(len(COLUMNS)))
    select = ", ".join(f"u.c{i}::text[]" if c == "commute_types" else f"u.c{i}" for i, c in enumerate(COLUMNS))
    return (f"INSERT INTO {schema}.jobs ({cols}, status, created_at, updated_at)"
            f" SELECT {select}, 'draft', u.at, u.at FROM unnest({args}) AS u({names}, at) ON CONFLICT (id) DO NOTHING")


def _text_array(values: list[str]) -> str:
    return "{" + ",".join(values) + "}"


async def baseline_insert(conn: psycopg.AsyncConnection, n: int, batch: int, unnest: bool) -> dict[str, Any]:
    schema = "bench_unnest" if unnest else "bench_insert"
    await create_schema(conn, ats, schema)
    await _checkpoint(conn)
    statement = _unnest_sql(schema) if unnest else _insert_sql(schema)
    timed = 0.0
    cpu = 0.0
    busy0 = _machine_busy_s()
    wall0 = perf_counter()
    for start in range(0, n, batch):
        chunk = rows(start, min(batch, n - start))
        if unnest:
            columns = list(zip(*chunk, strict=True))
            params = [list(col) for col in columns]
            commute = COLUMNS.index("commute_types")
            params[commute] = [_text_array(v) for v in params[commute]]
        else:
            params = [r + (r[-1],) for r in chunk]  # … created_at, updated_at
        c0, t0 = time.process_time(), perf_counter()
        async with conn.transaction():
            if unnest:
                await conn.execute(statement, params)
            else:
                async with conn.pipeline(), conn.cursor() as cur:
                    await cur.executemany(statement, params)
        timed += perf_counter() - t0
        cpu += time.process_time() - c0
    wall = perf_counter() - wall0
    busy = _machine_busy_s() - busy0
    return {"seconds": timed, "events_per_s": n / timed if timed else None, "client_cpu_cores": cpu / timed if timed else None,
            "machine_busy_cores_incl_untimed_row_building": busy / wall if wall and busy else None}


# --- what-if: the feed ordered by its xid8 column -----------------------------------------------------------------

# In `SELECT … tx_id::text … ORDER BY tx_id, position` the bare `tx_id` of ORDER BY names the *output* column
# `tx_id::text` (PostgreSQL resolves ORDER BY names against the select list first), so the feed is sorted as text:
# no index can serve that, every read sorts all rows after the cursor, and xids of different digit counts sort
# wrongly ('10000001' < '9999995'). Qualifying the column is the fix this what-if applies.
_ORDER = ("ORDER BY tx_id, position", "ORDER BY events.tx_id, events.position")


@contextmanager
def ordered_feed() -> Iterator[bool]:
    """Patch the feed query to order by the table's xid8 column; yields whether a patch applied."""
    import eventstore.store as store_module

    saved = store_module._FEED
    applies = _ORDER[0] in saved
    store_module._FEED = saved.replace(*_ORDER)
    try:
        yield applies
    finally:
        store_module._FEED = saved


async def feed_plan(conn: psycopg.AsyncConnection, batch: int) -> dict[str, Any]:
    """How PostgreSQL runs one read of the feed from the start: top plan nodes and the sort key, if any."""
    import eventstore.store as store_module

    cur = await conn.execute("EXPLAIN (FORMAT JSON) " + store_module._FEED, (str(START.tx), START.pos, batch))
    plan = (await cur.fetchone())[0][0]["Plan"]  # type: ignore[index]
    nodes, sort_key = [], None
    node: dict[str, Any] | None = plan
    while node is not None:
        nodes.append(node["Node Type"] + (f" ({node['Sort Method']})" if "Sort Method" in node else ""))
        sort_key = sort_key or node.get("Sort Key")
        children = node.get("Plans") or []
        node = children[0] if children else None
    return {"nodes": nodes, "sort_key": sort_key}


# --- the per-stage breakdown ------------------------------------------------------------------------------------


async def profile_stages(pool: Any, registry: Any, n: int, batch: int) -> dict[str, Any]:
    """Each stage of the replay's per-event work on its own, on the first `n` events."""
    stages = {"read_feed": 0.0, "decode": 0.0, "build_sql": 0.0, "execute": 0.0, "bookkeeping": 0.0}
    done = 0
    position = START
    async with pool.connection() as conn:
        await create_schema(conn, ats, "bench_profile")
        while done < n:
            t0 = perf_counter()
            events = await read_feed(conn, position, min(batch, n - done))
            stages["read_feed"] += perf_counter() - t0
            if not events:
                break
            position = events[-1].position
            t0 = perf_counter()
            typed = [registry.decode(e) for e in events]
            stages["decode"] += perf_counter() - t0
            t0 = perf_counter()
            statements = merged([s for e, t in zip(events, typed, strict=True) for s in ats.sql_for(t, e.type)])
            stages["build_sql"] += perf_counter() - t0
            t0 = perf_counter()
            async with conn.transaction():
                await conn.execute("SET LOCAL synchronous_commit = off")
                await _set_search_path(conn, "bench_profile")
                await _execute(conn, statements)
            stages["execute"] += perf_counter() - t0
            t0 = perf_counter()
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("bench_profile"),))
                await load_checkpoint(conn, "projection:bench_profile")
                await save_checkpoint(conn, "projection:bench_profile", position)
            stages["bookkeeping"] += perf_counter() - t0
            done += len(events)
    total = sum(stages.values())
    # The same reads with the feed ordered by its column (see `ordered_feed`).
    ordered = 0.0
    read = 0
    position = START
    with ordered_feed():
        async with pool.connection() as conn:
            while read < done:
                t0 = perf_counter()
                events = await read_feed(conn, position, min(batch, done - read))
                ordered += perf_counter() - t0
                if not events:
                    break
                position = events[-1].position
                read += len(events)
    with_ordered = total - stages["read_feed"] + ordered
    return {
        "events": done,
        "us_per_event": {k: v / done * 1e6 for k, v in stages.items()} if done else {},
        "share": {k: v / total for k, v in stages.items()} if total else {},
        "events_per_s_if_sequential": done / total if total else None,
        "read_feed_ordered_by_column_us_per_event": ordered / read * 1e6 if read else None,
        "events_per_s_if_sequential_with_ordered_feed": done / with_ordered if with_ordered else None,
    }


def _decode_variants(registry: Any, events: list[Any]) -> dict[str, float]:
    """µs per event of ways to turn stored data into the handler's input: what the registry does and cheaper ones."""
    from commands.ats.events import JobCreated

    out: dict[str, float] = {}
    t0 = perf_counter()
    for e in events:
        registry.decode(e)
    out["registry.decode (model_validate + upcast)"] = (perf_counter() - t0) / len(events) * 1e6
    t0 = perf_counter()
    for e in events:
        JobCreated.model_validate(e.data)
    out["JobCreated.model_validate"] = (perf_counter() - t0) / len(events) * 1e6
    import orjson

    blobs = [orjson.dumps(e.data) for e in events]
    t0 = perf_counter()
    for b in blobs:
        JobCreated.model_validate_json(b)
    out["JobCreated.model_validate_json (from bytes)"] = (perf_counter() - t0) / len(events) * 1e6
    typed = [registry.decode(e) for e in events]
    t0 = perf_counter()
    for t in typed:
        ats.sql_for(t, "JobCreated")
    out["ats handler (model_dump + Sql)"] = (perf_counter() - t0) / len(events) * 1e6
    return out


async def cprofile_replay(pool: Any, registry: Any, batch: int, top: int = 25) -> list[dict[str, Any]]:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        await replay(pool, ats, registry, batch_size=batch)
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler)
    entries = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        entries.append({"function": f"{os.path.relpath(filename) if filename.startswith('/') else filename}:{line}({func})",
                        "calls": calls, "tottime_s": tottime, "cumtime_s": cumtime})
    entries.sort(key=lambda e: -e["tottime_s"])
    return entries[:top]


# --- personal data sealed ---------------------------------------------------------------------------------------

SEALED_FIELDS = ("title", "location", "recruiter_description")


def sealing_registry(per_event: bool) -> Any:
    """The registry with JobCreated's texts declared personal: one subject per company, or per event."""
    key = "job_id" if per_event else "company_id"
    return registry_declaring(all_event_classes(), {"JobCreated": Personal(
        SEALED_FIELDS, subject_of_data=lambda d: f"bench:{d[key]}" if d.get(key) else None)})


async def sealed_case(pool: Any, opts: Any, n: int, batch: int, plain: Any, insert: dict[str, Any],
                      say: Callable[[str], None]) -> dict[str, Any]:
    """Seal the stored events in place (timed), then replay them sealed (timed) and compare the rows."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from infra.personal_migration import seal_existing

    registry = sealing_registry(opts.subject_per_event)
    store = EventStore(pool, registry)
    t0 = perf_counter()
    outcome = await seal_existing(store, Ed25519PrivateKey.generate(), by="bench", now=lambda: BASE_TIME)
    seal_s = perf_counter() - t0
    record = outcome.record or {}
    say(f"seal_existing         {n / seal_s:,.0f} ev/s, {seal_s:.1f} s ({record.get('fields_sealed', 0):,} fields, "
        f"{record.get('subjects', 0):,} subjects, {len(record.get('streams', [])):,} streams)")
    async with pool.connection() as conn:
        await conn.execute("VACUUM (ANALYZE) eventstore.events")
        await _checkpoint(conn)
        cur = await conn.execute("SELECT pg_total_relation_size('eventstore.events')")
        events_bytes = (await cur.fetchone())[0]  # type: ignore[index]

    replay_registry = sealing_registry(opts.subject_per_event)  # fresh: no key cached by the sealing
    cpu0, busy0 = time.process_time(), _machine_busy_s()
    result = await replay(pool, ats, replay_registry, batch_size=batch)
    cpu, busy = time.process_time() - cpu0, _machine_busy_s() - busy0
    say(f"replay (sealed)       {result.events_per_s:,.0f} ev/s, {result.seconds:.1f} s ({result.events:,} events)")
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) FILTER (WHERE a.id IS NULL OR b.id IS NULL OR ROW(a.*) IS DISTINCT FROM ROW(b.*)),"
            " count(a.id), count(b.id) FROM ats.jobs a FULL JOIN bench_insert.jobs b ON a.id = b.id"
        )
        mismatched, replayed_rows, baseline_rows = await cur.fetchone()  # type: ignore[misc]
        sample = await read_feed(conn, START, min(n, 20_000))
    sample = [e for e in sample if e.type == "JobCreated"]
    decode = {}
    if sample:
        assert replay_registry.keyring is not None
        t0 = perf_counter()
        await replay_registry.keyring.load(sample)
        decode["keyring.load (µs/event, one query per chunk)"] = (perf_counter() - t0) / len(sample) * 1e6
        t0 = perf_counter()
        for e in sample:
            replay_registry.decode(e)
        decode["registry.decode of a sealed event (open + model_validate)"] = (perf_counter() - t0) / len(sample) * 1e6
    return {
        "name": "replay_sealed",
        "events": result.events,
        "seconds": result.seconds,
        "events_per_s": result.events_per_s,
        "seconds_per_million": result.seconds / result.events * 1_000_000 if result.events else None,
        "baseline": {"name": "replay", "seconds": plain.seconds, "events_per_s": plain.events_per_s},
        "ratio_vs_replay": ratio(result.events_per_s, plain.events_per_s),
        "ratio_vs_insert": ratio(result.events_per_s, insert["events_per_s"]),
        "client_cpu_cores": cpu / result.seconds if result.seconds else None,
        "machine_busy_cores": busy / result.seconds if result.seconds and busy else None,
        "rows_match": mismatched == 0 and replayed_rows == baseline_rows == n,
        "rows": {"replayed": replayed_rows, "baseline": baseline_rows, "mismatched": mismatched},
        "sealed_fields": list(SEALED_FIELDS),
        "subjects": record.get("subjects"),
        "subject_per": "event" if opts.subject_per_event else "company",
        "decode_us_per_event": decode,
        "events_table_bytes": events_bytes,
        "seal_existing": {"seconds": seal_s, "events_per_s": n / seal_s if seal_s else None,
                          "events_sealed": record.get("events_sealed"), "fields_sealed": record.get("fields_sealed"),
                          "streams": len(record.get("streams", [])), "links_rehashed": record.get("links_rehashed")},
    }


# --- running --------------------------------------------------------------------------------------------------


TARGETS = (
    ("replay >= 0.7x plain INSERTs", "ratio_vs_insert", "min", 0.7),
    ("replay <= 30 s per 1M events", "seconds_per_million", "max", 30.0),
)


def check_targets(case: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for label, key, kind, bound in TARGETS:
        value = case.get(key)
        met = value is not None and (value >= bound if kind == "min" else value <= bound)
        checks.append({"target": label, "case": case["name"], "value": value, "ratio": value if kind == "min" else None,
                       ("minimum" if kind == "min" else "maximum"): bound, "met": met})
    return checks


def table(report: dict[str, Any]):
    from rich.table import Table

    m = report["machine"]
    c = report["cases"][0]
    t = Table(title=f"replay — {m['cores']} cores, PostgreSQL {m['pg_version']}, {c['events']:,} events",
              caption="events/s; ratio = replay ÷ baseline")
    for col in ("what", "seconds", "events/s", "ratio"):
        t.add_column(col, justify="left" if col == "what" else "right")
    t.add_row("replay", f"{c['seconds']:.1f}", fmt_rate(c["events_per_s"]), "")
    t.add_row("insert (executemany)", f"{c['insert']['seconds']:.1f}", fmt_rate(c["insert"]["events_per_s"]), fmt_ratio(c["ratio_vs_insert"]))
    if c.get("insert_unnest"):
        t.add_row("insert (unnest)", f"{c['insert_unnest']['seconds']:.1f}", fmt_rate(c["insert_unnest"]["events_per_s"]),
                  fmt_ratio(c["ratio_vs_insert_unnest"]))
    for sealed in report["cases"][1:]:
        t.add_row("replay, personal fields sealed", f"{sealed['seconds']:.1f}", fmt_rate(sealed["events_per_s"]),
                  f"{fmt_ratio(sealed['ratio_vs_replay'])} replay")
        s = sealed["seal_existing"]
        t.add_row("seal-existing (one-time)", f"{s['seconds']:.1f}", fmt_rate(s["events_per_s"]), "")
    return t


async def run(dsn: str, *, seconds: float, warmup: float, rounds: int = 3, only: list[str] | None, say: Callable[[str], None],
              options: Any = None) -> dict[str, Any]:
    opts = options
    if opts is None:
        import argparse

        parser = argparse.ArgumentParser()
        add_arguments(parser)
        opts = parser.parse_args([])
    n, batch = opts.events, opts.batch_size
    started = perf_counter()
    await migrate_all(dsn)
    registry = event_registry()
    pool = create_pool(dsn, min_size=2, max_size=max(8, opts.setup_writers + 2), name="bench-replay")
    await pool.open(wait=True, timeout=30)
    try:
        store = EventStore(pool, registry)
        say(f"setup: appending {n:,} JobCreated events, {opts.per_append} per append, {opts.setup_writers} writers")
        append_s = await load(store, n, opts.per_append, opts.setup_writers, say)
        t0 = perf_counter()
        async with pool.connection() as conn:
            await conn.execute("VACUUM (ANALYZE) eventstore.events")
            await _checkpoint(conn)
            cur = await conn.execute("SELECT pg_total_relation_size('eventstore.events')")
            events_bytes = (await cur.fetchone())[0]  # type: ignore[index]
        settle_s = perf_counter() - t0
        say(f"setup: {n:,} events appended in {append_s:.1f} s ({n / append_s:,.0f}/s), vacuum + checkpoint {settle_s:.1f} s")

        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            insert = await baseline_insert(conn, n, batch, unnest=False)
            say(f"insert (executemany)  {insert['events_per_s']:,.0f} ev/s, {insert['seconds']:.1f} s")
            unnest = None
            if not opts.skip_unnest:
                unnest = await baseline_insert(conn, n, batch, unnest=True)
                say(f"insert (unnest)       {unnest['events_per_s']:,.0f} ev/s, {unnest['seconds']:.1f} s")
            await _checkpoint(conn)

        cpu0, busy0 = time.process_time(), _machine_busy_s()
        result = await replay(pool, ats, registry, batch_size=batch)
        cpu, busy = time.process_time() - cpu0, _machine_busy_s() - busy0
        say(f"replay                {result.events_per_s:,.0f} ev/s, {result.seconds:.1f} s ({result.events:,} events)")

        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*) FILTER (WHERE a.id IS NULL OR b.id IS NULL OR ROW(a.*) IS DISTINCT FROM ROW(b.*)),"
                " count(a.id), count(b.id) FROM ats.jobs a FULL JOIN bench_insert.jobs b ON a.id = b.id"
            )
            mismatched, replayed_rows, baseline_rows = await cur.fetchone()  # type: ignore[misc]

        async with pool.connection() as conn:
            plan = await feed_plan(conn, batch)
        what_if = None
        if opts.what_if_ordered_feed:
            with ordered_feed() as applies:
                if applies:
                    fixed = await replay(pool, ats, registry, batch_size=batch)
                    what_if = {"seconds": fixed.seconds, "events_per_s": fixed.events_per_s,
                               "ratio_vs_insert": ratio(fixed.events_per_s, insert["events_per_s"]),
                               "seconds_per_million": fixed.seconds / fixed.events * 1_000_000 if fixed.events else None}
                    say(f"replay, ordered feed  {fixed.events_per_s:,.0f} ev/s, {fixed.seconds:.1f} s (what-if)")
                else:
                    what_if = {"not_applicable": "the feed queries already order by the column"}

        profile = None
        decode_variants = None
        if opts.profile_events > 0:
            profile = await profile_stages(pool, registry, min(n, opts.profile_events), batch)
            async with pool.connection() as conn:
                sample = await read_feed(conn, START, min(n, 20_000))
            decode_variants = _decode_variants(registry, sample)
            say("profile (µs/event): " + ", ".join(f"{k} {v:.1f}" for k, v in profile["us_per_event"].items()))
        top = await cprofile_replay(pool, registry, batch) if opts.cprofile else None
        sealed = None if opts.skip_sealed else await sealed_case(pool, opts, n, batch, result, insert, say)
    finally:
        await pool.close()

    case: dict[str, Any] = {
        "name": "replay",
        "events": result.events,
        "batch_size": batch,
        "seconds": result.seconds,
        "events_per_s": result.events_per_s,
        "seconds_per_million": result.seconds / result.events * 1_000_000 if result.events else None,
        "ratio_vs_insert": ratio(result.events_per_s, insert["events_per_s"]),
        "insert_events_per_s": insert["events_per_s"],
        "insert": insert,
        "ratio_vs_insert_unnest": ratio(result.events_per_s, unnest["events_per_s"]) if unnest else None,
        "insert_unnest_events_per_s": unnest["events_per_s"] if unnest else None,
        "insert_unnest": unnest,
        "client_cpu_cores": cpu / result.seconds if result.seconds else None,
        "machine_busy_cores": busy / result.seconds if result.seconds and busy else None,
        "rows_match": mismatched == 0 and replayed_rows == baseline_rows == n,
        "rows": {"replayed": replayed_rows, "baseline": baseline_rows, "mismatched": mismatched},
        "setup": {"append_seconds": append_s, "append_events_per_s": n / append_s, "vacuum_checkpoint_seconds": settle_s,
                  "events_per_append": opts.per_append, "writers": opts.setup_writers, "events_table_bytes": events_bytes},
        "feed_plan_from_start": plan,
        "what_if_ordered_feed": what_if,
        "profile": profile,
        "decode_us_per_event": decode_variants,
        "cprofile_top_by_tottime": top,
    }
    return {
        "suite": "replay",
        "cases": [case, *([sealed] if sealed else [])],
        "targets": check_targets(case),
        "total_seconds": perf_counter() - started,
        "pid": os.getpid(),
    }
