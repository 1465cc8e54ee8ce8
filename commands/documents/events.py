"""The events of a document (stream type `document`, keyed by document id): the one definition of each.

A document's content lives in a storage backend (a local folder or an S3-compatible bucket) under
`storage_key`; the events hold what is known about it, never the bytes. The text extracted for the AI
review is recorded as its own event, capped at `MAX_TEXT_CHARS` characters (`truncated` says when the
cap cut it), or with the reason no text could be had.

Like every event here they carry types, not the limits of the commands (sizes, which file kinds go
with which document type): a rule tightened later must not make old streams unreadable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

# The most text kept per document: a long resume is ~20k characters, a book ~500k.
MAX_TEXT_CHARS = 200_000

EntityType = Literal["candidate", "job", "application", "company", "placement", "conversation"]
DocumentType = Literal[
    "resume",
    "cover_letter",
    "job_description",
    "company_document",
    "contract",
    "invoice",
    "receipt",
    "agreement",
    "offer_letter",
    "other",
    "profile_image",
]
# extracted: `text` holds it; empty: the file holds no text (a scanned PDF); unsupported: the kind of file
# is not read (DOC, DOCX, RTF, images); failed: reading it went wrong (a damaged or encrypted PDF).
TextStatus = Literal["extracted", "empty", "unsupported", "failed"]


class DocumentUploaded(Event):
    document_id: UUID
    entity_type: EntityType
    entity_id: UUID
    document_type: DocumentType
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    storage_key: str
    uploaded_by: UUID
    by: str
    at: datetime

    personal = Personal(("filename",), kind="document", key="document_id")  # "Jane Doe CV.pdf"


class DocumentTextExtracted(Event):
    """What text the document gave for the AI review: `text` when `text_status` is extracted, else `reason`."""

    document_id: UUID
    text_status: TextStatus
    text: str | None
    truncated: bool
    reason: str | None
    at: datetime

    personal = Personal(("text",), kind="document", key="document_id")
    not_personal = frozenset({"reason"})  # why no text could be had (unsupported kind, damaged PDF)


class DocumentDeleted(Event):
    document_id: UUID
    entity_type: EntityType
    entity_id: UUID
    storage_key: str
    deleted_by: UUID
    by: str
    at: datetime
