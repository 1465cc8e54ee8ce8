"""Sealing events stored before sealing existed (`splits keys seal-existing`): events stored in plain text by a
store whose registry declares nothing personal are sealed in place; every stream still verifies, every event
decodes to the same values, the stored form holds none of the plain text, versions and recorded times stay, and
the signed record names the old and new tips. Refusals: a running relay, a stream whose chain was broken."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.ats import candidate as candidates
from commands.identity import user as users
from commands.identity.events import UserSignedIn
from commands.notifications.events import NotificationCreated
from commands.registry import all_event_classes
from eventstore import ANY_VERSION, EventRegistry, EventStore, advisory_key, handle, verify_chain
from eventstore.personal import ERASED, MARKER
from eventstore.reseal import ChainBroken
from adapters.audit_keys import encode_key
from infra.bootstrap import event_registry
from infra.personal_migration import (
    ProcessesRunning,
    check_record,
    latest_record,
    record_file_bytes,
    seal_existing,
    verify_sealing,
)
from projections.audit.bundle import public_key_hex
from tests.api import SEEDER

KEY = Ed25519PrivateKey.generate()
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
SPLITS = str(Path(sys.executable).parent / "splits")


class Undeclared(EventRegistry):
    """The registry as it was before sealing: no event type declares a personal field."""

    def personal_of(self, name: str) -> Any:
        return None


def plain_store(store: EventStore) -> EventStore:
    return EventStore(store.pool, Undeclared(all_event_classes()), store.keyring)


async def stored(store: EventStore) -> dict[UUID, tuple[str, int, datetime, dict[str, Any]]]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT event_id, stream_id, version, recorded_at, data FROM eventstore.events")
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in await cur.fetchall()}


async def tips(store: EventStore) -> dict[str, str]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT stream_id, encode(last_hash, 'hex') FROM eventstore.streams")
        return dict(await cur.fetchall())


async def decoded(store: EventStore, stream_ids: list[str]) -> dict[UUID, dict[str, Any]]:
    out = {}
    for stream_id in stream_ids:
        for e in await store.read_stream(stream_id):
            out[e.event_id] = store.registry.decode(e).model_dump(mode="json")
    return out


async def history(store: EventStore, run: str) -> dict[str, Any]:
    """Users and candidates recorded in plain text: a user whose stream starts with an event holding nothing
    personal (so the rewrite starts past version 1), one whose events after the personal one hold nothing
    personal (re-hashed only), a candidate, and a user erased before the migration."""
    plain = plain_store(store)
    people = {name: users.user_id_for(f"user_mig_{name}_{run}") for name in ("ann", "bob", "eve")}
    for name, user_id in people.items():
        if name == "bob":  # signed in before the registration reached us: version 1 holds nothing personal
            await plain.append(f"user-{user_id}", [plain.registry.encode(UserSignedIn(
                user_id=user_id, session_id="sess_1", by="test", at=AT))], ANY_VERSION, SEEDER)
        await handle(plain, users.user, user_id, users.RegisterUser(
            user_id=user_id, clerk_user_id=f"user_mig_{name}_{run}", email=f"{name}.{run}@example.com",
            name=f"{name.title()} Person {run}", source="portal", by="test", at=AT), SEEDER)
        if name == "ann":
            for role in ("recruiter", "platform_admin"):
                await handle(plain, users.user, user_id, users.GrantRole(
                    user_id=user_id, role=role, by="test", at=AT), SEEDER)
    notifications = {}
    for name in ("ann", "eve"):  # words sealed jointly for the recipient and the notification itself
        notifications[name] = uuid4()
        await plain.append(f"notification-{notifications[name]}", [plain.registry.encode(NotificationCreated(
            notification_id=notifications[name], user_id=people[name], category="billing", template="invoice_paid",
            title=f"Hello {name.title()} {run}", body=f"Your invoice was paid, {name} {run}", action_url=None,
            priority="normal", source_event_id=uuid4(), at=AT))], 0, SEEDER)
    candidate_id = uuid4()
    await handle(plain, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, created_by_user_id=people["ann"], full_name=f"Cara Candidate {run}",
        email=f"cara.{run}@example.com", phone="+4915112345678", bio=f"Ten years of payroll systems {run}",
        by="test", at=AT), SEEDER)
    # One stream that was sealed already (appended after sealing existed): left as it is.
    sealed_user = users.user_id_for(f"user_mig_new_{run}")
    await handle(store, users.user, sealed_user, users.RegisterUser(
        user_id=sealed_user, clerk_user_id=f"user_mig_new_{run}", email=f"new.{run}@example.com", name="New",
        source="portal", by="test", at=AT), SEEDER)
    streams = [*(f"user-{u}" for u in people.values()), f"candidate-{candidate_id}",
               *(f"notification-{n}" for n in notifications.values()), f"user-{sealed_user}"]
    return {"people": people, "candidate_id": candidate_id, "streams": streams, "sealed_user": sealed_user,
            "notifications": notifications}


def plain_values(registry: EventRegistry, rows: dict[UUID, tuple[str, int, datetime, dict[str, Any]]],
                 types: dict[UUID, str]) -> set[str]:
    """The texts the real registry's declared personal fields of these events hold (in plain text)."""
    texts: set[str] = set()
    for event_id, (_, _, _, data) in rows.items():
        personal = registry.personal_of(types[event_id])
        for field in personal.fields if personal else ():
            if isinstance(data.get(field), str):
                texts.add(data[field])
    return texts


async def types_of(store: EventStore) -> dict[UUID, str]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT event_id, type FROM eventstore.events")
        return dict(await cur.fetchall())


async def test_plain_events_are_sealed_in_place_and_every_stream_still_verifies(fresh_store: EventStore,
                                                                                 tmp_path: Path) -> None:
    store, run = fresh_store, uuid4().hex[:6]
    h = await history(store, run)
    eve = h["people"]["eve"]
    await store.keyring.erase([f"user:{eve}"])  # erased before the migration: her plain text must not survive it
    before_rows, before_tips = await stored(store), await tips(store)
    plain_reader = plain_store(store)
    before = await decoded(plain_reader, h["streams"])
    secrets_ = plain_values(store.registry, before_rows, await types_of(store))
    assert f"ann.{run}@example.com" in secrets_ and f"Cara Candidate {run}" in secrets_
    raw_before = orjson.dumps([r[3] for r in before_rows.values()]).decode()
    assert all(text in raw_before for text in secrets_)

    dry = await seal_existing(store, KEY, by="test", now=lambda: AT, dry_run=True)
    assert dry.record is None and set(dry.found.streams) == set(h["streams"][:-1])  # not the stream sealed already
    assert await tips(store) == before_tips and await stored(store) == before_rows  # a dry run changes nothing

    said: list[str] = []
    outcome = await seal_existing(store, KEY, by="test", now=lambda: AT, say=said.append)
    record = outcome.record
    assert record is not None and any("rewrote 6 of 6 streams" in line for line in said)

    # The record: signed, naming each rewritten stream's old tip (the one before) and new tip (the one now).
    assert check_record(record, public_key_hex(KEY.public_key())) == []
    after_tips = await tips(store)
    assert {s["stream_id"]: (s["old_tip"], s["new_tip"]) for s in record["streams"]} == {
        sid: (before_tips[sid], after_tips[sid]) for sid in h["streams"][:-1]}
    assert all(before_tips[sid] != after_tips[sid] for sid in h["streams"][:-1])
    bob = next(s for s in record["streams"] if s["stream_id"] == f"user-{h['people']['bob']}")
    assert (bob["first_version"], bob["version"], bob["events_sealed"], bob["links_rehashed"]) == (2, 2, 1, 1)
    ann = next(s for s in record["streams"] if s["stream_id"] == f"user-{h['people']['ann']}")
    assert (ann["first_version"], ann["version"], ann["events_sealed"], ann["links_rehashed"]) == (1, 3, 1, 3)
    assert record["events_sealed"] == outcome.found.events and record["erased_subjects"] == 1
    assert after_tips[f"user-{h['sealed_user']}"] == before_tips[f"user-{h['sealed_user']}"]
    [event] = await store.read_stream(f"personaldatamigration-{record['migration_id']}")
    assert event.type == "PersonalDataSealed" and event.data == record
    assert await latest_record(store) == record

    # Every stream verifies; versions and recorded times are those of before; nothing plain is left.
    after_rows = await stored(store)
    for event_id, (stream_id, version, recorded_at, _) in before_rows.items():
        assert after_rows[event_id][:3] == (stream_id, version, recorded_at)
    for stream_id in h["streams"]:
        assert verify_chain(await store.read_stream(stream_id), expected_tip=bytes.fromhex(after_tips[stream_id])) == []
    verdict = await verify_sealing(store, record, public_key_hex(KEY.public_key()))
    assert verdict.intact, verdict.problems
    assert verdict.plain_fields_left == 0 and verdict.streams_checked == len(after_tips)
    raw_after = orjson.dumps([r[3] for r in after_rows.values()]).decode()
    assert not [text for text in secrets_ if text in raw_after]
    assert raw_after.count(f'"{MARKER}"') >= record["fields_sealed"]

    # The same values decode as before, except the erased person's, which read as erased.
    after = await decoded(EventStore(store.pool, event_registry()), h["streams"])  # nothing cached
    eve_stream = {e.event_id for e in await store.read_stream(f"user-{eve}")}
    eve_note_id = (await store.read_stream(f"notification-{h['notifications']['eve']}"))[0].event_id
    for event_id, values in before.items():
        if event_id not in eve_stream | {eve_note_id}:
            assert after[event_id] == values
    [eve_registered] = [after[i] for i in eve_stream]
    assert (eve_registered["email"], eve_registered["name"]) == (ERASED, None)
    # A notification's words: sealed for its recipient and, jointly, for the notification itself.
    [ann_note] = await store.read_stream(f"notification-{h['notifications']['ann']}")
    assert ann_note.data["title"]["also"] == f"notification:{h['notifications']['ann']}"
    [eve_note] = await store.read_stream(f"notification-{h['notifications']['eve']}")
    eve_words = after[eve_note.event_id]
    assert (eve_words["title"], eve_words["body"]) == (ERASED, ERASED)  # her key is gone: nobody opens them

    # Idempotent: a second run finds nothing plain and records nothing.
    again = await seal_existing(store, KEY, by="test", now=lambda: AT)
    assert again.record is None and again.found.events == 0 and await tips(store) == after_tips

    # An edited record no longer verifies.
    edited = {**record, "events_sealed": record["events_sealed"] + 1}
    assert check_record(edited) == ["the record's signature does not verify: it was edited or signed by another key"]
    other = public_key_hex(Ed25519PrivateKey.generate().public_key())
    assert f"not the trusted key {other}" in " ".join(check_record(record, other))
    file = tmp_path / "record.json"
    file.write_bytes(record_file_bytes(record))
    assert check_record(orjson.loads(file.read_bytes())) == []


async def test_a_running_relay_or_a_broken_chain_stops_the_migration_before_anything_changes(
        fresh_store: EventStore) -> None:
    store, run = fresh_store, uuid4().hex[:6]
    h = await history(store, run)
    before_rows, before_tips = await stored(store), await tips(store)

    holder = await store.pool.getconn()
    try:
        await holder.execute("SELECT pg_advisory_lock(%s)", (advisory_key("relay:splits"),))
        with pytest.raises(ProcessesRunning, match="stop every Splits process"):
            await seal_existing(store, KEY, by="test", now=lambda: AT)
        await holder.execute("SELECT pg_advisory_unlock_all()")
    finally:
        await store.pool.putconn(holder)

    # Someone edited the candidate's plain event: its stream no longer verifies, and the migration refuses
    # rather than re-chain over the edit. Nothing is rewritten, in any stream.
    candidate_stream = f"candidate-{h['candidate_id']}"
    async with store.pool.connection() as conn:
        await conn.execute("UPDATE eventstore.events SET data = jsonb_set(data, '{bio}', '\"edited\"')"
                           " WHERE stream_id = %s AND version = 1", (candidate_stream,))
    edited_rows = await stored(store)
    with pytest.raises(ChainBroken, match=f"stream {candidate_stream} does not verify as stored"):
        await seal_existing(store, KEY, by="test", now=lambda: AT)
    assert await tips(store) == before_tips and await stored(store) == edited_rows
    assert {k: v for k, v in edited_rows.items() if v[0] != candidate_stream} == {
        k: v for k, v in before_rows.items() if v[0] != candidate_stream}


@pytest.mark.slow
async def test_the_cli_seals_writes_the_record_and_verifies_it(fresh_store: EventStore, tmp_path: Path) -> None:
    store, run = fresh_store, uuid4().hex[:6]
    h = await history(store, run)
    env = {**os.environ, "DATABASE_URL": store.pool.conninfo, "AUDIT_SIGNING_KEY": encode_key(KEY),
           "SPLITS_DATA_DIR": str(tmp_path), "LOG_LEVEL": "error", "ENVIRONMENT": "test"}
    env.pop("RABBITMQ_URL", None)

    def splits(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([SPLITS, "keys", *args], env=env, capture_output=True, text=True, timeout=120)

    dry = await asyncio.to_thread(splits, "seal-existing", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: " in dry.stdout and "nothing was changed" in dry.stdout
    assert f"candidate-{h['candidate_id']}: 1 event(s)" in dry.stdout and "must be stopped" in dry.stderr
    out = tmp_path / "sealing.json"
    done = await asyncio.to_thread(splits, "seal-existing", "--out", str(out))
    assert done.returncode == 0, done.stderr
    record = orjson.loads(out.read_bytes())
    assert f"signed record in {out}" in done.stdout and len(record["streams"]) == 6
    checked = await asyncio.to_thread(splits, "verify-sealing", str(out), "--public-key", public_key_hex(KEY.public_key()))
    assert checked.returncode == 0 and checked.stdout.startswith("INTACT"), checked.stdout + checked.stderr
    from_store = await asyncio.to_thread(splits, "verify-sealing")  # the record kept on its event
    assert from_store.returncode == 0 and from_store.stdout.startswith("INTACT"), from_store.stdout
    nothing = await asyncio.to_thread(splits, "seal-existing")
    assert nothing.returncode == 0 and "nothing to seal" in nothing.stdout

    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(orjson.dumps({**record, "streams": record["streams"][1:]}))
    refused = await asyncio.to_thread(splits, "verify-sealing", str(tampered))
    assert refused.returncode == 1 and refused.stdout.startswith("NOT INTACT")
    assert "the record's signature does not verify" in refused.stdout
    # A stream changed after the migration fails the verification, naming it.
    stream = record["streams"][0]["stream_id"]
    async with store.pool.connection() as conn:
        await conn.execute("UPDATE eventstore.events SET metadata = metadata || '{\"actor\": \"mallory\"}'"
                           " WHERE stream_id = %s AND version = 1", (stream,))
    broken = await asyncio.to_thread(splits, "verify-sealing", str(out))
    assert broken.returncode == 1 and f"stream {stream} version 1: hash does not match" in broken.stdout
