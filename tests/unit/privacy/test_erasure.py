"""The erasure decider: a request recorded once, completed once, the completion listing what was erased."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from commands.privacy.erasure import (
    CompleteErasure,
    ErasureAlreadyRequested,
    ErasureNotRequested,
    RequestErasure,
    erasure,
)
from commands.privacy.events import SubjectErased, SubjectErasureRequested
from tests.unit.dsl import given

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
E, PERSON, APPLICATION, DOCUMENT = uuid4(), uuid4(), uuid4(), uuid4()


def request(person_id: UUID = PERSON, kind: str = "candidate", **overrides) -> RequestErasure:
    fields = {"erasure_id": E, "person_kind": kind, "person_id": person_id, "self_service": False,
              "reason": "asked by email", "requested_by": "admin-1", "at": AT, **overrides}
    return RequestErasure(**fields)


def requested(person_id: UUID = PERSON, kind: str = "candidate") -> SubjectErasureRequested:
    return SubjectErasureRequested(**request(person_id, kind).model_dump())


def complete(**overrides) -> CompleteErasure:
    fields = {"erasure_id": E, "subjects": [f"candidate:{PERSON}", f"application:{APPLICATION}"], "user_ids": [],
              "candidate_ids": [PERSON], "recruiter_ids": [], "application_ids": [APPLICATION],
              "document_ids": [DOCUMENT], "invitation_ids": [], "documents_deleted": 1, "at": AT, **overrides}
    return CompleteErasure(**fields)


def erased() -> SubjectErased:
    return SubjectErased(person_kind="candidate", person_id=PERSON, **complete().model_dump())


def test_a_request_is_recorded_with_who_asked_and_why():
    given(erasure).when(request()).then(requested())


def test_a_self_service_request_needs_no_reason():
    command = request(kind="user", self_service=True, reason=None, requested_by=str(PERSON))
    given(erasure).when(command).then(SubjectErasureRequested(**command.model_dump()))


def test_the_same_request_again_records_nothing():
    given(erasure, requested()).when(request()).then()


def test_an_erasure_id_names_one_person_only():
    given(erasure, requested()).when(request(person_id=uuid4())).then_raises(ErasureAlreadyRequested)
    given(erasure, requested()).when(request(kind="user")).then_raises(ErasureAlreadyRequested)


def test_completion_lists_everything_erased_for_the_person_requested():
    given(erasure, requested()).when(complete()).then(erased())


def test_completion_without_a_request_is_refused():
    given(erasure).when(complete()).then_raises(ErasureNotRequested)


def test_a_second_completion_records_nothing():
    """A retried process completes again: the first completion stands, nothing is listed twice."""
    given(erasure, requested(), erased()).when(complete(documents_deleted=0)).then()


def test_a_request_after_the_completion_records_nothing():
    given(erasure, requested(), erased()).when(request()).then()


@pytest.mark.parametrize("subject", ["", "candidate", "Candidate:1", "candidate:\x00", ":1", "x" * 201])
def test_subjects_are_bounded_and_well_formed(subject: str):
    with pytest.raises(ValidationError):
        complete(subjects=[subject])


def test_a_reason_is_bounded():
    with pytest.raises(ValidationError):
        request(reason="x" * 501)
    with pytest.raises(ValidationError):
        request(reason="   ")
