from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.note import (
    READABLE,
    WRITABLE,
    AddApplicationNote,
    DeleteApplicationNote,
    EditApplicationNote,
    NoteIsDeleted,
    NotNoteAuthor,
    NoteViewerKind,
    NoteVisibilityNotAllowed,
    application_note,
    note_viewer_kind,
    visible_note_visibilities,
)
from commands.ats.note_events import (
    ApplicationNoteAdded,
    ApplicationNoteDeleted,
    ApplicationNoteEdited,
    NoteAuthorType,
    NoteType,
    NoteVisibility,
)
from commands.core import Conflict, Forbidden, NotFound, RuleViolation
from tests.unit.dsl import given

N = UUID("00000000-0000-4000-8000-0000000000b1")
EARLIER_NOTE = UUID("00000000-0000-4000-8000-0000000000b0")
APP = UUID("00000000-0000-4000-8000-0000000000a9")
AUTHOR = UUID("00000000-0000-4000-8000-0000000000a1")
SOMEONE_ELSE = UUID("00000000-0000-4000-8000-0000000000a2")
ACTOR = "user_2abc"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)

AUTHORS: tuple[NoteAuthorType, ...] = get_args(NoteAuthorType)
VISIBILITIES: tuple[NoteVisibility, ...] = get_args(NoteVisibility)
KINDS: tuple[NoteViewerKind, ...] = get_args(NoteViewerKind)
# Domain §2.3, copied here rather than read from the decider so that a change to the rules fails tests.
WRITE_SPEC: dict[NoteAuthorType, set[NoteVisibility]] = {
    "candidate": {"shared", "candidate_only"},
    "candidate_recruiter": {"shared", "candidate_only"},
    "company_recruiter": {"shared", "company_only"},
    "hiring_manager": {"shared", "company_only"},
    "company_admin": {"shared", "company_only"},
    "platform_admin": {"shared", "company_only", "candidate_only"},
}
READ_SPEC: dict[NoteViewerKind, set[NoteVisibility]] = {
    "platform_admin": {"shared", "company_only", "candidate_only"},
    "candidate": {"shared", "candidate_only"},
    "candidate_recruiter": {"shared", "candidate_only"},
    "company_recruiter": {"shared", "company_only"},
    "company_user": {"shared", "company_only"},
    "other_recruiter": {"shared"},
    "unrelated": set(),
}
ALLOWED = [(a, v) for a in AUTHORS for v in VISIBILITIES if v in WRITE_SPEC[a]]
REFUSED = [(a, v) for a in AUTHORS for v in VISIBILITIES if v not in WRITE_SPEC[a]]
# The kind of viewer each author is on the application they write on.
AUTHOR_AS_VIEWER: dict[NoteAuthorType, NoteViewerKind] = {
    "candidate": "candidate", "candidate_recruiter": "candidate_recruiter", "company_recruiter": "company_recruiter",
    "hiring_manager": "company_user", "company_admin": "company_user", "platform_admin": "platform_admin",
}


def add(**overrides: Any) -> AddApplicationNote:
    return AddApplicationNote(**{"note_id": N, "application_id": APP, "created_by_user_id": AUTHOR,
                                 "created_by_type": "company_admin", "visibility": "company_only",
                                 "message": "Strong systems background.", "by": ACTOR, "at": T0} | overrides)


def added(**overrides: Any) -> ApplicationNoteAdded:
    fields: dict[str, Any] = {
        "note_id": N, "application_id": APP, "created_by_user_id": AUTHOR, "created_by_type": "company_admin",
        "note_type": "note", "visibility": "company_only", "message": "Strong systems background.",
        "in_response_to_id": None, "by": ACTOR, "at": T0,
    }
    return ApplicationNoteAdded(**fields | overrides)


def edit(user: UUID = AUTHOR, **fields: Any) -> EditApplicationNote:
    return EditApplicationNote(note_id=N, edited_by_user_id=user, by=ACTOR, at=T1, **fields)


def edited(message: str = "Strong systems background.", visibility: NoteVisibility = "company_only"):
    return ApplicationNoteEdited(note_id=N, application_id=APP, message=message, visibility=visibility, by=ACTOR, at=T1)


def delete(user: UUID = AUTHOR) -> DeleteApplicationNote:
    return DeleteApplicationNote(note_id=N, deleted_by_user_id=user, by=ACTOR, at=T1)


def deleted() -> ApplicationNoteDeleted:
    return ApplicationNoteDeleted(note_id=N, application_id=APP, by=ACTOR, at=T1)


# --- authoring ------------------------------------------------------------------------------------

@pytest.mark.parametrize("author, visibility", ALLOWED)
def test_author_writing_a_visibility_of_their_side_records_the_note(author: NoteAuthorType, visibility: NoteVisibility):
    given(application_note).when(add(created_by_type=author, visibility=visibility)).then(
        added(created_by_type=author, visibility=visibility))


@pytest.mark.parametrize("author, visibility", REFUSED)
def test_author_writing_the_other_sides_visibility_is_forbidden(author: NoteAuthorType, visibility: NoteVisibility):
    error = given(application_note).when(add(created_by_type=author, visibility=visibility)).then_raises(
        NoteVisibilityNotAllowed, f"a {author} cannot write a {visibility} note")
    assert isinstance(error, Forbidden)
    assert error.details == {"author_type": author, "visibility": visibility}


def test_authoring_table_matches_domain_spec():
    assert {author: set(allowed) for author, allowed in WRITABLE.items()} == WRITE_SPEC


def test_note_records_every_field():
    fields = {"note_type": "info_response", "in_response_to_id": EARLIER_NOTE, "created_by_type": "candidate",
              "visibility": "shared"}
    given(application_note).when(add(**fields)).then(added(**fields))


@pytest.mark.parametrize("note_type", get_args(NoteType))
def test_every_note_type_of_the_domain_is_accepted(note_type: NoteType):
    assert add(note_type=note_type, in_response_to_id=EARLIER_NOTE).note_type == note_type


def test_existing_note_added_again_raises_conflict():
    given(application_note, added()).when(add()).then_raises(Conflict, "already exists")


def test_info_response_without_the_note_it_answers_is_rejected():
    with pytest.raises(ValidationError, match="in_response_to_id is required"):
        add(note_type="info_response")


def test_note_answering_itself_is_rejected():
    with pytest.raises(ValidationError, match="cannot answer itself"):
        add(in_response_to_id=N)


def test_message_is_trimmed():
    assert add(message="  hello  ").message == "hello"


@pytest.mark.parametrize(
    "field, value",
    [("message", "   "), ("message", "x" * 10_001), ("note_type", "gossip"), ("visibility", "private"),
     ("created_by_type", "recruiter"), ("by", ""), ("at", datetime(2026, 3, 2))],
)
def test_bad_field_value_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        add(**{field: value})


def test_note_without_visibility_is_rejected():
    with pytest.raises(ValidationError, match="visibility"):
        AddApplicationNote(note_id=N, application_id=APP, created_by_user_id=AUTHOR, created_by_type="candidate",
                           message="hi", by=ACTOR, at=T0)


# --- editing and deleting -------------------------------------------------------------------------

def test_author_editing_the_message_records_it():
    given(application_note, added()).when(edit(message="Updated.")).then(edited(message="Updated."))


def test_edit_repeating_current_values_is_a_no_op():
    given(application_note, added()).when(edit(message="Strong systems background.", visibility="company_only")).then()


def test_edit_without_fields_is_a_no_op():
    given(application_note, added()).when(edit()).then()


def test_edit_already_applied_is_a_no_op():
    given(application_note, added(), edited(message="Updated.")).when(edit(message="Updated.")).then()


@pytest.mark.parametrize("author, visibility", ALLOWED)
def test_author_moving_a_note_within_their_side_records_it(author: NoteAuthorType, visibility: NoteVisibility):
    start = added(created_by_type=author, visibility="shared", message="m")
    expected = [edited(message="m", visibility=visibility)] if visibility != "shared" else []
    given(application_note, start).when(edit(visibility=visibility)).then(*expected)


@pytest.mark.parametrize("author, visibility", REFUSED)
def test_author_moving_a_note_to_the_other_side_is_forbidden(author: NoteAuthorType, visibility: NoteVisibility):
    start = added(created_by_type=author, visibility="shared")
    given(application_note, start).when(edit(visibility=visibility)).then_raises(NoteVisibilityNotAllowed)


def test_someone_else_editing_is_forbidden():
    error = given(application_note, added()).when(edit(SOMEONE_ELSE, message="x")).then_raises(
        NotNoteAuthor, "only the author")
    assert isinstance(error, Forbidden)


def test_edit_of_deleted_note_raises():
    error = given(application_note, added(), deleted()).when(edit(message="x")).then_raises(NoteIsDeleted)
    assert isinstance(error, RuleViolation)


def test_author_deleting_records_it():
    given(application_note, added()).when(delete()).then(deleted())


def test_deleted_note_deleted_again_is_a_no_op():
    given(application_note, added(), deleted()).when(delete()).then()


def test_someone_else_deleting_is_forbidden():
    given(application_note, added()).when(delete(SOMEONE_ELSE)).then_raises(NotNoteAuthor, "may delete")


def test_someone_else_deleting_a_deleted_note_is_still_forbidden():
    given(application_note, added(), deleted()).when(delete(SOMEONE_ELSE)).then_raises(NotNoteAuthor)


def test_edit_is_kept_in_state():
    state = given(application_note, added(), edited(message="new", visibility="shared")).state
    assert (state.message, state.visibility, state.deleted) == ("new", "shared", False)


@pytest.mark.parametrize("cmd", [edit(message="x"), delete()], ids=lambda cmd: type(cmd).__name__)
def test_command_on_missing_note_raises_not_found(cmd: Any):
    given(application_note).when(cmd).then_raises(NotFound)


# --- reading --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, visibility", [(k, v) for k in KINDS for v in VISIBILITIES])
def test_read_matrix(kind: NoteViewerKind, visibility: NoteVisibility):
    assert (visibility in visible_note_visibilities(kind)) == (visibility in READ_SPEC[kind])


def test_read_table_matches_domain_spec():
    assert {kind: set(seen) for kind, seen in READABLE.items()} == READ_SPEC


@pytest.mark.parametrize("author", AUTHORS)
def test_every_author_reads_what_they_may_write(author: NoteAuthorType):
    assert WRITE_SPEC[author] <= visible_note_visibilities(AUTHOR_AS_VIEWER[author])


CANDIDATE = UUID("00000000-0000-4000-8000-00000000c001")
CAND_RECRUITER = UUID("00000000-0000-4000-8000-00000000c002")
COMP_RECRUITER = UUID("00000000-0000-4000-8000-00000000c003")
OTHER_RECRUITER = UUID("00000000-0000-4000-8000-00000000c004")
COMPANY = UUID("00000000-0000-4000-8000-00000000c005")
ORGANIZATION = UUID("00000000-0000-4000-8000-00000000c006")
APPLICATION = {"application_candidate_id": CANDIDATE, "candidate_recruiter_id": CAND_RECRUITER,
               "company_recruiter_id": COMP_RECRUITER, "job_company_id": COMPANY}


def kind_of(**viewer: Any) -> NoteViewerKind:
    fields = {"is_platform_admin": False, "viewer_candidate_id": None, "viewer_recruiter_id": None,
              "viewer_company_ids": frozenset()} | viewer
    return note_viewer_kind(**fields, **APPLICATION)


@pytest.mark.parametrize(
    "viewer, kind",
    [({"is_platform_admin": True}, "platform_admin"),
     ({"viewer_candidate_id": CANDIDATE}, "candidate"),
     ({"viewer_candidate_id": UUID(int=1)}, "unrelated"),
     ({"viewer_recruiter_id": CAND_RECRUITER}, "candidate_recruiter"),
     ({"viewer_recruiter_id": COMP_RECRUITER}, "company_recruiter"),
     ({"viewer_recruiter_id": OTHER_RECRUITER}, "other_recruiter"),
     ({"viewer_company_ids": frozenset({COMPANY})}, "company_user"),
     ({"viewer_company_ids": frozenset({UUID(int=2)})}, "unrelated"),
     ({}, "unrelated")],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_viewer_kind_of_each_party(viewer: dict[str, Any], kind: NoteViewerKind):
    assert kind_of(**viewer) == kind


def test_company_user_is_recognized_by_company_id_not_organization_id():
    """Domain §15 item 9: an organization id never matches the job's company id."""
    assert kind_of(viewer_company_ids=frozenset({ORGANIZATION})) == "unrelated"
    assert visible_note_visibilities(kind_of(viewer_company_ids=frozenset({COMPANY}))) == {"shared", "company_only"}


def test_firm_job_has_no_company_side():
    kind = note_viewer_kind(is_platform_admin=False, viewer_candidate_id=None, viewer_recruiter_id=None,
                            viewer_company_ids=frozenset({COMPANY}), application_candidate_id=CANDIDATE,
                            candidate_recruiter_id=None, company_recruiter_id=None, job_company_id=None)
    assert kind == "unrelated"


@pytest.mark.parametrize(
    "viewer, kind",
    [({"is_platform_admin": True, "viewer_candidate_id": CANDIDATE}, "platform_admin"),
     ({"viewer_candidate_id": CANDIDATE, "viewer_company_ids": frozenset({COMPANY})}, "candidate"),
     ({"viewer_recruiter_id": CAND_RECRUITER, "viewer_company_ids": frozenset({COMPANY})}, "candidate_recruiter"),
     ({"viewer_recruiter_id": OTHER_RECRUITER, "viewer_company_ids": frozenset({COMPANY})}, "company_user")],
    ids=["admin_first", "candidate_before_company", "candidate_recruiter_before_company", "company_before_recruiter"],
)
def test_viewer_on_both_sides_gets_the_first_match(viewer: dict[str, Any], kind: NoteViewerKind):
    assert kind_of(**viewer) == kind


def test_candidate_applying_at_their_own_company_never_reads_company_only_notes():
    kind = kind_of(viewer_candidate_id=CANDIDATE, viewer_company_ids=frozenset({COMPANY}))
    assert "company_only" not in visible_note_visibilities(kind)
