"""Queries on the documents read schema: what the document routes show, and the texts the AI review reads.

The routes decide who may read an entity's documents; these queries only ever return documents that
are not deleted. The metadata queries leave the extracted text out (it can be 200k characters): the
AI review has its own two queries for it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from projections.reads import fetch_all, fetch_one

_METADATA = """id, entity_type, entity_id, document_type, filename, content_type, size_bytes, sha256, storage_key,
               uploaded_by_user_id, text_status, text_truncated, text_reason, created_at, updated_at"""


async def list_documents(conn: psycopg.AsyncConnection, entity_type: str, entity_id: UUID,
                         document_type: str | None = None) -> list[dict[str, Any]]:
    """The entity's documents (of one type, if given), newest first."""
    return await fetch_all(conn, f"""
        SELECT {_METADATA} FROM documents.documents
         WHERE entity_type = %s AND entity_id = %s AND deleted_at IS NULL
           AND (%s::text IS NULL OR document_type = %s)
         ORDER BY created_at DESC, id DESC""", (entity_type, entity_id, document_type, document_type))


async def get_document(conn: psycopg.AsyncConnection, document_id: UUID) -> dict[str, Any] | None:
    return await fetch_one(conn, f"SELECT {_METADATA} FROM documents.documents WHERE id = %s AND deleted_at IS NULL",
                           (document_id,))


_NEWEST_TEXT = """
    SELECT extracted_text FROM documents.documents
     WHERE entity_type = %s AND entity_id = %s AND document_type = ANY(%s) AND deleted_at IS NULL
       AND text_status = 'extracted' AND extracted_text IS NOT NULL
     ORDER BY created_at DESC, id DESC LIMIT 1"""


async def _newest_text(conn: psycopg.AsyncConnection, entity_type: str, entity_id: UUID,
                       document_types: list[str]) -> str | None:
    row = await fetch_one(conn, _NEWEST_TEXT, (entity_type, entity_id, document_types))
    return row["extracted_text"] if row else None


async def resume_text_for(db: psycopg.AsyncConnection, candidate_id: UUID,
                          application_id: UUID | None = None) -> str | None:
    """The resume text for an AI review: the newest resume attached to the application, else the candidate's
    newest resume; None when neither has text (not uploaded, deleted, or not extractable)."""
    if application_id is not None:
        text = await _newest_text(db, "application", application_id, ["resume"])
        if text is not None:
            return text
    return await _newest_text(db, "candidate", candidate_id, ["resume"])


async def cover_letter_text_for(db: psycopg.AsyncConnection, application_id: UUID) -> str | None:
    """The text of the newest cover letter attached to the application, if any."""
    return await _newest_text(db, "application", application_id, ["cover_letter"])


async def storage_keys_of(conn: psycopg.AsyncConnection, document_ids: list[UUID]) -> list[str]:
    """Where the content of these documents is stored, deleted documents included (for an erasure)."""
    rows = await fetch_all(conn, "SELECT DISTINCT storage_key FROM documents.documents WHERE id = ANY(%s)"
                                 " ORDER BY storage_key", (document_ids,))
    return [r["storage_key"] for r in rows]


async def files_of_applications(conn: psycopg.AsyncConnection,
                                application_ids: list[UUID]) -> list[tuple[UUID, UUID, str]]:
    """The documents attached to these applications, deleted or not: (application id, document id, storage key)."""
    cur = await conn.execute("""
        SELECT entity_id, id, storage_key FROM documents.documents
         WHERE entity_type = 'application' AND entity_id = ANY(%s) ORDER BY entity_id, id""", (application_ids,))
    return [(row[0], row[1], row[2]) for row in await cur.fetchall()]
