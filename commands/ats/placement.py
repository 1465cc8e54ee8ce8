"""The placement decider: a hire, its fee and its guarantee (domain §4.2, §5.1–§5.2).

    hired → active → completed
      │       └────→ failed
      ├──→ completed            (the guarantee ran out before anyone marked the start)
      └──→ failed               a failed placement may name its replacement

Decisions where domain.md is silent or inconsistent:
- A placement is created `hired` (§15.7): the candidate has said yes but not started; it becomes `active`
  when someone confirms the start, and the guarantee scheduler completes it from either state.
- The fee is computed here, once, in integer cents, rounding half up: (salary_cents × fee_bps + 5000) // 10000.
  The original rounded whole dollars of a float; cents and integers keep splits exact (DESIGN §5.8).
- The guarantee runs out at 00:00 UTC on start_date + guarantee_days; a guarantee of 0 days runs out on the
  start date, so such a placement completes (and is invoiced) then instead of never.
- A completed placement cannot fail: its guarantee is over. Repeating the command that put a placement in its
  state records nothing; completion sent before the guarantee runs out, or after a failure, records nothing.
- Creating a placement again for the same application records nothing, so the process that turns a hire into
  a placement can be retried; the same placement id for another application is a conflict.
- A failed placement names one replacement, and a placement replaces one failed placement at most: the link
  is recorded on the failed one (`LinkReplacement`), then on the replacement (`MarkAsReplacement`, by the
  placement-replacements process). Which placement may replace which (the same job) is the caller's check
  (api/ats/placements.py): it needs both streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from commands.ats.job import Actor, FeeBps, GuaranteeDays
from commands.ats.placement_events import (
    PlacementCreated,
    PlacementMarkedAsReplacement,
    PlacementReplacementLinked,
    PlacementState,
    PlacementStateChanged,
)
from commands.core import Command, Conflict, Decider, NotFound, RuleViolation

ALLOWED: Mapping[PlacementState, frozenset[PlacementState]] = {
    "hired": frozenset({"active", "completed", "failed"}),
    "active": frozenset({"completed", "failed"}),
    "completed": frozenset(),
    "failed": frozenset(),
}
_CLOSED_BECAUSE: Mapping[PlacementState, str] = {"completed": "its guarantee is over", "failed": "it has failed"}

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PositiveCents = Annotated[int, Field(gt=0)]


def placement_fee_cents(salary_cents: int, fee_bps: int) -> int:
    """The fee on a salary, in cents, rounded half up; integers only, so exact for any salary."""
    return (salary_cents * fee_bps + 5000) // 10000


def guarantee_expires_at(start_date: date, guarantee_days: int) -> datetime:
    return datetime.combine(start_date + timedelta(days=guarantee_days), time.min, tzinfo=UTC)


class PlacementTransitionNotAllowed(RuleViolation):
    def __init__(self, from_state: PlacementState, to_state: PlacementState, why: str | None = None) -> None:
        super().__init__(f"a placement cannot move from {from_state} to {to_state}" + (f": {why}" if why else ""),
                         from_state=from_state, to_state=to_state)
        self.from_state = from_state
        self.to_state = to_state


class PlacementNotFailed(RuleViolation):
    code = "placement_not_failed"

    def __init__(self, placement_id: UUID | None, state: PlacementState) -> None:
        super().__init__(f"placement {placement_id} is {state}: only a failed placement is replaced",
                         placement_id=str(placement_id), placement_state=state)


class PlacementAlreadyReplaced(Conflict):
    code = "placement_already_replaced"

    def __init__(self, placement_id: UUID | None, replacement_placement_id: UUID | None) -> None:
        super().__init__(f"placement {placement_id} is already replaced by {replacement_placement_id}",
                         placement_id=str(placement_id), replacement_placement_id=str(replacement_placement_id))


class ReplacementAlreadyLinked(Conflict):
    code = "replacement_already_linked"

    def __init__(self, placement_id: UUID | None, replaces_placement_id: UUID | None) -> None:
        super().__init__(f"placement {placement_id} already replaces placement {replaces_placement_id}",
                         placement_id=str(placement_id), replaces_placement_id=str(replaces_placement_id))


class ReplacementNotFound(NotFound):
    code = "replacement_not_found"

    def __init__(self, replacement_placement_id: UUID) -> None:
        super().__init__(f"placement {replacement_placement_id} not found",
                         replacement_placement_id=str(replacement_placement_id))


class ReplacementNotForSameJob(RuleViolation):
    code = "replacement_not_same_job"

    def __init__(self, placement_id: UUID | None, replacement_placement_id: UUID | None) -> None:
        super().__init__(f"placement {replacement_placement_id} is not a hire for the job of placement {placement_id}:"
                         " a replacement fills the same job", placement_id=str(placement_id),
                         replacement_placement_id=str(replacement_placement_id))


class ReplacementHasFailed(RuleViolation):
    code = "replacement_failed"

    def __init__(self, replacement_placement_id: UUID | None) -> None:
        super().__init__(f"placement {replacement_placement_id} has failed itself: it replaces nothing",
                         replacement_placement_id=str(replacement_placement_id))


class ReplacementIsItself(RuleViolation):
    code = "replacement_is_itself"

    def __init__(self, placement_id: UUID | None) -> None:
        super().__init__(f"placement {placement_id} cannot replace itself", placement_id=str(placement_id))


def check_replacement(original: Placement, replacement: Placement) -> None:
    """What only both streams together tell (the caller loads them): a failed placement is replaced by another hire
    for the same job (so the same company), still standing, and replacing no other placement. The link itself
    is decided again on the failed placement's stream (`LinkReplacement`), the mark on the replacement's."""
    if original.state != "failed":
        raise PlacementNotFailed(original.id, original.state)
    if replacement.id == original.id:
        raise ReplacementIsItself(original.id)
    if replacement.job_id != original.job_id or replacement.company_id != original.company_id:
        raise ReplacementNotForSameJob(original.id, replacement.id)
    if replacement.state == "failed":
        raise ReplacementHasFailed(replacement.id)
    if replacement.replaces_placement_id not in (None, original.id):
        raise ReplacementAlreadyLinked(replacement.id, replacement.replaces_placement_id)


class _PlacementCommand(Command):
    placement_id: UUID
    by: Actor
    at: AwareDatetime


class CreatePlacement(_PlacementCommand):
    """From a hire. The terms and the five recruiter ids are those in force at the hire."""

    application_id: UUID
    job_id: UUID
    candidate_id: UUID
    company_id: UUID | None
    salary_cents: PositiveCents
    fee_bps: FeeBps
    guarantee_days: GuaranteeDays
    hired_at: AwareDatetime
    start_date: date
    candidate_recruiter_id: UUID | None = None
    company_recruiter_id: UUID | None = None
    job_owner_recruiter_id: UUID | None = None
    candidate_sourcer_recruiter_id: UUID | None = None
    company_sourcer_recruiter_id: UUID | None = None


class ActivatePlacement(_PlacementCommand):
    """hired → active: the candidate has started."""


class CompletePlacementGuarantee(_PlacementCommand):
    """Sent by the scheduler: → completed once the guarantee has run out; until then a no-op."""


class FailPlacement(_PlacementCommand):
    """hired or active → failed: the hire did not hold within the guarantee."""

    reason: Text


class LinkReplacement(_PlacementCommand):
    replacement_placement_id: UUID

    @model_validator(mode="after")
    def _not_itself(self) -> Self:
        if self.replacement_placement_id == self.placement_id:
            raise ValueError("a placement cannot replace itself")
        return self


class MarkAsReplacement(_PlacementCommand):
    """The placement replaces the failed `replaces_placement_id` (which already names it)."""

    replaces_placement_id: UUID

    @model_validator(mode="after")
    def _not_itself(self) -> Self:
        if self.replaces_placement_id == self.placement_id:
            raise ValueError("a placement cannot replace itself")
        return self


PlacementCommand = (
    CreatePlacement | ActivatePlacement | CompletePlacementGuarantee | FailPlacement | LinkReplacement
    | MarkAsReplacement
)
PlacementEvent = PlacementCreated | PlacementStateChanged | PlacementReplacementLinked | PlacementMarkedAsReplacement


@dataclass(frozen=True)
class Placement:
    exists: bool = False
    id: UUID | None = None
    state: PlacementState = "hired"
    application_id: UUID | None = None
    job_id: UUID | None = None
    candidate_id: UUID | None = None
    company_id: UUID | None = None
    salary_cents: int = 0
    fee_bps: int = 0
    fee_cents: int = 0
    guarantee_days: int = 0
    guarantee_expires_at: datetime | None = None
    hired_at: datetime | None = None
    start_date: date | None = None
    candidate_recruiter_id: UUID | None = None
    company_recruiter_id: UUID | None = None
    job_owner_recruiter_id: UUID | None = None
    candidate_sourcer_recruiter_id: UUID | None = None
    company_sourcer_recruiter_id: UUID | None = None
    failure_reason: str | None = None
    failed_at: datetime | None = None
    completed_at: datetime | None = None
    replacement_placement_id: UUID | None = None
    replaces_placement_id: UUID | None = None


def initial_state() -> Placement:
    return Placement()


def evolve(s: Placement, e: PlacementEvent) -> Placement:
    match e:
        case PlacementCreated():
            terms = e.model_dump(exclude={"placement_id", "created_by", "at"})
            return Placement(exists=True, id=e.placement_id, **terms)
        case PlacementStateChanged(to_state="failed"):
            return replace(s, state="failed", failure_reason=e.reason, failed_at=e.at)
        case PlacementStateChanged(to_state="completed"):
            return replace(s, state="completed", completed_at=e.at)
        case PlacementStateChanged():
            return replace(s, state=e.to_state)
        case PlacementReplacementLinked():
            return replace(s, replacement_placement_id=e.replacement_placement_id)
        case PlacementMarkedAsReplacement():
            return replace(s, replaces_placement_id=e.replaces_placement_id)
        case _:
            return s


def decide(cmd: PlacementCommand, s: Placement) -> list[PlacementEvent]:
    match cmd:
        case CreatePlacement() if s.exists and s.application_id == cmd.application_id:
            return []  # the hire was already turned into this placement
        case CreatePlacement() if s.exists:
            raise Conflict(f"placement {cmd.placement_id} already exists for application {s.application_id}",
                           placement_id=str(cmd.placement_id), application_id=str(s.application_id))
        case CreatePlacement():
            return [_created(cmd)]
        case _ if not s.exists:
            raise NotFound(f"placement {cmd.placement_id} does not exist", placement_id=str(cmd.placement_id))
        case ActivatePlacement() if s.state == "active":
            return []
        case ActivatePlacement():
            return [_changed(cmd, s, "active")]
        case CompletePlacementGuarantee() if s.state in ("completed", "failed"):
            return []
        case CompletePlacementGuarantee() if s.guarantee_expires_at is None or cmd.at < s.guarantee_expires_at:
            return []  # the guarantee is still running
        case CompletePlacementGuarantee():
            return [_changed(cmd, s, "completed")]
        case FailPlacement() if s.state == "failed":
            return []
        case FailPlacement():
            return [_changed(cmd, s, "failed", cmd.reason)]
        case LinkReplacement() if s.state != "failed":
            raise PlacementNotFailed(s.id, s.state)
        case LinkReplacement() if s.replacement_placement_id == cmd.replacement_placement_id:
            return []
        case LinkReplacement() if s.replacement_placement_id is not None:
            raise PlacementAlreadyReplaced(s.id, s.replacement_placement_id)
        case LinkReplacement():
            return [PlacementReplacementLinked(placement_id=cmd.placement_id,
                                               replacement_placement_id=cmd.replacement_placement_id,
                                               by=cmd.by, at=cmd.at)]
        case MarkAsReplacement() if s.replaces_placement_id == cmd.replaces_placement_id:
            return []
        case MarkAsReplacement() if s.replaces_placement_id is not None:
            raise ReplacementAlreadyLinked(s.id, s.replaces_placement_id)
        case MarkAsReplacement():
            return [PlacementMarkedAsReplacement(placement_id=cmd.placement_id,
                                                 replaces_placement_id=cmd.replaces_placement_id,
                                                 by=cmd.by, at=cmd.at)]
        case _:
            raise TypeError(f"the placement decider has no case for {type(cmd).__name__}")


def _created(cmd: CreatePlacement) -> PlacementEvent:
    return PlacementCreated(
        **cmd.model_dump(exclude={"by"}),
        state="hired",
        fee_cents=placement_fee_cents(cmd.salary_cents, cmd.fee_bps),
        guarantee_expires_at=guarantee_expires_at(cmd.start_date, cmd.guarantee_days),
        created_by=cmd.by,
    )


def _changed(cmd: _PlacementCommand, s: Placement, to: PlacementState, reason: str | None = None) -> PlacementEvent:
    if to not in ALLOWED[s.state]:
        raise PlacementTransitionNotAllowed(s.state, to, _CLOSED_BECAUSE.get(s.state))
    return PlacementStateChanged(placement_id=cmd.placement_id, from_state=s.state, to_state=to, reason=reason,
                                 by=cmd.by, at=cmd.at)


placement: Decider[PlacementCommand, PlacementEvent, Placement] = Decider(
    "placement", initial_state, evolve, decide,
    events=(PlacementCreated, PlacementStateChanged, PlacementReplacementLinked, PlacementMarkedAsReplacement),
)


def placement_id_for(application_id: UUID) -> UUID:
    """The placement a hire creates: derived, so a retried hire names the same placement."""
    return uuid5(NAMESPACE_URL, f"splits:placement:{application_id}")
