"""A recruiter's referral codes (domain §3.3 RecruiterCode): made, listed, deactivated.

One stream per recruiter, `recruiter_codes-<recruiter_id>`, holding every code they made, so that the plan's
limit on active codes (`max_referral_codes`: Starter 1, Pro 5, Partner unlimited) is decided on the stream
appended to. The limit is read from the recruiter's plan by the caller and carried by the command, like a price.

What we decided where the domain is silent:
- the code text is made by the server (`CODE_ALPHABET`, no look-alike letters) and never chosen by the
  recruiter: a chosen code would let anyone squat another recruiter's name. The recruiter chooses a label;
- the default code is made the first time a recruiter lists their codes, when they have never had one
  (`EnsureDefaultRecruiterCode`): a recruiter who made a code first, or deactivated every code, gets none;
- a deactivated code stays deactivated (a new one is made instead), so that a code once withdrawn from a
  campaign cannot come back to life; deactivating frees a place under the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from commands.core import Command, Conflict, Decider, NotFound, RuleViolation
from commands.identity.fields import Actor
from commands.network.recruiter_code_events import RecruiterCodeCreated, RecruiterCodeDeactivated

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_PATTERN = rf"^[{CODE_ALPHABET}]{{6,32}}$"
Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00]*$")]


class ReferralCodeLimitReached(RuleViolation):
    code = "referral_code_limit_reached"

    def __init__(self, recruiter_id: UUID, limit: int) -> None:
        super().__init__(f"your plan allows {limit} active referral code(s): deactivate one or upgrade your plan",
                         recruiter_id=str(recruiter_id), limit=limit)


class CodeTaken(Conflict):
    code = "referral_code_taken"


class _CodeCommand(Command):
    recruiter_id: UUID
    by: Actor
    at: AwareDatetime


class CreateRecruiterCode(_CodeCommand):
    """`max_active` None: unlimited."""

    code_id: UUID
    code: Code
    label: Label | None = None
    max_active: int | None = Field(None, ge=0)


class EnsureDefaultRecruiterCode(_CodeCommand):
    code_id: UUID
    code: Code


class DeactivateRecruiterCode(_CodeCommand):
    code_id: UUID


RecruiterCodeCommand = CreateRecruiterCode | EnsureDefaultRecruiterCode | DeactivateRecruiterCode
RecruiterCodeEvent = RecruiterCodeCreated | RecruiterCodeDeactivated


@dataclass(frozen=True)
class CodeState:
    code: str
    label: str | None
    is_default: bool
    created_at: datetime
    active: bool = True
    deactivated_at: datetime | None = None


@dataclass(frozen=True)
class RecruiterCodes:
    recruiter_id: UUID | None = None
    codes: tuple[tuple[UUID, CodeState], ...] = ()

    def get(self, code_id: UUID) -> CodeState | None:
        return next((c for i, c in self.codes if i == code_id), None)

    def by_code(self, code: str) -> tuple[UUID, CodeState] | None:
        return next(((i, c) for i, c in self.codes if c.code == code), None)

    @property
    def active_count(self) -> int:
        return sum(1 for _, c in self.codes if c.active)


def initial_state() -> RecruiterCodes:
    return RecruiterCodes()


def evolve(s: RecruiterCodes, e: RecruiterCodeEvent) -> RecruiterCodes:
    match e:
        case RecruiterCodeCreated():
            return RecruiterCodes(e.recruiter_id, (*s.codes, (e.code_id, CodeState(e.code, e.label, e.is_default, e.at))))
        case RecruiterCodeDeactivated():
            return replace(s, codes=tuple((i, replace(c, active=False, deactivated_at=e.at) if i == e.code_id else c) for i, c in s.codes))
        case _:
            return s


def decide(cmd: RecruiterCodeCommand, s: RecruiterCodes) -> list[RecruiterCodeEvent]:
    match cmd:
        case CreateRecruiterCode():
            return _create(cmd, s)
        case EnsureDefaultRecruiterCode():
            if s.codes:
                return []  # a default is made once, for a recruiter who has never had a code
            return [RecruiterCodeCreated(recruiter_id=cmd.recruiter_id, code_id=cmd.code_id, code=cmd.code,
                                         label=None, is_default=True, by=cmd.by, at=cmd.at)]
        case DeactivateRecruiterCode():
            found = s.get(cmd.code_id)
            if found is None:
                raise NotFound(f"referral code {cmd.code_id} not found", code_id=str(cmd.code_id))
            if not found.active:
                return []  # a retried deactivation records nothing
            return [RecruiterCodeDeactivated(recruiter_id=cmd.recruiter_id, code_id=cmd.code_id, code=found.code,
                                             by=cmd.by, at=cmd.at)]
    raise TypeError(f"the recruiter_codes decider has no case for {type(cmd).__name__}")


def _create(cmd: CreateRecruiterCode, s: RecruiterCodes) -> list[RecruiterCodeEvent]:
    existing = s.get(cmd.code_id)
    if existing is not None:
        if (existing.code, existing.label) == (cmd.code, cmd.label):
            return []  # a retried creation records nothing
        raise CodeTaken(f"referral code {cmd.code_id} already exists", code_id=str(cmd.code_id))
    if s.by_code(cmd.code) is not None:
        raise CodeTaken(f"you already have the code {cmd.code}", referral_code=cmd.code)
    if cmd.max_active is not None and s.active_count >= cmd.max_active:
        raise ReferralCodeLimitReached(cmd.recruiter_id, cmd.max_active)
    return [RecruiterCodeCreated(recruiter_id=cmd.recruiter_id, code_id=cmd.code_id, code=cmd.code, label=cmd.label,
                                 is_default=not s.codes, by=cmd.by, at=cmd.at)]


recruiter_codes: Decider[RecruiterCodeCommand, RecruiterCodeEvent, RecruiterCodes] = Decider(
    "recruiter_codes", initial_state, evolve, decide, events=(RecruiterCodeCreated, RecruiterCodeDeactivated)
)
