"""The application note decider: notes on an application, with who may write and read which
visibility (domain §2.3, §3.2).

Writing. The candidate side (the candidate and their recruiter) writes `shared` or `candidate_only`
notes; the company side (the company's recruiter, hiring managers and admins) writes `shared` or
`company_only` notes; a platform admin writes any. Only a note's author edits or deletes it, and an
edit stays within what the author's side may write.

Reading. `visible_note_visibilities` says which visibilities a viewer sees; `note_viewer_kind` says
which kind of viewer a caller is for one application. A company user is recognized by comparing
the job's company id with the caller's company ids, which include the companies of the
organizations where they hold an organization-wide membership: never an organization id with a
company id (the mistake noted in domain §15 item 9, which left company users seeing only `shared`).
The application's company recruiter reads what the company side writes, so that an author can
always read their own note.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, StringConstraints, model_validator

from commands.ats.note_events import (
    ApplicationNoteAdded,
    ApplicationNoteDeleted,
    ApplicationNoteEdited,
    NoteAuthorType,
    NoteType,
    NoteVisibility,
)
from commands.core import Command, Conflict, Decider, Forbidden, NotFound, RuleViolation

NoteViewerKind = Literal[
    "platform_admin", "candidate", "candidate_recruiter", "company_recruiter", "company_user", "other_recruiter",
    "unrelated",
]

_ALL: frozenset[NoteVisibility] = frozenset({"shared", "company_only", "candidate_only"})
_CANDIDATE_SIDE: frozenset[NoteVisibility] = frozenset({"shared", "candidate_only"})
_COMPANY_SIDE: frozenset[NoteVisibility] = frozenset({"shared", "company_only"})

WRITABLE: Mapping[NoteAuthorType, frozenset[NoteVisibility]] = {
    "candidate": _CANDIDATE_SIDE,
    "candidate_recruiter": _CANDIDATE_SIDE,
    "company_recruiter": _COMPANY_SIDE,
    "hiring_manager": _COMPANY_SIDE,
    "company_admin": _COMPANY_SIDE,
    "platform_admin": _ALL,
}
READABLE: Mapping[NoteViewerKind, frozenset[NoteVisibility]] = {
    "platform_admin": _ALL,
    "candidate": _CANDIDATE_SIDE,
    "candidate_recruiter": _CANDIDATE_SIDE,
    "company_recruiter": _COMPANY_SIDE,
    "company_user": _COMPANY_SIDE,
    "other_recruiter": frozenset({"shared"}),
    "unrelated": frozenset(),
}


def visible_note_visibilities(viewer_kind: NoteViewerKind) -> frozenset[str]:
    """The note visibilities a viewer of this kind reads on an application (domain §2.3)."""
    return frozenset(READABLE[viewer_kind])


def note_viewer_kind(
    *,
    is_platform_admin: bool,
    viewer_candidate_id: UUID | None,
    viewer_recruiter_id: UUID | None,
    viewer_company_ids: Collection[UUID],
    application_candidate_id: UUID,
    candidate_recruiter_id: UUID | None,
    company_recruiter_id: UUID | None,
    job_company_id: UUID | None,
) -> NoteViewerKind:
    """What the caller is to one application, for reading its notes.

    The first match wins, candidate side before company side (as for applications, domain §2.3), so
    that someone on both sides of one application never reads the other side's private notes about
    themself. `viewer_company_ids` must hold the companies of organization-wide memberships too.
    """
    if is_platform_admin:
        return "platform_admin"
    if viewer_candidate_id is not None and viewer_candidate_id == application_candidate_id:
        return "candidate"
    if viewer_recruiter_id is not None and viewer_recruiter_id == candidate_recruiter_id:
        return "candidate_recruiter"
    if viewer_recruiter_id is not None and viewer_recruiter_id == company_recruiter_id:
        return "company_recruiter"
    if job_company_id is not None and job_company_id in viewer_company_ids:
        return "company_user"
    if viewer_recruiter_id is not None:
        return "other_recruiter"
    return "unrelated"


def may_write(author_type: NoteAuthorType, visibility: NoteVisibility) -> bool:
    return visibility in WRITABLE[author_type]


class NoteVisibilityNotAllowed(Forbidden):
    def __init__(self, author_type: NoteAuthorType, visibility: NoteVisibility) -> None:
        allowed = " or ".join(sorted(WRITABLE[author_type]))
        super().__init__(f"a {author_type} cannot write a {visibility} note, only {allowed}",
                         author_type=author_type, visibility=visibility)


class NotNoteAuthor(Forbidden):
    def __init__(self, note_id: UUID | None, user_id: UUID, action: str) -> None:
        super().__init__(f"only the author of note {note_id} may {action} it", note_id=str(note_id),
                         user_id=str(user_id))


class NoteIsDeleted(RuleViolation):
    def __init__(self, note_id: UUID | None) -> None:
        super().__init__(f"note {note_id} is deleted", note_id=str(note_id))


Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class _NoteCommand(Command):
    note_id: UUID
    by: Actor
    at: AwareDatetime


class AddApplicationNote(_NoteCommand):
    """`created_by_type` is the author's side on this application, resolved by the caller from its access."""

    application_id: UUID
    created_by_user_id: UUID
    created_by_type: NoteAuthorType
    note_type: NoteType = "note"
    visibility: NoteVisibility
    message: Message
    in_response_to_id: UUID | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.in_response_to_id == self.note_id:
            raise ValueError("a note cannot answer itself")
        if self.note_type == "info_response" and self.in_response_to_id is None:
            raise ValueError("an info_response answers a note: in_response_to_id is required")
        return self


class EditApplicationNote(_NoteCommand):
    """Change the message and/or the visibility; a field not given is kept."""

    edited_by_user_id: UUID
    message: Message | None = None
    visibility: NoteVisibility | None = None


class DeleteApplicationNote(_NoteCommand):
    deleted_by_user_id: UUID


NoteCommand = AddApplicationNote | EditApplicationNote | DeleteApplicationNote
NoteEvent = ApplicationNoteAdded | ApplicationNoteEdited | ApplicationNoteDeleted


@dataclass(frozen=True)
class Note:
    exists: bool = False
    deleted: bool = False
    id: UUID | None = None
    application_id: UUID | None = None
    created_by_user_id: UUID | None = None
    created_by_type: NoteAuthorType = "platform_admin"
    note_type: NoteType = "note"
    visibility: NoteVisibility = "shared"
    message: str = ""
    in_response_to_id: UUID | None = None


def initial_state() -> Note:
    return Note()


def evolve(s: Note, e: NoteEvent) -> Note:
    match e:
        case ApplicationNoteAdded():
            return Note(exists=True, id=e.note_id, application_id=e.application_id,
                        created_by_user_id=e.created_by_user_id, created_by_type=e.created_by_type,
                        note_type=e.note_type, visibility=e.visibility, message=e.message,
                        in_response_to_id=e.in_response_to_id)
        case ApplicationNoteEdited(message=message, visibility=visibility):
            return replace(s, message=message, visibility=visibility)
        case ApplicationNoteDeleted():
            return replace(s, deleted=True)
        case _:
            return s


def decide(cmd: NoteCommand, s: Note) -> list[NoteEvent]:
    match cmd:
        case AddApplicationNote() if s.exists:
            raise Conflict(f"note {cmd.note_id} already exists", note_id=str(cmd.note_id))
        case AddApplicationNote(created_by_type=author, visibility=visibility) if not may_write(author, visibility):
            raise NoteVisibilityNotAllowed(author, visibility)
        case AddApplicationNote():
            return [ApplicationNoteAdded(**cmd.model_dump())]
        case _ if not s.exists:
            raise NotFound(f"note {cmd.note_id} does not exist", note_id=str(cmd.note_id))
        case EditApplicationNote(edited_by_user_id=user) if user != s.created_by_user_id:
            raise NotNoteAuthor(s.id, user, "edit")
        case DeleteApplicationNote(deleted_by_user_id=user) if user != s.created_by_user_id:
            raise NotNoteAuthor(s.id, user, "delete")
        case DeleteApplicationNote() if s.deleted:
            return []  # a retried delete records nothing
        case DeleteApplicationNote():
            assert s.application_id is not None
            return [ApplicationNoteDeleted(note_id=cmd.note_id, application_id=s.application_id, by=cmd.by, at=cmd.at)]
        case EditApplicationNote() if s.deleted:
            raise NoteIsDeleted(s.id)
        case EditApplicationNote():
            return _edit(cmd, s)
        case _:
            raise TypeError(f"the note decider has no case for {type(cmd).__name__}")


def _edit(cmd: EditApplicationNote, s: Note) -> list[NoteEvent]:
    message = s.message if cmd.message is None else cmd.message
    visibility = s.visibility if cmd.visibility is None else cmd.visibility
    if (message, visibility) == (s.message, s.visibility):
        return []
    if not may_write(s.created_by_type, visibility):
        raise NoteVisibilityNotAllowed(s.created_by_type, visibility)
    assert s.application_id is not None
    return [ApplicationNoteEdited(note_id=cmd.note_id, application_id=s.application_id, message=message,
                                  visibility=visibility, by=cmd.by, at=cmd.at)]


application_note: Decider[NoteCommand, NoteEvent, Note] = Decider(
    "application_note",
    initial_state,
    evolve,
    decide,
    events=(ApplicationNoteAdded, ApplicationNoteEdited, ApplicationNoteDeleted),
)
