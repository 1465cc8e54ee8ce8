"""What an erasure leaves of the documents read schema (see `projections.scrub`).

The erasure process deletes the files themselves; their rows stay as deleted documents (ids, kind, size
and digest: what the audit trail of an application may still point at), without the name or the text.
"""

from __future__ import annotations

from projections.documents.schema import documents
from projections.scrub import AT, ERASED, NULL, Scrub, declare_erasure

declare_erasure(documents, {
    "documents": Scrub("id = ANY(%(document_ids)s)", {
        "filename": ERASED, "extracted_text": NULL,
        "deleted_at": "coalesce(deleted_at, %(at)s)", "deleted_by": "coalesce(deleted_by, 'erasure')",
        "updated_at": AT,
    }),
})
