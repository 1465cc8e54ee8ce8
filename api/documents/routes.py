"""Document routes: upload (multipart), list an entity's documents, read one, download its content, delete it.

An upload is checked before anything is written: the body is read only up to the largest accepted file
plus its form (413 past that, without reading further), the fields must be valid (422), the caller must
be allowed to change the entity's documents (404/403, api/documents/policy.py), the file must not be
empty (422), its content and name must agree on an accepted kind (415, api/documents/content.py), it
must fit that kind's size limit (413) and an image is only ever a profile image (415). Then its text is
extracted, its content stored (adapters/storage.py) and only then the upload recorded: a document event
always names stored content. A refusal writes nothing, neither an event nor content.

A delete is recorded first and the content removed after; if the removal fails it is retried by
deleting again (a no-op on the stream). Reads come from the documents read schema and accept a
consistency token.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any, get_args
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import structlog
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from psycopg import AsyncConnection
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from api.consistency import read_after
from api.deps import CommandMetadata, CurrentUser, Db, Now, StorageDep, SystemDep
from api.documents.content import Kind, clean_filename, content_disposition, detected_name, extract_text, sniff
from api.documents.models import DocumentCreated, DocumentEnvelope, DocumentList, DocumentOut, UploadFields
from api.documents.policy import check_may_delete, check_may_upload, entity_access
from api.problems import problem
from api.responses import CommandResponse, PageNumber, PageSize
from commands.core import Forbidden, NotFound
from commands.documents import document as documents
from commands.documents.events import DocumentType, EntityType
from eventstore import EventStore, Metadata, Position, handle, load, stream_id_for
from adapters.system import System
from adapters.storage import ContentNotFound, Storage, StorageError
from projections.documents.queries import get_document, list_documents
from projections.identity.access import Access

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1/documents", tags=["documents"])
FreshDocuments = Annotated[Position | None, Depends(read_after("documents"))]

# The largest accepted file and the form around it: a body past this is refused without reading on.
MAX_FORM_OVERHEAD = 64 * 1024
MAX_BODY_BYTES = documents.MAX_DOCUMENT_BYTES + MAX_FORM_OVERHEAD
ACCEPTED = "PDF, DOC, DOCX, TXT, MD or RTF up to 10 MB; JPEG, PNG or WebP up to 5 MB, as profile_image only"

_UPLOAD_FORM = {
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "entity_type", "entity_id", "document_type"],
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "entity_type": {"type": "string", "enum": list(get_args(EntityType))},
            "entity_id": {"type": "string", "format": "uuid"},
            "document_type": {"type": "string", "enum": list(get_args(DocumentType))},
        }}}}},
}


class Refused(Exception):
    """An upload refused before anything is written: answered as a problem with this status."""

    def __init__(self, status: int, title: str, detail: str, code: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.code, self.extra = status, title, detail, code, extra

    def response(self) -> JSONResponse:
        return problem(self.status, self.title, self.detail, code=self.code, **self.extra)


def _too_large(limit: int) -> Refused:
    return Refused(413, "file too large", f"the file is larger than {limit} bytes; accepted: {ACCEPTED}",
                   "file_too_large", limit_bytes=limit)


def _storage_unavailable(exc: StorageError, detail: str) -> JSONResponse:
    log.error("document storage failed", error=str(exc))
    response = problem(503, "storage unavailable", detail, code="storage_unavailable")
    response.headers["Retry-After"] = "5"
    return response


# The system's document storage (infra/bootstrap.py chose it from the settings).
DocumentStorage = StorageDep


def _user_id(user: Access) -> UUID:
    if user.user_id is None:
        raise Forbidden("register first: POST /v1/users/register")
    return user.user_id


def _document_id(meta: Metadata) -> UUID:
    """A fresh id, or one derived from the Idempotency-Key so a retried upload lands on the same stream."""
    return uuid5(NAMESPACE_URL, f"document:{meta.actor}:{meta.idempotency_key}") if meta.idempotency_key else uuid4()


async def _read_form(request: Request) -> FormData:
    """The multipart form, read no further than `MAX_BODY_BYTES`."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise Refused(415, "unsupported media type", "an upload is a multipart/form-data body",
                      "unsupported_media_type")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise _too_large(documents.MAX_DOCUMENT_BYTES)

    async def bounded() -> AsyncGenerator[bytes, None]:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > MAX_BODY_BYTES:
                raise _too_large(documents.MAX_DOCUMENT_BYTES)
            yield chunk

    parser = MultiPartParser(request.headers, bounded(), max_files=1, max_fields=8, max_part_size=MAX_FORM_OVERHEAD)
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise Refused(422, "invalid request", f"the multipart body could not be read: {exc.message}",
                      "invalid_request") from None


async def _stored_document(store: EventStore, document_id: UUID) -> tuple[documents.Document, int, Position | None]:
    return await load(store, documents.document, stream_id_for(documents.document, document_id))


@router.post("", status_code=201, response_model=DocumentCreated, openapi_extra=_UPLOAD_FORM,
             responses={401: {}, 403: {}, 404: {}, 413: {}, 415: {}, 422: {}, 503: {}})
async def upload(request: Request, user: CurrentUser, system: SystemDep, storage: DocumentStorage,
                 meta: CommandMetadata, now: Now) -> Any:
    """Attach a file to an entity. Form fields: `file`, `entity_type`, `entity_id`, `document_type`."""
    uploaded_by = _user_id(user)
    try:
        form = await _read_form(request)
        try:
            fields = UploadFields.model_validate({k: form.get(k) for k in UploadFields.model_fields})
            file = form.get("file")
            if not isinstance(file, UploadFile):
                raise Refused(422, "invalid request", "the form has no `file` part", "invalid_request")
            access = await entity_access(system.store, system.pool, user, fields.entity_type, fields.entity_id, now)
            await check_may_upload(system.store, system.pool, user, access, now)
            data = await file.read()
            filename = clean_filename(file.filename)
        finally:
            await form.close()
        return await _accept(system.store, storage, meta, now, fields, filename, data, uploaded_by)
    except Refused as refused:
        return refused.response()
    except StorageError as exc:
        return _storage_unavailable(exc, "the file could not be stored; nothing was recorded, try again")


def _check_file(fields: UploadFields, filename: str, data: bytes) -> Kind:
    """The kind of an acceptable file; `Refused` for anything else."""
    if not data:
        raise Refused(422, "empty file", "the file is empty", "empty_file")
    if not filename:
        raise Refused(422, "invalid request", "the file part needs a file name", "invalid_request")
    kind = sniff(filename, data)
    if kind is None:
        raise Refused(415, "unsupported file type",
                      f"the file's content and name must agree on an accepted kind; accepted: {ACCEPTED}",
                      "unsupported_file_type", filename=filename, detected=detected_name(data))
    limit = documents.size_limit(kind.content_type)
    assert limit is not None
    if len(data) > limit:
        raise _too_large(limit)
    if not documents.fits_document_type(kind.content_type, fields.document_type):
        raise Refused(415, "unsupported file type",
                      f"a {kind.name} file cannot be a {fields.document_type}: images are profile images only, "
                      "and a profile image is an image", "file_type_not_allowed",
                      detected=kind.name, document_type=fields.document_type)
    return kind


async def _accept(store: EventStore, storage: Storage, meta: Metadata, now: datetime, fields: UploadFields,
                  filename: str, data: bytes, uploaded_by: UUID) -> DocumentCreated:
    kind = _check_file(fields, filename, data)
    document_id = _document_id(meta)
    existing, version, position = await _stored_document(store, document_id)
    if existing.exists:  # a retried upload: answer with the first one
        return DocumentCreated(id=document_id, version=version, consistency_token=position and str(position),
                               data=DocumentOut.of(existing))
    sha256 = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
    text = await asyncio.to_thread(extract_text, kind, data)
    key = documents.storage_key_for(fields.entity_type, fields.entity_id, document_id, sha256)
    command = documents.UploadDocument(
        document_id=document_id, entity_type=fields.entity_type, entity_id=fields.entity_id,
        document_type=fields.document_type, filename=filename, content_type=kind.content_type, size_bytes=len(data),
        sha256=sha256, storage_key=key, uploaded_by=uploaded_by, text_status=text.status, text=text.text,
        truncated=text.truncated, text_reason=text.reason, by=meta.actor, at=now)
    await storage.put(key, data, kind.content_type)
    try:
        result = await handle(store, documents.document, document_id, command, meta)
    finally:
        recorded, _, _ = await _stored_document(store, document_id)
        if recorded.storage_key != key:  # not recorded, or another run of the same upload was: ours is a stray
            await _remove_stray(storage, key)
    return DocumentCreated.of_result(document_id, result, DocumentOut.of(recorded))


async def _remove_stray(storage: Storage, key: str) -> None:
    try:
        await storage.delete(key)
    except StorageError as exc:  # the answer stands; an unreferenced file is only wasted space
        log.warning("could not remove a stray document file", key=key, error=str(exc))


@router.get("", response_model=DocumentList, responses={401: {}, 403: {}, 404: {}})
async def list_all(entity_type: EntityType, entity_id: UUID, token: FreshDocuments, user: CurrentUser,
                   system: SystemDep, db: Db, now: Now, document_type: DocumentType | None = None, page: PageNumber = 1,
                   limit: PageSize = 25) -> DocumentList:
    """The documents of one entity, newest first: 404 if the caller may not see it, 403 if they see it but
    not its documents."""
    access = await entity_access(system.store, system.pool, user, entity_type, entity_id, now)
    access.check_read()
    rows = await list_documents(db, entity_type, entity_id, document_type)
    return DocumentList.sliced([DocumentOut.from_row(r) for r in rows
                                if access.reads_document(r["id"], r["uploaded_by_user_id"])], page, limit)


async def _readable(system: System, user: Access, db: AsyncConnection, document_id: UUID,
                    now: datetime) -> dict[str, Any]:
    """The document's row, if the caller may read its entity's documents; otherwise it does not exist."""
    row = await get_document(db, document_id)
    if row is not None:
        access = await entity_access(system.store, system.pool, user, row["entity_type"], row["entity_id"], now)
        if access.exists and access.reads_document(row["id"], row["uploaded_by_user_id"]):
            return row
    raise NotFound(f"document {document_id} not found", document_id=str(document_id))


@router.get("/{document_id}", response_model=DocumentEnvelope, responses={401: {}, 404: {}})
async def get_one(document_id: UUID, token: FreshDocuments, user: CurrentUser, system: SystemDep,
                  db: Db, now: Now) -> DocumentEnvelope:
    return DocumentEnvelope(data=DocumentOut.from_row(await _readable(system, user, db, document_id, now)))


@router.get("/{document_id}/content", response_class=Response, responses={401: {}, 404: {}, 503: {}})
async def download(document_id: UUID, token: FreshDocuments, user: CurrentUser, system: SystemDep, db: Db,
                   storage: DocumentStorage, now: Now) -> Response:
    """The file itself, as an attachment under its recorded (sanitised) name."""
    row = await _readable(system, user, db, document_id, now)
    try:
        content = await storage.get(row["storage_key"])
    except ContentNotFound:
        log.error("document content missing from storage", document_id=str(document_id), key=row["storage_key"])
        raise NotFound(f"the content of document {document_id} is missing", document_id=str(document_id)) from None
    except StorageError as exc:
        return _storage_unavailable(exc, "the file could not be read from storage; try again")
    return Response(content, media_type=row["content_type"], headers={
        "Content-Disposition": content_disposition(row["filename"]),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "ETag": f'"{row["sha256"]}"',
    })


@router.delete("/{document_id}", response_model=CommandResponse, responses={401: {}, 403: {}, 404: {}, 503: {}})
async def delete(document_id: UUID, user: CurrentUser, system: SystemDep, storage: DocumentStorage,
                 meta: CommandMetadata, now: Now) -> Any:
    """Record the deletion, then remove the content. Deleting a deleted document records nothing and removes
    the content again: the way to finish a deletion whose removal failed (503)."""
    state, _, _ = await _stored_document(system.store, document_id)
    if not state.exists or state.entity_id is None:
        raise NotFound(f"document {document_id} not found", document_id=str(document_id))
    access = await entity_access(system.store, system.pool, user, state.entity_type, state.entity_id, now)
    if not (access.exists and access.reads_document(document_id, state.uploaded_by)):
        raise NotFound(f"document {document_id} not found", document_id=str(document_id))
    check_may_delete(user, access, state)
    command = documents.DeleteDocument(document_id=document_id, deleted_by=_user_id(user), by=meta.actor,
                                       at=now)
    result = await handle(system.store, documents.document, document_id, command, meta)
    try:
        await storage.delete(state.storage_key)
    except StorageError as exc:
        return _storage_unavailable(exc, "the deletion is recorded but the file could not be removed yet; "
                                         "send the DELETE again")
    return CommandResponse.of(document_id, result)
