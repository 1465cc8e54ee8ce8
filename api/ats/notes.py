"""Application note routes (domain §2.3, §3.2): a note is written by a party to the application in their
side's visibilities, read by whoever's side it is shared with, and changed only by its author.

The application must be visible to the caller (404 otherwise); a note the caller may not read answers
404 as if it did not exist; the note decider refuses the rest (403).
"""

from __future__ import annotations

from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import APIRouter, Depends

from api.ats.application_models import AddNoteBody, EditNoteBody, NoteList, NoteOut
from api.ats.application_policy import Parties, application_visibility, note_author_type, viewer_kind
from api.ats.applications import visible_application
from api.consistency import read_after
from api.visibility import NOTE, viewer_of_note
from api.deps import CommandMetadata, CurrentUser, Db, ExpectedVersion, Now, Store
from api.responses import CommandResponse, PageNumber, PageSize
from commands.ats import note as notes
from commands.core import Forbidden, NotFound, RuleViolation
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from projections.ats.application_queries import get_application, list_notes
from projections.identity.access import Access

router = APIRouter(prefix="/v1/applications/{application_id}/notes", tags=["notes"])
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]


def _user(user: Access) -> UUID:
    if user.user_id is None:
        raise Forbidden("register first: POST /v1/users/register")
    return user.user_id


def _note_id(meta: Metadata) -> UUID:
    """A fresh id, or one derived from the Idempotency-Key so a retried request lands on the same stream."""
    return uuid5(NAMESPACE_URL, f"note:{meta.actor}:{meta.idempotency_key}") if meta.idempotency_key else uuid4()


async def _readable_note(store: EventStore, user: Access, app: Parties, note_id: UUID) -> notes.Note:
    """The note, if it is on this application and the caller reads its visibility; otherwise it does not exist."""
    note, _, _ = await load(store, notes.application_note, stream_id_for(notes.application_note, note_id))
    readable = notes.visible_note_visibilities(viewer_kind(user, app))
    if not note.exists or note.application_id != app.application_id or note.visibility not in readable:
        raise NotFound(f"note {note_id} not found", note_id=str(note_id))
    return note


@router.post("", status_code=201, responses={401: {}, 403: {}, 404: {}, 422: {}})
async def add_note(application_id: UUID, body: AddNoteBody, store: Store, meta: CommandMetadata,
                   user: CurrentUser, now: Now) -> CommandResponse:
    app = await visible_application(store, user, application_id)
    author = note_author_type(user, app, viewer_kind(user, app))
    if body.in_response_to_id is not None:
        try:
            await _readable_note(store, user, app, body.in_response_to_id)
        except NotFound:
            raise RuleViolation("in_response_to_id must name a note on this application that you can read",
                                in_response_to_id=str(body.in_response_to_id)) from None
    note_id = _note_id(meta)
    command = notes.AddApplicationNote(
        note_id=note_id, application_id=application_id, created_by_user_id=_user(user), created_by_type=author,
        note_type=body.note_type, visibility=body.visibility, message=body.message,
        in_response_to_id=body.in_response_to_id, by=meta.actor, at=now)
    return CommandResponse.of(note_id, await handle(store, notes.application_note, note_id, command, meta))


@router.get("", response_model=NoteList, response_model_exclude_unset=True, responses={401: {}, 404: {}})
async def list_all(application_id: UUID, token: FreshAts, user: CurrentUser, db: Db, page: PageNumber = 1,
                   limit: PageSize = 25) -> NoteList:
    """The notes the caller's side reads on this application, oldest first."""
    row = await get_application(db, application_id, application_visibility(user))
    if row is None:
        raise NotFound(f"application {application_id} not found", application_id=str(application_id))
    app = Parties.from_row(row)
    rows = await list_notes(db, application_id, notes.visible_note_visibilities(viewer_kind(user, app)))
    shown = [NoteOut.model_validate(NOTE.project(viewer_of_note(user, r), r)) for r in rows]
    return NoteList.sliced(shown, page, limit)


@router.patch("/{note_id}", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def edit_note(application_id: UUID, note_id: UUID, body: EditNoteBody, store: Store, meta: CommandMetadata,
                    user: CurrentUser, if_match: ExpectedVersion, now: Now) -> CommandResponse:
    app = await visible_application(store, user, application_id)
    await _readable_note(store, user, app, note_id)
    command = notes.EditApplicationNote(note_id=note_id, edited_by_user_id=_user(user), by=meta.actor, at=now,
                                        **body.model_dump(exclude_unset=True))
    return CommandResponse.of(note_id, await handle(store, notes.application_note, note_id, command, meta,
                                                    expected_version=if_match))


@router.delete("/{note_id}", responses={401: {}, 403: {}, 404: {}})
async def delete_note(application_id: UUID, note_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser,
                      if_match: ExpectedVersion, now: Now) -> CommandResponse:
    app = await visible_application(store, user, application_id)
    await _readable_note(store, user, app, note_id)
    command = notes.DeleteApplicationNote(note_id=note_id, deleted_by_user_id=_user(user), by=meta.actor, at=now)
    return CommandResponse.of(note_id, await handle(store, notes.application_note, note_id, command, meta,
                                                    expected_version=if_match))
