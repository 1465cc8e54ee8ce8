"""The job note decider: who writes which visibility, only the author changes a note, retries record nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.job_note import (
    AddJobNote,
    DeleteJobNote,
    EditJobNote,
    JobNoteIsDeleted,
    JobNoteViewerKind,
    JobNoteVisibilityNotAllowed,
    NotJobNoteAuthor,
    job_note,
    job_note_viewer_kind,
    visible_job_note_visibilities,
)
from commands.ats.job_note_events import (
    JobNoteAdded,
    JobNoteAuthorType,
    JobNoteDeleted,
    JobNoteEdited,
    JobNoteVisibility,
)
from commands.core import Conflict, Forbidden, NotFound
from tests.unit.dsl import given

N = UUID("00000000-0000-4000-8000-0000000000c1")
JOB = UUID("00000000-0000-4000-8000-0000000000c9")
OTHER_JOB = UUID("00000000-0000-4000-8000-0000000000ca")
AUTHOR = UUID("00000000-0000-4000-8000-0000000000a1")
SOMEONE_ELSE = UUID("00000000-0000-4000-8000-0000000000a2")
COMPANY = UUID("00000000-0000-4000-8000-0000000000d1")
FIRM = UUID("00000000-0000-4000-8000-0000000000d2")
RECRUITER = UUID("00000000-0000-4000-8000-0000000000e1")
ACTOR = "user_2abc"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)

AUTHORS: tuple[JobNoteAuthorType, ...] = get_args(JobNoteAuthorType)
VISIBILITIES: tuple[JobNoteVisibility, ...] = get_args(JobNoteVisibility)
# Copied here rather than read from the decider, so that a change to the rules fails a test.
WRITE_SPEC: dict[JobNoteAuthorType, set[JobNoteVisibility]] = {
    "company_admin": {"shared", "company_only"},
    "hiring_manager": {"shared", "company_only"},
    "job_recruiter": {"shared"},
    "platform_admin": {"shared", "company_only"},
}
READ_SPEC: dict[JobNoteViewerKind, set[str]] = {
    "platform_admin": {"shared", "company_only"},
    "company_user": {"shared", "company_only"},
    "job_recruiter": {"shared"},
    "other": set(),
}


def add(author: JobNoteAuthorType = "hiring_manager", visibility: JobNoteVisibility = "shared",
        message: str = "Budget approved for two hires", **extra: Any) -> AddJobNote:
    return AddJobNote(note_id=N, job_id=JOB, created_by_user_id=AUTHOR, created_by_type=author,
                      visibility=visibility, message=message, by=ACTOR, at=T0, **extra)


def added(author: JobNoteAuthorType = "hiring_manager", visibility: JobNoteVisibility = "shared",
          message: str = "Budget approved for two hires") -> JobNoteAdded:
    return JobNoteAdded(note_id=N, job_id=JOB, created_by_user_id=AUTHOR, created_by_type=author,
                        visibility=visibility, message=message, by=ACTOR, at=T0)


def edit(user: UUID = AUTHOR, **changes: Any) -> EditJobNote:
    return EditJobNote(note_id=N, edited_by_user_id=user, by=ACTOR, at=T1, **changes)


def delete(user: UUID = AUTHOR) -> DeleteJobNote:
    return DeleteJobNote(note_id=N, deleted_by_user_id=user, by=ACTOR, at=T1)


def deleted() -> JobNoteDeleted:
    return JobNoteDeleted(note_id=N, job_id=JOB, created_by_user_id=AUTHOR, by=ACTOR, at=T1)


@pytest.mark.parametrize("author", AUTHORS)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_each_author_adds_only_the_visibilities_of_their_side(author: JobNoteAuthorType,
                                                              visibility: JobNoteVisibility) -> None:
    if visibility in WRITE_SPEC[author]:
        given(job_note).when(add(author, visibility)).then(added(author, visibility))
    else:
        given(job_note).when(add(author, visibility)).then_raises(JobNoteVisibilityNotAllowed)


def test_a_retried_add_records_nothing() -> None:
    given(job_note, added()).when(add()).then()


def test_an_add_reusing_a_notes_id_for_other_words_conflicts() -> None:
    given(job_note, added()).when(add(message="Something else")).then_raises(Conflict)
    given(job_note, added()).when(add(visibility="company_only")).then_raises(Conflict)


def test_a_note_needs_words_within_bounds() -> None:
    for message in ("", "   ", "x" * 10_001):
        with pytest.raises(ValidationError):
            add(message=message)


def test_the_author_edits_the_message_and_the_visibility() -> None:
    given(job_note, added()).when(edit(message="Budget cut to one", visibility="company_only")).then(
        JobNoteEdited(note_id=N, job_id=JOB, created_by_user_id=AUTHOR, message="Budget cut to one",
                      visibility="company_only", by=ACTOR, at=T1))


def test_an_edit_that_changes_nothing_records_nothing() -> None:
    given(job_note, added()).when(edit(message="Budget approved for two hires")).then()
    given(job_note, added()).when(edit()).then()


def test_only_the_author_edits_or_deletes() -> None:
    given(job_note, added()).when(edit(SOMEONE_ELSE, message="mine now")).then_raises(NotJobNoteAuthor)
    given(job_note, added()).when(delete(SOMEONE_ELSE)).then_raises(NotJobNoteAuthor)


def test_a_recruiters_edit_stays_within_what_they_may_write() -> None:
    given(job_note, added("job_recruiter")).when(edit(visibility="company_only")).then_raises(
        JobNoteVisibilityNotAllowed)


def test_the_author_deletes_once_and_a_retried_delete_records_nothing() -> None:
    given(job_note, added()).when(delete()).then(deleted())
    given(job_note, added(), deleted()).when(delete()).then()


def test_a_deleted_note_is_not_edited() -> None:
    given(job_note, added(), deleted()).when(edit(message="again")).then_raises(JobNoteIsDeleted)


def test_a_missing_note_is_not_found() -> None:
    given(job_note).when(edit(message="x")).then_raises(NotFound)
    given(job_note).when(delete()).then_raises(NotFound)


def test_refusals_are_forbidden_errors() -> None:
    assert issubclass(JobNoteVisibilityNotAllowed, Forbidden) and issubclass(NotJobNoteAuthor, Forbidden)


@pytest.mark.parametrize("kind", list(READ_SPEC))
def test_each_viewer_reads_the_visibilities_of_their_side(kind: JobNoteViewerKind) -> None:
    assert visible_job_note_visibilities(kind) == READ_SPEC[kind]


def _kind(**overrides: Any) -> JobNoteViewerKind:
    facts: dict[str, Any] = {
        "is_platform_admin": False, "viewer_company_ids": frozenset(), "viewer_recruiter_id": None,
        "viewer_firm_ids": frozenset(), "viewer_job_viewing_company_ids": frozenset(), "job_company_id": COMPANY,
        "job_source_firm_id": None, "job_owner_recruiter_id": None,
    }
    return job_note_viewer_kind(**(facts | overrides))


def test_who_is_what_to_a_job() -> None:
    assert _kind(is_platform_admin=True) == "platform_admin"
    assert _kind(viewer_company_ids={COMPANY}) == "company_user"
    assert _kind(viewer_company_ids={COMPANY}, viewer_recruiter_id=RECRUITER,
                 job_owner_recruiter_id=RECRUITER) == "company_user"  # the company side first
    assert _kind(viewer_recruiter_id=RECRUITER, job_owner_recruiter_id=RECRUITER) == "job_recruiter"
    assert _kind(viewer_recruiter_id=RECRUITER, viewer_job_viewing_company_ids={COMPANY}) == "job_recruiter"
    firm_job = {"job_company_id": None, "job_source_firm_id": FIRM}
    assert _kind(viewer_recruiter_id=RECRUITER, viewer_firm_ids={FIRM}, **firm_job) == "job_recruiter"
    # Anyone else: another company's staff, a recruiter with no tie to the job, a candidate.
    assert _kind(viewer_company_ids={OTHER_JOB}) == "other"
    assert _kind(viewer_recruiter_id=RECRUITER) == "other"
    assert _kind(viewer_recruiter_id=RECRUITER, viewer_firm_ids={FIRM}) == "other"
    assert _kind(viewer_recruiter_id=RECRUITER, **firm_job) == "other"
    assert _kind() == "other"
