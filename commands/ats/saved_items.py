"""The saved-items decider: the jobs and candidates one saver keeps a list of (domain §13 `max_saved_jobs`,
`max_saved_candidates`; the original's candidate_saved_jobs, recruiter_saved_jobs, recruiter_saved_candidates).

What we decided where the domain is silent:
- One stream per saver (`saved_items-<kind>-<id>`, `saver_key`): a recruiter's by recruiter id, a candidate's by
  candidate id. The limit is a count of what the stream holds, so it is decided on the stream the save is
  appended to (a read model a moment behind would let two quick saves pass a limit of one).
- The limit is the caller's to look up and pass in (`limit`, None for unlimited): a recruiter's from their
  plan at the moment of the save, a candidate's a fixed bound (`CANDIDATE_MAX_SAVED_JOBS`). A saver over the
  limit after a downgrade keeps what they saved and may unsave; only new saves are refused.
- Recruiters save jobs and candidates; candidates save jobs only. Saving what is saved, or unsaving what is
  not, records nothing (a retry or a double click is not an error). Whether the saver may see the job or the
  candidate is the route's to check: the decider knows ids only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from commands.ats.saved_item_events import CandidateSaved, CandidateUnsaved, JobSaved, JobUnsaved, SaverKind
from commands.core import Command, Decider, Forbidden, RuleViolation

# Candidates have no plan: a fixed bound on the jobs one keeps saved, as generous as Pro's top limit (§13).
CANDIDATE_MAX_SAVED_JOBS = 100

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Limit = Annotated[int, Field(ge=0)]


def saver_key(kind: SaverKind, saver_id: UUID) -> str:
    """The entity id of a saver's stream."""
    return f"{kind}-{saver_id}"


class SavedItemLimitReached(RuleViolation):
    """A save past the saver's limit; the code names the entitlement (`max_saved_jobs_reached`, …)."""

    entitlement = "max_saved_items"
    noun = "items"

    def __init__(self, saver_kind: SaverKind, saver_id: UUID, limit: int) -> None:
        super().__init__(f"the limit of {limit} saved {self.noun} ({self.entitlement}) is reached: unsave one "
                         "first, or move to a plan with a higher limit",
                         entitlement=self.entitlement, limit=limit, saver_kind=saver_kind, saver_id=str(saver_id))


class SavedJobsLimitReached(SavedItemLimitReached):
    code = "max_saved_jobs_reached"
    entitlement = "max_saved_jobs"
    noun = "jobs"


class SavedCandidatesLimitReached(SavedItemLimitReached):
    code = "max_saved_candidates_reached"
    entitlement = "max_saved_candidates"
    noun = "candidates"


class OnlyRecruitersSaveCandidates(Forbidden):
    code = "only_recruiters_save_candidates"

    def __init__(self, saver_kind: str) -> None:
        super().__init__(f"only recruiters save candidates (the caller saves as a {saver_kind})",
                         saver_kind=saver_kind)


class _SavedItemCommand(Command):
    saver_kind: SaverKind
    saver_id: UUID
    by: Actor
    at: AwareDatetime


class SaveJob(_SavedItemCommand):
    job_id: UUID
    limit: Limit | None  # None: unlimited


class UnsaveJob(_SavedItemCommand):
    job_id: UUID


class SaveCandidate(_SavedItemCommand):
    candidate_id: UUID
    limit: Limit | None


class UnsaveCandidate(_SavedItemCommand):
    candidate_id: UUID


SavedItemCommand = SaveJob | UnsaveJob | SaveCandidate | UnsaveCandidate
SavedItemEvent = JobSaved | JobUnsaved | CandidateSaved | CandidateUnsaved


@dataclass(frozen=True)
class SavedItems:
    jobs: frozenset[UUID] = field(default_factory=frozenset)
    candidates: frozenset[UUID] = field(default_factory=frozenset)


def initial_state() -> SavedItems:
    return SavedItems()


def evolve(s: SavedItems, e: SavedItemEvent) -> SavedItems:
    match e:
        case JobSaved():
            return replace(s, jobs=s.jobs | {e.job_id})
        case JobUnsaved():
            return replace(s, jobs=s.jobs - {e.job_id})
        case CandidateSaved():
            return replace(s, candidates=s.candidates | {e.candidate_id})
        case CandidateUnsaved():
            return replace(s, candidates=s.candidates - {e.candidate_id})
    return s


def decide(cmd: SavedItemCommand, s: SavedItems) -> list[SavedItemEvent]:
    who = {"saver_kind": cmd.saver_kind, "saver_id": cmd.saver_id, "by": cmd.by, "at": cmd.at}
    match cmd:
        case SaveJob() if cmd.job_id in s.jobs:
            return []
        case SaveJob() if cmd.limit is not None and len(s.jobs) >= cmd.limit:
            raise SavedJobsLimitReached(cmd.saver_kind, cmd.saver_id, cmd.limit)
        case SaveJob():
            return [JobSaved(job_id=cmd.job_id, **who)]
        case UnsaveJob() if cmd.job_id not in s.jobs:
            return []
        case UnsaveJob():
            return [JobUnsaved(job_id=cmd.job_id, **who)]
        case SaveCandidate() | UnsaveCandidate() if cmd.saver_kind != "recruiter":
            raise OnlyRecruitersSaveCandidates(cmd.saver_kind)
        case SaveCandidate() if cmd.candidate_id in s.candidates:
            return []
        case SaveCandidate() if cmd.limit is not None and len(s.candidates) >= cmd.limit:
            raise SavedCandidatesLimitReached(cmd.saver_kind, cmd.saver_id, cmd.limit)
        case SaveCandidate():
            return [CandidateSaved(candidate_id=cmd.candidate_id, **who)]
        case UnsaveCandidate() if cmd.candidate_id not in s.candidates:
            return []
        case UnsaveCandidate():
            return [CandidateUnsaved(candidate_id=cmd.candidate_id, **who)]
    raise TypeError(f"the saved-items decider has no case for {type(cmd).__name__}")


saved_items: Decider[SavedItemCommand, SavedItemEvent, SavedItems] = Decider(
    "saved_items", initial_state, evolve, decide, events=(JobSaved, JobUnsaved, CandidateSaved, CandidateUnsaved),
)
