"""The user decider: a person's account, onboarding, platform roles and consent (domain §3.1, §8.1).

Registration is idempotent because two paths race to create the same user: the Clerk webhook
(user.created) and the app's own `POST /users/register`. Both should address the stream by
`user_id_for(clerk_user_id)`, so that they meet on one stream and the second one only records what
differs. Organization memberships are not here: the organization owns them (organization.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field, model_validator

from commands.core import Command, Conflict, Decider, NotFound, RuleViolation
from commands.identity.events import (
    ConsentRecorded,
    Json,
    OnboardingProgressed,
    OnboardingStatus,
    ProfileField,
    SourceInstance,
    UserDeleted,
    UserProfileUpdated,
    UserRegistered,
    UserRole,
    UserRoleGranted,
    UserRoleRevoked,
    UserSignedIn,
)
from commands.identity.fields import Actor, Email, Text

# Clerk opens a session on every page load of a new tab; only activity this much newer is recorded.
SIGN_IN_THROTTLE = timedelta(minutes=5)
PROFILE_FIELDS: tuple[ProfileField, ...] = ("email", "name", "image_url")
_USER_NAMESPACE = uuid5(NAMESPACE_URL, "splits:user:clerk")


def user_id_for(clerk_user_id: str) -> UUID:
    """The user id derived from the Clerk user id, so that every writer finds the same stream."""
    return uuid5(_USER_NAMESPACE, clerk_user_id)


class UserIsDeleted(RuleViolation):
    def __init__(self, user_id: UUID | None) -> None:
        super().__init__(f"user {user_id} is deleted", user_id=str(user_id))


class OnboardingCannotGoBack(RuleViolation):
    pass


class _UserCommand(Command):
    user_id: UUID
    by: Actor
    at: AwareDatetime


class RegisterUser(_UserCommand):
    """What Clerk says about the user (a webhook, or a Backend API read): the email and whether Clerk has
    verified it come only from there. For a known user only the fields given that differ are recorded."""

    clerk_user_id: Text
    email: Email
    email_verified: bool = False
    name: Text | None = None
    image_url: Text | None = None
    source: SourceInstance
    referred_by_recruiter_id: UUID | None = None


class UpdateProfile(_UserCommand):
    """Change only the fields given; a field given as None is cleared. The email is not here: it is
    Clerk's, and rights hang on it (claims, invitations)."""

    name: Text | None = None
    image_url: Text | None = None


class RecordSignIn(_UserCommand):
    session_id: str | None = None


class ProgressOnboarding(_UserCommand):
    """Set the wizard's status and step; metadata None keeps the current metadata (or clears it on reset)."""

    status: OnboardingStatus
    step: int = Field(ge=1, le=4)
    metadata: dict[str, Json] | None = None
    reset: bool = False


class _RoleCommand(_UserCommand):
    role: UserRole
    role_entity_id: UUID | None = None

    @model_validator(mode="after")
    def _global_admin(self) -> Self:
        if self.role == "platform_admin" and self.role_entity_id is not None:
            raise ValueError("platform_admin is global: it takes no role_entity_id")
        return self


class GrantRole(_RoleCommand):
    pass


class RevokeRole(_RoleCommand):
    pass


class RecordConsent(_UserCommand):
    necessary: bool = True
    functional: bool
    analytics: bool
    marketing: bool
    ip_address: str | None = None
    user_agent: str | None = None
    source: Text


class DeleteUser(_UserCommand):
    pass


UserCommand = (
    RegisterUser | UpdateProfile | RecordSignIn | ProgressOnboarding | GrantRole | RevokeRole | RecordConsent
    | DeleteUser
)
UserEvent = (
    UserRegistered | UserProfileUpdated | UserSignedIn | OnboardingProgressed | UserRoleGranted | UserRoleRevoked
    | ConsentRecorded | UserDeleted
)


@dataclass(frozen=True)
class User:
    exists: bool = False
    deleted: bool = False
    id: UUID | None = None
    clerk_user_id: str | None = None
    email: str | None = None
    email_verified: bool = False
    source: SourceInstance | None = None  # where the user first registered
    registered_at: datetime | None = None
    name: str | None = None
    image_url: str | None = None
    last_active_at: datetime | None = None
    onboarding_status: OnboardingStatus = "pending"
    onboarding_step: int = 1
    onboarding_metadata: Mapping[str, Any] = field(default_factory=dict)
    onboarding_completed_at: datetime | None = None
    roles: frozenset[tuple[UserRole, UUID | None]] = frozenset()
    last_consent: ConsentRecorded | None = None  # kept whole so that an exact retry is seen as one


def initial_state() -> User:
    return User()


def evolve(s: User, e: UserEvent) -> User:
    match e:
        case UserRegistered():
            return User(exists=True, id=e.user_id, clerk_user_id=e.clerk_user_id, email=e.email,
                        email_verified=e.email_verified, source=e.source, name=e.name, image_url=e.image_url,
                        registered_at=e.at)
        case UserProfileUpdated(changes=changes, email_verified=verified):
            # A new address without a word on its verification is not taken as verified.
            if verified is None and "email" in changes:
                verified = False
            return replace(s, **changes, email_verified=s.email_verified if verified is None else verified)
        case UserSignedIn(at=at):
            return replace(s, last_active_at=at)
        case OnboardingProgressed():
            return replace(s, onboarding_status=e.status, onboarding_step=e.step,
                           onboarding_metadata=e.metadata, onboarding_completed_at=e.completed_at)
        case UserRoleGranted(role=role, role_entity_id=entity):
            return replace(s, roles=s.roles | {(role, entity)})
        case UserRoleRevoked(role=role, role_entity_id=entity):
            return replace(s, roles=s.roles - {(role, entity)})
        case ConsentRecorded():
            return replace(s, last_consent=e)
        case UserDeleted():
            return replace(s, deleted=True)
        case _:
            return s


def decide(cmd: UserCommand, s: User) -> list[UserEvent]:
    match cmd:
        case DeleteUser() if s.deleted:
            return []  # a retried delete records nothing
        case _ if s.deleted:
            raise UserIsDeleted(s.id)
        case RegisterUser() if not s.exists:
            return [UserRegistered(**cmd.model_dump())]
        case RegisterUser(clerk_user_id=clerk_id) if clerk_id != s.clerk_user_id:
            raise Conflict(f"user {s.id} is registered with another Clerk user", user_id=str(s.id))
        case RegisterUser():
            # The first registration's source and referrer stand; only the profile can move on.
            return _profile_changes(cmd, s)
        case _ if not s.exists:
            raise NotFound(f"user {cmd.user_id} does not exist", user_id=str(cmd.user_id))
        case UpdateProfile():
            return _profile_changes(cmd, s)
        case RecordSignIn(at=at) if s.last_active_at is not None and at - s.last_active_at < SIGN_IN_THROTTLE:
            return []  # recent or out-of-order activity: the newer record already stands
        case RecordSignIn():
            return [UserSignedIn(user_id=cmd.user_id, session_id=cmd.session_id, by=cmd.by, at=cmd.at)]
        case ProgressOnboarding():
            return _progress(cmd, s)
        case GrantRole(role=role, role_entity_id=entity) if (role, entity) in s.roles:
            return []
        case GrantRole():
            return [UserRoleGranted(**cmd.model_dump())]
        case RevokeRole(role=role, role_entity_id=entity) if (role, entity) not in s.roles:
            return []
        case RevokeRole():
            return [UserRoleRevoked(**cmd.model_dump())]
        case RecordConsent():
            consent = ConsentRecorded(**cmd.model_dump())
            return [] if consent == s.last_consent else [consent]
        case DeleteUser():
            return [UserDeleted(user_id=cmd.user_id, by=cmd.by, at=cmd.at)]
        case _:
            raise TypeError(f"the user decider has no case for {type(cmd).__name__}")


def _profile_changes(cmd: RegisterUser | UpdateProfile, s: User) -> list[UserEvent]:
    # Only the fields given count: a registration without an image must not clear the current one.
    changes: dict[ProfileField, str | None] = {
        name: getattr(cmd, name)
        for name in PROFILE_FIELDS
        if name in cmd.model_fields_set and getattr(cmd, name) != getattr(s, name)
    }
    verified: bool | None = None
    if isinstance(cmd, RegisterUser) and ("email" in changes or (
            "email_verified" in cmd.model_fields_set and cmd.email_verified != s.email_verified)):
        verified = cmd.email_verified
    if not changes and verified is None:
        return []
    return [UserProfileUpdated(user_id=cmd.user_id, changes=changes, by=cmd.by, at=cmd.at, email_verified=verified)]


def _progress(cmd: ProgressOnboarding, s: User) -> list[UserEvent]:
    if not cmd.reset:
        if cmd.step < s.onboarding_step:
            raise OnboardingCannotGoBack(
                f"onboarding cannot go back from step {s.onboarding_step} to {cmd.step} without a reset",
                user_id=str(s.id),
            )
        if s.onboarding_status == "completed" and cmd.status != "completed":
            raise OnboardingCannotGoBack("a completed onboarding is only reopened by a reset", user_id=str(s.id))
    metadata = cmd.metadata if cmd.metadata is not None else ({} if cmd.reset else dict(s.onboarding_metadata))
    completed_at = None
    if cmd.status == "completed":
        completed_at = s.onboarding_completed_at if s.onboarding_status == "completed" else cmd.at
    after = (cmd.status, cmd.step, metadata, completed_at)
    if after == (s.onboarding_status, s.onboarding_step, s.onboarding_metadata, s.onboarding_completed_at):
        return []
    return [OnboardingProgressed(user_id=cmd.user_id, status=cmd.status, step=cmd.step, metadata=metadata,
                                 completed_at=completed_at, by=cmd.by, at=cmd.at)]


user: Decider[UserCommand, UserEvent, User] = Decider(
    "user",
    initial_state,
    evolve,
    decide,
    events=(UserRegistered, UserProfileUpdated, UserSignedIn, OnboardingProgressed, UserRoleGranted, UserRoleRevoked,
            ConsentRecorded, UserDeleted),
)
