"""The company decider: for now only the billing-readiness setting that lets jobs leave draft."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from pydantic import AwareDatetime, Field

from commands.ats.events import CompanyBillingReadinessSet
from commands.core import Command, Decider


class SetCompanyBillingReadiness(Command):
    company_id: UUID
    ready: bool
    by: str = Field(min_length=1)
    at: AwareDatetime


CompanyCommand = SetCompanyBillingReadiness
CompanyEvent = CompanyBillingReadinessSet


@dataclass(frozen=True)
class Company:
    billing_ready: bool = False


def initial_state() -> Company:
    return Company()


def evolve(state: Company, event: CompanyEvent) -> Company:
    match event:
        case CompanyBillingReadinessSet(ready=ready):
            return Company(billing_ready=ready)
    return state


def decide(cmd: CompanyCommand, state: Company) -> list[CompanyEvent]:
    match cmd:
        case SetCompanyBillingReadiness(ready=ready) if ready == state.billing_ready:
            return []  # nothing changes: a retried command records nothing
        case SetCompanyBillingReadiness(company_id=company_id, ready=ready, by=by, at=at):
            return [CompanyBillingReadinessSet(company_id=company_id, ready=ready, by=by, at=at)]
    raise TypeError(f"the company decider has no case for {type(cmd).__name__}")


company: Decider[CompanyCommand, CompanyEvent, Company] = Decider(
    "company", initial_state, evolve, decide, events=(CompanyBillingReadinessSet,)
)
