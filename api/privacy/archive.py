"""Taking an access export: everything held about a person, as one zip, and the export recorded as an event.

The bundle is a zip (`application/zip`) rather than one JSON document because it carries the person's files
as they were uploaded (a PDF stays a PDF, with no base64 growing it by a third) beside the data, and because it
can be written and sent piece by piece. It holds:

- `data.json`: the export (id, time, who asked), the person (ids and subjects, see
  `projections/privacy/subjects.py`), their rows in every read model (`projections/privacy/holdings.py`),
  their documents' metadata with the path of each file in the zip, and every event that holds a field
  sealed for one of their subjects, with its personal fields opened (erased ones read as erased);
- `documents/<document id>/<file name>`: the content of each document that is not deleted.

Work is bounded and kept off the event loop: events are read through a server-side cursor in batches and
written as they come; the zip (compression, the file's SHA-256) is built in a worker thread into a temporary
file that spills to disk past a few megabytes. An export past `max_events` events or `max_bytes` bytes
(before compression) is refused with `ExportTooLarge` rather than held whole in memory. The export is
recorded (`PersonalDataExported` on `dataexport-<export id>`, with the zip's SHA-256) once the zip is
complete, so a bundle never lists its own export.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from uuid import UUID, uuid4

import orjson

from commands.core import RuleViolation
from commands.privacy.export import RecordDataExport, data_export
from eventstore import EventStore, Metadata, RecordedEvent, UnknownEventType, handle
from eventstore.personal import is_sealed, sealed_subjects
from eventstore.sealed import events_sealed_for
from adapters.storage import ContentNotFound, Storage
from projections.privacy.holdings import rows_of
from projections.privacy.subjects import Person, PersonKind, resolve_person

FORMAT = "splits-personal-data/1"
DATA = "data.json"
_SPOOL_BYTES = 8 * 1024 * 1024
_BATCH = 500


class ExportTooLarge(RuleViolation):
    code = "export_too_large"


@dataclass(frozen=True)
class ExportLimits:
    max_events: int = 250_000
    max_bytes: int = 256 * 1024 * 1024


@dataclass
class TakenExport:
    """A finished export: the zip in a temporary file (at its start; close it when sent) and what was recorded."""

    file: IO[bytes]
    export_id: UUID
    sha256: str
    size: int
    event_count: int
    filename: str


async def export_person(
    store: EventStore, storage: Storage, kind: PersonKind, person_id: UUID, requested_by: str, at: datetime,
    meta: Metadata, limits: ExportLimits = ExportLimits(),
) -> TakenExport | None:
    """The access export of the person, recorded; None when there is no such person."""
    export_id = uuid4()
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115  (handed to the caller)
    writer: _Writer | None = None
    try:
        async with store.pool.connection() as conn:
            person = await resolve_person(conn, kind, person_id)
            if person is None:
                spool.close()
                return None
            rows = await rows_of(conn, person)
            writer = _Writer(spool, limits)
            documents = await _documents(writer, storage, rows.get("documents.documents", []))
            head = {"format": FORMAT, "export_id": str(export_id), "exported_at": at.isoformat(),
                    "requested_by": requested_by, "person": _person(person), "records": rows,
                    "documents": documents}
            await writer.begin_data(head)
            async with conn.transaction():
                async for batch in events_sealed_for(conn, person.subjects, _BATCH):
                    await store.keyring.load(batch, conn)
                    await writer.events([_event(store, e) for e in batch])
        sha256, size = await writer.finish()
    except BaseException:
        if writer is not None:
            writer.abort()
        spool.close()
        raise
    try:
        await handle(store, data_export, export_id, RecordDataExport(
            export_id=export_id, person_kind=kind, person_id=person_id, requested_by=requested_by,
            event_count=writer.event_count, sha256=sha256, at=at), meta)
    except BaseException:  # not recorded: not handed out
        spool.close()
        raise
    return TakenExport(spool, export_id, sha256, size, writer.event_count,
                       f"{kind}-{person_id}-personal-data-{at:%Y%m%dT%H%M%SZ}.zip")


def _person(person: Person) -> dict[str, Any]:
    return {
        "kind": person.kind, "id": str(person.id), "subjects": person.subjects,
        "user_ids": [str(i) for i in person.user_ids], "candidate_ids": [str(i) for i in person.candidate_ids],
        "recruiter_ids": [str(i) for i in person.recruiter_ids],
        "application_ids": [str(i) for i in person.application_ids],
        "document_ids": [str(i) for i in person.document_ids], "emails": list(person.emails),
    }


def _event(store: EventStore, recorded: RecordedEvent) -> dict[str, Any]:
    """The event with its personal fields opened and brought to its current shape."""
    sealed = sorted(field for field, value in recorded.data.items() if is_sealed(value))
    subjects = sorted(sealed_subjects({field: recorded.data[field] for field in sealed}))
    registry = store.registry
    try:
        assert registry is not None
        data = registry.upcast(recorded.type, recorded.schema_version, registry.open(recorded))
    except UnknownEventType:  # a type this code no longer knows: its sealed fields cannot be told apart
        data = {field: value for field, value in recorded.data.items() if field not in sealed}
    return {"event_id": str(recorded.event_id), "type": recorded.type, "stream_id": recorded.stream_id,
            "version": recorded.version, "recorded_at": recorded.recorded_at.isoformat(),
            "personal_fields": sealed, "subjects": subjects, "data": data}


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def _file_name(name: str) -> str:
    cleaned = _UNSAFE.sub("_", name).strip(" .") or "file"
    return cleaned[-120:]


async def _documents(writer: _Writer, storage: Storage, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each document's metadata and where its content is in the zip (content of deleted ones is gone)."""
    listed = []
    for row in rows:
        entry: dict[str, Any] = {"id": row["id"], "filename": row["filename"], "path": None}
        if row.get("deleted_at") is None:
            try:
                content = await storage.get(row["storage_key"])
            except ContentNotFound:
                entry["missing"] = True
            else:
                entry["path"] = f"documents/{row['id']}/{_file_name(row['filename'])}"
                await writer.file(entry["path"], content)
        listed.append(entry)
    return listed


class _Writer:
    """The zip being written: every write runs in a worker thread, one at a time, and counts against the limits."""

    def __init__(self, spool: IO[bytes], limits: ExportLimits) -> None:
        self.spool = spool
        self.limits = limits
        self.zip = zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.data: IO[bytes] | None = None
        self.written = 0
        self.event_count = 0

    def _count(self, size: int) -> None:
        self.written += size
        if self.written > self.limits.max_bytes:
            raise ExportTooLarge(f"the export would be larger than {self.limits.max_bytes} bytes",
                                 max_bytes=self.limits.max_bytes)

    async def file(self, path: str, content: bytes) -> None:
        self._count(len(content))
        await asyncio.to_thread(self.zip.writestr, path, content)

    async def begin_data(self, head: dict[str, Any]) -> None:
        opening = orjson.dumps(head, option=orjson.OPT_NON_STR_KEYS)[:-1] + b',"events":['
        self._count(len(opening))
        self.data = await asyncio.to_thread(self.zip.open, DATA, "w", force_zip64=True)
        await asyncio.to_thread(self.data.write, opening)

    async def events(self, events: list[dict[str, Any]]) -> None:
        assert self.data is not None
        self.event_count += len(events)
        if self.event_count > self.limits.max_events:
            raise ExportTooLarge(f"the person has more than {self.limits.max_events} events to export",
                                 max_events=self.limits.max_events)
        chunk = b",".join(orjson.dumps(e, option=orjson.OPT_NON_STR_KEYS) for e in events)
        if self.event_count > len(events):
            chunk = b"," + chunk
        self._count(len(chunk))
        await asyncio.to_thread(self.data.write, chunk)

    def abort(self) -> None:
        """Close what is open, so that nothing writes to the file once it is discarded."""
        try:
            if self.data is not None:
                self.data.close()
            self.zip.close()
        except (OSError, ValueError):
            pass

    async def finish(self) -> tuple[str, int]:
        """Close the zip; its SHA-256 and size, the file rewound for reading."""
        return await asyncio.to_thread(self._finish)

    def _finish(self) -> tuple[str, int]:
        if self.data is not None:
            self.data.write(b"]}")
            self.data.close()
        self.zip.close()
        digest = hashlib.sha256()
        self.spool.seek(0)
        size = 0
        while chunk := self.spool.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
        self.spool.seek(0)
        return digest.hexdigest(), size
