"""The erasure process (issue 22): a request to erase a person becomes destroyed keys, deleted files, and a
completion that tells every read model what to scrub.

On `SubjectErasureRequested`:
1. resolve the person into what is theirs, through the read models' query functions
   (`projections.privacy.subjects` and each context's own): their records' ids, the subjects their data is
   sealed under, the notifications that told other people about them, where their documents' files are;
2. close their user account (`DeleteUser`), when the person erased is a user or a recruiter;
3. destroy the data keys of every subject (`Keyring.erase`): from here on every event sealed for them reads
   as erased, and nothing new is recorded for them;
4. delete their documents' files from storage;
5. record `CompleteErasure`: `SubjectErased` lists every id and subject, and each projection scrubs its
   tables by those lists (`projections.scrub`).

Every step can run again: resolving reads, an erased key stays erased, a deleted file is deleted again, and
the commands carry idempotency keys derived from the triggering event. A crash between two steps is retried
by the runtime and the retry finishes the erasure, recording its completion once. The read models are only
scrubbed on completion, so a retry resolves the person from the same rows.

Decided where the issue is silent: erasing a candidate record leaves the user linked to it alone (a record a
recruiter made, or one the user keeps, is its own person; erase the user to erase both); the notifications
sent to the person, and to other people because of events on the person's own streams (a recruiter told
that the candidate accepted, a company told of the hire), are listed as `notification:<id>` subjects. A notification's words
are sealed for its recipient and for `notification:<id>` together, so destroying that key makes them read as
erased wherever they are decoded (the recipient's access export, an audit timeline), and the read models
scrub them by the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from commands.core import NotFound
from commands.identity import user as users
from commands.privacy.erasure import CompleteErasure, erasure
from commands.privacy.events import PersonKind, SubjectErasureRequested
from consumers.runtime.reactor import PermanentError, Reaction, Reactor
from eventstore import handle, load, stream_id_for
from adapters.storage import Storage
from projections.ats.person_queries import notes_of, placements_of
from projections.documents.queries import storage_keys_of
from projections.network.person_queries import relationships_of
from projections.notifications.queries import notifications_about
from projections.privacy.queries import engagement_mail_naming, event_ids_of_streams
from projections.privacy.subjects import Person, ats_of, contact_emails_of, documents_of, resolve_person

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Erasable:
    """What erasing one person touches."""

    person: Person
    notification_ids: tuple[UUID, ...]
    storage_keys: tuple[str, ...]

    @property
    def subjects(self) -> list[str]:
        return sorted({*self.person.subjects, *(f"notification:{n}" for n in self.notification_ids)})


async def resolve(pool: AsyncConnectionPool, kind: PersonKind, person_id: UUID) -> Erasable:
    """Everything erasing the person named touches, as the read models know it now.

    The record named is always part of it, even when no read model has it yet (its key is destroyed, so
    nothing recorded for it later is readable, and a late row is scrubbed by its id).
    """
    async with pool.connection() as conn:
        person = await (_candidate_record(conn, person_id) if kind == "candidate" else
                        resolve_person(conn, kind, person_id))
        person = _with_named(person, kind, person_id)
        applications = list(person.application_ids)
        placements = await placements_of(conn, applications)
        application_notes = await notes_of(conn, applications)
        with_candidates, with_companies = await relationships_of(conn, list(person.candidate_ids),
                                                                 list(person.recruiter_ids))
        user_ids = list(person.user_ids) if kind != "candidate" else []
        streams = [
            *(f"user-{i}" for i in user_ids),
            *(f"candidate-{i}" for i in person.candidate_ids),
            *(f"candidate_sourcer-{i}" for i in person.candidate_ids),
            *(f"application-{i}" for i in applications), *(f"aireview-{i}" for i in applications),
            *(f"placement-{i}" for i in placements), *(f"placementbilling-{i}" for i in placements),
            *(f"recruiter-{i}" for i in person.recruiter_ids),
            *(f"recruiter_candidate-{i}" for i in with_candidates),
            *(f"recruiter_company-{i}" for i in with_companies),
            # what told others of them from streams of their own: a résumé read, a note on their application
            *(f"document-{i}" for i in person.document_ids), *(f"application_note-{i}" for i in application_notes),
        ]
        source_events = await event_ids_of_streams(conn, streams)
        source_events += await engagement_mail_naming(conn, applications, placements)  # digests, check-ins
        notifications = await notifications_about(conn, source_events, user_ids)
        keys = await storage_keys_of(conn, list(person.document_ids))
    return Erasable(person, tuple(notifications), tuple(keys))


async def _candidate_record(conn: psycopg.AsyncConnection, candidate_id: UUID) -> Person | None:
    """A candidate record alone: its applications, documents and the emails sent to its address, not its user."""
    emails, applications = await ats_of(conn, [candidate_id])
    if not emails:
        return None
    lowered = sorted({e.lower() for e in emails})
    return Person(
        kind="candidate", id=candidate_id, emails=tuple(lowered), candidate_ids=(candidate_id,),
        application_ids=tuple(applications),
        document_ids=tuple(await documents_of(conn, [candidate_id], applications)),
        contact_notification_ids=tuple(await contact_emails_of(conn, lowered)),
    )


def _with_named(person: Person | None, kind: PersonKind, person_id: UUID) -> Person:
    base = person or Person(kind=kind, id=person_id)
    field = {"user": "user_ids", "candidate": "candidate_ids", "recruiter": "recruiter_ids"}[kind]
    ids = getattr(base, field)
    return base if person_id in ids else replace(base, **{field: (*ids, person_id)})


async def delete_files(storage: Storage, keys: tuple[str, ...]) -> int:
    """Remove each file (a missing one is no error); returns how many keys were cleared."""
    for key in keys:
        await storage.delete(key)
    return len(keys)


async def _on_requested(reaction: Reaction) -> None:
    e: SubjectErasureRequested = reaction.event
    store = reaction.store
    state, _, _ = await load(store, erasure, stream_id_for(erasure, e.erasure_id))
    if state.erased:
        return  # a redelivery after the completion
    if reaction.context is None or reaction.context.storage is None:
        raise PermanentError("the erasure process needs the document storage to delete files")
    found = await resolve(store.pool, e.person_kind, e.person_id)
    person, meta = found.person, reaction.metadata()

    if e.person_kind != "candidate":
        for user_id in person.user_ids:
            close = users.DeleteUser(user_id=user_id, by=meta.actor, at=reaction.clock.now())
            try:
                await handle(store, users.user, user_id, close,
                             replace(meta, idempotency_key=f"{reaction.idempotency_key}:close:{user_id}"))
            except NotFound:
                pass  # no account recorded under this id: nothing to close
    erased = await store.keyring.erase(found.subjects)
    deleted = await delete_files(reaction.context.storage, found.storage_keys)
    completion = CompleteErasure(
        erasure_id=e.erasure_id, subjects=found.subjects, user_ids=list(person.user_ids),
        candidate_ids=list(person.candidate_ids), recruiter_ids=list(person.recruiter_ids),
        application_ids=list(person.application_ids), document_ids=list(person.document_ids),
        invitation_ids=list(person.invitation_ids), documents_deleted=deleted, at=reaction.clock.now(),
    )
    await handle(store, erasure, e.erasure_id, completion,
                 replace(meta, idempotency_key=f"{reaction.idempotency_key}:complete"))
    log.info("person erased", erasure_id=str(e.erasure_id), kind=e.person_kind, subjects=len(found.subjects),
             keys_destroyed_now=len(erased), documents=deleted)


erasures = Reactor("erasures", [SubjectErasureRequested], _on_requested)
