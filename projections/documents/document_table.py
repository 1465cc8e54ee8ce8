"""The `documents` table: one row per document with its metadata, its extracted text (`text_status`
pending until the text event is applied) and, once deleted, `deleted_at` (the row stays; queries leave it
out). The content itself is in the storage backend under `storage_key`."""

from __future__ import annotations

from commands.documents.events import DocumentDeleted, DocumentTextExtracted, DocumentUploaded
from projections.core import Sql
from projections.documents.schema import documents

documents.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS documents (
        id                  uuid PRIMARY KEY,
        entity_type         text NOT NULL,
        entity_id           uuid NOT NULL,
        document_type       text NOT NULL,
        filename            text NOT NULL,
        content_type        text NOT NULL,
        size_bytes          bigint NOT NULL,
        sha256              text NOT NULL,
        storage_key         text NOT NULL,
        uploaded_by_user_id uuid NOT NULL,
        uploaded_by         text NOT NULL,
        text_status         text NOT NULL DEFAULT 'pending',
        extracted_text      text,
        text_truncated      boolean NOT NULL DEFAULT false,
        text_reason         text,
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL,
        deleted_at          timestamptz,
        deleted_by          text
    );
    CREATE INDEX IF NOT EXISTS documents_entity_idx ON documents (entity_type, entity_id, created_at DESC)
        WHERE deleted_at IS NULL;
    """
)


@documents.handles(DocumentUploaded)
def _(e: DocumentUploaded) -> Sql:
    return Sql(
        "INSERT INTO documents (id, entity_type, entity_id, document_type, filename, content_type, size_bytes,"
        " sha256, storage_key, uploaded_by_user_id, uploaded_by, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.document_id, e.entity_type, e.entity_id, e.document_type, e.filename, e.content_type, e.size_bytes,
         e.sha256, e.storage_key, e.uploaded_by, e.by, e.at, e.at),
    )


@documents.handles(DocumentTextExtracted)
def _(e: DocumentTextExtracted) -> Sql:
    return Sql(
        "UPDATE documents SET text_status = %s, extracted_text = %s, text_truncated = %s, text_reason = %s,"
        " updated_at = %s WHERE id = %s",
        (e.text_status, e.text, e.truncated, e.reason, e.at, e.document_id),
    )


@documents.handles(DocumentDeleted)
def _(e: DocumentDeleted) -> Sql:
    return Sql("UPDATE documents SET deleted_at = %s, deleted_by = %s, updated_at = %s WHERE id = %s",
               (e.at, e.by, e.at, e.document_id))
