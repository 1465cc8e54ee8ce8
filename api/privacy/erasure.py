"""Erasure requests: `POST /v1/admin/subjects/{id}/erase` and `GET /v1/admin/erasures/{id}` (platform admins),
and a person's own request, `DELETE /v1/users/me`, asked twice.

A request is recorded on its own stream (`erasure-<id>`) and answered 202: the erasure process
(`consumers/privacy/process.py`) does the work and records its completion, which the status route shows.
The status is read from the erasure's stream itself, never from a read model: it is one short stream, and
it must tell the truth right after the completion.

Decided where the issue is silent: the first `DELETE /v1/users/me` answers a confirmation token valid for
ten minutes, signed with the token secret for that user alone; the second call, with the token in its body,
records the request, under an erasure id derived from the token so that a repeated second call is the same
request. A person unknown to the event store cannot be erased (404): an id typed wrong must not destroy a key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field, StringConstraints

from api.bounds import NO_NUL, Line
from api.deps import CommandMetadata, CurrentUser, Now, PlatformAdmin, Store, TokenSecret
from api.network.common import known
from api.problems import problem
from api.responses import CommandResponse
from commands.core import NotFound
from commands.privacy.erasure import RequestErasure, erasure
from commands.privacy.events import PersonKind, SubjectErased, SubjectErasureRequested
from commands.identity import user as users
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from adapters.tokens import ConfirmationRefused, check_confirmation, confirmation_token

router = APIRouter(tags=["privacy"])

CONFIRMATION_LIFETIME = timedelta(minutes=10)
_SELF_ERASURE = "erase-self"
# The stream that proves a person of each kind exists.
_RECORD_STREAM = {"user": "user", "candidate": "candidate", "recruiter": "recruiter"}


class EraseBody(BaseModel):
    kind: PersonKind
    reason: Line | None = None


class ConfirmBody(BaseModel):
    confirmation_token: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_NUL)]


class Confirmation(BaseModel):
    confirmation_token: str = Field(description="Send it back as `confirmation_token` in a second DELETE")
    expires_at: datetime


class ErasureAnswer(CommandResponse):
    """The first DELETE records nothing: `id` and `version` are the caller's user (the token is null) and the
    confirmation is under `data`. The second records the request: `id` and `version` are the erasure's."""

    data: Confirmation | None = None


class ErasureCounts(BaseModel):
    subjects: int
    users: int
    candidates: int
    recruiters: int
    applications: int
    documents: int
    invitations: int
    documents_deleted: int


class ErasureStatus(BaseModel):
    id: UUID
    status: Literal["requested", "erased"]
    person_kind: PersonKind
    person_id: UUID
    self_service: bool
    reason: str | None
    requested_by: str
    requested_at: datetime
    erased_at: datetime | None
    counts: ErasureCounts | None


class ErasureEnvelope(BaseModel):
    data: ErasureStatus


async def request_erasure(store: EventStore, kind: PersonKind, person_id: UUID, meta: Metadata, *,
                          erasure_id: UUID | None = None, self_service: bool = False,
                          reason: str | None = None, now: datetime) -> CommandResponse:
    """Record a request to erase the person (404 when no record of that kind and id exists), made at `now`
    (the request's moment, or the CLI's reading of the system clock)."""
    if await store.stream_version(f"{_RECORD_STREAM[kind]}-{person_id}") == 0:
        raise NotFound(f"no {kind} {person_id} is recorded", person_id=str(person_id))
    if erasure_id is None:
        erasure_id = (uuid5(NAMESPACE_URL, f"erasure:{meta.actor}:{meta.idempotency_key}") if meta.idempotency_key
                      else uuid4())
    command = RequestErasure(erasure_id=erasure_id, person_kind=kind, person_id=person_id, self_service=self_service,
                             reason=reason, requested_by=meta.actor or "unknown",
                             at=now)
    return CommandResponse.of(erasure_id, await handle(store, erasure, erasure_id, command, meta))


@router.post("/v1/admin/subjects/{person_id}/erase", status_code=202, response_model=CommandResponse,
             responses={401: {}, 403: {}, 404: {}, 422: {}})
async def erase(person_id: UUID, body: EraseBody, _: PlatformAdmin, store: Store,
                meta: CommandMetadata, now: Now) -> CommandResponse:
    """Ask for a person's data to be erased: a user, a candidate record, or a recruiter (and their user)."""
    return await request_erasure(store, body.kind, person_id, meta, reason=body.reason, now=now)


@router.get("/v1/admin/erasures/{erasure_id}", response_model=ErasureEnvelope, responses={401: {}, 403: {}, 404: {}})
async def erasure_status(erasure_id: UUID, _: PlatformAdmin, store: Store) -> ErasureEnvelope:
    """Where an erasure stands: requested, or erased with what it covered."""
    status = await status_of(store, erasure_id)
    if status is None:
        raise NotFound(f"erasure {erasure_id} not found", erasure_id=str(erasure_id))
    return ErasureEnvelope(data=status)


async def status_of(store: EventStore, erasure_id: UUID) -> ErasureStatus | None:
    """An erasure's status from its own stream; None when no such erasure was requested."""
    recorded = await store.read_stream(stream_id_for(erasure, erasure_id))
    registry = store.registry
    assert registry is not None
    events = [registry.decode(r) for r in recorded]
    requested = next((e for e in events if isinstance(e, SubjectErasureRequested)), None)
    if requested is None:
        return None
    done = next((e for e in events if isinstance(e, SubjectErased)), None)
    return ErasureStatus(
        id=erasure_id, status="erased" if done else "requested", person_kind=requested.person_kind,
        person_id=requested.person_id, self_service=requested.self_service, reason=requested.reason,
        requested_by=requested.requested_by, requested_at=requested.at, erased_at=done.at if done else None,
        counts=None if done is None else ErasureCounts(
            subjects=len(done.subjects), users=len(done.user_ids), candidates=len(done.candidate_ids),
            recruiters=len(done.recruiter_ids), applications=len(done.application_ids),
            documents=len(done.document_ids), invitations=len(done.invitation_ids),
            documents_deleted=done.documents_deleted))


@router.delete("/v1/users/me", status_code=202, response_model=ErasureAnswer,
               responses={202: {"description": "A confirmation token (first call) or the recorded request "
                                               "(second call)"}, 401: {}, 403: {}, 422: {}})
async def erase_me(user: CurrentUser, store: Store, meta: CommandMetadata, now: Now,
                   secret: TokenSecret,
                   body: Annotated[ConfirmBody | None, Body()] = None) -> Any:
    """Erase your own account and everything held about you. Call once for a confirmation token, then again
    with it within ten minutes: the second call records the request."""
    user_id = known(user)
    if body is None:
        expires = now + CONFIRMATION_LIFETIME
        token = confirmation_token(secret, _SELF_ERASURE, str(user_id), int(expires.timestamp()))
        _, version, _ = await load(store, users.user, stream_id_for(users.user, user_id))
        return ErasureAnswer(id=user_id, version=version, consistency_token=None,
                             data=Confirmation(confirmation_token=token, expires_at=expires))
    try:
        check_confirmation(secret, _SELF_ERASURE, str(user_id), body.confirmation_token, int(now.timestamp()))
    except ConfirmationRefused as refused:
        return problem(422, "confirmation refused", f"the confirmation token is {refused.reason}; ask for a new one"
                       " with a DELETE without a body", code=f"confirmation_{refused.reason}")
    erasure_id = uuid5(NAMESPACE_URL, f"erasure:self:{user_id}:{body.confirmation_token}")
    return await request_erasure(store, "user", user_id, meta, erasure_id=erasure_id, self_service=True,
                                 now=now)
