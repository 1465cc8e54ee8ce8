"""The bundle check decider: each check an operator makes of an uploaded audit bundle is recorded once (a check
is an action, so checking the same file again records again; a retried command with the same check id records
nothing)."""

from __future__ import annotations

from typing import Annotated, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from commands.core import Command, Decider
from commands.operations.bundle_check_events import AuditBundleVerified

MAX_PROBLEMS = 20  # the verdict page lists them all; the record keeps the first ones and their count
MAX_PROBLEM_CHARS = 400

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Problem = Annotated[str, StringConstraints(max_length=MAX_PROBLEM_CHARS)]


def bundle_check_id_for(bundle_sha256: str) -> str:
    """The stream's entity id: the bundle's SHA-256, so every check of one file reads together."""
    return bundle_sha256


class RecordBundleCheck(Command):
    check_id: UUID
    bundle_sha256: Sha256
    bundle_bytes: Annotated[int, Field(ge=0)]
    placement_id: UUID | None
    ok: bool
    problem_count: Annotated[int, Field(ge=0)]
    problems: Annotated[tuple[Problem, ...], Field(max_length=MAX_PROBLEMS)]
    public_key: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    operator: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    at: AwareDatetime

    @model_validator(mode="after")
    def _verdict_agrees(self) -> Self:
        """A bundle is intact exactly when no problem was found, and the problems kept are the first found."""
        if self.ok != (self.problem_count == 0) or len(self.problems) > self.problem_count:
            raise ValueError("ok must say that no problem was found, and the problems kept must be among those counted")
        if not self.ok and not self.problems:
            raise ValueError("a failed check keeps at least its first problem")
        return self


def initial_state() -> frozenset[UUID]:
    return frozenset()


def evolve(checked: frozenset[UUID], e: AuditBundleVerified) -> frozenset[UUID]:
    return checked | {e.check_id}


def decide(cmd: RecordBundleCheck, checked: frozenset[UUID]) -> list[AuditBundleVerified]:
    if cmd.check_id in checked:
        return []
    return [AuditBundleVerified(**cmd.model_dump())]


bundle_check: Decider[RecordBundleCheck, AuditBundleVerified, frozenset[UUID]] = Decider(
    "bundlecheck", initial_state, evolve, decide, events=(AuditBundleVerified,),
)
