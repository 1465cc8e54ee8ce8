"""Access exports: `GET /v1/users/me/export` (the caller's own data) and
`GET /v1/admin/subjects/{id}/export?kind=user|candidate|recruiter` (platform admins, for a request that
reached them another way).

The answer is the zip `api/privacy/archive.py` builds (`data.json` and the person's files), streamed from
a temporary file, with the export's id and SHA-256 in headers; every export is recorded as a
`PersonalDataExported` event. An export is heavy, so beyond the gateway's limit for every route each caller
may take `PRIVACY_EXPORT_PER_HOUR` of them an hour (counted in Redis with the gateway's limiter; without
Redis, as for every limit, there is none). A caller who is not registered yet has nothing to export (403);
an unknown person is 404; a storage outage while reading their files is 503 and records nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import IO, Annotated, Literal
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from api.deps import CommandMetadata, CurrentUser, Now, PlatformAdmin, RateLimited, Store, SystemDep
from api.documents.routes import DocumentStorage
from api.network.common import known
from api.problems import problem
from api.ratelimit import Decision
from commands.core import NotFound
from eventstore import EventStore, Metadata
from adapters.system import System
from api.privacy.archive import ExportLimits, TakenExport, export_person
from adapters.storage import Storage, StorageError
from projections.privacy.subjects import PersonKind

log = structlog.get_logger(__name__)

router = APIRouter(tags=["privacy"])

_ANSWERS = {200: {"content": {"application/zip": {}}}, 401: {}, 403: {}, 404: {}, 422: {}, 429: {}, 503: {}}


async def _export_limit(request: Request, user: CurrentUser) -> None:
    """At most `PRIVACY_EXPORT_PER_HOUR` exports an hour per caller, on top of the gateway's limit."""
    gateway = request.app.state.gateway
    if gateway.limiter is None:
        return
    per_hour = request.app.state.system.settings.privacy_export_per_hour
    decision = await gateway.limiter.check(f"privacy-export:{user.clerk_user_id}", per_hour, window_s=3600)
    if not decision.allowed:
        raise ExportsRateLimited(decision)


class ExportsRateLimited(RateLimited):
    """Answered as every rate limit is (429, `Retry-After`), with the hourly bound in its message."""

    def __init__(self, decision: Decision) -> None:
        Exception.__init__(self, f"at most {decision.limit} access exports an hour")
        self.decision = decision


ExportAllowed = Depends(_export_limit)


@router.get("/v1/users/me/export", responses=_ANSWERS, dependencies=[ExportAllowed])
async def my_export(user: CurrentUser, store: Store, system: SystemDep, storage: DocumentStorage,
                    meta: CommandMetadata, now: Now) -> Response:
    """Everything held about the caller, as a zip."""
    user_id = known(user)
    return await _export(store, system, storage, "user", user_id, meta, now)


@router.get("/v1/admin/subjects/{person_id}/export", responses=_ANSWERS, dependencies=[ExportAllowed])
async def subject_export(person_id: UUID, admin: PlatformAdmin, store: Store, system: SystemDep,
                         storage: DocumentStorage, meta: CommandMetadata, now: Now,
                         kind: Annotated[Literal["user", "candidate", "recruiter"], Query()] = "user",
                         ) -> Response:
    """Everything held about a user, a candidate record's person or a recruiter, as a zip (platform admins)."""
    return await _export(store, system, storage, kind, person_id, meta, now)


async def _export(store: EventStore, system: System, storage: Storage, kind: PersonKind, person_id: UUID,
                  meta: Metadata, now: datetime) -> Response:
    settings = system.settings
    limits = ExportLimits(settings.privacy_export_max_events, settings.privacy_export_max_bytes)
    try:
        taken = await export_person(store, storage, kind, person_id, meta.actor or "unknown", now, meta, limits)
    except StorageError as exc:
        log.error("document storage failed during an access export", error=str(exc))
        response = problem(503, "storage unavailable", "the person's documents cannot be read right now",
                           code="storage_unavailable")
        response.headers["Retry-After"] = "5"
        return response
    if taken is None:
        raise NotFound(f"no {kind} {person_id}", kind=kind, person_id=str(person_id))
    return StreamingResponse(_chunks(taken.file), media_type="application/zip", headers=_headers(taken))


def _headers(taken: TakenExport) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{taken.filename}"',
        "Content-Length": str(taken.size),
        "X-Export-Id": str(taken.export_id),
        "X-Export-SHA256": taken.sha256,
        "Cache-Control": "no-store",
    }


async def _chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(file.read, 256 * 1024):
            yield chunk
    finally:
        file.close()
