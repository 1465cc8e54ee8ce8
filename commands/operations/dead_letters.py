"""The dead letters decider: each requeue an operator makes of a reactor's dead letters is recorded once (a requeue
is an action, so requeueing again records again; the same requeue sent twice — a form posted again — records
nothing, and the console does not move the letters a second time)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from commands.core import Command, Decider
from commands.operations.dead_letters_events import DeadLettersRequeued

# A reactor's name (consumers/reactors.py): the stream's entity id.
ReactorName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


class RecordDeadLettersRequeue(Command):
    requeue_id: UUID
    reactor: ReactorName
    event_id: UUID | None
    moved: Annotated[int, Field(ge=0)]
    operator: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    at: AwareDatetime


def initial_state() -> frozenset[UUID]:
    return frozenset()


def evolve(requeues: frozenset[UUID], e: DeadLettersRequeued) -> frozenset[UUID]:
    return requeues | {e.requeue_id}


def decide(cmd: RecordDeadLettersRequeue, requeues: frozenset[UUID]) -> list[DeadLettersRequeued]:
    if cmd.requeue_id in requeues:
        return []
    return [DeadLettersRequeued(**cmd.model_dump())]


dead_letters: Decider[RecordDeadLettersRequeue, DeadLettersRequeued, frozenset[UUID]] = Decider(
    "deadletters", initial_state, evolve, decide, events=(DeadLettersRequeued,),
)
