"""The organization decider: an organization and its memberships (domain §2.1, §3.1).

Memberships live in the organization's stream rather than in streams of their own: the
organization owns its members, so a rule over all of them ("one organization-wide company_admin
must remain") is checked against one consistent state, and two admins removing each other at the
same moment meet as a version conflict instead of both succeeding.

A membership is identified by (user_id, company_id): company_id None is organization-wide, a
company id scopes it to that company. A user therefore holds at most one role per scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime

from commands.core import Command, Conflict, Decider, NotFound, RuleViolation
from commands.identity.events import (
    MembershipAdded,
    MembershipRemoved,
    MembershipRole,
    MembershipRoleChanged,
    OrganizationCompanyAttached,
    OrganizationCreated,
    OrganizationDeleted,
    OrganizationRenamed,
)
from commands.identity.fields import Actor, Slug, Text

MemberKey = tuple[UUID, UUID | None]  # (user_id, company_id)


def company_id_for(organization_id: UUID) -> UUID:
    """The id of the company an organization runs, derived from the organization's id, so that an organization
    made through the API and one made through Clerk's webhook name their company the same way."""
    return uuid5(NAMESPACE_URL, f"company-of:{organization_id}")


class OrganizationIsDeleted(RuleViolation):
    def __init__(self, organization_id: UUID | None) -> None:
        super().__init__(f"organization {organization_id} is deleted", organization_id=str(organization_id))


class LastAdminRequired(RuleViolation):
    def __init__(self, organization_id: UUID | None, user_id: UUID) -> None:
        super().__init__(
            f"user {user_id} is the last organization-wide company_admin of organization {organization_id}; "
            "make another member an organization-wide company_admin first",
            organization_id=str(organization_id),
            user_id=str(user_id),
        )


class _OrganizationCommand(Command):
    organization_id: UUID
    by: Actor
    at: AwareDatetime


class CreateOrganization(_OrganizationCommand):
    name: Text
    slug: Slug
    clerk_org_id: str | None = None
    company_id: UUID | None = None


class RenameOrganization(_OrganizationCommand):
    """Slug None keeps the current slug."""

    name: Text
    slug: Slug | None = None


class DeleteOrganization(_OrganizationCommand):
    pass


class AttachCompany(_OrganizationCommand):
    """Give an organization that names no company its company id (organizations Clerk created before they got
    one at creation). Once: an organization's company does not change."""

    company_id: UUID


class _MemberCommand(_OrganizationCommand):
    user_id: UUID
    company_id: UUID | None = None


class AddMember(_MemberCommand):
    role: MembershipRole


class ChangeMemberRole(_MemberCommand):
    role: MembershipRole


class RemoveMember(_MemberCommand):
    pass


OrganizationCommand = (
    CreateOrganization | RenameOrganization | DeleteOrganization | AttachCompany | AddMember | ChangeMemberRole
    | RemoveMember
)
OrganizationEvent = (
    OrganizationCreated | OrganizationRenamed | OrganizationDeleted | OrganizationCompanyAttached | MembershipAdded
    | MembershipRoleChanged | MembershipRemoved
)


@dataclass(frozen=True)
class Organization:
    exists: bool = False
    deleted: bool = False
    id: UUID | None = None
    name: str = ""
    slug: str = ""
    company_id: UUID | None = None
    members: Mapping[MemberKey, MembershipRole] = field(default_factory=dict)

    def org_wide_admins(self) -> int:
        return sum(1 for (_, company), role in self.members.items() if company is None and role == "company_admin")


def initial_state() -> Organization:
    return Organization()


def evolve(s: Organization, e: OrganizationEvent) -> Organization:
    match e:
        case OrganizationCreated():
            return Organization(exists=True, id=e.organization_id, name=e.name, slug=e.slug, company_id=e.company_id)
        case OrganizationRenamed(name=name, slug=slug):
            return replace(s, name=name, slug=slug)
        case OrganizationDeleted():
            return replace(s, deleted=True)
        case OrganizationCompanyAttached(company_id=company_id):
            return replace(s, company_id=company_id)
        case MembershipAdded(role=role) | MembershipRoleChanged(to_role=role):
            return replace(s, members={**s.members, (e.user_id, e.company_id): role})
        case MembershipRemoved(user_id=user_id, company_id=company_id):
            return replace(s, members={k: v for k, v in s.members.items() if k != (user_id, company_id)})
        case _:
            return s


def decide(cmd: OrganizationCommand, s: Organization) -> list[OrganizationEvent]:
    match cmd:
        case CreateOrganization() if s.exists:
            raise Conflict(f"organization {s.id} already exists", organization_id=str(s.id))
        case CreateOrganization():
            return [OrganizationCreated(**cmd.model_dump())]
        case _ if not s.exists:
            missing = cmd.organization_id
            raise NotFound(f"organization {missing} does not exist", organization_id=str(missing))
        case DeleteOrganization() if s.deleted:
            return []  # a retried delete records nothing
        case _ if s.deleted:
            raise OrganizationIsDeleted(s.id)
        case RenameOrganization(name=name, slug=slug) if (name, slug or s.slug) == (s.name, s.slug):
            return []
        case RenameOrganization(name=name, slug=slug):
            return [OrganizationRenamed(organization_id=cmd.organization_id, name=name, slug=slug or s.slug,
                                        by=cmd.by, at=cmd.at)]
        case DeleteOrganization():
            return [OrganizationDeleted(organization_id=cmd.organization_id, by=cmd.by, at=cmd.at)]
        case AttachCompany() if s.company_id == cmd.company_id:
            return []  # a retried attach records nothing
        case AttachCompany() if s.company_id is not None:
            raise Conflict(f"organization {s.id} already runs company {s.company_id}", organization_id=str(s.id),
                           company_id=str(s.company_id))
        case AttachCompany():
            return [OrganizationCompanyAttached(organization_id=cmd.organization_id, company_id=cmd.company_id,
                                                by=cmd.by, at=cmd.at)]
        case AddMember():
            return _add(cmd, s)
        case ChangeMemberRole():
            return _change_role(cmd, s)
        case RemoveMember():
            return _remove(cmd, s)
        case _:
            raise TypeError(f"the organization decider has no case for {type(cmd).__name__}")


def _add(cmd: AddMember, s: Organization) -> list[OrganizationEvent]:
    current = s.members.get((cmd.user_id, cmd.company_id))
    if current == cmd.role:
        return []  # a retried add (or an invitation accepted twice) records nothing
    if current is not None:
        raise Conflict(
            f"user {cmd.user_id} is already a {current} in this scope; change the member's role instead",
            organization_id=str(s.id), user_id=str(cmd.user_id), role=current,
        )
    return [MembershipAdded(**cmd.model_dump())]


def _change_role(cmd: ChangeMemberRole, s: Organization) -> list[OrganizationEvent]:
    current = _member(cmd, s)
    if current == cmd.role:
        return []
    _keep_last_admin(cmd, s, current)
    return [MembershipRoleChanged(organization_id=cmd.organization_id, user_id=cmd.user_id,
                                  company_id=cmd.company_id, from_role=current, to_role=cmd.role,
                                  by=cmd.by, at=cmd.at)]


def _remove(cmd: RemoveMember, s: Organization) -> list[OrganizationEvent]:
    current = s.members.get((cmd.user_id, cmd.company_id))
    if current is None:
        return []  # already gone: a retried removal records nothing
    _keep_last_admin(cmd, s, current)
    return [MembershipRemoved(organization_id=cmd.organization_id, user_id=cmd.user_id, company_id=cmd.company_id,
                              role=current, by=cmd.by, at=cmd.at)]


def _member(cmd: _MemberCommand, s: Organization) -> MembershipRole:
    current = s.members.get((cmd.user_id, cmd.company_id))
    if current is None:
        scope = "organization-wide" if cmd.company_id is None else f"for company {cmd.company_id}"
        raise NotFound(f"user {cmd.user_id} has no membership {scope}", organization_id=str(s.id),
                       user_id=str(cmd.user_id))
    return current


def _keep_last_admin(cmd: _MemberCommand, s: Organization, current: MembershipRole) -> None:
    """The organization must keep one organization-wide company_admin to manage it (domain §2.4)."""
    if cmd.company_id is None and current == "company_admin" and s.org_wide_admins() == 1:
        raise LastAdminRequired(s.id, cmd.user_id)


organization: Decider[OrganizationCommand, OrganizationEvent, Organization] = Decider(
    "organization",
    initial_state,
    evolve,
    decide,
    events=(OrganizationCreated, OrganizationRenamed, OrganizationDeleted, OrganizationCompanyAttached, MembershipAdded,
            MembershipRoleChanged, MembershipRemoved),
)


_ORGANIZATION_NAMESPACE = uuid5(NAMESPACE_URL, "splits:organization:clerk")


def organization_id_for(clerk_org_id: str) -> UUID:
    """The organization id derived from the Clerk organization id, so every writer finds the same stream."""
    return uuid5(_ORGANIZATION_NAMESPACE, clerk_org_id)
