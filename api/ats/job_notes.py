"""Job note routes (commands/ats/job_note.py): notes kept on a job by its company's users and the recruiters
working it, each read by the side it is shared with, changed only by its author.

A job the caller may not read answers 404, as `GET /v1/jobs/{id}` does; a caller who reads the job but has no
part in it (a candidate, a recruiter browsing the marketplace) is refused with 403; a note the caller may not
read answers 404 as if it did not exist; the note decider refuses the rest (403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import APIRouter, Depends

from api.ats.activity_models import AddJobNoteBody, EditJobNoteBody, JobNoteList, JobNoteOut
from api.ats.entitlements import may_see_job, visible_jobs
from api.ats.job_note_policy import check_job_party, job_note_author_type, job_viewer_kind, job_viewer_kind_of_row
from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, Db, ExpectedVersion, Now, Store
from api.responses import CommandResponse, PageNumber, PageSize, Pagination
from api.visibility import JOB_NOTE, viewer_of_note
from commands.ats import job as jobs
from commands.ats import job_note as job_notes
from commands.ats.job_note import JobNoteViewerKind
from commands.core import Forbidden, NotFound
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from projections.ats.activity_queries import list_job_notes
from projections.ats.queries import get_job
from projections.identity.access import Access

router = APIRouter(prefix="/v1/jobs/{job_id}/notes", tags=["notes"])
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]
_REFUSALS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}, 422: {}}


def _user(user: Access) -> UUID:
    if user.user_id is None:
        raise Forbidden("register first: POST /v1/users/register")
    return user.user_id


def _job_not_found(job_id: UUID) -> NotFound:
    return NotFound(f"job {job_id} not found", job_id=str(job_id))


async def _party_job(store: EventStore, user: Access, job_id: UUID,
                     now: datetime) -> tuple[jobs.Job, JobNoteViewerKind]:
    """The job and what the caller is to it: 404 if they may not read it, 403 if they have no part in it."""
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, job_id))
    if not job.exists or not await may_see_job(store, user, job, now):
        raise _job_not_found(job_id)
    kind = job_viewer_kind(user, company_id=job.company_id, source_firm_id=job.source_firm_id,
                           job_owner_recruiter_id=job.job_owner_recruiter_id)
    check_job_party(kind, job_id)
    return job, kind


async def _readable_note(store: EventStore, kind: JobNoteViewerKind, job_id: UUID,
                         note_id: UUID) -> job_notes.JobNote:
    note, _, _ = await load(store, job_notes.job_note, stream_id_for(job_notes.job_note, note_id))
    readable = job_notes.visible_job_note_visibilities(kind)
    if not note.exists or note.job_id != job_id or note.visibility not in readable:
        raise NotFound(f"job note {note_id} not found", note_id=str(note_id))
    return note


def _note_id(meta: Metadata) -> UUID:
    """A fresh id, or one derived from the Idempotency-Key so a retried request lands on the same stream."""
    return uuid5(NAMESPACE_URL, f"job-note:{meta.actor}:{meta.idempotency_key}") if meta.idempotency_key else uuid4()


@router.post("", status_code=201, responses=_REFUSALS)
async def add_job_note(job_id: UUID, body: AddJobNoteBody, store: Store, meta: CommandMetadata, user: CurrentUser,
                       now: Now) -> CommandResponse:
    """The job's company users write `shared` or `company_only` notes, the recruiters working it `shared` ones."""
    job, kind = await _party_job(store, user, job_id, now)
    author = job_note_author_type(user, kind, job.company_id, job_id)
    note_id = _note_id(meta)
    command = job_notes.AddJobNote(note_id=note_id, job_id=job_id, created_by_user_id=_user(user),
                                   created_by_type=author, visibility=body.visibility, message=body.message,
                                   by=meta.actor, at=now)
    return CommandResponse.of(note_id, await handle(store, job_notes.job_note, note_id, command, meta))


@router.get("", response_model=JobNoteList, response_model_exclude_unset=True,
            responses={401: {}, 403: {}, 404: {}, 422: {}})
async def list_all(job_id: UUID, token: FreshAts, user: CurrentUser, store: Store, db: Db, now: Now,
                   page: PageNumber = 1, limit: PageSize = 25) -> JobNoteList:
    """The notes the caller's side reads on this job, oldest first."""
    row = await get_job(db, job_id, await visible_jobs(store, user, now))
    if row is None:
        raise _job_not_found(job_id)
    kind = job_viewer_kind_of_row(user, row)
    check_job_party(kind, job_id)
    rows, total = await list_job_notes(db, job_id, job_notes.visible_job_note_visibilities(kind), page, limit)
    shown = [JobNoteOut.model_validate(JOB_NOTE.project(viewer_of_note(user, r), r)) for r in rows]
    return JobNoteList(data=shown, pagination=Pagination.of(total, page, limit))


@router.patch("/{note_id}", responses=_REFUSALS)
async def edit_job_note(job_id: UUID, note_id: UUID, body: EditJobNoteBody, store: Store, meta: CommandMetadata,
                        user: CurrentUser, if_match: ExpectedVersion, now: Now) -> CommandResponse:
    _, kind = await _party_job(store, user, job_id, now)
    await _readable_note(store, kind, job_id, note_id)
    command = job_notes.EditJobNote(note_id=note_id, edited_by_user_id=_user(user), by=meta.actor, at=now,
                                    **body.model_dump(exclude_unset=True))
    return CommandResponse.of(note_id, await handle(store, job_notes.job_note, note_id, command, meta,
                                                    expected_version=if_match))


@router.delete("/{note_id}", responses={401: {}, 403: {}, 404: {}})
async def delete_job_note(job_id: UUID, note_id: UUID, store: Store, meta: CommandMetadata, user: CurrentUser,
                          if_match: ExpectedVersion, now: Now) -> CommandResponse:
    _, kind = await _party_job(store, user, job_id, now)
    await _readable_note(store, kind, job_id, note_id)
    command = job_notes.DeleteJobNote(note_id=note_id, deleted_by_user_id=_user(user), by=meta.actor, at=now)
    return CommandResponse.of(note_id, await handle(store, job_notes.job_note, note_id, command, meta,
                                                    expected_version=if_match))
