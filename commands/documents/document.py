"""The document decider: a file attached to an entity, its extracted text, and its deletion.

The route does the I/O (reads the upload, judges its kind, extracts the text, stores the content) and
hands the decider everything it found in the command; the decider checks the command against the
rules of the context and records it. Uploading the same document id again records nothing (a retried
request meets its first run), and so does deleting a deleted document.

The limits of the context live here, once: documents (PDF, DOC, DOCX, TXT, MD, RTF) up to
`MAX_DOCUMENT_BYTES`, profile images (JPEG, PNG, WebP) up to `MAX_IMAGE_BYTES` and only as
`profile_image`, which in turn is only ever an image.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from commands.core import Command, Decider, NotFound
from commands.documents.events import (
    MAX_TEXT_CHARS,
    DocumentDeleted,
    DocumentTextExtracted,
    DocumentType,
    DocumentUploaded,
    EntityType,
    TextStatus,
)

MB = 1024 * 1024
MAX_DOCUMENT_BYTES = 10 * MB
MAX_IMAGE_BYTES = 5 * MB

DOCUMENT_CONTENT_TYPES = frozenset({
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/plain",
    "text/markdown",
    "application/rtf",
})
IMAGE_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def size_limit(content_type: str) -> int | None:
    """The most bytes a file of this content type may have; None for a type that is not accepted at all."""
    if content_type in IMAGE_CONTENT_TYPES:
        return MAX_IMAGE_BYTES
    if content_type in DOCUMENT_CONTENT_TYPES:
        return MAX_DOCUMENT_BYTES
    return None


def fits_document_type(content_type: str, document_type: DocumentType) -> bool:
    """Images only as profile images, and profile images only as images."""
    return (content_type in IMAGE_CONTENT_TYPES) == (document_type == "profile_image")


def storage_key_for(entity_type: EntityType, entity_id: UUID, document_id: UUID, sha256: str) -> str:
    """Where a document's content is stored: grouped by entity, and naming the content's digest so that two
    different contents never share a key."""
    return f"{entity_type}/{entity_id}/{document_id}-{sha256[:16]}"


Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Filename = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
StorageKey = Annotated[str, StringConstraints(min_length=1, max_length=512)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class UploadDocument(Command):
    """Record an uploaded document whose content is already stored under `storage_key`, with its text."""

    document_id: UUID
    entity_type: EntityType
    entity_id: UUID
    document_type: DocumentType
    filename: Filename
    content_type: str
    size_bytes: Annotated[int, Field(gt=0)]
    sha256: Sha256
    storage_key: StorageKey
    uploaded_by: UUID
    text_status: TextStatus
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS)] | None = None
    truncated: bool = False
    text_reason: Reason | None = None
    by: Actor
    at: AwareDatetime

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        limit = size_limit(self.content_type)
        if limit is None:
            raise ValueError(f"files of type {self.content_type} are not accepted")
        if self.size_bytes > limit:
            raise ValueError(f"a {self.content_type} file may have at most {limit} bytes")
        if not fits_document_type(self.content_type, self.document_type):
            raise ValueError("images are uploaded only as profile_image, and a profile_image only as an image")
        if (self.text_status == "extracted") != (self.text is not None):
            raise ValueError("text comes with text_status extracted, and only then")
        if self.text_status != "extracted" and self.text_reason is None:
            raise ValueError("a document without text says why in text_reason")
        if self.truncated and self.text is None:
            raise ValueError("only an extracted text can be truncated")
        return self


class DeleteDocument(Command):
    document_id: UUID
    deleted_by: UUID
    by: Actor
    at: AwareDatetime


DocumentCommand = UploadDocument | DeleteDocument
DocumentEvent = DocumentUploaded | DocumentTextExtracted | DocumentDeleted


@dataclass(frozen=True)
class Document:
    exists: bool = False
    deleted: bool = False
    id: UUID | None = None
    entity_type: EntityType = "candidate"
    entity_id: UUID | None = None
    document_type: DocumentType = "other"
    filename: str = ""
    content_type: str = ""
    size_bytes: int = 0
    sha256: str = ""
    storage_key: str = ""
    uploaded_by: UUID | None = None
    text_status: TextStatus | None = None
    text_truncated: bool = False
    text_reason: str | None = None
    uploaded_at: datetime | None = None


def initial_state() -> Document:
    return Document()


def evolve(s: Document, e: DocumentEvent) -> Document:
    match e:
        case DocumentUploaded():
            return Document(exists=True, id=e.document_id, entity_type=e.entity_type, entity_id=e.entity_id,
                            document_type=e.document_type, filename=e.filename, content_type=e.content_type,
                            size_bytes=e.size_bytes, sha256=e.sha256, storage_key=e.storage_key,
                            uploaded_by=e.uploaded_by, uploaded_at=e.at)
        case DocumentTextExtracted():
            return replace(s, text_status=e.text_status, text_truncated=e.truncated, text_reason=e.reason)
        case DocumentDeleted():
            return replace(s, deleted=True)
        case _:
            return s


def decide(cmd: DocumentCommand, s: Document) -> list[DocumentEvent]:
    match cmd:
        case UploadDocument() if s.exists:
            return []  # the same document again: a retried upload records nothing
        case UploadDocument():
            return _upload(cmd)
        case DeleteDocument() if not s.exists:
            raise NotFound(f"document {cmd.document_id} does not exist", document_id=str(cmd.document_id))
        case DeleteDocument() if s.deleted:
            return []
        case DeleteDocument():
            assert s.entity_id is not None
            return [DocumentDeleted(document_id=cmd.document_id, entity_type=s.entity_type, entity_id=s.entity_id,
                                    storage_key=s.storage_key, deleted_by=cmd.deleted_by, by=cmd.by, at=cmd.at)]
        case _:
            raise TypeError(f"the document decider has no case for {type(cmd).__name__}")


def _upload(cmd: UploadDocument) -> list[DocumentEvent]:
    return [
        DocumentUploaded(document_id=cmd.document_id, entity_type=cmd.entity_type, entity_id=cmd.entity_id,
                         document_type=cmd.document_type, filename=cmd.filename, content_type=cmd.content_type,
                         size_bytes=cmd.size_bytes, sha256=cmd.sha256, storage_key=cmd.storage_key,
                         uploaded_by=cmd.uploaded_by, by=cmd.by, at=cmd.at),
        DocumentTextExtracted(document_id=cmd.document_id, text_status=cmd.text_status, text=cmd.text,
                              truncated=cmd.truncated, reason=cmd.text_reason, at=cmd.at),
    ]


document: Decider[DocumentCommand, DocumentEvent, Document] = Decider(
    "document",
    initial_state,
    evolve,
    decide,
    events=(DocumentUploaded, DocumentTextExtracted, DocumentDeleted),
)
