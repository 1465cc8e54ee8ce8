"""Personal fields in the event store: sealed on append, opened on decode, shredded by erasing a key.

At the store's level, on PostgreSQL: what is stored is ciphertext (the table never holds the plain value),
the hash chain covers it (so it verifies before and after an erasure), a sealed value is bound to its event
and field, keys must be loaded before decoding, and the key-encryption keys can be rotated and are checked
for shape and presence with errors that name the setting.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.ats.candidate_events import CandidateCreated, CandidateProfileUpdated
from commands.core import Event
from eventstore import (
    NO_STREAM,
    EventStore,
    KeyNotLoaded,
    Keyring,
    SubjectErased,
    parse_keks,
    verify_chain,
)
from eventstore.personal import ERASED, MARKER, DataKeyProblem, generate_kek, kek_fingerprint
from infra.bootstrap import data_keys_of, event_registry
from adapters.settings import Settings

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
PERSONAL = {
    "full_name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958", "location": "London",
    "linkedin_url": "https://www.linkedin.com/in/ada", "github_url": "https://github.com/ada",
    "portfolio_url": "https://ada.example.com", "current_title": "Analyst", "current_company": "Babbage & Co",
    "bio": "Wrote the first program.", "desired_salary_min_cents": 12_345_600, "desired_salary_max_cents": 15_432_100,
    "availability": "two weeks' notice",
}
RECRUITER_USER = uuid4()


def candidate_created(candidate_id: UUID, **personal: Any) -> CandidateCreated:
    return CandidateCreated(
        candidate_id=candidate_id, user_id=None, created_by_user_id=RECRUITER_USER, **{**PERSONAL, **personal},
        desired_job_type="full_time", open_to_remote=True, open_to_relocation=False,
        marketplace_visibility="public", show_email=False, show_phone=False, show_location=True,
        show_current_company=True, show_salary_expectations=False, by="user:test", at=AT,
    )


def profile_updated(candidate_id: UUID, **changes: Any) -> CandidateProfileUpdated:
    return CandidateProfileUpdated(candidate_id=candidate_id, changes=changes, by="user:test", at=AT)


async def append(store: EventStore, stream_id: str, *events: Event, expected: int | None = NO_STREAM) -> list[UUID]:
    assert store.registry is not None
    encoded = [store.registry.encode(e) for e in events]
    await store.append(stream_id, encoded, expected)
    return [e.event_id for e in encoded]


async def stored_json(store: EventStore, stream_id: str) -> list[str]:
    """The data column exactly as PostgreSQL holds it."""
    async with store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT data::text FROM eventstore.events WHERE stream_id = %s ORDER BY version", (stream_id,)
        )
        return [row[0] for row in await cur.fetchall()]


async def decoded(store: EventStore, stream_id: str) -> list[Event]:
    assert store.registry is not None
    return [store.registry.decode(r) for r in await store.read_stream(stream_id)]  # type: ignore[misc]


async def verifies(store: EventStore, stream_id: str) -> bool:
    tip = await store.stream_tip(stream_id)
    assert tip is not None
    return verify_chain(await store.read_stream(stream_id), expected_tip=tip[1]) == []


# --- sealed on append, plain on decode ----------------------------------------------------------------------

async def test_declared_fields_are_stored_sealed_and_decode_plain(store: EventStore) -> None:
    candidate_id = uuid4()
    sid = f"candidate-{candidate_id}"
    created = candidate_created(candidate_id)
    updated = profile_updated(candidate_id, phone="+1 555 0100", bio="Now at the Analytical Engine")
    await append(store, sid, created, updated)

    raw = await stored_json(store, sid)
    for value in [*PERSONAL.values(), "+1 555 0100", "Analytical Engine"]:
        assert all(str(value) not in text for text in raw), f"{value!r} is stored in plain text"
    first, second = (orjson.loads(text) for text in raw)
    for field in CandidateCreated.personal.fields:  # type: ignore[union-attr]
        assert set(first[field]) == {MARKER, "c"} and first[field][MARKER] == f"candidate:{candidate_id}"
    assert second["changes"][MARKER] == f"candidate:{candidate_id}"
    # What is not personal stays readable to SQL, the feed and audits.
    assert first["candidate_id"] == str(candidate_id) and first["marketplace_visibility"] == "public"

    assert await decoded(store, sid) == [created, updated]


async def test_optional_personal_fields_left_empty_stay_empty(store: EventStore) -> None:
    candidate_id = uuid4()
    sid = f"candidate-{candidate_id}"
    created = candidate_created(candidate_id, phone=None, bio=None, desired_salary_min_cents=None)
    await append(store, sid, created)
    (stored,) = (orjson.loads(t) for t in await stored_json(store, sid))
    assert stored["phone"] is None and stored["bio"] is None and stored["desired_salary_min_cents"] is None
    assert await decoded(store, sid) == [created]


# Any Unicode, emoji included, but NUL: the store refuses it everywhere, sealed or not (tests/security).
JSON_TEXT = st.text(st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=300)
CHANGE_VALUE = st.one_of(JSON_TEXT, st.integers(-(2**63), 2**63 - 1), st.booleans(), st.none())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=JSON_TEXT, email=JSON_TEXT, bio=st.one_of(st.none(), JSON_TEXT),
    salary=st.one_of(st.none(), st.integers(0, 2**63 - 1)),
    changes=st.dictionaries(st.sampled_from(["full_name", "bio", "phone", "desired_salary_max_cents"]), CHANGE_VALUE),
)
async def test_any_personal_text_goes_through_sealing_and_storage_unchanged(
    store: EventStore, name: str, email: str, bio: str | None, salary: int | None, changes: dict[str, Any]
) -> None:
    """Whatever a person types, it comes back as typed, and none of it reaches the table in plain text."""
    candidate_id = uuid4()
    sid = f"candidate-{candidate_id}"
    created = candidate_created(candidate_id, full_name=name, email=email, bio=bio, desired_salary_max_cents=salary)
    updated = profile_updated(candidate_id, **changes)
    await append(store, sid, created, updated)

    assert await decoded(store, sid) == [created, updated]
    raw = " ".join(await stored_json(store, sid))
    for text in (name, email, bio, *[v for v in changes.values() if isinstance(v, str)]):
        if text and len(text) >= 8:  # shorter strings may occur in base64 or ids by chance
            assert orjson.dumps(text).decode()[1:-1] not in raw


# --- erasure: the chain holds, the fields read as erased, nothing new is recorded ---------------------------------

async def test_erasing_a_subject_keeps_the_chain_and_reads_its_fields_as_erased(store: EventStore) -> None:
    candidate_id, other_id = uuid4(), uuid4()
    sid, other_sid = f"candidate-{candidate_id}", f"candidate-{other_id}"
    await append(store, sid, candidate_created(candidate_id), profile_updated(candidate_id, phone="+1 555 0100"))
    await append(store, other_sid, candidate_created(other_id))
    before = await stored_json(store, sid)
    assert await verifies(store, sid)

    assert await store.keyring.erase([f"candidate:{candidate_id}"]) == [f"candidate:{candidate_id}"]
    assert await store.keyring.erase([f"candidate:{candidate_id}"]) == []  # twice changes nothing

    assert await stored_json(store, sid) == before  # nothing stored was rewritten
    assert await verifies(store, sid)
    created, updated = await decoded(store, sid)
    assert isinstance(created, CandidateCreated) and isinstance(updated, CandidateProfileUpdated)
    assert (created.full_name, created.email) == (ERASED, ERASED)  # required text reads as the marker
    assert (created.phone, created.current_title, created.desired_salary_min_cents) == (None, None, None)
    assert created.candidate_id == candidate_id and created.marketplace_visibility == "public"
    assert updated.changes == {}
    # Another person's data is untouched.
    assert await decoded(store, other_sid) == [candidate_created(other_id)]

    with pytest.raises(SubjectErased) as refused:
        await append(store, sid, profile_updated(candidate_id, bio="back again"), expected=2)
    assert refused.value.subjects == (f"candidate:{candidate_id}",)
    assert len(await stored_json(store, sid)) == 2
    # Another process, whose cache still holds nothing about the erasure, is refused just the same.
    other_process = EventStore(store.pool, event_registry())
    with pytest.raises(SubjectErased):
        await append(other_process, sid, profile_updated(candidate_id, bio="back again"), expected=2)
    assert await decoded(other_process, sid) == [created, updated]


async def test_erasing_a_subject_before_it_has_data_keeps_it_from_ever_getting_any(store: EventStore) -> None:
    candidate_id = uuid4()
    await store.keyring.erase([f"candidate:{candidate_id}"])
    with pytest.raises(SubjectErased):
        await append(store, f"candidate-{candidate_id}", candidate_created(candidate_id))
    assert await store.stream_tip(f"candidate-{candidate_id}") is None


# --- a sealed value is bound to its event and its field -----------------------------------------------------------

async def _sealed(store: EventStore, sid: str, field: str) -> dict[str, str]:
    (record,) = await store.read_stream(sid)
    return record.data[field]


async def test_a_sealed_value_copied_into_another_event_does_not_open(store: EventStore) -> None:
    victim, thief = uuid4(), uuid4()
    await append(store, f"candidate-{victim}", candidate_created(victim))
    stolen = await _sealed(store, f"candidate-{victim}", "email")
    assert store.registry is not None
    forged = store.registry.encode(candidate_created(thief))
    # Appended as it is: the store leaves a value that is already sealed alone.
    await store.append(f"candidate-{thief}", [type(forged)(forged.type, {**forged.data, "email": stolen},
                                                          forged.event_id, forged.schema_version)], NO_STREAM)
    with pytest.raises(DataKeyProblem, match=r"email of event .* does not open"):
        await decoded(store, f"candidate-{thief}")


async def test_a_sealed_value_moved_to_another_field_does_not_open(store: EventStore) -> None:
    candidate_id = uuid4()
    sid = f"candidate-{candidate_id}"
    await append(store, sid, candidate_created(candidate_id))
    async with store.pool.connection() as conn:
        await conn.execute(
            "UPDATE eventstore.events SET data = jsonb_set(data, '{phone}', data->'email') WHERE stream_id = %s", (sid,)
        )
    with pytest.raises(DataKeyProblem, match=r"phone of event .* does not open"):
        await decoded(store, sid)
    assert not await verifies(store, sid)  # and the chain tells the row was changed


# --- keys must be loaded before decoding ----------------------------------------------------------------------------

async def test_decoding_without_loading_the_keys_is_refused(store: EventStore) -> None:
    candidate_id = uuid4()
    sid = f"candidate-{candidate_id}"
    await append(store, sid, candidate_created(candidate_id))
    (record,) = await store.read_stream(sid)

    fresh = event_registry()
    fresh.keyring = Keyring(store.pool)  # another process's keyring: its cache has not seen this subject
    with pytest.raises(KeyNotLoaded, match=f"candidate:{candidate_id}"):
        fresh.decode(record)
    with pytest.raises(KeyNotLoaded):
        event_registry().decode(record)  # a registry with no keyring at all

    await fresh.keyring.load([record])
    assert fresh.decode(record) == candidate_created(candidate_id)


# --- key-encryption keys: rotation, a missing one, malformed settings -------------------------------------------------

def kek(kek_id: str) -> tuple[str, bytes]:
    return (kek_id, os.urandom(32))


async def _store_with(store: EventStore, keks: list[tuple[str, bytes]]) -> EventStore:
    """A store as another process would open it on the same database, with these key-encryption keys."""
    return EventStore(store.pool, event_registry(), Keyring(store.pool, keks))


async def _kek_ids(store: EventStore) -> dict[str, str]:
    async with store.pool.connection() as conn:
        cur = await conn.execute("SELECT subject, kek_id FROM eventstore.data_keys WHERE wrapped IS NOT NULL")
        return dict(await cur.fetchall())


async def test_rotation_rewraps_every_key_and_a_process_with_only_the_new_kek_reads_everything(
    fresh_store: EventStore,
) -> None:
    old, new = kek("2025"), kek("2026")
    before = await _store_with(fresh_store, [old])
    people = [uuid4() for _ in range(5)]
    written: dict[str, list[Event]] = {}
    for person in people:
        events = [candidate_created(person), profile_updated(person, location=f"Room {person.hex[:4]}")]
        await append(before, f"candidate-{person}", *events)
        written[f"candidate-{person}"] = events
    await before.keyring.erase([f"candidate:{people[0]}"])  # an erased key stays erased through rotation
    assert set((await _kek_ids(fresh_store)).values()) == {"2025"}

    rotating = await _store_with(fresh_store, [new, old])
    assert await rotating.keyring.rotate(batch=2) == 4
    assert await rotating.keyring.rotate() == 0
    assert set((await _kek_ids(fresh_store)).values()) == {"2026"}

    after = await _store_with(fresh_store, [new])
    for sid, events in written.items():
        got = await decoded(after, sid)
        if sid == f"candidate-{people[0]}":
            assert got[0].full_name == ERASED  # type: ignore[attr-defined]
        else:
            assert got == events
        assert await verifies(after, sid)
    # New data is wrapped by the new key, and the old one no longer reads anything.
    newcomer = uuid4()
    await append(after, f"candidate-{newcomer}", candidate_created(newcomer))
    assert (await _kek_ids(fresh_store))[f"candidate:{newcomer}"] == "2026"
    with pytest.raises(DataKeyProblem, match="'2026', which SPLITS_DATA_KEY does not hold"):
        await (await _store_with(fresh_store, [old])).read_stream(f"candidate-{people[1]}")


async def test_a_stored_key_whose_kek_is_not_configured_is_a_clear_problem(fresh_store: EventStore) -> None:
    first = await _store_with(fresh_store, [kek("primary")])
    person = uuid4()
    await append(first, f"candidate-{person}", candidate_created(person))

    elsewhere = await _store_with(fresh_store, [kek("other")])
    with pytest.raises(DataKeyProblem) as missing:
        await elsewhere.read_stream(f"candidate-{person}")
    assert str(missing.value) == (
        f"the data key of candidate:{person} is wrapped by key-encryption key 'primary', "
        "which SPLITS_DATA_KEY does not hold"
    )
    with pytest.raises(DataKeyProblem):  # nor can it append for that person
        await append(elsewhere, f"candidate-{person}", profile_updated(person, bio="x"), expected=1)

    impostor = await _store_with(fresh_store, [kek("primary")])  # the right name, the wrong key
    with pytest.raises(DataKeyProblem, match="does not unwrap with key-encryption key primary"):
        await impostor.read_stream(f"candidate-{person}")


def _b64(n: int) -> str:
    """`n` fixed bytes in base64 (fixed, so every pytest-xdist worker collects the same test ids)."""
    return base64.b64encode(bytes(range(7, 7 + n))).decode()


@pytest.mark.parametrize(("value", "words"), [
    ("not base64!", "not base64"),
    ("current:" + _b64(16), "16 bytes, expected 32"),
    (_b64(33), "33 bytes, expected 32"),
    ("  , \n ", "is empty"),
    (f"{_b64(32)},{_b64(31)}", "31 bytes"),
    (_b64(32)[:-2], "not base64"),
])
def test_a_malformed_data_key_setting_gives_one_line_naming_it(value: str, words: str) -> None:
    with pytest.raises(DataKeyProblem) as bad:
        data_keys_of(Settings(splits_data_key=value, _env_file=None))  # type: ignore[call-arg]
    message = str(bad.value)
    assert message.startswith("SPLITS_DATA_KEY") and words in message and "\n" not in message
    assert value.strip(" ,\n") == "" or value not in message  # the secret itself is never echoed


def test_an_unreadable_data_key_file_names_the_setting_and_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-key"
    with pytest.raises(DataKeyProblem) as bad:
        data_keys_of(Settings(splits_data_key_file=missing, _env_file=None))  # type: ignore[call-arg]
    assert str(bad.value).startswith("SPLITS_DATA_KEY_FILE: cannot read") and str(missing) in str(bad.value)
    assert "\n" not in str(bad.value)


def test_the_data_key_setting_takes_named_keys_current_first_and_a_file_the_same(tmp_path: Path) -> None:
    first, second = generate_kek(), generate_kek()
    keks = data_keys_of(Settings(splits_data_key=f"2026:{first}, {second}\n", _env_file=None))  # type: ignore[call-arg]
    one, two = base64.b64decode(first), base64.b64decode(second)
    assert keks == [("2026", one), (kek_fingerprint(two), two)]
    path = tmp_path / "kek"
    path.write_text(f"2026:{first}\n{second}\n")
    assert data_keys_of(Settings(splits_data_key_file=path, _env_file=None)) == keks  # type: ignore[call-arg]
    assert parse_keks(first) == [(kek_fingerprint(one), one)]  # unnamed: named by its fingerprint


async def test_production_refuses_to_start_without_a_data_key(fresh_database_url: str) -> None:
    from infra.bootstrap import bootstrap

    production = Settings(database_url=fresh_database_url, environment="production", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(RuntimeError, match="SPLITS_DATA_KEY"):
        async with bootstrap(production):
            pass


# --- sealed for two subjects ----------------------------------------------------------------------------------

def notification(user_id: UUID, notification_id: UUID) -> Event:
    from commands.notifications.events import NotificationCreated

    return NotificationCreated(
        notification_id=notification_id, user_id=user_id, category="offers_hires", template="hired",
        title="Ada Lovelace was hired", body="Ada Lovelace starts on Monday", action_url=None, priority="normal",
        source_event_id=uuid4(), at=AT,
    )


@pytest.mark.parametrize("erase", ["recipient", "about"])
async def test_a_field_sealed_for_two_subjects_is_erased_with_either(store: EventStore, erase: str) -> None:
    recipient, notification_id = uuid4(), uuid4()
    sid = f"notification-{notification_id}"
    sent = notification(recipient, notification_id)
    await append(store, sid, sent)
    (raw,) = await stored_json(store, sid)
    sealed = orjson.loads(raw)["title"]
    assert (sealed[MARKER], sealed["also"]) == (f"user:{recipient}", f"notification:{notification_id}")
    assert "Ada" not in raw and await decoded(store, sid) == [sent]

    await store.keyring.erase([f"user:{recipient}" if erase == "recipient" else f"notification:{notification_id}"])
    (after,) = await decoded(store, sid)
    assert (after.title, after.body) == (ERASED, ERASED)  # type: ignore[attr-defined]
    assert await verifies(store, sid)
    # Either subject erased, nothing new is sealed for the pair.
    with pytest.raises(SubjectErased):
        await append(store, sid, notification(recipient, notification_id), expected=1)
