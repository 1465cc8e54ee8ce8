"""The `audit` suite: exporting and verifying the audit bundle of one placement with a long money trail.

Setup (reported, not timed): in the throwaway database, one placement whose trail holds `--events` events
(default 10,000) when it is first exported:

- ``PlacementCreated`` on ``placement-<id>`` through ``handle`` with ``CreatePlacement``;
- on ``placementbilling-<id>``, through ``handle(store, placement_billing, …)``: the snapshot and splits
  (``FreezeSnapshot``, two filled roles, one of them with a firm's take), an invoice requested, issued and
  paid (which also schedules the payout);
- then escrow holds placed and released, and disputes opened (some reviewed) and closed, up to the count.
  These commands go through the real decider — ``decide`` on the state folded with ``evolve``, one command
  after the other — and their events through the real ``EventStore.append`` (the SQL append function and
  its per-stream SHA-256 hash chain), `--per-append` events per append instead of one ``handle`` per
  command, which would re-read the whole stream each time. The stream is then read back and its chain
  checked against the stream's recorded tip, and it is folded through ``load`` (the decider accepts it),
  then ``VACUUM (ANALYZE)`` and a CHECKPOINT.

Timed, one after the other in each of `--rounds` rounds (after one untimed round when `--warmup` > 0),
median and min over the rounds; a ``gc.collect()`` before each timed call (untimed: the garbage of the
previous call is not charged to the next; the collector stays on during the call):

- ``export``: ``api.audit.bundles.export_placement(store, placement_id, "bench", "platform_admin", key, meta)``,
  the whole call: the feed head, reading the trail (``money_trail``), building the bundle (events.jsonl,
  timeline.csv, report.html, manifest, Ed25519 signature, zip) and recording the export as an event. Each
  export records one more event on ``auditexport-<id>``, which the next export's trail holds: round k
  bundles `--events` + k events (warm-up included), reported per round.
- ``read_plain`` (the baseline of export's `ratio_vs_baseline`): the same events — the trail's streams,
  timed just before the export so they are the very events it bundles — with one plain
  ``SELECT … FROM eventstore.events WHERE stream_id = ANY(%s) ORDER BY tx_id, position`` into Python, each
  row written as a JSON line (orjson, no key sorting) into an in-memory deflated zip. No hash, no report,
  no signature, no event recorded: what any export of those rows costs.
- ``verify``: ``projections.audit.bundle.verify_bundle(bundle, public_key_hex)`` on the bundle the round's
  export built; it must come out intact (the run fails otherwise).
- ``hash_plain`` (the baseline of verify's `ratio_vs_baseline`): unzipping the same bundle (every file, as
  verify does) and one SHA-256 over its events.jsonl bytes: the least a check of the file can do.

`ratio_vs_baseline` = median seconds ÷ the baseline's median seconds (how many times longer it takes).

Personal data, with and without encryption (unless `--skip-variants`): two more placements, each with the same
trail made the same way, appended through stores whose registries declare differently, exported and verified in
the same rounds through the same store as the first:

- ``export_unsealed`` / ``verify_unsealed``: nothing declared personal (the store as it was before sealing): no
  field sealed anywhere, no key to load;
- ``export_sealed`` / ``verify_sealed``: the product's declarations and, on top, every free text of the trail
  (the holds' and disputes' reasons, the disputes' notes) declared personal, of the person who wrote it (about
  twenty subjects): a sealed field on nearly every event — the upper bound of what encryption costs an export.

The first placement (``export`` / ``verify``) is the trail as the product declares it (the salary on the
placement sealed, the billing texts not personal). Each case keeps its own baseline over its own events, and
`ratio_vs_unsealed` puts its median beside the unsealed variant's. Every export also names the trail's parties
(`parties_s` in the breakdown) and opens the sealed fields for the report (`open_fields_s`).

`breakdown` splits the export and the verify of the median round (so the parts add up) by wrapping a few
functions for the timed calls (a dozen wrapped calls per run, not per event): for the export the trail read,
the bundle build and within it the report rendering (``projections/audit/report.py``: ``money_table``,
``timeline_csv``, ``report_html``, each with the ``timeline`` rows it builds — the HTML report builds them a
second time) against the rest (event lines, canonical JSON of events.jsonl, digests, manifest, signature,
zip), the export event's recording, and what is left (feed head, re-reading the manifest from the zip); for
the verify the signature, the file digests, reading events.jsonl and the hash chains.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import hashlib
import io
import os
import statistics
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from time import perf_counter
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import api.audit.bundles as audit_module
import projections.audit.bundle as bundle_module
import projections.audit.report as report_module
from bench.common import fmt_rate, fmt_ratio, ratio, registry_declaring
from commands.ats.placement import CreatePlacement, placement
from commands.billing.placement_billing import (
    ApplyInvoiceUpdate,
    CloseDispute,
    FreezeSnapshot,
    MarkFundsAvailable,
    OpenDispute,
    PlaceEscrowHold,
    RecordInvoiceIssued,
    ReleaseEscrowHold,
    RequestInvoice,
    ReviewDispute,
    placement_billing,
)
from commands.billing.placement_events import RoleSnapshot
from commands.core import Personal
from commands.registry import all_event_classes
from eventstore import EventStore, Metadata, NewEvent, create_pool, handle, load, verify_chain
from api.audit.bundles import export_placement
from infra.bootstrap import event_registry, migrate_all
from projections.audit.bundle import EVENTS, public_key_hex, verify_bundle

BASE_TIME = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
SEED = "splits:bench:audit"
CASES = ("export", "verify")
# variant → (what its store declares personal); "" is the product's declarations
VARIANTS = {"": "as declared", "_unsealed": "nothing declared", "_sealed": "every text sealed"}


def add_arguments(group: Any) -> None:
    group.add_argument("--events", type=int, default=10_000, help="events on the placement's trail (default 10,000)")
    group.add_argument("--per-append", type=int, default=1000,
                       help="setup: events per append of the holds and disputes (default 1000)")
    group.add_argument("--skip-variants", action="store_true",
                       help="only the trail as declared: no unsealed and all-sealed placements")


def describe(args: Any) -> str:
    return (f"{args.events:,} trail events, {max(1, args.rounds)} rounds"
            f"{' after one untimed round' if (args.warmup is None or args.warmup > 0) else ''} (--seconds unused)")


def _id(kind: str, i: int = 0, seed: str = SEED) -> UUID:
    return uuid5(NAMESPACE_URL, f"{seed}:{kind}:{i}")


def _by(data: Any, field: str) -> str | None:
    return f"bench:{data[field]}" if data.get(field) else None


# The `_sealed` variant: every free text of the trail is its writer's personal data (an upper bound).
ALL_TEXT = {
    "EscrowHoldPlaced": Personal(("reason",), subject_of_data=lambda d: _by(d, "by")),
    "DisputeOpened": Personal(("reason",), subject_of_data=lambda d: _by(d, "raised_by")),
    "DisputeClosed": Personal(("notes",), subject_of_data=lambda d: _by(d, "by")),
}


def variant_store(store: EventStore, variant: str) -> EventStore:
    """A store on the same pool and keys appending with the variant's declarations."""
    if variant == "_unsealed":
        return EventStore(store.pool, registry_declaring(all_event_classes(), others=False), store.keyring)
    if variant == "_sealed":
        return EventStore(store.pool, registry_declaring(all_event_classes(), ALL_TEXT), store.keyring)
    return store


# --- setup ------------------------------------------------------------------------------------------------------


HOLD_REASONS = ("Guarantee review: the candidate's start date is not confirmed yet",
                "Company asked to pause payouts until the signed offer letter is on file",
                "Compliance check of the recruiting firm's payout account",
                "Background check pending at the company's request")
DISPUTE_REASONS = ("The company disputes the fee percentage agreed for this role",
                   "Two recruiters claim the candidate sourcer role",
                   "The company says the candidate left before the guarantee ran out",
                   "Invoice amount does not match the offer letter's salary")
DISPUTE_TYPES = ("fee_amount", "fee_split", "placement_validity", "service_quality", "other")
DISPUTE_ROLES = ("company_admin", "recruiter", "platform_admin")


class Setup:
    """The placement and what its trail is made of."""

    def __init__(self, placement_id: UUID, application_id: UUID, events: int) -> None:
        self.placement_id = placement_id
        self.application_id = application_id
        self.events = events

    @property
    def stream_ids(self) -> list[str]:
        """The trail's streams (no webhooks or notifications exist for it in this database)."""
        p = self.placement_id
        return [f"placement-{p}", f"placementbilling-{p}", f"application-{self.application_id}", f"auditexport-{p}"]


def _filler_commands(placement_id: UUID, count: int, start: datetime,
                     seed: str = SEED) -> Iterator[tuple[Any, int]]:
    """Commands recording exactly `count` events: (command, events it records), holds and disputes in turn."""
    left, i, at = count, 0, start
    while left > 0:
        at += timedelta(minutes=7)
        kind = i % 3  # 0: hold placed + released, 1: dispute opened + closed, 2: opened + reviewed + closed
        if left == 1:  # one event left: the funds seen available (once, at the very end)
            yield MarkFundsAvailable(placement_id=placement_id, detected_by="balance", at=at), 1
            return
        if left == 3:
            kind = 2
        elif kind == 2 and left in (2, 4):  # three events would overshoot or leave one
            kind = 0
        if kind == 0:
            hold = _id("hold", i, seed)
            yield PlaceEscrowHold(placement_id=placement_id, hold_id=hold, amount_cents=50_000 + 100 * (i % 997),
                                  reason=f"{HOLD_REASONS[i % len(HOLD_REASONS)]} (hold {i})",
                                  release_on=at + timedelta(days=14), by=f"user_admin_{i % 7}", at=at), 1
            yield ReleaseEscrowHold(placement_id=placement_id, hold_id=hold, by=f"user_admin_{i % 5}",
                                    at=at + timedelta(minutes=3)), 1
            left -= 2
        else:
            dispute = _id("dispute", i, seed)
            yield OpenDispute(placement_id=placement_id, dispute_id=dispute,
                              dispute_type=DISPUTE_TYPES[i % len(DISPUTE_TYPES)],
                              reason=f"{DISPUTE_REASONS[i % len(DISPUTE_REASONS)]} (dispute {i})",
                              raised_by=f"user_{i % 11}", raised_by_role=DISPUTE_ROLES[i % len(DISPUTE_ROLES)],
                              at=at), 1
            if kind == 2:
                yield ReviewDispute(placement_id=placement_id, dispute_id=dispute, by="user_platform_admin",
                                    at=at + timedelta(minutes=1)), 1
            yield CloseDispute(placement_id=placement_id, dispute_id=dispute,
                               outcome="resolved" if i % 2 else "dismissed",
                               notes=f"Reviewed the offer letter and the split agreement; closed (dispute {i}).",
                               by="user_platform_admin", at=at + timedelta(minutes=2)), 1
            left -= 3 if kind == 2 else 2
        i += 1


async def load_trail(store: EventStore, n: int, per_append: int,
                     say: Callable[[str], None], seed: str = SEED) -> tuple[Setup, dict[str, Any]]:
    """The placement and its money through the deciders; returns it with the setup's timings. Each `seed` makes
    another placement with ids of its own."""
    started = perf_counter()

    def _id(kind: str, i: int = 0) -> UUID:  # this placement's ids
        return uuid5(NAMESPACE_URL, f"{seed}:{kind}:{i}")

    placement_id, application_id = _id("placement"), _id("application")
    company_id, job_id = _id("company"), _id("job")
    rex, rita, firm = _id("recruiter", 1), _id("recruiter", 2), _id("firm")
    meta = Metadata(actor="bench:setup", correlation_id=str(_id("correlation")), source="bench")
    at = BASE_TIME
    await handle(store, placement, placement_id, CreatePlacement(
        placement_id=placement_id, application_id=application_id, job_id=job_id, candidate_id=_id("candidate"),
        company_id=company_id, salary_cents=15_000_000, fee_bps=2000, guarantee_days=90, hired_at=at,
        start_date=date(2024, 3, 18), candidate_recruiter_id=rex, company_recruiter_id=rita,
        by="reactor:placements", at=at), meta)
    empty = [RoleSnapshot(role=r, recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                          firm_take_bps=None) for r in ("job_owner", "candidate_sourcer", "company_sourcer")]
    roles = [RoleSnapshot(role="candidate_recruiter", recruiter_id=rex, user_id=_id("user", 1), tier="partner",
                          rate_bps=4000, firm_id=None, firm_take_bps=None),
             RoleSnapshot(role="company_recruiter", recruiter_id=rita, user_id=_id("user", 2), tier="pro",
                          rate_bps=2000, firm_id=firm, firm_take_bps=1000), *empty]
    invoice = "in_bench_audit_1" if seed == SEED else f"in_bench_audit_1{seed.removeprefix(SEED).replace(':', '')}"
    prefix = 1
    for command in (
        FreezeSnapshot(placement_id=placement_id, application_id=application_id, job_id=job_id, company_id=company_id,
                       fee_cents=3_000_000, hired_at=at, roles=roles, at=at),
        RequestInvoice(placement_id=placement_id, by="reactor:invoicing", at=at + timedelta(minutes=1)),
        RecordInvoiceIssued(placement_id=placement_id, invoice_id=_id("invoice"), company_id=company_id,
                            stripe_customer_id="cus_bench", stripe_invoice_id=invoice, billing_terms="immediate",
                            collection_method="charge_automatically", fee_cents=3_000_000, processing_fee_cents=90_000,
                            amount_due_cents=3_090_000, status="open", number="INV-BENCH-1", by="reactor:invoicing",
                            at=at + timedelta(minutes=2)),
        ApplyInvoiceUpdate(placement_id=placement_id, stripe_invoice_id=invoice, status="paid",
                           amount_paid_cents=3_090_000, paid_at=at + timedelta(days=1), at=at + timedelta(days=1)),
    ):
        prefix += len((await handle(store, placement_billing, placement_id, command, meta)).event_types)
    if n < prefix + 2:
        raise ValueError(f"--events must be at least {prefix + 2} (the placement, snapshot and invoice take {prefix})")
    handled_s = perf_counter() - started

    # The holds and disputes: decided one command after the other on the folded state, appended in batches.
    stream_id = f"placementbilling-{placement_id}"
    registry = store.registry
    assert registry is not None
    t0 = perf_counter()
    state, version, _ = await load(store, placement_billing, stream_id)
    new: list[NewEvent] = []
    for command, expected in _filler_commands(placement_id, n - prefix, at + timedelta(days=2), seed):
        events = placement_billing.decide(command, state)
        if len(events) != expected:
            raise RuntimeError(f"{type(command).__name__} recorded {len(events)} events, expected {expected}")
        for e in events:
            state = placement_billing.evolve(state, e)
            new.append(registry.encode(e, uuid5(NAMESPACE_URL, f"{seed}:event:{len(new)}")))
    decide_s = perf_counter() - t0
    t0 = perf_counter()
    appends = 0
    for start in range(0, len(new), per_append):
        batch = new[start:start + per_append]
        batch_meta = Metadata(actor="bench:setup", correlation_id=str(_id("batch", start)), source="bench")
        result = await store.append(stream_id, batch, version, batch_meta)
        version = result.version
        appends += 1
        if appends % 10 == 0:
            say(f"  setup: {start + len(batch):,} of {len(new):,} billing events appended")
    append_s = perf_counter() - t0

    t0 = perf_counter()
    recorded = await store.read_stream(stream_id)
    tip = await store.stream_tip(stream_id)
    problems = verify_chain(recorded, expected_tip=tip[1] if tip else None)
    folded, folded_version, _ = await load(store, placement_billing, stream_id)
    check_s = perf_counter() - t0
    if problems or folded_version != version or folded != state:
        raise RuntimeError(f"the setup's billing stream does not check: {problems[:3]}, version {folded_version}")
    t0 = perf_counter()
    async with await psycopg.AsyncConnection.connect(store.pool.conninfo, autocommit=True) as conn:
        await conn.execute("VACUUM (ANALYZE) eventstore.events")
        try:
            await conn.execute("CHECKPOINT")
        except psycopg.Error:
            pass
    settle_s = perf_counter() - t0
    setup = Setup(placement_id, application_id, n)
    info = {
        "seconds": perf_counter() - started,
        "handled_events": prefix, "handled_seconds": handled_s,
        "batched_events": len(new), "decide_seconds": decide_s, "append_seconds": append_s, "appends": appends,
        "events_per_append": per_append, "append_events_per_s": len(new) / append_s if append_s else None,
        "check_seconds": check_s, "chain_intact": not problems, "vacuum_checkpoint_seconds": settle_s,
        "billing_stream_version": version, "active_holds": state.active_holds, "open_disputes": state.open_disputes,
        "holds": len(state.holds), "disputes": len(state.disputes),
    }
    return setup, info


# --- what is timed ----------------------------------------------------------------------------------------------


class Breakdown:
    """Inclusive seconds of wrapped calls, keyed by their nesting path (`bundle_build/report_html/timeline`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[str] = []

    def _enter(self, name: str) -> str:
        self._stack.append(name)
        return "/".join(self._stack)

    def _leave(self, path: str, t0: float) -> None:
        self.seconds[path] += perf_counter() - t0
        self.calls[path] += 1
        self._stack.pop()

    def sync(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            path, t0 = self._enter(name), perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._leave(path, t0)

        return wrapper

    def coro(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            path, t0 = self._enter(name), perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self._leave(path, t0)

        return wrapper

    def get(self, path: str) -> float:
        return self.seconds.get(path, 0.0)


# (module, attribute, name in the breakdown, is a coroutine function)
_WRAPPED = (
    (audit_module, "money_trail", "trail_read", True),
    (audit_module, "opened_data", "open_fields", False),
    (audit_module, "trail_parties", "parties", True),
    (audit_module, "build_bundle", "bundle_build", False),
    (audit_module, "handle", "record_export", True),
    (bundle_module, "money_table", "money_table", False),
    (bundle_module, "timeline", "timeline", False),
    (bundle_module, "timeline_csv", "timeline_csv", False),
    (bundle_module, "report_html", "report_html", False),
    (report_module, "timeline", "timeline", False),
    (bundle_module, "_sha256", "sha256", False),
    (bundle_module, "_check_signature", "signature", False),
    (bundle_module, "_check_events", "events", False),
    (bundle_module, "verify_chain", "hash_chains", False),
)


@contextmanager
def instrumented(breakdown: Breakdown, store: EventStore) -> Iterator[None]:
    """The functions of `_WRAPPED` and the store's `head` and `read_stream` timed into `breakdown`."""
    saved = [(module, attr, getattr(module, attr)) for module, attr, _, _ in _WRAPPED]
    try:
        for module, attr, name, is_coro in _WRAPPED:
            fn = getattr(module, attr)
            setattr(module, attr, breakdown.coro(name, fn) if is_coro else breakdown.sync(name, fn))
        store.head = breakdown.coro("feed_head", store.head)  # type: ignore[method-assign]
        store.read_stream = breakdown.coro("read_stream", store.read_stream)  # type: ignore[method-assign]
        yield
    finally:
        for module, attr, fn in saved:
            setattr(module, attr, fn)
        for attr in ("head", "read_stream"):
            store.__dict__.pop(attr, None)


_PLAIN = ("SELECT position, tx_id::text AS tx, event_id, stream_id, stream_type, version, type, schema_version,"
          " data, metadata, recorded_at, hash FROM eventstore.events WHERE stream_id = ANY(%s)"
          " ORDER BY events.tx_id, events.position")


async def read_plain(store: EventStore, stream_ids: list[str]) -> tuple[bytes, int]:
    """The baseline of the export: one SELECT, each row a JSON line in a deflated in-memory zip."""
    async with store.pool.connection() as conn:
        cur = await conn.execute(_PLAIN, (stream_ids,), binary=True)
        rows = await cur.fetchall()
    body = b"".join(orjson.dumps({
        "position": f"{r[1]}.{r[0]}", "stream_id": r[3], "stream_type": r[4], "version": r[5], "event_id": r[2],
        "type": r[6], "schema_version": r[7], "recorded_at": r[10], "data": r[8], "metadata": r[9],
        "hash": bytes(r[11]).hex(),
    }) + b"\n" for r in rows)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo(EVENTS, date_time=(1980, 1, 1, 0, 0, 0)), body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue(), len(rows)


def hash_plain(bundle: bytes) -> str:
    """The baseline of the verify: unzip every file of the bundle, one SHA-256 over events.jsonl."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    return hashlib.sha256(files[EVENTS]).hexdigest()


Round = dict[str, Any]
"""One round's figures: seconds of each operation, trail events, the bundle, the breakdowns."""


async def one_round(store: EventStore, setup: Setup, key: Ed25519PrivateKey, cases: tuple[str, ...],
                    index: int) -> Round:
    r: Round = {}
    trusted = public_key_hex(key.public_key())
    meta = Metadata(actor="bench", correlation_id=str(_id("export", index)), source="bench")
    if "export" in cases:
        gc.collect()
        t0 = perf_counter()
        plain_zip, plain_rows = await read_plain(store, setup.stream_ids)
        r["read_plain"] = perf_counter() - t0
        r["read_plain_rows"], r["read_plain_bytes"] = plain_rows, len(plain_zip)
    export_breakdown = Breakdown()
    gc.collect()
    with instrumented(export_breakdown, store):
        c0, t0 = time.process_time(), perf_counter()
        exported = await export_placement(store, setup.placement_id, "bench", "platform_admin", key, meta)
        r["export"] = perf_counter() - t0
        r["export_cpu"] = time.process_time() - c0
    if exported is None:
        raise RuntimeError(f"placement {setup.placement_id} has no trail")
    r["trail_events"], r["bundle"], r["export_breakdown"] = exported.event_count, exported.bundle, export_breakdown
    if "verify" in cases:
        verify_breakdown = Breakdown()
        gc.collect()
        with instrumented(verify_breakdown, store):
            c0, t0 = time.process_time(), perf_counter()
            verdict = verify_bundle(exported.bundle, trusted)
            r["verify"] = perf_counter() - t0
            r["verify_cpu"] = time.process_time() - c0
        if not verdict.intact:
            raise AssertionError(f"the bundle does not verify: {verdict.problems[:5]}")
        r["verdict"], r["verify_breakdown"] = verdict, verify_breakdown
        gc.collect()
        t0 = perf_counter()
        hash_plain(exported.bundle)
        r["hash_plain"] = perf_counter() - t0
    return r


# --- the report ---------------------------------------------------------------------------------------------------


def _stats(values: list[float]) -> dict[str, Any]:
    return {"seconds": statistics.median(values), "seconds_min": min(values), "seconds_rounds": values}


def _median_round(rounds: list[Round], key: str) -> Round:
    ordered = sorted(rounds, key=lambda r: r[key])
    return ordered[(len(ordered) - 1) // 2]


def export_breakdown(total: float, b: Breakdown) -> dict[str, Any]:
    build = b.get("bundle_build")
    report_parts = {
        "money_table": b.get("bundle_build/money_table"),
        "timeline": b.get("bundle_build/timeline"),
        "timeline_csv": b.get("bundle_build/timeline_csv"),
        "report_html": b.get("bundle_build/report_html"),
    }
    rendering = sum(report_parts.values())
    timeline_rows = (b.get("bundle_build/timeline") + b.get("bundle_build/timeline_csv/timeline")
                     + b.get("bundle_build/report_html/timeline"))
    parts = {
        "feed_head": b.get("feed_head"),
        "trail_read": b.get("trail_read"),
        "open_fields": b.get("open_fields"),
        "parties": b.get("parties"),
        "bundle_build": build,
        "record_export": b.get("record_export"),
    }
    return {
        "total_s": total,
        **{f"{k}_s": v for k, v in parts.items()},
        "report_rendering_s": rendering,
        "bundle_rest_s": build - rendering,
        "other_s": total - sum(parts.values()),
        "report_rendering_parts_s": {
            **report_parts,
            "timeline_rows_both_calls": timeline_rows,
            "report_html_template_only": report_parts["report_html"] - b.get("bundle_build/report_html/timeline"),
        },
        "trail_read_streams": b.calls.get("trail_read/read_stream", 0),
        "trail_read_stream_reads_s": b.get("trail_read/read_stream"),
        "trail_read_lookups_s": b.get("trail_read") - b.get("trail_read/read_stream"),  # webhooks, notifications
        "parties_stream_reads": b.calls.get("parties/read_stream", 0),
        "share": {k: (v / total if total else None) for k, v in
                  {**parts, "report_rendering": rendering, "bundle_rest": build - rendering}.items()},
        "calls_s": dict(sorted(b.seconds.items())),
    }


def verify_breakdown(total: float, b: Breakdown) -> dict[str, Any]:
    events, chains = b.get("events"), b.get("events/hash_chains")
    parts = {"signature": b.get("signature"), "file_digests": b.get("sha256"), "events_read": events - chains,
             "hash_chains": chains}
    return {
        "total_s": total,
        **{f"{k}_s": v for k, v in parts.items()},
        "unzip_and_rest_s": total - sum(parts.values()),
        "share": {k: (v / total if total else None) for k, v in parts.items()},
        "calls_s": dict(sorted(b.seconds.items())),
    }


def _bundle_files(bundle: bytes) -> dict[str, dict[str, int]]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        return {i.filename: {"bytes": i.file_size, "compressed_bytes": i.compress_size} for i in zf.infolist()}


def _sealed_fields(bundle: bytes) -> int:
    """How many sealed values the bundle's events.jsonl holds (what the trail's store sealed)."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        return zf.read(EVENTS).count(b'"$pii":')


def build_report(rounds: list[Round], cases: tuple[str, ...], suffix: str = "") -> list[dict[str, Any]]:
    """The cases of one variant (named with its suffix) from its rounds."""
    out = []
    if "export" in cases:
        mid = _median_round(rounds, "export")
        export = _stats([r["export"] for r in rounds])
        plain = _stats([r["read_plain"] for r in rounds])
        events = mid["trail_events"]
        out.append({
            "name": f"export{suffix}", **export,
            "events": events,
            "events_rounds": [r["trail_events"] for r in rounds],
            "events_per_s": events / export["seconds"] if export["seconds"] else None,
            "client_cpu_s": mid["export_cpu"],
            "bundle_bytes": len(mid["bundle"]),
            "bundle_files": _bundle_files(mid["bundle"]),
            "sealed_fields_in_events": _sealed_fields(mid["bundle"]),
            "baseline": {"name": "read_plain", **plain,
                         "events_per_s": events / plain["seconds"] if plain["seconds"] else None,
                         "zip_bytes": mid["read_plain_bytes"]},
            "ratio_vs_baseline": ratio(export["seconds"], plain["seconds"]),
            "same_events_as_baseline": all(r["read_plain_rows"] == r["trail_events"] for r in rounds),
            "breakdown": export_breakdown(mid["export"], mid["export_breakdown"]),
        })
    if "verify" in cases:
        mid = _median_round(rounds, "verify")
        verify = _stats([r["verify"] for r in rounds])
        plain = _stats([r["hash_plain"] for r in rounds])
        verdict = mid["verdict"]
        out.append({
            "name": f"verify{suffix}", **verify,
            "events": verdict.event_count,
            "streams": verdict.stream_count,
            "events_per_s": verdict.event_count / verify["seconds"] if verify["seconds"] else None,
            "client_cpu_s": mid["verify_cpu"],
            "bundle_bytes": len(mid["bundle"]),
            "intact": all(r["verdict"].intact for r in rounds),
            "problems": verdict.problems,
            "baseline": {"name": "hash_plain", **plain,
                         "events_per_s": verdict.event_count / plain["seconds"] if plain["seconds"] else None},
            "ratio_vs_baseline": ratio(verify["seconds"], plain["seconds"]),
            "breakdown": verify_breakdown(mid["verify"], mid["verify_breakdown"]),
        })
    return out


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:,.1f}"


def table(report: dict[str, Any]):  # noqa: ANN201 - rich is imported lazily
    from rich.console import Group
    from rich.table import Table

    m = report.get("machine") or {}
    setup = report.get("setup") or {}
    head = (f"audit — {m.get('cores', '?')} cores, PostgreSQL {m.get('pg_version', '?')},"
            f" {setup.get('trail_events', 0):,} trail events")
    t = Table(title=head, caption="median and min of the rounds; ratio = median ÷ the baseline's median (× longer)")
    for col in ("what", "median ms", "min ms", "events/s", "bytes", "ratio"):
        t.add_column(col, justify="left" if col == "what" else "right")
    parts = Table(title="breakdown of the median round (the lower middle one of an even count)",
                  caption="ms; share of the operation in that round")
    for col in ("part", "ms", "share"):
        parts.add_column(col, justify="left" if col == "part" else "right")
    for c in report["cases"]:
        b = c["baseline"]
        t.add_row(c["name"], _ms(c["seconds"]), _ms(c["seconds_min"]), fmt_rate(c["events_per_s"]),
                  f"{c['bundle_bytes']:,}", fmt_ratio(c["ratio_vs_baseline"]))
        t.add_row(f"  {b['name']} (baseline)", _ms(b["seconds"]), _ms(b["seconds_min"]), fmt_rate(b["events_per_s"]),
                  f"{b['zip_bytes']:,}" if "zip_bytes" in b else "", "")
        d = c["breakdown"]
        total = d["total_s"]
        if c["name"].startswith("export"):
            rows = [("feed head", d["feed_head_s"]), ("trail read", d["trail_read_s"]),
                    ("  stream reads", d["trail_read_stream_reads_s"]),
                    ("  webhook and notification lookups", d["trail_read_lookups_s"]),
                    ("personal fields opened", d["open_fields_s"]),
                    (f"parties named ({d['parties_stream_reads']} stream reads)", d["parties_s"]),
                    ("bundle build", d["bundle_build_s"]), ("  report rendering", d["report_rendering_s"]),
                    *((f"    {k.replace('_', ' ')}", v) for k, v in d["report_rendering_parts_s"].items()),
                    ("  rest (lines, jsonl, digests, manifest, signature, zip)", d["bundle_rest_s"]),
                    ("record export event", d["record_export_s"]), ("other", d["other_s"])]
        else:
            rows = [("signature", d["signature_s"]), ("file digests", d["file_digests_s"]),
                    ("events.jsonl read", d["events_read_s"]), ("hash chains", d["hash_chains_s"]),
                    ("unzip and rest", d["unzip_and_rest_s"])]
        parts.add_row(f"[bold]{c['name']}[/]", _ms(total), "")
        for label, value in rows:
            parts.add_row(label, _ms(value), f"{value / total:.0%}" if total else "")
    lines = []
    for c in report["cases"]:
        if c["name"].startswith("verify"):
            verdict = "INTACT" if c["intact"] else "TAMPERED"
            beside = f", {fmt_ratio(c['ratio_vs_unsealed'])} the unsealed one" if c.get("ratio_vs_unsealed") else ""
            lines.append(f"{c['name']}: {verdict}, {c['events']:,} events in {c['streams']} streams{beside}")
        elif c.get("ratio_vs_unsealed"):
            lines.append(f"{c['name']}: {fmt_ratio(c['ratio_vs_unsealed'])} the unsealed export's median")
    return Group(t, parts, *lines)


# --- running ------------------------------------------------------------------------------------------------------


async def run(dsn: str, *, seconds: float, warmup: float, rounds: int = 3, only: list[str] | None,
              say: Callable[[str], None], options: Any = None) -> dict[str, Any]:
    opts = options
    if opts is None:
        import argparse

        parser = argparse.ArgumentParser()
        add_arguments(parser)
        opts = parser.parse_args([])
    cases = tuple(c for c in CASES if not only or any(o in c for o in only))
    if not cases:
        raise ValueError(f"--only matches none of {', '.join(CASES)}")
    started = perf_counter()
    await migrate_all(dsn)
    pool = create_pool(dsn, min_size=2, max_size=4, name="bench-audit")
    await pool.open(wait=True, timeout=30)
    variants = [""] if getattr(opts, "skip_variants", False) else list(VARIANTS)
    try:
        store = EventStore(pool, event_registry())
        setups: dict[str, tuple[Setup, dict[str, Any]]] = {}
        for variant in variants:
            say(f"setup{variant or ''}: a placement with {opts.events:,} trail events, {opts.per_append} per append"
                f" ({VARIANTS[variant]})")
            setups[variant] = await load_trail(variant_store(store, variant), opts.events, opts.per_append, say,
                                               SEED + (f":{variant}" if variant else ""))
            info = setups[variant][1]
            say(f"setup{variant or ''}: {info['seconds']:.1f} s (decide {info['decide_seconds']:.1f} s,"
                f" append {info['append_seconds']:.1f} s), chain intact: {info['chain_intact']}")
        setup, setup_info = setups[""]
        key = Ed25519PrivateKey.generate()
        warmed = 0
        if warmup > 0:
            t0 = perf_counter()
            for variant in variants:
                await one_round(store, setups[variant][0], key, CASES, -1)
            warmed = 1
            say(f"warm-up round: {perf_counter() - t0:.1f} s (untimed)")
        measured: dict[str, list[Round]] = {variant: [] for variant in variants}
        for i in range(rounds):
            # The variants take turns within each round, so a drift in the machine's load falls on all alike.
            for variant in variants[i % len(variants):] + variants[:i % len(variants)]:
                r = await one_round(store, setups[variant][0], key, cases, i)
                measured[variant].append(r)
                shown = [f"{name} {r[name] * 1000:,.0f} ms" for name in ("read_plain", "export", "verify", "hash_plain")
                         if name in r]
                say(f"round {i + 1}/{rounds}{variant}: {r['trail_events']:,} events, " + ", ".join(shown))
                await asyncio.sleep(0)
    finally:
        await pool.close()
    report_cases = [c for variant in variants for c in build_report(measured[variant], cases, variant)]
    by_name = {c["name"]: c for c in report_cases}
    for c in report_cases:
        unsealed = by_name.get(c["name"].split("_")[0] + "_unsealed")
        if unsealed is not None and unsealed is not c:
            c["ratio_vs_unsealed"] = ratio(c["seconds"], unsealed["seconds"])
        b = c["baseline"]
        say(f"{c['name']:<16} median {c['seconds'] * 1000:,.0f} ms ({fmt_rate(c['events_per_s'])} ev/s),"
            f" {b['name']} {b['seconds'] * 1000:,.1f} ms, ratio {fmt_ratio(c['ratio_vs_baseline'])}"
            + (f", {fmt_ratio(c['ratio_vs_unsealed'])} unsealed" if "ratio_vs_unsealed" in c else ""))
    return {
        "suite": "audit",
        "cases": report_cases,
        "setup": {"trail_events": opts.events, "placement_id": str(setup.placement_id), "streams": setup.stream_ids,
                  "warmup_rounds": warmed, "rounds": rounds, **setup_info},
        "variants": {v or "as_declared": {"declared": VARIANTS[v], "placement_id": str(setups[v][0].placement_id),
                                          "setup_seconds": setups[v][1]["seconds"]} for v in variants},
        "total_seconds": perf_counter() - started,
        "pid": os.getpid(),
    }
