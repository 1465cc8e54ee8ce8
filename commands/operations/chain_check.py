"""The chain check decider: each check an operator makes of a stream's hash chain is recorded once (a check is an
action, so checking the same stream again records again; a retried command with the same check id records
nothing)."""

from __future__ import annotations

from typing import Annotated, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from commands.core import Command, Decider
from commands.operations.chain_check_events import StreamChainVerified

MAX_STREAM_ID = 300  # eventstore/browse.py MAX_TEXT
MAX_PROBLEM_CHARS = 400

_NAMESPACE = uuid5(NAMESPACE_URL, "splits:chaincheck")


def chain_check_id_for(stream_id: str) -> UUID:
    """The check stream's entity id: derived from the checked stream's id, so every check of it reads together
    (a stream id may hold any character; a UUID is a safe stream id)."""
    return uuid5(_NAMESPACE, stream_id)


Count = Annotated[int, Field(ge=0)]


class RecordChainCheck(Command):
    check_id: UUID
    stream_id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_STREAM_ID, pattern=r"^[^\x00]*$")]
    stream_version: Count
    events_checked: Count
    ok: bool
    problem_count: Count
    first_problem_version: Count | None
    first_problem: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PROBLEM_CHARS)] | None
    capped: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PROBLEM_CHARS)] | None
    operator: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    at: AwareDatetime

    @model_validator(mode="after")
    def _verdict_agrees(self) -> Self:
        """A chain verifies exactly when no problem was found, and a failed check names its first problem."""
        if self.ok != (self.problem_count == 0) or self.ok != (self.first_problem is None):
            raise ValueError("ok must say that no problem was found, and a failed check names its first problem")
        if (self.first_problem is None) != (self.first_problem_version is None):
            raise ValueError("a problem is named with its version")
        return self


def initial_state() -> frozenset[UUID]:
    return frozenset()


def evolve(checked: frozenset[UUID], e: StreamChainVerified) -> frozenset[UUID]:
    return checked | {e.check_id}


def decide(cmd: RecordChainCheck, checked: frozenset[UUID]) -> list[StreamChainVerified]:
    if cmd.check_id in checked:
        return []
    return [StreamChainVerified(**cmd.model_dump())]


chain_check: Decider[RecordChainCheck, StreamChainVerified, frozenset[UUID]] = Decider(
    "chaincheck", initial_state, evolve, decide, events=(StreamChainVerified,),
)
