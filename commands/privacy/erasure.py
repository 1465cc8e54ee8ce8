"""The erasure decider: a request is recorded once, completed once; nothing is asked of an erased person again.

Decided where the issue is silent: a second request for a person already being erased is a no-op on its own
stream (each request has its own id; the process manager finds the work done and completes it at once).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from commands.core import Command, Decider, NotFound, RuleViolation
from commands.privacy.events import PersonKind, SubjectErased, SubjectErasureRequested

Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Subject = Annotated[str, StringConstraints(min_length=3, max_length=200, pattern=r"^[a-z][a-z_-]*:[^\x00]+$")]


class RequestErasure(Command):
    erasure_id: UUID
    person_kind: PersonKind
    person_id: UUID
    self_service: bool
    reason: Note | None = None
    requested_by: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    at: AwareDatetime


class CompleteErasure(Command):
    erasure_id: UUID
    subjects: Annotated[list[Subject], Field(max_length=100_000)]
    user_ids: list[UUID]
    candidate_ids: list[UUID]
    recruiter_ids: list[UUID]
    application_ids: list[UUID]
    document_ids: list[UUID]
    invitation_ids: list[UUID]
    documents_deleted: Annotated[int, Field(ge=0, le=1_000_000)]
    at: AwareDatetime


ErasureCommand = RequestErasure | CompleteErasure
ErasureEvent = SubjectErasureRequested | SubjectErased


@dataclass(frozen=True)
class Erasure:
    requested: SubjectErasureRequested | None = None
    erased: bool = False


class ErasureNotRequested(NotFound):
    code = "erasure_not_requested"


class ErasureAlreadyRequested(RuleViolation):
    code = "erasure_already_requested"


def initial_state() -> Erasure:
    return Erasure()


def evolve(s: Erasure, e: ErasureEvent) -> Erasure:
    match e:
        case SubjectErasureRequested():
            return replace(s, requested=e)
        case SubjectErased():
            return replace(s, erased=True)
    return s


def decide(cmd: ErasureCommand, s: Erasure) -> list[ErasureEvent]:
    match cmd:
        case RequestErasure() if s.requested is not None:
            same = (s.requested.person_kind, s.requested.person_id) == (cmd.person_kind, cmd.person_id)
            if same:
                return []
            raise ErasureAlreadyRequested("this erasure id is already used for another person")
        case RequestErasure():
            return [SubjectErasureRequested(**cmd.model_dump())]
        case CompleteErasure() if s.requested is None:
            raise ErasureNotRequested("no erasure was requested under this id")
        case CompleteErasure() if s.erased:
            return []
        case CompleteErasure():
            assert s.requested is not None
            return [SubjectErased(person_kind=s.requested.person_kind, person_id=s.requested.person_id, **cmd.model_dump())]
    return []


erasure: Decider[ErasureCommand, ErasureEvent, Erasure] = Decider(
    "erasure", initial_state, evolve, decide, events=(SubjectErasureRequested, SubjectErased),
)
