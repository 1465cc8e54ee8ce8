"""The document decider: an upload records the document and its text once, a delete once, and the
context's limits (sizes, which files go with which document type, text with its status) hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import NotFound
from commands.documents.document import (
    MAX_DOCUMENT_BYTES,
    MAX_IMAGE_BYTES,
    DeleteDocument,
    UploadDocument,
    document,
    fits_document_type,
    size_limit,
    storage_key_for,
)
from commands.documents.events import MAX_TEXT_CHARS, DocumentDeleted, DocumentTextExtracted, DocumentUploaded
from tests.unit.dsl import given

D = UUID("00000000-0000-4000-8000-0000000000d1")
CANDIDATE = UUID("00000000-0000-4000-8000-0000000000c1")
UPLOADER = UUID("00000000-0000-4000-8000-0000000000a1")
DELETER = UUID("00000000-0000-4000-8000-0000000000a2")
SHA = "ab" * 32
KEY = storage_key_for("candidate", CANDIDATE, D, SHA)
ACTOR = "user_2abc"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


def upload(**overrides: Any) -> UploadDocument:
    return UploadDocument(**{
        "document_id": D, "entity_type": "candidate", "entity_id": CANDIDATE, "document_type": "resume",
        "filename": "resume.pdf", "content_type": "application/pdf", "size_bytes": 1234, "sha256": SHA,
        "storage_key": KEY, "uploaded_by": UPLOADER, "text_status": "extracted", "text": "Python, 8 years",
        "by": ACTOR, "at": T0} | overrides)


def uploaded(**overrides: Any) -> DocumentUploaded:
    return DocumentUploaded(**{
        "document_id": D, "entity_type": "candidate", "entity_id": CANDIDATE, "document_type": "resume",
        "filename": "resume.pdf", "content_type": "application/pdf", "size_bytes": 1234, "sha256": SHA,
        "storage_key": KEY, "uploaded_by": UPLOADER, "by": ACTOR, "at": T0} | overrides)


def text_extracted(**overrides: Any) -> DocumentTextExtracted:
    return DocumentTextExtracted(**{"document_id": D, "text_status": "extracted", "text": "Python, 8 years",
                                    "truncated": False, "reason": None, "at": T0} | overrides)


def deleted() -> DocumentDeleted:
    return DocumentDeleted(document_id=D, entity_type="candidate", entity_id=CANDIDATE, storage_key=KEY,
                           deleted_by=DELETER, by=ACTOR, at=T1)


def delete() -> DeleteDocument:
    return DeleteDocument(document_id=D, deleted_by=DELETER, by=ACTOR, at=T1)


def test_an_upload_records_the_document_and_its_text() -> None:
    given(document).when(upload()).then(uploaded(), text_extracted())


def test_an_upload_without_text_records_why() -> None:
    command = upload(filename="resume.docx", content_type=(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), text_status="unsupported",
        text=None, text_reason="text is not extracted from Word (.docx) files")
    given(document).when(command).then(
        uploaded(filename="resume.docx", content_type=command.content_type),
        text_extracted(text_status="unsupported", text=None, reason="text is not extracted from Word (.docx) files"))


def test_uploading_the_same_document_again_records_nothing() -> None:
    given(document, uploaded(), text_extracted()).when(upload()).then()
    given(document, uploaded(), text_extracted()).when(upload(filename="other.pdf", sha256="cd" * 32)).then()


def test_a_delete_is_recorded_once() -> None:
    given(document, uploaded(), text_extracted()).when(delete()).then(deleted())
    given(document, uploaded(), text_extracted(), deleted()).when(delete()).then()


def test_deleting_a_document_that_does_not_exist_is_not_found() -> None:
    given(document).when(delete()).then_raises(NotFound)


def test_the_state_keeps_what_the_routes_show() -> None:
    state = given(document, uploaded(), text_extracted(text_status="empty", text=None, reason="no text layer")).state
    assert (state.exists, state.deleted, state.storage_key, state.text_status, state.text_reason) == (
        True, False, KEY, "empty", "no text layer")
    assert given(document, uploaded(), text_extracted(), deleted()).state.deleted


@pytest.mark.parametrize(("content_type", "limit"), [
    ("application/pdf", MAX_DOCUMENT_BYTES), ("application/msword", MAX_DOCUMENT_BYTES),
    ("text/plain", MAX_DOCUMENT_BYTES), ("text/markdown", MAX_DOCUMENT_BYTES), ("application/rtf", MAX_DOCUMENT_BYTES),
    ("image/png", MAX_IMAGE_BYTES), ("image/jpeg", MAX_IMAGE_BYTES), ("image/webp", MAX_IMAGE_BYTES),
])
def test_each_kind_has_its_size_limit(content_type: str, limit: int) -> None:
    assert size_limit(content_type) == limit
    image = content_type.startswith("image/")
    fields = {"content_type": content_type, "document_type": "profile_image" if image else "resume",
              "text_status": "unsupported", "text": None, "text_reason": "not read"}
    upload(size_bytes=limit, **fields)
    with pytest.raises(ValidationError, match="at most"):
        upload(size_bytes=limit + 1, **fields)


def test_the_limits_are_ten_and_five_megabytes() -> None:
    assert (MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES) == (10 * 1024 * 1024, 5 * 1024 * 1024)
    assert size_limit("application/x-msdownload") is None
    with pytest.raises(ValidationError, match="not accepted"):
        upload(content_type="application/x-msdownload")


def test_images_are_profile_images_and_profile_images_are_images() -> None:
    assert fits_document_type("image/png", "profile_image") and fits_document_type("application/pdf", "resume")
    assert not fits_document_type("image/png", "resume")
    assert not fits_document_type("application/pdf", "profile_image")
    with pytest.raises(ValidationError, match="profile_image"):
        upload(content_type="image/png", text_status="unsupported", text=None, text_reason="an image")
    with pytest.raises(ValidationError, match="profile_image"):
        upload(document_type="profile_image")


@pytest.mark.parametrize("fields", [
    {"text_status": "extracted", "text": None},
    {"text_status": "empty", "text": "something"},
    {"text_status": "failed", "text": None, "text_reason": None},
    {"text_status": "unsupported", "text": None, "text_reason": "  "},
    {"text_status": "empty", "text": None, "text_reason": "no text", "truncated": True},
    {"text": "x" * (MAX_TEXT_CHARS + 1)},
    {"size_bytes": 0},
    {"sha256": "not-a-digest"},
    {"filename": "   "},
    {"entity_type": "recruiter"},
    {"document_type": "selfie"},
    {"at": datetime(2026, 3, 2, 9, 0)},
])
def test_inconsistent_uploads_are_refused_on_construction(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        upload(**fields)


def test_a_text_at_the_cap_is_accepted() -> None:
    command = upload(text="x" * MAX_TEXT_CHARS, truncated=True)
    given(document).when(command).then(uploaded(), text_extracted(text="x" * MAX_TEXT_CHARS, truncated=True))


def test_storage_keys_group_by_entity_and_name_the_content() -> None:
    assert KEY == f"candidate/{CANDIDATE}/{D}-{SHA[:16]}"
    assert storage_key_for("candidate", CANDIDATE, D, "cd" * 32) != KEY
