"""Access exports through HTTP and the CLI: a person's export holds everything the API shows about them and
nothing of anyone else; only platform admins export someone else; every export is recorded; exports are
limited per caller.

The world: Cami and Bob, two candidates with accounts and records, both represented by the recruiter Rex
(consented); each applied to company A's job with a cover letter, has notes on the application, a
withdrawal reason, an in-app notification, an email, and a résumé uploaded through the API. Everything is
seeded with commands or HTTP and projected by the running projections (no reactors, so nothing changes
while the test compares).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import secrets
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from commands.ats import note as notes
from commands.identity.user import user_id_for
from commands.notifications import notification as notifications
from eventstore import EventStore, handle, load_checkpoint
from adapters.settings import Settings
from projections.registry import all_projections
from tests.api import SEEDER, dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.helpers import feed_settled, settled_head, wait_until
from tests.integration.ats.test_applications_api import represent, seed_candidate, seed_job, seed_recruiter
from tests.integration.documents.test_documents_api import pdf

PEOPLE = ("cami", "bob")


@dataclass
class World:
    client: httpx.AsyncClient
    store: EventStore
    ids: dict[str, str]  # name → Clerk user id
    candidate: dict[str, UUID]
    application: dict[str, UUID]
    document: dict[str, UUID]
    secrets: dict[str, list[str]]  # name → texts only that person's data holds

    def headers(self, name: str) -> dict[str, str]:
        return dev_auth(self.ids[name])

    async def get(self, name: str, path: str, **params: Any) -> Any:
        answer = await self.client.get(path, headers=self.headers(name), params=params)
        assert answer.status_code == 200, f"{name} GET {path}: {answer.text}"
        return answer.json()


async def _projected(store: EventStore) -> None:
    await feed_settled(store)
    head = await settled_head(store)

    async def caught_up() -> bool:
        async with store.pool.connection() as conn:
            for name in all_projections():
                checkpoint = await load_checkpoint(conn, f"projection:{name}")
                if checkpoint is None or checkpoint.position < head:
                    return False
        return True

    await wait_until(caught_up, timeout=30)


@pytest.fixture(name="world")
async def world_fixture(fresh_store: EventStore, tmp_path: Path) -> AsyncIterator[World]:
    run, store, now = secrets.token_hex(4), fresh_store, datetime.now(UTC)
    ids = {name: f"user_{name}_{run}" for name in ("admin", "a_admin", "rex", *PEOPLE)}
    await seed_user(store, ids["admin"], roles=[("platform_admin", None)])
    await seed_user(store, ids["a_admin"])
    company_a = uuid4()
    await seed_organization(store, company_a, [(ids["a_admin"], "company_admin", False)])
    rex = await seed_recruiter(store, ids["rex"])
    job = await seed_job(store, company_a, "Platform Engineer")
    candidate = {name: await seed_candidate(store, ids[name]) for name in PEOPLE}
    for name in PEOPLE:
        await represent(store, rex, candidate[name])
    settings = Settings(database_url=store.pool.conninfo, splits_dev_auth=True, redis_url="redis://127.0.0.1:6379/15",
                        consistency_wait_s=10, documents_dir=str(tmp_path / "documents"), privacy_export_per_hour=3)
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    async with (serving(store, settings, client_ip=address) as (client, system),
                running_consumers(system, only=set(all_projections()))):
        await _projected(store)
        world = World(client, store, ids, candidate, {}, {}, {})
        for name in PEOPLE:
            words = [f"{name}-cover-{run}", f"{name}-note-{run}", f"{name}-reason-{run}", f"{name}-inbox-{run}",
                     f"{name}-email-{run}", f"{name}-resume-{run}"]
            world.secrets[name] = [*words, f"Candidate {ids[name]}", f"{ids[name]}@example.com"]
            applied = await client.post("/v1/applications", headers=world.headers(name), json={
                "job_id": str(job), "cover_letter": f"Dear A, {words[0]}"})
            assert applied.status_code == 201, applied.text
            application_id = UUID(applied.json()["id"])
            world.application[name] = application_id
            note_id = uuid4()
            await handle(store, notes.application_note, note_id, notes.AddApplicationNote(
                note_id=note_id, application_id=application_id, created_by_user_id=user_id_for(ids["rex"]),
                created_by_type="candidate_recruiter", visibility="shared", message=f"Looks good: {words[1]}",
                by=ids["rex"], at=now), SEEDER)
            withdrawn = await client.post(f"/v1/applications/{application_id}/withdraw", headers=world.headers(name),
                                          json={"reason": f"Found another role ({words[2]})"})
            assert withdrawn.status_code == 200, withdrawn.text
            user_id, source = user_id_for(ids[name]), uuid4()
            await handle(store, notifications.notification, uuid4(), notifications.RecordInApp(
                notification_id=uuid4(), user_id=user_id, category="applications", template="stage_changed",
                title="Your application moved", body=f"Hello {words[3]}", source_event_id=source, at=now), SEEDER)
            email_id = uuid4()
            await handle(store, notifications.notification, email_id, notifications.RecordEmailSent(
                notification_id=email_id, user_id=user_id, recipient_email=f"{ids[name]}@example.com",
                category="applications", template="stage_changed", subject="Your application moved",
                text=f"Hello {words[4]}", html=f"<p>Hello {words[4]}</p>", provider="mailbox",
                provider_message_id=f"m-{email_id}", idempotency_key=str(email_id), source_event_id=source, at=now),
                SEEDER)
            uploaded = await client.post("/v1/documents", headers=world.headers(name), files={
                "file": (f"{name} resume.pdf", pdf(words[5]), "application/pdf")}, data={
                "entity_type": "candidate", "entity_id": str(candidate[name]), "document_type": "resume"})
            assert uploaded.status_code == 201, uploaded.text
            world.document[name] = UUID(uploaded.json()["id"])
        await _projected(store)
        yield world


def _zip(answer: httpx.Response) -> tuple[dict[str, Any], dict[str, bytes]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as bundle:
        files = {name: bundle.read(name) for name in bundle.namelist()}
    import orjson

    return orjson.loads(files["data.json"]), files


def _leaves(value: Any) -> list[Any]:
    """Every scalar in a JSON value (booleans and nulls left out: they say nothing about anyone)."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [] if value is None or isinstance(value, bool) else [value]


def _forms(value: Any) -> set[str]:
    """A scalar as text, and a time also as its instant (the API and the export print times differently)."""
    text = str(value)
    forms = {text}
    try:
        forms.add(datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).isoformat())
    except ValueError:
        pass
    return forms


NOT_ABOUT_THE_PERSON = {"job_title", "consistency_token", "total", "page", "limit", "total_pages"}


def _shown(answer: Any) -> set[str]:
    """What an API answer shows, as text, less what is about the job or the page rather than the person."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in NOT_ABOUT_THE_PERSON}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return {form for leaf in _leaves(strip(answer)) for form in _forms(leaf)}


async def test_an_export_holds_everything_the_api_shows_about_the_person_and_nothing_of_another(world: World) -> None:
    answer = await world.client.get("/v1/users/me/export", headers=world.headers("cami"))
    data, files = _zip(answer)
    held = {form for leaf in _leaves(data) for form in _forms(leaf)}
    application, candidate = world.application["cami"], world.candidate["cami"]
    shown = {
        "me": await world.get("cami", "/v1/users/me"),
        "candidate": await world.get("cami", "/v1/candidates/me"),
        "application": await world.get("cami", f"/v1/applications/{application}"),
        "notes": await world.get("cami", f"/v1/applications/{application}/notes"),
        "notifications": await world.get("cami", "/v1/notifications"),
        "documents": await world.get("cami", "/v1/documents", entity_type="candidate", entity_id=str(candidate)),
        "preferences": await world.get("cami", "/v1/notification-preferences"),
    }
    for route, body in shown.items():
        missing = _shown(body) - held
        assert not missing, f"{route}: the export lacks {sorted(missing)}"
    # The words only Cami's data holds are there, opened, in the events too (not only in the read models).
    events_text = str([e["data"] for e in data["events"]])
    for word in world.secrets["cami"][:3]:
        assert word in events_text, word
    sealed = {e["type"]: e for e in data["events"]}
    assert sealed["ApplicationCreated"]["personal_fields"] == ["cover_letter"]
    assert sealed["ApplicationCreated"]["subjects"] == [f"application:{application}"]
    # A notification's words are sealed for the recipient and for the notification (see eventstore.personal).
    told, recipient = sealed["NotificationCreated"]["subjects"]
    assert told.startswith("notification:") and recipient == f"user:{user_id_for(world.ids['cami'])}"
    assert data["person"]["kind"] == "user" and str(candidate) in data["person"]["candidate_ids"]
    # The résumé, byte for byte as the API serves it.
    document = world.document["cami"]
    content = await world.client.get(f"/v1/documents/{document}/content", headers=world.headers("cami"))
    assert content.status_code == 200
    [entry] = [d for d in data["documents"] if d["id"] == str(document)]
    assert files[entry["path"]] == content.content
    # Nothing of Bob's, anywhere in the zip.
    everything = b"".join(files.values())
    for word in world.secrets["bob"]:
        assert word.encode() not in everything, word
    for ident in (world.candidate["bob"], world.application["bob"], world.document["bob"], user_id_for(world.ids["bob"])):
        assert str(ident).encode() not in everything, ident


async def test_a_recruiter_s_export_holds_their_profile_and_none_of_the_candidates_they_represent(world: World) -> None:
    changed = await world.client.patch("/v1/recruiters/me", headers=world.headers("rex"), json={
        "bio": "Rex places platform engineers", "phone": "+44 20 7946 0000", "location": "Leeds"})
    assert changed.status_code == 200, changed.text
    await _projected(world.store)
    data, files = _zip(await world.client.get("/v1/users/me/export", headers=world.headers("rex")))
    held = {form for leaf in _leaves(data) for form in _forms(leaf)}
    for route in ("/v1/users/me", "/v1/recruiters/me"):
        missing = _shown(await world.get("rex", route)) - held
        assert not missing, f"{route}: the export lacks {sorted(missing)}"
    assert "+44 20 7946 0000" in str([e["data"] for e in data["events"]])
    everything = b"".join(files.values())
    for name in PEOPLE:  # Rex wrote notes on their applications: those are the candidates' data, not Rex's
        for word in world.secrets[name]:
            assert word.encode() not in everything, word


async def test_each_export_is_recorded_with_the_digest_of_what_was_handed_out(world: World) -> None:
    answer = await world.client.get("/v1/users/me/export", headers=world.headers("bob"))
    _zip(answer)
    export_id, digest = answer.headers["x-export-id"], answer.headers["x-export-sha256"]
    assert hashlib.sha256(answer.content).hexdigest() == digest
    [event] = await world.store.read_stream(f"dataexport-{export_id}")
    assert event.type == "PersonalDataExported"
    assert event.data["person_kind"] == "user" and event.data["person_id"] == str(user_id_for(world.ids["bob"]))
    assert event.data["sha256"] == digest and event.data["event_count"] > 0
    assert event.data["requested_by"] == str(user_id_for(world.ids["bob"]))


async def test_only_platform_admins_export_someone_else(world: World) -> None:
    candidate = world.candidate["cami"]
    path = f"/v1/admin/subjects/{candidate}/export"
    for name in ("cami", "rex", "a_admin"):
        refused = await world.client.get(path, params={"kind": "candidate"}, headers=world.headers(name))
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    anonymous = await world.client.get(path, params={"kind": "candidate"})
    assert anonymous.status_code == 401
    unknown = await world.client.get(f"/v1/admin/subjects/{uuid4()}/export", params={"kind": "recruiter"},
                                     headers=world.headers("admin"))
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    async with world.store.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM eventstore.events WHERE type = 'PersonalDataExported'")
        assert (await cur.fetchone())[0] == 0  # refusals record nothing

    data, _ = _zip(await world.client.get(path, params={"kind": "candidate"}, headers=world.headers("admin")))
    assert data["person"]["kind"] == "candidate" and data["person"]["id"] == str(candidate)
    assert f"application:{world.application['cami']}" in data["person"]["subjects"]
    assert world.secrets["cami"][0] in str(data["records"]["ats.applications"])
    recruiter, _ = _zip(await world.client.get(f"/v1/admin/subjects/{_recruiter_id(world)}/export",
                                               params={"kind": "recruiter"}, headers=world.headers("admin")))
    assert recruiter["records"]["network.recruiters"][0]["id"] == str(_recruiter_id(world))
    assert recruiter["records"]["ats.candidates"] == []  # the people Rex represents are not Rex's data


def _recruiter_id(world: World) -> UUID:
    from commands.network.recruiter import recruiter_id_for

    return recruiter_id_for(user_id_for(world.ids["rex"]))


async def test_an_export_past_its_bounds_is_refused_and_records_nothing(world: World, tmp_path: Path) -> None:
    from eventstore import Metadata
    from api.privacy.archive import ExportLimits, ExportTooLarge, export_person
    from adapters.storage import LocalStorage

    user_id, meta = user_id_for(world.ids["cami"]), Metadata(actor="test", source="test")
    for limits, bound in ((ExportLimits(max_events=3), "max_events"), (ExportLimits(max_bytes=2048), "max_bytes")):
        with pytest.raises(ExportTooLarge) as refused:
            await export_person(world.store, LocalStorage(tmp_path / "documents"), "user", user_id, "test",
                                datetime.now(UTC), meta, limits)
        assert bound in refused.value.details
    async with world.store.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM eventstore.events WHERE type = 'PersonalDataExported'")
        assert (await cur.fetchone())[0] == 0
    assert await export_person(world.store, LocalStorage(tmp_path), "candidate", uuid4(), "test", datetime.now(UTC),
                               meta) is None


async def test_exports_are_limited_per_caller_each_hour(world: World) -> None:
    for _ in range(3):
        assert (await world.client.get("/v1/users/me/export", headers=world.headers("cami"))).status_code == 200
    refused = await world.client.get("/v1/users/me/export", headers=world.headers("cami"))
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert "exports an hour" in refused.json()["detail"] and int(refused.headers["retry-after"]) > 0
    # Another caller has their own count.
    assert (await world.client.get("/v1/users/me/export", headers=world.headers("bob"))).status_code == 200


async def test_the_cli_writes_the_export_of_a_candidate_and_records_it(world: World, tmp_path: Path) -> None:
    out = tmp_path / "cami.zip"
    env = os.environ | {"DATABASE_URL": world.store.pool.conninfo, "LOG_LEVEL": "warning",
                        "DOCUMENTS_DIR": str(tmp_path / "documents"), "ENVIRONMENT": "test"}
    done = subprocess.run([str(Path(sys.executable).parent / "splits"), "privacy", "export", "--candidate",
                           str(world.candidate["cami"]), "--out", str(out)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "events" in done.stdout and str(out) in done.stdout
    with zipfile.ZipFile(out) as bundle:
        text = bundle.read("data.json").decode()
    assert world.secrets["cami"][0] in text and world.secrets["bob"][0] not in text
    async with world.store.pool.connection() as conn:
        cur = await conn.execute("SELECT data FROM eventstore.events WHERE type = 'PersonalDataExported'")
        [(recorded,)] = await cur.fetchall()
    assert recorded["person_kind"] == "candidate" and recorded["requested_by"].startswith("cli:")
    assert recorded["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    neither = subprocess.run([str(Path(sys.executable).parent / "splits"), "privacy", "export", "--out", str(out)],
                             env=env, capture_output=True, text=True, timeout=60)
    assert neither.returncode == 2 and "name one person" in neither.stderr
