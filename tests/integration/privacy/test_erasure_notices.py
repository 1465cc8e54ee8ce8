"""Erasing a candidate reaches the notices other people got about them whatever stream told of it: a résumé read
(`resume_processed`, from the document's stream: it names the candidate and the file) and a note on their
application (`note_added`, from the note's stream: it names the candidate), not only the moves of the
application itself."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

from commands.ats import note as notes
from commands.notifications import notification as notifications
from consumers.privacy.process import resolve
from eventstore import EventStore, handle
from adapters.storage import LocalStorage
from tests.api import SEEDER
from tests.helpers import NOW
from tests.integration.privacy.test_erasure_process import candidate_story
from tests.integration.runtime.test_scheduler import project


async def _told_rex(store: EventStore, stream_id: str, template: str) -> UUID:
    """The email Rex (a recruiter) got because of the first event of `stream_id`, naming the candidate."""
    source = (await store.read_stream(stream_id))[0]
    notification_id = uuid4()
    await handle(store, notifications.notification, notification_id, notifications.RecordEmailSent(
        notification_id=notification_id, user_id=uuid4(), recipient_email="rex@example.com", category="candidates",
        template=template, subject="About Ada Lovelace", text="Ada Lovelace's file ada-lovelace-cv.txt", html="<p/>",
        provider="mailbox", provider_message_id=f"mbx-{notification_id}", idempotency_key=str(notification_id),
        source_event_id=source.event_id, at=NOW), SEEDER)
    return notification_id


async def test_the_notices_told_of_a_candidates_documents_and_notes_are_erased_with_them(
        fresh_store: EventStore, tmp_path: Path) -> None:
    store = fresh_store
    ids = await candidate_story(store, LocalStorage(tmp_path))
    note_id = uuid4()
    await handle(store, notes.application_note, note_id, notes.AddApplicationNote(
        note_id=note_id, application_id=ids["application"], created_by_user_id=uuid4(),
        created_by_type="candidate_recruiter", visibility="shared", message="Ada is great", by="rex", at=NOW), SEEDER)
    resume_read = await _told_rex(store, f"document-{ids['document']}", "resume_processed")
    note_added = await _told_rex(store, f"application_note-{note_id}", "note_added")
    await project(store)
    erasable = await resolve(store.pool, "candidate", ids["candidate"])
    assert {resume_read, note_added} <= set(erasable.notification_ids)
