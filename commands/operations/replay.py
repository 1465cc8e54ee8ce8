"""The replay-run decider: a run is requested once, then ends once, completed or failed.

Decided where the issue is silent: asking again for a run already requested records nothing (a retried
request), and so does a second end of a run that has ended (the first end stands); ending a run never
requested is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from commands.core import Command, Decider, NotFound
from commands.operations.replay_events import ReplayCompleted, ReplayFailed, ReplayRequested

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Operator = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ERROR_CHARS = 500


class RequestReplay(Command):
    run_id: UUID
    projection: Name
    operator: Operator
    at: AwareDatetime


class CompleteReplay(Command):
    run_id: UUID
    events: Annotated[int, Field(ge=0)]
    seconds: Annotated[float, Field(ge=0)]
    position: Annotated[str, StringConstraints(max_length=64)] | None = None
    at: AwareDatetime


class FailReplay(Command):
    run_id: UUID
    error: Annotated[str, StringConstraints(min_length=1, max_length=ERROR_CHARS)]
    at: AwareDatetime


ReplayCommand = RequestReplay | CompleteReplay | FailReplay
ReplayEvent = ReplayRequested | ReplayCompleted | ReplayFailed


@dataclass(frozen=True)
class ReplayRun:
    run_id: UUID | None = None
    projection: str | None = None
    operator: str | None = None
    outcome: Literal["running", "completed", "failed"] | None = None


class ReplayNotRequested(NotFound):
    code = "replay_not_requested"


def initial_state() -> ReplayRun:
    return ReplayRun()


def evolve(s: ReplayRun, e: ReplayEvent) -> ReplayRun:
    match e:
        case ReplayRequested():
            return ReplayRun(e.run_id, e.projection, e.operator, "running")
        case ReplayCompleted():
            return ReplayRun(s.run_id, s.projection, s.operator, "completed")
        case ReplayFailed():
            return ReplayRun(s.run_id, s.projection, s.operator, "failed")
    return s


def decide(cmd: ReplayCommand, s: ReplayRun) -> list[ReplayEvent]:
    match cmd:
        case RequestReplay() if s.outcome is not None:
            return []
        case RequestReplay():
            return [ReplayRequested(run_id=cmd.run_id, projection=cmd.projection, operator=cmd.operator, at=cmd.at)]
        case CompleteReplay() | FailReplay() if s.outcome is None or s.projection is None or s.operator is None:
            raise ReplayNotRequested("no replay was requested with this run id", run_id=str(cmd.run_id))
        case CompleteReplay() | FailReplay() if s.outcome != "running":
            return []
        case CompleteReplay():
            return [ReplayCompleted(run_id=cmd.run_id, projection=s.projection, operator=s.operator, events=cmd.events,
                                    seconds=cmd.seconds, position=cmd.position, at=cmd.at)]
        case FailReplay():
            return [ReplayFailed(run_id=cmd.run_id, projection=s.projection, operator=s.operator, error=cmd.error,
                                 at=cmd.at)]
    return []


replay_run: Decider[ReplayCommand, ReplayEvent, ReplayRun] = Decider(
    "replayrun", initial_state, evolve, decide, events=(ReplayRequested, ReplayCompleted, ReplayFailed),
)
