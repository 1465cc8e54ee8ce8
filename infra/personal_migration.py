"""`splits keys seal-existing`: seal the personal fields of events stored before sealing, once, with a signed record.

The procedure (docs/personal-data-migration.md says it for the operator):

1. Refuse while a relay, scheduler or replay holds its advisory lock on this database: every process must be
   stopped (API, relay, consumers, scheduler), or one of an older version could append plain data behind us.
2. Scan, read-only, for events of a declaring type whose declared fields are still plain (`--dry-run` stops
   here and says what would be rewritten).
3. Make the subjects' data keys (committed first, as an append does; a key no event ends up using is harmless).
4. In one transaction, under the migration advisory lock (so `splits migrate` waits): lock, verify, seal and
   re-chain each touched stream (`eventstore/reseal.py`), then append `PersonalDataSealed` on
   `personaldatamigration-<id>`: the old and new chain tip of every rewritten stream and the counts, signed
   with the audit signing key. Either all of it commits or none.
5. Write the same record to a file. `verify_sealing` checks the record's signature, that each rewritten stream
   continues from its new tip, that every stream of the database verifies and that nothing plain is left.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from commands.privacy.migration_events import RECORD_FORMAT, PersonalDataSealed, ResealedStream
from eventstore import NO_STREAM, EventStore, Metadata, canonical_json
from eventstore.migrate import _LOCK_KEY
from eventstore.reseal import Found, Rewritten, rewrite_stream, scan, subject_keys, verify_all_streams
from projections.audit.bundle import public_key_hex

STREAM_PREFIX = "personaldatamigration"
_KEY_BATCH = 5000


class ProcessesRunning(RuntimeError):
    """Something that appends (relay, scheduler, replay) is running against this database."""


@dataclass(frozen=True)
class Outcome:
    found: Found
    record: dict[str, Any] | None  # None: a dry run, or nothing to seal


async def running_holders(store: EventStore) -> list[str]:
    """The other sessions of this database holding a session advisory lock (the relay's and scheduler's
    leadership, a replay): each as `pid <n> (<application name>)`."""
    async with store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT DISTINCT l.pid, coalesce(a.application_name, '') FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()"
            "   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " ORDER BY 1"
        )
        return [f"pid {pid} ({name or 'no name'})" for pid, name in await cur.fetchall()]


async def seal_existing(
    store: EventStore,
    signing_key: Ed25519PrivateKey,
    *,
    by: str,
    now: Callable[[], datetime],
    dry_run: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> Outcome:
    """Run the procedure above; the record (the event's JSON form) when something was sealed."""
    registry = store.registry
    if registry is None:
        raise ValueError("the event store has no registry: it cannot tell which fields are personal")
    holders = await running_holders(store)
    if holders:
        raise ProcessesRunning("stop every Splits process using this database first (API, relay, consumers, "
                               f"scheduler); advisory locks are held by {', '.join(holders)}")
    async with store.pool.connection() as conn:
        found = await scan(conn, registry, progress=lambda n: say(f"scanned {n:,} events of declaring types"))
    say(f"{found.events:,} events in {len(found.streams):,} streams hold {found.fields:,} plain personal fields "
        f"of {len(found.subjects):,} subjects")
    if dry_run or not found.streams:
        return Outcome(found, None)

    subjects = sorted(found.subjects)
    erased: set[str] = set()
    keys: dict[str, bytes] = {}
    for start in range(0, len(subjects), _KEY_BATCH):
        chunk = subjects[start:start + _KEY_BATCH]
        gone = await store.keyring.erased(chunk)
        erased |= gone
        keys |= await store.keyring.keys_for_append([s for s in chunk if s not in gone])
    if erased:
        say(f"{len(erased):,} subjects are erased already: their plain fields are sealed under a key nobody keeps")
    key_map = subject_keys(keys, erased)

    migration_id = uuid4()
    rewritten: list[Rewritten] = []
    async with store.pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        await conn.execute("SET LOCAL idle_in_transaction_session_timeout = '10min'")
        for i, stream_id in enumerate(found.streams, 1):
            done = await rewrite_stream(conn, registry, stream_id, key_map)
            if done is not None:
                rewritten.append(done)
            if i % 500 == 0 or i == len(found.streams):
                say(f"rewrote {i:,} of {len(found.streams):,} streams")
        if not rewritten:
            return Outcome(found, None)
        cur = await conn.execute("SELECT current_database()")
        database = (await cur.fetchone())[0]  # type: ignore[index]
        event = _signed(signing_key, migration_id, database, rewritten, len(found.subjects), len(erased), by, now())
        recorded = await store.append_in(conn, f"{STREAM_PREFIX}-{migration_id}", [registry.encode(event)],
                                         NO_STREAM, Metadata(actor=by, source="cli"))
    store.appended(recorded.position)  # committed: wake the feed's readers
    return Outcome(found, event.model_dump(mode="json"))


def _signed(key: Ed25519PrivateKey, migration_id: UUID, database: str, rewritten: Sequence[Rewritten],
            subjects: int, erased: int, by: str, at: datetime) -> PersonalDataSealed:
    unsigned = PersonalDataSealed(
        format=RECORD_FORMAT, migration_id=migration_id, database=database,
        streams=[ResealedStream(stream_id=r.stream_id, version=r.version, first_version=r.first_version,
                                events_sealed=r.events_sealed, fields_sealed=r.fields_sealed,
                                links_rehashed=r.links_rehashed, old_tip=r.old_tip.hex(), new_tip=r.new_tip.hex())
                 for r in rewritten],
        events_sealed=sum(r.events_sealed for r in rewritten), fields_sealed=sum(r.fields_sealed for r in rewritten),
        links_rehashed=sum(r.links_rehashed for r in rewritten), subjects=subjects, erased_subjects=erased,
        public_key=public_key_hex(key.public_key()), signature="", by=by, at=at,
    )
    signature = key.sign(_signed_bytes(unsigned.model_dump(mode="json")))
    return unsigned.model_copy(update={"signature": base64.b64encode(signature).decode()})


def _signed_bytes(record: Mapping[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in record.items() if k != "signature"})


def record_file_bytes(record: Mapping[str, Any]) -> bytes:
    return orjson.dumps(record, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


# --- verification --------------------------------------------------------------------------------------------------

@dataclass
class SealingVerdict:
    problems: list[str] = field(default_factory=list)
    streams_checked: int = 0
    plain_fields_left: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems


def check_record(record: Mapping[str, Any], trusted_public_key: str | None = None) -> list[str]:
    """The record's own checks, offline: its layout and its signature (and the key, when one is trusted)."""
    problems: list[str] = []
    if record.get("format") != RECORD_FORMAT:
        problems.append(f"not a personal data migration record (format {record.get('format')!r})")
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(str(record.get("public_key") or "")))
        public.verify(base64.b64decode(str(record.get("signature") or ""), validate=True), _signed_bytes(record))
    except (ValueError, InvalidSignature):
        problems.append("the record's signature does not verify: it was edited or signed by another key")
    if trusted_public_key is not None and record.get("public_key") != trusted_public_key:
        problems.append(f"signed with key {record.get('public_key')}, not the trusted key {trusted_public_key}")
    return problems


async def verify_sealing(store: EventStore, record: Mapping[str, Any],
                         trusted_public_key: str | None = None) -> SealingVerdict:
    """The record checks, each rewritten stream continues from the record's new tip, every stream verifies, and
    no declared personal field is plain any more."""
    verdict = SealingVerdict(check_record(record, trusted_public_key))
    registry = store.registry
    assert registry is not None
    async with store.pool.connection() as conn:
        for stream in record.get("streams") or []:
            cur = await conn.execute("SELECT hash FROM eventstore.events WHERE stream_id = %s AND version = %s",
                                     (stream["stream_id"], stream["version"]))
            row = await cur.fetchone()
            if row is None or bytes(row[0]).hex() != stream["new_tip"]:
                verdict.problems.append(f"stream {stream['stream_id']} does not continue from the recorded new tip "
                                        f"at version {stream['version']}")
        cur = await conn.execute("SELECT count(*) FROM eventstore.streams")
        verdict.streams_checked = (await cur.fetchone())[0]  # type: ignore[index]
        verdict.problems.extend(await verify_all_streams(conn))
        left = await scan(conn, registry)
    verdict.plain_fields_left = left.fields
    if left.fields:
        verdict.problems.append(f"{left.fields:,} declared personal fields in {left.events:,} events are still plain")
    return verdict


async def latest_record(store: EventStore) -> dict[str, Any] | None:
    """The record of the last migration, from its event (for when the file is not at hand)."""
    async with store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT data FROM eventstore.events WHERE type = %s ORDER BY position DESC LIMIT 1",
            (PersonalDataSealed.type_name(),),
        )
        row = await cur.fetchone()
    return None if row is None else row[0]
