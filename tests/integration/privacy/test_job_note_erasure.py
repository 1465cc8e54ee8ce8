"""Erasing the author of job notes: their words read as erased in the live read model and in a replay alike,
and the job's activity, which never held them, is left as it was."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from commands.ats import job as jobs
from commands.ats import job_note as job_notes
from consumers.runtime.replay import replay
from eventstore import EventStore, handle
from adapters.storage import LocalStorage
from projections.ats import ats
from tests.api import SEEDER, seed_user
from tests.helpers import NOW, dump_schema
from tests.integration.privacy.test_erasure_process import request, runner
from tests.integration.runtime.test_scheduler import project


async def test_erasing_a_notes_author_erases_their_words_and_the_replay_agrees(fresh_store: EventStore,
                                                                                 tmp_path: Path) -> None:
    store = fresh_store
    author = await seed_user(store, "user_note_author_erasure")
    other = await seed_user(store, "user_note_keeper_erasure")
    job_id = uuid4()
    await handle(store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=uuid4(), title="Engine designer", fee_bps=2000, by="t", at=NOW), SEEDER)
    theirs, kept = uuid4(), uuid4()
    for note_id, user_id, message in ((theirs, author, "Call Ada on +44 20 7946 0000"), (kept, other, "Budget ok")):
        await handle(store, job_notes.job_note, note_id, job_notes.AddJobNote(
            note_id=note_id, job_id=job_id, created_by_user_id=user_id, created_by_type="hiring_manager",
            visibility="company_only", message=message, by=str(user_id), at=NOW), SEEDER)
    await handle(store, job_notes.job_note, theirs, job_notes.EditJobNote(
        note_id=theirs, edited_by_user_id=author, message="Call Ada after six", by=str(author), at=NOW), SEEDER)
    await project(store)
    async with store.pool.connection() as conn:
        activity_before = await (await conn.execute("SELECT * FROM ats.job_activity ORDER BY seq")).fetchall()

    erasure_id = await request(store, "user", author)
    requested = (await store.read_stream(f"erasure-{erasure_id}"))[0]
    await runner(store, LocalStorage(tmp_path)).react(requested)
    await project(store)

    async with store.pool.connection() as conn:
        messages = dict(await (await conn.execute("SELECT id, message FROM ats.job_notes")).fetchall())
        activity_after = await (await conn.execute("SELECT * FROM ats.job_activity ORDER BY seq")).fetchall()
    assert messages == {theirs: "[erased]", kept: "Budget ok"}
    assert activity_after == activity_before and len(activity_after) == 4  # created, two notes, an edit
    live = await dump_schema(store, "ats")
    await replay(store.pool, ats, store.registry)
    assert await dump_schema(store, "ats") == live
