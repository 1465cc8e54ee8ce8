"""The sourcer deciders: who brought a candidate, and who brought a company, to the platform
(domain §3.2, §5.2).

The first sourcer wins and is never replaced: a claim by anyone else is refused with a Conflict that
names the sourcer on record, and the same claim again records nothing. The sourcer earns the
sourcer share of a placement only while its protection lasts: from `sourced_at` until
`protection_expires_at` = `sourced_at` + the protection window (365 days unless said otherwise),
that instant excluded. `is_protected` and `attributed_sourcer` answer that for a given time, so
that a placement asks with its hire time and never reads a clock.

One source of truth for the company sourcer (domain §15 item 1): the `company_sourcer` stream and
its projection. The recruiter↔company relationship of type `sourcer` in the network context is a
working relationship, not attribution: whatever creates it (a completed company invitation, a
business signup with a referral code) also sends `ClaimCompanySourcer`, and placements read the
company sourcer from here only. Whether the sourcer recruiter is still active is checked by the
placement against the recruiter's status (only `active` counts), not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from commands.ats.sourcer_events import CandidateSourced, CompanySourced, SourcerType
from commands.core import Command, Conflict, Decider

DEFAULT_PROTECTION_WINDOW_DAYS = 365


def is_protected(protection_expires_at: datetime | None, at: datetime) -> bool:
    """Whether a sourcer whose protection ends at `protection_expires_at` is still protected at `at`."""
    return protection_expires_at is not None and at < protection_expires_at


class SourcerAlreadySet(Conflict):
    def __init__(
        self, subject: str, subject_id: UUID, sourcer_type: SourcerType, sourcer_recruiter_id: UUID | None
    ) -> None:
        who = f"recruiter {sourcer_recruiter_id}" if sourcer_type == "recruiter" else "the platform"
        super().__init__(
            f"{subject} {subject_id} was already sourced by {who}; the first sourcer stays",
            **{f"{subject}_id": str(subject_id)},
            sourcer_type=sourcer_type,
            sourcer_recruiter_id=str(sourcer_recruiter_id) if sourcer_recruiter_id else None,
        )
        self.sourcer_recruiter_id = sourcer_recruiter_id


Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
SourceMethod = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class _ClaimSourcer(Command):
    """`sourced_at` defaults to `at`; it may be earlier when the sourcing is recorded late."""

    sourcer_type: SourcerType = "recruiter"
    sourcer_recruiter_id: UUID | None = None
    source_method: SourceMethod | None = None
    sourced_at: AwareDatetime | None = None
    protection_window_days: int = Field(DEFAULT_PROTECTION_WINDOW_DAYS, ge=1, le=3650)
    notes: Notes | None = None
    by: Actor
    at: AwareDatetime

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.sourcer_type == "recruiter" and self.sourcer_recruiter_id is None:
            raise ValueError("a recruiter sourcer needs sourcer_recruiter_id")
        if self.sourcer_type == "tsn" and self.sourcer_recruiter_id is not None:
            raise ValueError("a platform (tsn) sourcer has no sourcer_recruiter_id")
        if self.sourced_at is not None and self.sourced_at > self.at:
            raise ValueError("sourced_at must not be after at")
        return self

    def terms(self) -> dict[str, object]:
        sourced_at = self.sourced_at or self.at
        return {
            "sourcer_recruiter_id": self.sourcer_recruiter_id, "sourcer_type": self.sourcer_type,
            "source_method": self.source_method, "sourced_at": sourced_at,
            "protection_window_days": self.protection_window_days,
            "protection_expires_at": sourced_at + timedelta(days=self.protection_window_days),
            "notes": self.notes, "by": self.by, "at": self.at,
        }


class ClaimCandidateSourcer(_ClaimSourcer):
    candidate_id: UUID


class ClaimCompanySourcer(_ClaimSourcer):
    company_id: UUID


@dataclass(frozen=True)
class Sourcer:
    """The sourcer of one candidate or one company; `exists` False until someone claims it."""

    exists: bool = False
    subject_id: UUID | None = None
    sourcer_type: SourcerType = "recruiter"
    sourcer_recruiter_id: UUID | None = None
    sourced_at: datetime | None = None
    protection_window_days: int = DEFAULT_PROTECTION_WINDOW_DAYS
    protection_expires_at: datetime | None = None

    def protected_at(self, at: datetime) -> bool:
        return self.exists and is_protected(self.protection_expires_at, at)


def attributed_sourcer(s: Sourcer, at: datetime) -> UUID | None:
    """The recruiter credited as sourcer on a placement made at `at`: None when there is none, when the
    platform sourced it, or when the protection has run out."""
    return s.sourcer_recruiter_id if s.sourcer_type == "recruiter" and s.protected_at(at) else None


def initial_state() -> Sourcer:
    return Sourcer()


def _evolve(s: Sourcer, e: CandidateSourced | CompanySourced, subject_id: UUID) -> Sourcer:
    if s.exists:
        return s  # immutable: only the first claim counts, even if a stream somehow held two
    return Sourcer(exists=True, subject_id=subject_id, sourcer_type=e.sourcer_type,
                   sourcer_recruiter_id=e.sourcer_recruiter_id, sourced_at=e.sourced_at,
                   protection_window_days=e.protection_window_days, protection_expires_at=e.protection_expires_at)


def _already(cmd: _ClaimSourcer, s: Sourcer, subject: str, subject_id: UUID) -> bool:
    """True when this claim is already on record; raises when someone else's is."""
    if not s.exists:
        return False
    if (cmd.sourcer_type, cmd.sourcer_recruiter_id) == (s.sourcer_type, s.sourcer_recruiter_id):
        return True
    raise SourcerAlreadySet(subject, subject_id, s.sourcer_type, s.sourcer_recruiter_id)


def evolve_candidate(s: Sourcer, e: CandidateSourced) -> Sourcer:
    return _evolve(s, e, e.candidate_id)


def decide_candidate(cmd: ClaimCandidateSourcer, s: Sourcer) -> list[CandidateSourced]:
    if not isinstance(cmd, ClaimCandidateSourcer):
        raise TypeError(f"the candidate sourcer decider has no case for {type(cmd).__name__}")
    if _already(cmd, s, "candidate", cmd.candidate_id):
        return []  # a retried claim records nothing
    return [CandidateSourced(candidate_id=cmd.candidate_id, **cmd.terms())]


def evolve_company(s: Sourcer, e: CompanySourced) -> Sourcer:
    return _evolve(s, e, e.company_id)


def decide_company(cmd: ClaimCompanySourcer, s: Sourcer) -> list[CompanySourced]:
    if not isinstance(cmd, ClaimCompanySourcer):
        raise TypeError(f"the company sourcer decider has no case for {type(cmd).__name__}")
    if _already(cmd, s, "company", cmd.company_id):
        return []
    return [CompanySourced(company_id=cmd.company_id, **cmd.terms())]


candidate_sourcer: Decider[ClaimCandidateSourcer, CandidateSourced, Sourcer] = Decider(
    "candidate_sourcer", initial_state, evolve_candidate, decide_candidate, events=(CandidateSourced,)
)
company_sourcer: Decider[ClaimCompanySourcer, CompanySourced, Sourcer] = Decider(
    "company_sourcer", initial_state, evolve_company, decide_company, events=(CompanySourced,)
)
