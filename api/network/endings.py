"""Ending a recruiter relationship decides what becomes of the work it covered (domain §4.3, §4.4): the open
applications a recruiter made for the candidate (keep or withdraw), or the open jobs the recruiter owns at the
company (keep, pause or close). `GET …/termination-impact` lists them; the terminate request carries a
decision per item.

What we decided where the domain is silent:
- An item the request does not decide is kept: keeping changes nothing, so a list that grew between the
  impact read and the termination (a new application) never loses anything by surprise. The recorded
  decision names every item covered, with the `keep`s filled in.
- An item the relationship does not cover (another recruiter's application, a job owned by someone else, a
  closed job, an unknown id) is refused with 422 `not_affected_by_termination`, and nothing is written.
- Keeping an application leaves it as it is, its candidate's recruiter included: the attribution of a later
  hire is the work already done. Keeping a job leaves it with its owner; the company may name another.
- A termination covers at most `MAX_ENDINGS` items; one covering more is refused (422 `too_many_affected`):
  end some of the work first.
- The impact is read from the ats read model (what the parties see); the process that carries the decisions
  out checks each item against its own stream before it acts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from api.network.models import Body, ReasonBody
from commands.core import RuleViolation
from commands.network.events import ApplicationEnding, JobEnding
from commands.network.recruiter_candidate import MAX_ENDINGS
from eventstore import EventStore

D = TypeVar("D", bound=str)


class NotAffectedByTermination(RuleViolation):
    code = "not_affected_by_termination"


class TooManyAffected(RuleViolation):
    code = "too_many_affected"


def _once_each(items: list[Any]) -> list[Any]:
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("each item is decided once")
    return items


class ApplicationEndingIn(Body):
    application_id: UUID
    decision: ApplicationEnding

    @property
    def id(self) -> UUID:
        return self.application_id


class JobEndingIn(Body):
    job_id: UUID
    decision: JobEnding

    @property
    def id(self) -> UUID:
        return self.job_id


class TerminateCandidateBody(ReasonBody):
    applications: Annotated[list[ApplicationEndingIn], Field(max_length=MAX_ENDINGS), AfterValidator(_once_each)] = Field(
        default=[], description="A decision per open application the relationship covers (GET …/termination-impact);"
                                " those left out are kept")


class TerminateCompanyBody(ReasonBody):
    jobs: Annotated[list[JobEndingIn], Field(max_length=MAX_ENDINGS), AfterValidator(_once_each)] = Field(
        default=[], description="A decision per open job the recruiter owns at the company"
                                " (GET …/termination-impact); those left out are kept")


class CoveredApplication(BaseModel):
    application_id: UUID
    job_id: UUID
    job_title: str | None
    company_id: UUID | None
    stage: str


class CandidateTerminationImpact(BaseModel):
    """The open applications the recruiter made for the candidate: each needs keep or withdraw."""

    relationship_id: UUID
    applications: list[CoveredApplication]
    decisions: list[ApplicationEnding] = ["keep", "withdraw"]
    default_decision: Literal["keep"] = "keep"


class OwnedJob(BaseModel):
    job_id: UUID
    job_title: str
    status: str


class CompanyTerminationImpact(BaseModel):
    """The open jobs (pending, active, paused) the recruiter owns at the company: each needs keep, pause or close."""

    relationship_id: UUID
    jobs: list[OwnedJob]
    decisions: list[JobEnding] = ["keep", "pause", "close"]
    default_decision: Literal["keep"] = "keep"


Query = Callable[..., Awaitable[list[dict[str, Any]]]]


async def affected(store: EventStore, query: Query, *args: Any) -> list[dict[str, Any]]:
    """The items a termination covers, from the ats read model, on a connection held for this read alone (the
    route then loads and appends on connections of its own)."""
    async with store.pool.connection() as conn:
        rows = await query(conn, *args, MAX_ENDINGS + 1)
    if len(rows) > MAX_ENDINGS:
        raise TooManyAffected(f"this relationship covers more than {MAX_ENDINGS} items: end some of them first",
                              limit=MAX_ENDINGS)
    return rows


def decided(covered: Sequence[UUID], given: Sequence[ApplicationEndingIn] | Sequence[JobEndingIn],
            kind: str) -> list[tuple[UUID, Any]]:
    """Every covered item with its decision, `keep` unless given; an item given but not covered is refused."""
    chosen = {item.id: item.decision for item in given}
    if strangers := [str(i) for i in chosen if i not in set(covered)]:
        raise NotAffectedByTermination(f"this relationship does not cover {kind} {', '.join(strangers)}",
                                       **{f"{kind}_ids": strangers})
    return [(item_id, chosen.get(item_id, "keep")) for item_id in covered]
