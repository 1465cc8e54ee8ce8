"""The erasure process against the real store, read models and a storage folder: a crash between its steps
finishes on retry, once; the read models are scrubbed, a replay of each equals the live one, and nothing new
is recorded about the person."""

from __future__ import annotations

import hashlib
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.documents import document as documents
from commands.identity import user as users
from commands.privacy.erasure import RequestErasure, erasure
from consumers.privacy.process import erasures
from consumers.runtime.reactor import Reaction, ReactorContext, ReactorRunner
from consumers.runtime.replay import replay
from eventstore import EventStore, SubjectErased, handle, verify_chain
from adapters.settings import Settings
from adapters.storage import LocalStorage, StorageError
from projections.registry import all_projections
from tests.api import SEEDER, seed_user
from tests.helpers import NOW, dump_schema
from tests.integration.runtime.test_scheduler import project

RESUME = b"Ada Lovelace\nada.lovelace@example.com\n+44 20 7946 0000\nAnalytical engines, 12 years."


async def candidate_story(store: EventStore, storage: LocalStorage) -> dict[str, UUID]:
    """A candidate-app user with their candidate record, a consent, an application and a résumé."""
    user_id = await seed_user(store, "user_ada_erasure", source="candidate")
    await handle(store, users.user, user_id, users.RecordConsent(
        user_id=user_id, necessary=True, functional=True, analytics=False, marketing=False, ip_address="203.0.113.7",
        user_agent="Ada's browser", source="banner", by=str(user_id), at=NOW), SEEDER)
    job_id, candidate_id, application_id, document_id = uuid4(), uuid4(), uuid4(), uuid4()
    await handle(store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=uuid4(), title="Engine designer", fee_bps=2000, by="t", at=NOW), SEEDER)
    await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, user_id=user_id, full_name="Ada Lovelace", email="ada.lovelace@example.com",
        phone="+44 20 7946 0000", by="t", at=NOW), SEEDER)
    await handle(store, candidates.candidate, candidate_id, candidates.UpdateCandidateProfile(
        candidate_id=candidate_id, location="London", open_to_remote=True, by="t", at=NOW),
        SEEDER)
    await handle(store, applications.application, application_id, applications.CreateApplication(
        application_id=application_id, job_id=job_id, candidate_id=candidate_id, company_id=uuid4(),
        cover_letter="Dear engine makers, I am Ada Lovelace.", by="t", at=NOW), SEEDER)
    key = documents.storage_key_for("candidate", candidate_id, document_id, hashlib.sha256(RESUME).hexdigest())
    await storage.put(key, RESUME, "text/plain")
    await handle(store, documents.document, document_id, documents.UploadDocument(
        document_id=document_id, entity_type="candidate", entity_id=candidate_id, document_type="resume",
        filename="ada-lovelace-cv.txt", content_type="text/plain", size_bytes=len(RESUME),
        sha256=hashlib.sha256(RESUME).hexdigest(), storage_key=key, uploaded_by=user_id, text_status="extracted",
        text=RESUME.decode(), by="t", at=NOW), SEEDER)
    return {"user": user_id, "candidate": candidate_id, "application": application_id, "document": document_id,
            "job": job_id}


async def request(store: EventStore, kind: str, person_id: UUID) -> UUID:
    erasure_id = uuid4()
    await handle(store, erasure, erasure_id, RequestErasure(
        erasure_id=erasure_id, person_kind=kind, person_id=person_id, self_service=False, reason="test",
        requested_by="admin", at=NOW), SEEDER)
    return erasure_id


def runner(store: EventStore, storage: LocalStorage) -> ReactorRunner:
    context = ReactorContext(settings=Settings(), payments=None, storage=storage)  # type: ignore[arg-type]
    return ReactorRunner(erasures, store.pool, store, store.registry, context)


async def types_on(store: EventStore, stream: str) -> list[str]:
    return [e.type for e in await store.read_stream(stream)]


async def test_a_crash_between_the_steps_finishes_on_retry_once(fresh_store: EventStore, tmp_path: Path) -> None:
    store, storage = fresh_store, LocalStorage(tmp_path)
    ids = await candidate_story(store, storage)
    await project(store)
    erasure_id = await request(store, "user", ids["user"])
    requested = (await store.read_stream(f"erasure-{erasure_id}"))[0]
    key = next(iter(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()))

    # The file cannot be removed (a directory stands where it was): the keys are destroyed, then the step fails.
    (tmp_path / key).unlink()
    (tmp_path / key).mkdir()
    with pytest.raises(StorageError):
        await runner(store, storage).react(requested)
    assert await store.keyring.erased([f"user:{ids['user']}", f"candidate:{ids['candidate']}",
                                       f"document:{ids['document']}", f"application:{ids['application']}"])
    assert await types_on(store, f"erasure-{erasure_id}") == ["SubjectErasureRequested"]
    assert (await types_on(store, f"user-{ids['user']}"))[-1] == "UserDeleted"

    # The retry finds the account closed and the keys gone, removes the file and records the completion once.
    (tmp_path / key).rmdir()
    (tmp_path / key).write_bytes(RESUME)
    again = runner(store, storage)
    await again.react(requested)
    await again.react(requested)  # redelivered: the inbox has it
    await erasures.handler(Reaction(store.registry.decode(requested), requested, erasures.name, store,
                                    again.context))  # and past the inbox, the stream has it
    assert await types_on(store, f"erasure-{erasure_id}") == ["SubjectErasureRequested", "SubjectErased"]
    assert [e.type for e in await store.read_stream(f"user-{ids['user']}")].count("UserDeleted") == 1
    assert not (tmp_path / key).exists()
    done = store.registry.decode((await store.read_stream(f"erasure-{erasure_id}"))[-1])
    assert (done.user_ids, done.candidate_ids, done.application_ids, done.document_ids) == (
        [ids["user"]], [ids["candidate"]], [ids["application"]], [ids["document"]])
    assert done.documents_deleted == 1 and f"clerk:user_ada_erasure" in done.subjects

    # The read models are scrubbed, and each rebuilt from the events equals the live one.
    await project(store)
    async with store.pool.connection() as conn:
        user = await (await conn.execute("SELECT email, name, deleted_at FROM identity.users WHERE id = %s",
                                         (ids["user"],))).fetchone()
        candidate = await (await conn.execute(
            "SELECT full_name, email, phone, location, open_to_remote FROM ats.candidates WHERE id = %s",
            (ids["candidate"],))).fetchone()
        letter = await (await conn.execute("SELECT cover_letter FROM ats.applications WHERE id = %s",
                                           (ids["application"],))).fetchone()
        document = await (await conn.execute(
            "SELECT filename, extracted_text, deleted_at IS NOT NULL FROM documents.documents WHERE id = %s",
            (ids["document"],))).fetchone()
        consent = await (await conn.execute("SELECT ip_address, user_agent, marketing FROM identity.consents"
                                            " WHERE user_id = %s", (ids["user"],))).fetchone()
    assert user[:2] == ("[erased]", None) and user[2] is not None
    assert candidate == ("[erased]", "[erased]", None, None, False)
    assert letter == (None,) and document == ("[erased]", None, True) and consent == (None, None, False)
    for name, projection in all_projections().items():
        live = await dump_schema(store, name)
        await replay(store.pool, projection, store.registry)
        assert await dump_schema(store, name) == live, name

    # Every stream still verifies, and nothing new is recorded about them.
    async with store.pool.connection() as conn:
        streams = [r[0] for r in await (await conn.execute("SELECT stream_id FROM eventstore.streams")).fetchall()]
    for stream in streams:
        verify_chain(await store.read_stream(stream))
    with pytest.raises(SubjectErased):
        await handle(store, candidates.candidate, ids["candidate"], candidates.UpdateCandidateProfile(
            candidate_id=ids["candidate"], bio="back again", by="t", at=NOW), SEEDER)


async def test_erasing_a_candidate_record_leaves_its_user(fresh_store: EventStore, tmp_path: Path) -> None:
    store, storage = fresh_store, LocalStorage(tmp_path)
    ids = await candidate_story(store, storage)
    await project(store)
    erasure_id = await request(store, "candidate", ids["candidate"])
    await runner(store, storage).react((await store.read_stream(f"erasure-{erasure_id}"))[0])
    done = store.registry.decode((await store.read_stream(f"erasure-{erasure_id}"))[-1])
    assert done.user_ids == [] and not any(s.startswith(("user:", "clerk:")) for s in done.subjects)
    assert done.candidate_ids == [ids["candidate"]] and done.document_ids == [ids["document"]]
    await project(store)
    async with store.pool.connection() as conn:
        user = await (await conn.execute("SELECT email, deleted_at FROM identity.users WHERE id = %s",
                                         (ids["user"],))).fetchone()
        candidate = await (await conn.execute("SELECT full_name FROM ats.candidates WHERE id = %s",
                                              (ids["candidate"],))).fetchone()
    assert user == ("user_ada_erasure@example.com", None) and candidate == ("[erased]",)
    assert "UserDeleted" not in await types_on(store, f"user-{ids['user']}")


async def test_erasing_a_recruiter_takes_their_user_and_profile_and_leaves_their_candidates_records(
    fresh_store: EventStore, tmp_path: Path
) -> None:
    from commands.network import recruiter as recruiters
    from commands.network import recruiter_candidate as rtr
    from commands.network import recruiter_company as rco

    store = fresh_store
    user_id = await seed_user(store, "user_rex_erasure")
    recruiter_id = recruiters.recruiter_id_for(user_id)
    await handle(store, recruiters.recruiter, recruiter_id, recruiters.CreateRecruiter(
        user_id=user_id, slug="rex-recruits", bio="Rex, twenty years in fintech", phone="+1 555 0100",
        industries=["fintech"], by="u", at=NOW), SEEDER)
    await handle(store, recruiters.recruiter, recruiter_id, recruiters.UpdateRecruiterProfile(
        recruiter_id=recruiter_id, by_user_id=user_id, tagline="Rex finds people", marketplace_enabled=True,
        by="u", at=NOW), SEEDER)
    asked = rco.RequestCompanyConnection(recruiter_id=recruiter_id, company_id=uuid4(), terms_acknowledged=True,
                                         message="Rex here, let us work together", by="r", at=NOW)
    await handle(store, rco.recruiter_company, asked.relationship_id, asked, SEEDER)
    candidate_id = uuid4()
    invite = rtr.InviteCandidate(recruiter_id=recruiter_id, candidate_id=candidate_id, invitation_id=uuid4(),
                                 token="a" * 64, by="r", at=NOW)
    await handle(store, rtr.recruiter_candidate, invite.relationship_id, invite, SEEDER)
    await handle(store, rtr.recruiter_candidate, invite.relationship_id, rtr.DeclineConsent(
        relationship_id=invite.relationship_id, token="a" * 64, reason="not now", by="c", at=NOW), SEEDER)
    await project(store)

    erasure_id = await request(store, "recruiter", recruiter_id)
    await runner(store, LocalStorage(tmp_path)).react((await store.read_stream(f"erasure-{erasure_id}"))[0])
    done = store.registry.decode((await store.read_stream(f"erasure-{erasure_id}"))[-1])
    assert (done.user_ids, done.recruiter_ids, done.candidate_ids) == ([user_id], [recruiter_id], [])
    await project(store)
    async with store.pool.connection() as conn:
        recruiter = await (await conn.execute(
            "SELECT slug, bio, tagline, phone, industries, marketplace_enabled FROM network.recruiters WHERE id = %s",
            (recruiter_id,))).fetchone()
        message = await (await conn.execute("SELECT message FROM network.recruiter_companies WHERE id = %s",
                                            (asked.relationship_id,))).fetchone()
        declined = await (await conn.execute("SELECT decline_reason FROM network.recruiter_candidates WHERE id = %s",
                                             (invite.relationship_id,))).fetchone()
        user = await (await conn.execute("SELECT email, deleted_at IS NOT NULL FROM identity.users WHERE id = %s",
                                         (user_id,))).fetchone()
    assert recruiter == (None, None, None, None, [], False) and message == (None,)
    assert declined == ("not now",)  # the candidate's answer is theirs, not the recruiter's
    assert user == ("[erased]", True)
    for name, projection in all_projections().items():
        live = await dump_schema(store, name)
        await replay(store.pool, projection, store.registry)
        assert await dump_schema(store, name) == live, name
