"""The recruiter decider: a user's recruiter account, its status and its marketplace profile (domain §3.3).

A user has at most one recruiter, and its id is derived from the user id (`recruiter_id_for`), so two
attempts to create it meet on one stream and the second records nothing. Creating a recruiter also
grants the user the `recruiter` role; that is the user's stream, so a process manager reacting to
`RecruiterCreated` issues `GrantRole`. Stripe Connect onboarding belongs to the billing context.

Slug uniqueness spans all recruiters, so the caller checks it against the read model; `decide` only
sees one recruiter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Self, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from commands.core import Command, Decider, Forbidden, NotFound
from commands.identity.fields import Actor, Slug
from commands.network.events import (
    MarketplaceVisibility,
    ProfileValue,
    RecruiterCreated,
    RecruiterProfileField,
    RecruiterProfileUpdated,
    RecruiterStatus,
    RecruiterStatusChanged,
)

PROFILE_FIELDS: tuple[RecruiterProfileField, ...] = get_args(RecruiterProfileField)
# Profile fields that have no "unset" value: an update may change them but not clear them.
_NOT_NULL = frozenset(
    {"industries", "specialties", "marketplace_enabled", "marketplace_visibility", "show_success_metrics",
     "show_contact_info", "candidate_recruiter", "company_recruiter"}
)
# What a recruiter may do to their own status: step away. Every other move is a platform admin's.
SELF_SERVICE_MOVES: frozenset[tuple[RecruiterStatus, RecruiterStatus]] = frozenset(
    {("active", "inactive"), ("pending", "inactive")}
)
_RECRUITER_NAMESPACE = uuid5(NAMESPACE_URL, "splits:recruiter:user")


def recruiter_id_for(user_id: UUID) -> UUID:
    """The recruiter id of a user: derived, so that a user has one recruiter and every writer finds it."""
    return uuid5(_RECRUITER_NAMESPACE, str(user_id))


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Tags = Annotated[list[Tag], AfterValidator(_distinct)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]
YearsExperience = Annotated[int, Field(ge=0, le=80)]


class RecruiterStatusNotChangeable(Forbidden):
    def __init__(self, recruiter_id: UUID | None, from_status: RecruiterStatus, to_status: RecruiterStatus) -> None:
        super().__init__(
            f"only a platform admin can move recruiter {recruiter_id} from {from_status} to {to_status}; "
            "a recruiter may only deactivate their own account",
            recruiter_id=str(recruiter_id), from_status=from_status, to_status=to_status,
        )


class NotRecruiterOwner(Forbidden):
    def __init__(self, recruiter_id: UUID | None) -> None:
        super().__init__(f"only recruiter {recruiter_id}'s own user or a platform admin can change it",
                         recruiter_id=str(recruiter_id))


class _RecruiterCommand(Command):
    recruiter_id: UUID
    by: Actor
    at: AwareDatetime


class CreateRecruiter(_RecruiterCommand):
    """Ensure the user has a recruiter: a repeat records nothing (change the profile with an update).

    `recruiter_id` may be left out: it is derived from `user_id`, and any other value is refused."""

    user_id: UUID
    status: RecruiterStatus = "active"
    slug: Slug | None = None
    bio: LongText | None = None
    tagline: ShortText | None = None
    location: ShortText | None = None
    years_experience: YearsExperience | None = None
    industries: Tags = Field(default_factory=list)
    specialties: Tags = Field(default_factory=list)
    phone: Phone | None = None
    marketplace_enabled: bool = False
    marketplace_visibility: MarketplaceVisibility = "public"
    show_success_metrics: bool = True
    show_contact_info: bool = False
    candidate_recruiter: bool = False
    company_recruiter: bool = False

    @model_validator(mode="before")
    @classmethod
    def _derived_id(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "user_id" in data:
            derived = recruiter_id_for(UUID(str(data["user_id"])))
            if data.get("recruiter_id") is None:
                return {**data, "recruiter_id": derived}
            if UUID(str(data["recruiter_id"])) != derived:
                raise ValueError("recruiter_id must be recruiter_id_for(user_id): a user has one recruiter")
        return data


class _ActingCommand(_RecruiterCommand):
    """`by_user_id` is the acting user; the recruiter's own user and platform admins may act."""

    by_user_id: UUID | None = None
    is_platform_admin: bool = False


class UpdateRecruiterProfile(_ActingCommand):
    """Change only the fields given; a field given as None is cleared."""

    slug: Slug | None = None
    bio: LongText | None = None
    tagline: ShortText | None = None
    location: ShortText | None = None
    years_experience: YearsExperience | None = None
    industries: Tags | None = None
    specialties: Tags | None = None
    phone: Phone | None = None
    marketplace_enabled: bool | None = None
    marketplace_visibility: MarketplaceVisibility | None = None
    show_success_metrics: bool | None = None
    show_contact_info: bool | None = None
    candidate_recruiter: bool | None = None
    company_recruiter: bool | None = None

    @model_validator(mode="after")
    def _kept(self) -> Self:
        cleared = sorted(name for name in _NOT_NULL & self.model_fields_set if getattr(self, name) is None)
        if cleared:
            raise ValueError(f"cannot clear {', '.join(cleared)}")
        return self


class ChangeRecruiterStatus(_ActingCommand):
    status: RecruiterStatus
    reason: str | None = None


RecruiterCommand = CreateRecruiter | UpdateRecruiterProfile | ChangeRecruiterStatus
RecruiterEvent = RecruiterCreated | RecruiterProfileUpdated | RecruiterStatusChanged


@dataclass(frozen=True)
class Recruiter:
    exists: bool = False
    id: UUID | None = None
    user_id: UUID | None = None
    status: RecruiterStatus = "active"
    slug: str | None = None
    bio: str | None = None
    tagline: str | None = None
    location: str | None = None
    years_experience: int | None = None
    industries: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    phone: str | None = None
    marketplace_enabled: bool = False
    marketplace_visibility: MarketplaceVisibility = "public"
    show_success_metrics: bool = True
    show_contact_info: bool = False
    candidate_recruiter: bool = False
    company_recruiter: bool = False


def initial_state() -> Recruiter:
    return Recruiter()


def _state_value(value: ProfileValue) -> Any:
    return tuple(value) if isinstance(value, list) else value


def evolve(s: Recruiter, e: RecruiterEvent) -> Recruiter:
    match e:
        case RecruiterCreated():
            profile = {name: _state_value(getattr(e, name)) for name in PROFILE_FIELDS}
            return Recruiter(exists=True, id=e.recruiter_id, user_id=e.user_id, status=e.status, **profile)
        case RecruiterProfileUpdated(changes=changes):
            return replace(s, **{name: _state_value(value) for name, value in changes.items()})
        case RecruiterStatusChanged(to_status=to):
            return replace(s, status=to)
        case _:
            return s


def decide(cmd: RecruiterCommand, s: Recruiter) -> list[RecruiterEvent]:
    match cmd:
        case CreateRecruiter() if s.exists:
            return []  # the user already has their recruiter
        case CreateRecruiter():
            return [RecruiterCreated(**cmd.model_dump())]
        case _ if not s.exists:
            raise NotFound(f"recruiter {cmd.recruiter_id} does not exist", recruiter_id=str(cmd.recruiter_id))
        case UpdateRecruiterProfile():
            return _update(cmd, s)
        case ChangeRecruiterStatus():
            return _change_status(cmd, s)
        case _:
            raise TypeError(f"the recruiter decider has no case for {type(cmd).__name__}")


def _update(cmd: UpdateRecruiterProfile, s: Recruiter) -> list[RecruiterEvent]:
    if not (cmd.is_platform_admin or cmd.by_user_id == s.user_id):
        raise NotRecruiterOwner(s.id)
    changes: dict[RecruiterProfileField, ProfileValue] = {
        name: getattr(cmd, name)
        for name in PROFILE_FIELDS
        if name in cmd.model_fields_set and _state_value(getattr(cmd, name)) != getattr(s, name)
    }
    if not changes:
        return []
    return [RecruiterProfileUpdated(recruiter_id=cmd.recruiter_id, changes=changes, by=cmd.by, at=cmd.at)]


def _change_status(cmd: ChangeRecruiterStatus, s: Recruiter) -> list[RecruiterEvent]:
    if cmd.status == s.status:
        return []  # a retried change records nothing
    own = cmd.by_user_id is not None and cmd.by_user_id == s.user_id
    if not (cmd.is_platform_admin or (own and (s.status, cmd.status) in SELF_SERVICE_MOVES)):
        raise RecruiterStatusNotChangeable(s.id, s.status, cmd.status)
    return [RecruiterStatusChanged(recruiter_id=cmd.recruiter_id, from_status=s.status, to_status=cmd.status,
                                   reason=cmd.reason, by=cmd.by, at=cmd.at)]


recruiter: Decider[RecruiterCommand, RecruiterEvent, Recruiter] = Decider(
    "recruiter",
    initial_state,
    evolve,
    decide,
    events=(RecruiterCreated, RecruiterProfileUpdated, RecruiterStatusChanged),
)
