"""The documents API's contracts: what an upload answers, and what the list and detail show. The
extracted text and the storage key stay inside (the text is for the AI review, the key for storage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from api.responses import CommandResponseWith, ListOf
from commands.documents.document import Document
from commands.documents.events import DocumentType, EntityType
from eventstore import CommandResult


class UploadFields(BaseModel):
    """The form fields of an upload besides the file."""

    entity_type: EntityType
    entity_id: UUID
    document_type: DocumentType


class DocumentOut(BaseModel):
    id: UUID
    entity_type: EntityType
    entity_id: UUID
    document_type: DocumentType
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    text_status: str
    text_truncated: bool
    text_reason: str | None
    uploaded_by_user_id: UUID
    created_at: datetime

    @classmethod
    def of(cls, state: Document) -> DocumentOut:
        assert state.id is not None and state.entity_id is not None and state.uploaded_by is not None
        assert state.uploaded_at is not None
        return cls(id=state.id, entity_type=state.entity_type, entity_id=state.entity_id,
                   document_type=state.document_type, filename=state.filename, content_type=state.content_type,
                   size_bytes=state.size_bytes, sha256=state.sha256, text_status=state.text_status or "pending",
                   text_truncated=state.text_truncated, text_reason=state.text_reason,
                   uploaded_by_user_id=state.uploaded_by, created_at=state.uploaded_at)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DocumentOut:
        return cls.model_validate({field: row[field] for field in cls.model_fields})


class DocumentCreated(CommandResponseWith[DocumentOut]):
    @classmethod
    def of_result(cls, document_id: UUID, result: CommandResult, data: DocumentOut) -> DocumentCreated:
        return cls(id=document_id, version=result.version, consistency_token=result.token, data=data)


class DocumentEnvelope(BaseModel):
    data: DocumentOut


class DocumentList(ListOf[DocumentOut]):
    pass
