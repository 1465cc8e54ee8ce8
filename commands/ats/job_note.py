"""The job note decider: notes on a job, kept by the people who fill it.

What we decided where the domain is silent (it defines notes on applications only, §2.3, §3.2):

Who. A job's parties are its company's users (admins and hiring managers of the company, organization-wide
or scoped to it) and the recruiters working the job: its owner, the recruiters the company lets view its jobs
(an active relationship with `can_view_jobs`) and, on an off-platform job, the members of its firm. A
platform admin reads and writes every note. Nobody else reads a job's notes, whatever they see of the job
itself: a candidate, another company, a recruiter browsing the marketplace.

Visibility, like an application note's sides. `shared` is read by every party to the job; `company_only` by
the company's users only, so that a company can keep to itself what it thinks of the recruiters working its
job. The company's users write either; a recruiter working the job writes `shared` only (they would not read
back a `company_only` note of their own). Someone who is both a company user and a recruiter working the job
is taken as the company's user.

Changes. Only a note's author edits or deletes it, and an edit stays within what the author's side may write.
A retried add (the same note, the same words) and a retried delete record nothing; an add reusing a note's id
for other words is a conflict.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, StringConstraints

from commands.ats.job_note_events import (
    JobNoteAdded,
    JobNoteAuthorType,
    JobNoteDeleted,
    JobNoteEdited,
    JobNoteVisibility,
)
from commands.core import Command, Conflict, Decider, Forbidden, NotFound, RuleViolation

JobNoteViewerKind = Literal["platform_admin", "company_user", "job_recruiter", "other"]

_ALL: frozenset[JobNoteVisibility] = frozenset({"shared", "company_only"})
_SHARED: frozenset[JobNoteVisibility] = frozenset({"shared"})

WRITABLE: Mapping[JobNoteAuthorType, frozenset[JobNoteVisibility]] = {
    "company_admin": _ALL,
    "hiring_manager": _ALL,
    "job_recruiter": _SHARED,
    "platform_admin": _ALL,
}
READABLE: Mapping[JobNoteViewerKind, frozenset[JobNoteVisibility]] = {
    "platform_admin": _ALL,
    "company_user": _ALL,
    "job_recruiter": _SHARED,
    "other": frozenset(),
}


def visible_job_note_visibilities(viewer_kind: JobNoteViewerKind) -> frozenset[str]:
    """The job note visibilities a viewer of this kind reads."""
    return frozenset(READABLE[viewer_kind])


def job_note_viewer_kind(
    *,
    is_platform_admin: bool,
    viewer_company_ids: Collection[UUID],
    viewer_recruiter_id: UUID | None,
    viewer_firm_ids: Collection[UUID],
    viewer_job_viewing_company_ids: Collection[UUID],
    job_company_id: UUID | None,
    job_source_firm_id: UUID | None,
    job_owner_recruiter_id: UUID | None,
) -> JobNoteViewerKind:
    """What the caller is to one job, for its notes (and its activity): the first match wins, the company
    side before the recruiters. `viewer_company_ids` are the companies whose staff the caller is (with those of
    organization-wide memberships); `viewer_job_viewing_company_ids` those that let the caller, a recruiter,
    view their jobs."""
    if is_platform_admin:
        return "platform_admin"
    if job_company_id is not None and job_company_id in viewer_company_ids:
        return "company_user"
    if viewer_recruiter_id is not None:
        if job_company_id is None:
            if job_source_firm_id is not None and job_source_firm_id in viewer_firm_ids:
                return "job_recruiter"
        elif viewer_recruiter_id == job_owner_recruiter_id or job_company_id in viewer_job_viewing_company_ids:
            return "job_recruiter"
    return "other"


def may_write(author_type: JobNoteAuthorType, visibility: JobNoteVisibility) -> bool:
    return visibility in WRITABLE[author_type]


class JobNoteVisibilityNotAllowed(Forbidden):
    def __init__(self, author_type: JobNoteAuthorType, visibility: JobNoteVisibility) -> None:
        allowed = " or ".join(sorted(WRITABLE[author_type]))
        super().__init__(f"a {author_type} cannot write a {visibility} job note, only {allowed}",
                         author_type=author_type, visibility=visibility)


class NotJobNoteAuthor(Forbidden):
    def __init__(self, note_id: UUID | None, user_id: UUID, action: str) -> None:
        super().__init__(f"only the author of job note {note_id} may {action} it", note_id=str(note_id),
                         user_id=str(user_id))


class JobNoteIsDeleted(RuleViolation):
    def __init__(self, note_id: UUID | None) -> None:
        super().__init__(f"job note {note_id} is deleted", note_id=str(note_id))


Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class _JobNoteCommand(Command):
    note_id: UUID
    by: Actor
    at: AwareDatetime


class AddJobNote(_JobNoteCommand):
    """`created_by_type` is the author's side on this job, resolved by the caller from its access."""

    job_id: UUID
    created_by_user_id: UUID
    created_by_type: JobNoteAuthorType
    visibility: JobNoteVisibility
    message: Message


class EditJobNote(_JobNoteCommand):
    """Change the message and/or the visibility; a field not given is kept."""

    edited_by_user_id: UUID
    message: Message | None = None
    visibility: JobNoteVisibility | None = None


class DeleteJobNote(_JobNoteCommand):
    deleted_by_user_id: UUID


JobNoteCommand = AddJobNote | EditJobNote | DeleteJobNote
JobNoteEvent = JobNoteAdded | JobNoteEdited | JobNoteDeleted


@dataclass(frozen=True)
class JobNote:
    exists: bool = False
    deleted: bool = False
    id: UUID | None = None
    job_id: UUID | None = None
    created_by_user_id: UUID | None = None
    created_by_type: JobNoteAuthorType = "platform_admin"
    visibility: JobNoteVisibility = "shared"
    message: str = ""


def initial_state() -> JobNote:
    return JobNote()


def evolve(s: JobNote, e: JobNoteEvent) -> JobNote:
    match e:
        case JobNoteAdded():
            return JobNote(exists=True, id=e.note_id, job_id=e.job_id, created_by_user_id=e.created_by_user_id,
                           created_by_type=e.created_by_type, visibility=e.visibility, message=e.message)
        case JobNoteEdited(message=message, visibility=visibility):
            return replace(s, message=message, visibility=visibility)
        case JobNoteDeleted():
            return replace(s, deleted=True)
        case _:
            return s


def _same_add(cmd: AddJobNote, s: JobNote) -> bool:
    return (cmd.job_id, cmd.created_by_user_id, cmd.created_by_type, cmd.visibility, cmd.message) == (
        s.job_id, s.created_by_user_id, s.created_by_type, s.visibility, s.message)


def decide(cmd: JobNoteCommand, s: JobNote) -> list[JobNoteEvent]:
    match cmd:
        case AddJobNote() if s.exists and _same_add(cmd, s):
            return []  # a retried add records nothing
        case AddJobNote() if s.exists:
            raise Conflict(f"job note {cmd.note_id} already exists", note_id=str(cmd.note_id))
        case AddJobNote(created_by_type=author, visibility=visibility) if not may_write(author, visibility):
            raise JobNoteVisibilityNotAllowed(author, visibility)
        case AddJobNote():
            return [JobNoteAdded(**cmd.model_dump())]
        case _ if not s.exists:
            raise NotFound(f"job note {cmd.note_id} does not exist", note_id=str(cmd.note_id))
        case EditJobNote(edited_by_user_id=user) if user != s.created_by_user_id:
            raise NotJobNoteAuthor(s.id, user, "edit")
        case DeleteJobNote(deleted_by_user_id=user) if user != s.created_by_user_id:
            raise NotJobNoteAuthor(s.id, user, "delete")
        case DeleteJobNote() if s.deleted:
            return []  # a retried delete records nothing
        case DeleteJobNote():
            assert s.job_id is not None and s.created_by_user_id is not None
            return [JobNoteDeleted(note_id=cmd.note_id, job_id=s.job_id, created_by_user_id=s.created_by_user_id,
                                   by=cmd.by, at=cmd.at)]
        case EditJobNote() if s.deleted:
            raise JobNoteIsDeleted(s.id)
        case EditJobNote():
            return _edit(cmd, s)
        case _:
            raise TypeError(f"the job note decider has no case for {type(cmd).__name__}")


def _edit(cmd: EditJobNote, s: JobNote) -> list[JobNoteEvent]:
    message = s.message if cmd.message is None else cmd.message
    visibility = s.visibility if cmd.visibility is None else cmd.visibility
    if (message, visibility) == (s.message, s.visibility):
        return []  # nothing changes: a retried edit records nothing
    if not may_write(s.created_by_type, visibility):
        raise JobNoteVisibilityNotAllowed(s.created_by_type, visibility)
    assert s.job_id is not None and s.created_by_user_id is not None
    return [JobNoteEdited(note_id=cmd.note_id, job_id=s.job_id, created_by_user_id=s.created_by_user_id,
                          message=message, visibility=visibility, by=cmd.by, at=cmd.at)]


job_note: Decider[JobNoteCommand, JobNoteEvent, JobNote] = Decider(
    "job_note",
    initial_state,
    evolve,
    decide,
    events=(JobNoteAdded, JobNoteEdited, JobNoteDeleted),
)
