"""The company decider: a company's profile, its marketplace visibility and status, and the
billing-readiness setting that lets its jobs leave draft (domain §3.2).

Billing readiness predates the profile: streams exist that hold only `CompanyBillingReadinessSet`,
so that setting is accepted whether or not the company was created here, exactly as before.
Everything else needs a created company. The slug is unique among companies; that is a question
about every company, so the caller checks it against the read model before sending the command.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Self, get_args
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, Field, HttpUrl, StringConstraints, TypeAdapter, model_validator

from commands.ats.events import (
    CompanyBillingReadinessSet,
    CompanyCreated,
    CompanyMarketplaceVisibilitySet,
    CompanyProfileField,
    CompanyProfileUpdated,
    CompanyStatus,
    CompanyStatusChanged,
)
from commands.core import Command, Conflict, Decider, NotFound
from commands.identity.fields import Slug

PROFILE_FIELDS: frozenset[str] = frozenset(get_args(CompanyProfileField))
_NOT_NULL = frozenset({"name", "slug", "tech_stack", "social_links"})
_LINK_NAME = re.compile(r"[a-z0-9_]{1,30}")
_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _web_url(value: str) -> str:
    """An absolute http(s) URL with a host, kept as written (only trimmed)."""
    try:
        _HTTP_URL.validate_python(value)
    except ValueError:
        raise ValueError("not an http(s) URL") from None
    if any(ch.isspace() for ch in value):
        raise ValueError("not an http(s) URL: it contains spaces")
    return value


def _link_name(value: str) -> str:
    name = value.strip().lower()
    if not _LINK_NAME.fullmatch(name):
        raise ValueError("a social link is named by 1 to 30 letters, digits or underscores (linkedin, twitter, ...)")
    return name


def _distinct(values: list[str]) -> list[str]:
    if len({v.casefold() for v in values}) != len(values):
        raise ValueError("entries must not repeat")
    return values


Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
WebUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), AfterValidator(_web_url)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
TechStack = Annotated[list[Short], Field(max_length=50), AfterValidator(_distinct)]
LinkName = Annotated[str, AfterValidator(_link_name)]
SocialLinks = Annotated[dict[LinkName, WebUrl], Field(max_length=20)]
FoundedYear = Annotated[int, Field(ge=1800, le=2100)]
EmployeeCount = Annotated[int, Field(ge=0)]


class _CompanyCommand(Command):
    company_id: UUID
    by: Actor
    at: AwareDatetime


class SetCompanyBillingReadiness(Command):
    company_id: UUID
    ready: bool
    by: str = Field(min_length=1)
    at: AwareDatetime


class CreateCompany(_CompanyCommand):
    identity_organization_id: UUID
    name: Name
    slug: Slug
    website: WebUrl | None = None
    industry: Short | None = None
    company_size: Short | None = None
    headquarters_location: Name | None = None
    description: LongText | None = None
    logo_url: WebUrl | None = None
    stage: Short | None = None
    founded_year: FoundedYear | None = None
    tagline: Line | None = None
    mission_statement: LongText | None = None
    benefits_summary: LongText | None = None
    employee_count: EmployeeCount | None = None
    tech_stack: TechStack = []
    hiring_process: LongText | None = None
    social_links: SocialLinks = {}
    marketplace_visible: bool = False
    status: CompanyStatus = "active"


class UpdateCompanyProfile(_CompanyCommand):
    """Change only the fields given; a field given as None is cleared (name and slug cannot be)."""

    name: Name | None = None
    slug: Slug | None = None
    website: WebUrl | None = None
    industry: Short | None = None
    company_size: Short | None = None
    headquarters_location: Name | None = None
    description: LongText | None = None
    logo_url: WebUrl | None = None
    stage: Short | None = None
    founded_year: FoundedYear | None = None
    tagline: Line | None = None
    mission_statement: LongText | None = None
    benefits_summary: LongText | None = None
    employee_count: EmployeeCount | None = None
    tech_stack: TechStack | None = None
    hiring_process: LongText | None = None
    social_links: SocialLinks | None = None

    @model_validator(mode="after")
    def _not_cleared(self) -> Self:
        given = self.model_fields_set & _NOT_NULL
        if cleared := sorted(name for name in given if getattr(self, name) is None):
            raise ValueError(f"cannot clear {', '.join(cleared)} (send an empty list or map to empty it)")
        return self


class SetCompanyMarketplaceVisibility(_CompanyCommand):
    visible: bool


class DeactivateCompany(_CompanyCommand):
    reason: str | None = None


class ActivateCompany(_CompanyCommand):
    reason: str | None = None


CompanyCommand = (
    SetCompanyBillingReadiness | CreateCompany | UpdateCompanyProfile | SetCompanyMarketplaceVisibility
    | DeactivateCompany | ActivateCompany
)
CompanyEvent = (
    CompanyBillingReadinessSet | CompanyCreated | CompanyProfileUpdated | CompanyMarketplaceVisibilitySet
    | CompanyStatusChanged
)


@dataclass(frozen=True)
class Company:
    billing_ready: bool = False
    exists: bool = False
    id: UUID | None = None
    identity_organization_id: UUID | None = None
    marketplace_visible: bool = False
    status: CompanyStatus = "active"
    # The profile follows: kept so that an update repeating current values is seen as a no-op.
    name: str = ""
    slug: str = ""
    website: str | None = None
    industry: str | None = None
    company_size: str | None = None
    headquarters_location: str | None = None
    description: str | None = None
    logo_url: str | None = None
    stage: str | None = None
    founded_year: int | None = None
    tagline: str | None = None
    mission_statement: str | None = None
    benefits_summary: str | None = None
    employee_count: int | None = None
    tech_stack: tuple[str, ...] = ()
    hiring_process: str | None = None
    social_links: Mapping[str, str] = field(default_factory=dict)


def initial_state() -> Company:
    return Company()


def _state_value(name: str, value: Any) -> Any:
    if name == "tech_stack":
        return tuple(value or ())
    if name == "social_links":
        return dict(value or {})
    return value


def evolve(state: Company, event: CompanyEvent) -> Company:
    match event:
        case CompanyBillingReadinessSet(ready=ready):
            return replace(state, billing_ready=ready)
        case CompanyCreated():
            profile = {name: _state_value(name, getattr(event, name)) for name in PROFILE_FIELDS}
            return replace(state, exists=True, id=event.company_id,
                           identity_organization_id=event.identity_organization_id,
                           marketplace_visible=event.marketplace_visible, status=event.status, **profile)
        case CompanyProfileUpdated(changes=changes):
            return replace(state, **{name: _state_value(name, value) for name, value in changes.items()})
        case CompanyMarketplaceVisibilitySet(visible=visible):
            return replace(state, marketplace_visible=visible)
        case CompanyStatusChanged(to_status=to):
            return replace(state, status=to)
    return state


def decide(cmd: CompanyCommand, state: Company) -> list[CompanyEvent]:
    match cmd:
        case SetCompanyBillingReadiness(ready=ready) if ready == state.billing_ready:
            return []  # nothing changes: a retried command records nothing
        case SetCompanyBillingReadiness(company_id=company_id, ready=ready, by=by, at=at):
            return [CompanyBillingReadinessSet(company_id=company_id, ready=ready, by=by, at=at)]
        case CreateCompany() if state.exists:
            raise Conflict(f"company {cmd.company_id} already exists", company_id=str(cmd.company_id))
        case CreateCompany():
            return [CompanyCreated(**cmd.model_dump())]
        case _ if not state.exists:
            raise NotFound(f"company {cmd.company_id} does not exist", company_id=str(cmd.company_id))
        case UpdateCompanyProfile():
            return _update(cmd, state)
        case SetCompanyMarketplaceVisibility(visible=visible) if visible == state.marketplace_visible:
            return []
        case SetCompanyMarketplaceVisibility():
            return [CompanyMarketplaceVisibilitySet(company_id=cmd.company_id, visible=cmd.visible, by=cmd.by,
                                                    at=cmd.at)]
        case DeactivateCompany():
            return _move(cmd, state, "inactive")
        case ActivateCompany():
            return _move(cmd, state, "active")
    raise TypeError(f"the company decider has no case for {type(cmd).__name__}")


def _update(cmd: UpdateCompanyProfile, state: Company) -> list[CompanyEvent]:
    changed = sorted(
        name for name in cmd.model_fields_set & PROFILE_FIELDS
        if _state_value(name, getattr(cmd, name)) != getattr(state, name)
    )
    if not changed:
        return []
    return [CompanyProfileUpdated(company_id=cmd.company_id, changes=cmd.model_dump(include=set(changed)),
                                  by=cmd.by, at=cmd.at)]


def _move(cmd: DeactivateCompany | ActivateCompany, state: Company, to: CompanyStatus) -> list[CompanyEvent]:
    if state.status == to:
        return []
    return [CompanyStatusChanged(company_id=cmd.company_id, from_status=state.status, to_status=to,
                                 reason=cmd.reason, by=cmd.by, at=cmd.at)]


company: Decider[CompanyCommand, CompanyEvent, Company] = Decider(
    "company",
    initial_state,
    evolve,
    decide,
    events=(CompanyBillingReadinessSet, CompanyCreated, CompanyProfileUpdated, CompanyMarketplaceVisibilitySet,
            CompanyStatusChanged),
)
