"""What a Clerk event asks of the identity context: its payload's shapes and the commands it stands for
(domain §8.1).

Pure: `parse` reads a verified body (the webhook route refuses what it cannot read before anything is
written) and `plan` turns a recorded payload into identity commands, which the `clerk-webhooks` process
manager (consumers/identity/clerk_webhooks.py) runs. Only the fields used are modelled; anything else in a
payload is kept in the record.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from commands.core import Command, Decider
from commands.identity import organization as orgs
from commands.identity import user as users
from commands.identity.events import MembershipRole, SourceInstance
from commands.identity.organization import organization_id_for

_ADMIN_ROLES = {"org:admin", "admin"}  # "admin" is the role key of Clerk instances older than org:-prefixed roles


class Unreadable(ValueError):
    """A body that is not a Clerk event we can record (not JSON, floats, the wrong shape for its type)."""


# --- the Clerk payloads we act on ---------------------------------------------------------------------

class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class ClerkEvent(_Shape):
    type: str = Field(min_length=1)
    data: dict[str, Any]
    timestamp: int | None = None  # ms; absent from older payloads


class ClerkVerification(_Shape):
    status: str | None = None


class ClerkEmailAddress(_Shape):
    id: str
    email_address: str
    verification: ClerkVerification | None = None


class ClerkUser(_Shape):
    id: str
    email_addresses: list[ClerkEmailAddress] = []
    primary_email_address_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    image_url: str | None = None
    created_at: int | None = None
    updated_at: int | None = None

    def email(self) -> str | None:
        """The primary address; the first one when Clerk names no primary (the original took the first)."""
        primary = [e.email_address for e in self.email_addresses if e.id == self.primary_email_address_id]
        return (primary or [e.email_address for e in self.email_addresses] or [None])[0]

    def email_verified(self) -> bool:
        """Whether Clerk has verified the primary address; an address Clerk names no primary is never verified."""
        return any(e.id == self.primary_email_address_id and e.verification is not None
                   and e.verification.status == "verified" for e in self.email_addresses)

    def name(self) -> str | None:
        return " ".join(p.strip() for p in (self.first_name, self.last_name) if p and p.strip()) or None


class ClerkDeleted(_Shape):
    id: str


class ClerkSession(_Shape):
    id: str | None = None
    user_id: str
    last_active_at: int | None = None
    created_at: int | None = None


class ClerkOrganization(_Shape):
    id: str
    name: str
    slug: str | None = None


class _Ref(_Shape):
    id: str


class _PublicUserData(_Shape):
    user_id: str


class ClerkMembership(_Shape):
    organization: _Ref
    public_user_data: _PublicUserData
    role: str


_SHAPES: dict[str, type[_Shape]] = {
    "user.created": ClerkUser, "user.updated": ClerkUser, "user.deleted": ClerkDeleted,
    "session.created": ClerkSession,
    "organization.created": ClerkOrganization, "organization.updated": ClerkOrganization,
    "organization.deleted": ClerkDeleted,
    "organizationMembership.created": ClerkMembership, "organizationMembership.updated": ClerkMembership,
    "organizationMembership.deleted": ClerkMembership,
}


def _refuse(text: str) -> NoReturn:
    raise ValueError(f"{text} is not allowed: the events store no floats")


def parse(body: bytes) -> tuple[ClerkEvent, dict[str, Any], _Shape | None]:
    """The envelope, the payload as a dict, and the event's data if it is a type we act on."""
    try:
        raw = json.loads(body, parse_float=_refuse, parse_constant=_refuse)
    except ValueError as exc:
        raise Unreadable(f"the body is not acceptable JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise Unreadable("the body is not a JSON object")
    return read(raw)


def read(raw: dict[str, Any]) -> tuple[ClerkEvent, dict[str, Any], _Shape | None]:
    """A payload already decoded (a recorded one): its envelope and data, as `parse` gives them."""
    try:
        event = ClerkEvent.model_validate(raw)
        shape = _SHAPES.get(event.type)
        return event, raw, None if shape is None else shape.model_validate(event.data)
    except ValidationError as exc:
        raise Unreadable(f"the payload does not have the shape of a Clerk event: {errors_of(exc)}") from exc


def steps_for(event_type: str, data: _Shape | None, instance: SourceInstance, occurred: datetime) -> tuple[list[Step], str | None]:
    """The commands to run, or why there are none (the payload is recorded either way)."""
    if data is None:
        return [], f"event type {event_type} is not handled"
    try:
        return plan(event_type, data, instance, occurred), None
    except _Skip as exc:
        return [], exc.reason
    except ValidationError as exc:  # well-formed, but a value the commands refuse (an email that is not one)
        return [], f"the event's values are refused: {errors_of(exc)}"


# --- Clerk events → identity commands -----------------------------------------------------------------

Step = tuple[Decider[Any, Any, Any], UUID, Command]


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def plan(event_type: str, data: _Shape, instance: SourceInstance, occurred: datetime) -> list[Step]:
    """The commands one Clerk event stands for, in the order they run.

    A user first seen through the candidate app also gets the candidate role, with no role entity:
    the ats candidate record it should point at is created later, by the ats context, not here.
    """
    by = f"clerk:{instance}"
    match event_type, data:
        case ("user.created" | "user.updated"), ClerkUser():
            email = data.email()
            if email is None:
                raise _Skip("the user has no email address")
            user_id = users.user_id_for(data.id)
            at = from_ms(data.created_at if event_type == "user.created" else data.updated_at) or occurred
            # RegisterUser both creates and, for a known user, records only what changed.
            steps: list[Step] = [(users.user, user_id, users.RegisterUser(
                user_id=user_id, clerk_user_id=data.id, email=email, email_verified=data.email_verified(), name=data.name(),
                image_url=data.image_url or None, source=instance, by=by, at=at))]
            if instance == "candidate":
                steps.append((users.user, user_id, users.GrantRole(user_id=user_id, role="candidate", by=by, at=at)))
            return steps
        case "user.deleted", ClerkDeleted():
            user_id = users.user_id_for(data.id)
            return [(users.user, user_id, users.DeleteUser(user_id=user_id, by=by, at=occurred))]
        case "session.created", ClerkSession():
            user_id = users.user_id_for(data.user_id)
            at = from_ms(data.last_active_at) or from_ms(data.created_at) or occurred
            return [(users.user, user_id, users.RecordSignIn(user_id=user_id, session_id=data.id, by=by, at=at))]
        case "organization.created", ClerkOrganization():
            org_id = organization_id_for(data.id)
            # Its company id as the API gives one (commands/identity/organization.py), so that its admins create
            # the company's profile as they would for an organization made through the API.
            return [(orgs.organization, org_id, orgs.CreateOrganization(
                organization_id=org_id, name=data.name, slug=_slug(data), clerk_org_id=data.id,
                company_id=orgs.company_id_for(org_id), by=by, at=occurred))]
        case "organization.updated", ClerkOrganization():
            org_id = organization_id_for(data.id)
            return [(orgs.organization, org_id, orgs.RenameOrganization(
                organization_id=org_id, name=data.name, slug=_slug(data), by=by, at=occurred))]
        case "organization.deleted", ClerkDeleted():
            org_id = organization_id_for(data.id)
            return [(orgs.organization, org_id, orgs.DeleteOrganization(organization_id=org_id, by=by, at=occurred))]
        case "organizationMembership.created", ClerkMembership():
            return [_membership(orgs.AddMember, data, by, occurred, role=_role(data))]
        case "organizationMembership.updated", ClerkMembership():
            return [_membership(orgs.ChangeMemberRole, data, by, occurred, role=_role(data))]
        case "organizationMembership.deleted", ClerkMembership():
            return [_membership(orgs.RemoveMember, data, by, occurred)]
    raise TypeError(f"no plan for {event_type} with {type(data).__name__}")  # _SHAPES and plan disagree


def _membership(command: type[Command], data: ClerkMembership, by: str, at: datetime, **role: str) -> Step:
    """Organization-wide memberships: Clerk has no notion of our company scope."""
    org_id = organization_id_for(data.organization.id)
    user_id = users.user_id_for(data.public_user_data.user_id)
    return orgs.organization, org_id, command(organization_id=org_id, user_id=user_id, by=by, at=at, **role)


def _role(data: ClerkMembership) -> MembershipRole:
    return "company_admin" if data.role in _ADMIN_ROLES else "hiring_manager"


def _slug(org: ClerkOrganization) -> str:
    """Clerk's slug when it fits ours; else one made from it, the name or the id (slugs can be off in Clerk)."""
    for text in (org.slug, org.name, org.id):
        slug = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:100].strip("-")
        if slug:
            return slug
    raise _Skip("the organization has no usable slug")


def from_ms(ms: int | None) -> datetime | None:
    # Integer arithmetic: a float of milliseconds would round some instants.
    return None if ms is None else datetime.fromtimestamp(ms // 1000, UTC) + timedelta(milliseconds=ms % 1000)


def errors_of(exc: ValidationError) -> str:
    """Where and what, without the input (which may be a person's data)."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors(include_input=False))
