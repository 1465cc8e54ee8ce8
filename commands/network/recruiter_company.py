"""The recruiter–company decider: a recruiter working a company's roles (domain §2.4, §3.3, §4.4).

    (company invites | recruiter requests) → pending ──accept (other side)──► active ──terminate──► terminated
                                                 ├──decline (other side)──► declined
                                                 └──terminate (starting side withdraws)──► terminated

One stream per (recruiter, company) pair, at `recruiter_company_id_for(recruiter_id, company_id)`; a pair
whose relationship was declined or terminated can start a new round on the same stream. Only the
company grants permissions: with its invitation, when it accepts a request, or by changing them later.
The recruiter acknowledges the terms when they request, or when they accept an invitation.

"One active sourcer per company" spans pairs, so the caller checks it against the read model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, Self, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field, model_validator

from commands.core import Command, Conflict, Decider, Forbidden, NotFound, RuleViolation
from commands.identity.fields import Actor, Text
from commands.network.events import (
    JobEndingItem,
    RecruiterCompanyAccepted,
    RecruiterCompanyConnectionRequested,
    RecruiterCompanyDeclined,
    RecruiterCompanyInvited,
    RecruiterCompanyPermission,
    RecruiterCompanyPermissionsChanged,
    RecruiterCompanySide,
    RecruiterCompanyStatus,
    RecruiterCompanyTerminated,
    RecruiterCompanyTerminationDecided,
    RecruiterCompanyType,
)
from commands.network.recruiter_candidate import MAX_ENDINGS, NotAPartyToRelationship, once_each

RECRUITER_COMPANY_PERMISSIONS: tuple[RecruiterCompanyPermission, ...] = get_args(RecruiterCompanyPermission)
# What a company grants when it accepts without choosing: see the work, propose candidates, follow them.
DEFAULT_PERMISSIONS: frozenset[RecruiterCompanyPermission] = frozenset(
    {"can_view_jobs", "can_view_applications", "can_submit_candidates"}
)
_PAIR_NAMESPACE = uuid5(NAMESPACE_URL, "splits:recruiter_company")


def recruiter_company_id_for(recruiter_id: UUID, company_id: UUID) -> UUID:
    """The relationship id of a pair: derived, so that a pair has one relationship stream."""
    return uuid5(_PAIR_NAMESPACE, f"{recruiter_id}:{company_id}")


def _listed(permissions: frozenset[RecruiterCompanyPermission]) -> list[RecruiterCompanyPermission]:
    return [name for name in RECRUITER_COMPANY_PERMISSIONS if name in permissions]


def _other(side: RecruiterCompanySide) -> RecruiterCompanySide:
    return "company" if side == "recruiter" else "recruiter"


class RecruiterCompanyNotInStatus(RuleViolation):
    def __init__(self, relationship_id: UUID | None, status: RecruiterCompanyStatus, action: str,
                 allowed: RecruiterCompanyStatus) -> None:
        super().__init__(f"relationship {relationship_id} is {status}: it can only be {action} when {allowed}",
                         relationship_id=str(relationship_id), relationship_status=status)


class NotTheRespondingSide(Forbidden):
    def __init__(self, relationship_id: UUID | None, side: RecruiterCompanySide, action: str) -> None:
        super().__init__(f"the {side} started relationship {relationship_id}: only the {_other(side)} can {action} it",
                         relationship_id=str(relationship_id), side=side)


class OnlyCompanyGrantsPermissions(Forbidden):
    def __init__(self, relationship_id: UUID | None) -> None:
        super().__init__(f"only the company sets the permissions of relationship {relationship_id}",
                         relationship_id=str(relationship_id))


class TermsNotAcknowledged(RuleViolation):
    def __init__(self, relationship_id: UUID | None) -> None:
        super().__init__(f"the recruiter must acknowledge the terms to work with a company "
                         f"(relationship {relationship_id})", relationship_id=str(relationship_id))


class _RelationshipCommand(Command):
    relationship_id: UUID
    by: Actor
    at: AwareDatetime


class _StartCommand(_RelationshipCommand):
    """`relationship_id` may be left out: it is derived from the pair, and any other value is refused."""

    recruiter_id: UUID
    company_id: UUID
    relationship_type: RecruiterCompanyType = "recruiter"
    message: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _derived_id(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "recruiter_id" in data and "company_id" in data:
            derived = recruiter_company_id_for(UUID(str(data["recruiter_id"])), UUID(str(data["company_id"])))
            if data.get("relationship_id") is None:
                return {**data, "relationship_id": derived}
            if UUID(str(data["relationship_id"])) != derived:
                raise ValueError("relationship_id must be recruiter_company_id_for(recruiter_id, company_id)")
        return data


class InviteRecruiterToCompany(_StartCommand):
    """The company invites; `permissions` None grants the defaults once the recruiter accepts."""

    permissions: frozenset[RecruiterCompanyPermission] | None = None


class RequestCompanyConnection(_StartCommand):
    """The recruiter asks; they must acknowledge the terms."""

    terms_acknowledged: bool


class _PartyCommand(_RelationshipCommand):
    """`party_id` is the recruiter id when `side` is recruiter, the company id when it is company."""

    side: RecruiterCompanySide
    party_id: UUID


class AcceptRecruiterCompany(_PartyCommand):
    """By the side that did not start it. The company may set `permissions` (None: the invited ones or
    the defaults); the recruiter sets none and must acknowledge the terms."""

    permissions: frozenset[RecruiterCompanyPermission] | None = None
    terms_acknowledged: bool = False


class DeclineRecruiterCompany(_PartyCommand):
    reason: str | None = None


class TerminateRecruiterCompany(_PartyCommand):
    """Either side ends an active relationship; while pending, the side that started it withdraws it.

    `jobs` is the decision for each open job the recruiter owns at the company, every one of them (the caller
    lists them and fills in `keep` for those the party did not decide); recorded with the termination."""

    reason: Text
    jobs: Annotated[list[JobEndingItem], Field(max_length=MAX_ENDINGS)] = []

    @model_validator(mode="after")
    def _decided_once(self) -> Self:
        once_each([item.job_id for item in self.jobs], "job")
        return self


class ChangeRecruiterCompanyPermissions(_RelationshipCommand):
    by_company_id: UUID
    permissions: frozenset[RecruiterCompanyPermission]


RecruiterCompanyCommand = (
    InviteRecruiterToCompany | RequestCompanyConnection | AcceptRecruiterCompany | DeclineRecruiterCompany
    | TerminateRecruiterCompany | ChangeRecruiterCompanyPermissions
)
RecruiterCompanyEvent = (
    RecruiterCompanyInvited | RecruiterCompanyConnectionRequested | RecruiterCompanyAccepted
    | RecruiterCompanyDeclined | RecruiterCompanyTerminated | RecruiterCompanyPermissionsChanged
    | RecruiterCompanyTerminationDecided
)


@dataclass(frozen=True)
class RecruiterCompany:
    exists: bool = False
    id: UUID | None = None
    recruiter_id: UUID | None = None
    company_id: UUID | None = None
    status: RecruiterCompanyStatus = "pending"
    started_by: RecruiterCompanySide = "company"
    relationship_type: RecruiterCompanyType = "recruiter"
    message: str | None = None
    proposed_permissions: frozenset[RecruiterCompanyPermission] = frozenset()  # the invitation's
    permissions: frozenset[RecruiterCompanyPermission] = frozenset()  # in force while active
    accepted_by: RecruiterCompanySide | None = None
    terms_acknowledged_by: str | None = None
    terms_acknowledged_at: datetime | None = None
    relationship_start_date: datetime | None = None
    relationship_end_date: datetime | None = None
    declined_by: RecruiterCompanySide | None = None
    decline_reason: str | None = None
    terminated_by: RecruiterCompanySide | None = None
    termination_reason: str | None = None


def grants(s: RecruiterCompany, permission: RecruiterCompanyPermission) -> bool:
    """Whether the relationship lets the recruiter do `permission` at the company now."""
    return s.status == "active" and permission in s.permissions


def initial_state() -> RecruiterCompany:
    return RecruiterCompany()


def evolve(s: RecruiterCompany, e: RecruiterCompanyEvent) -> RecruiterCompany:
    match e:
        case RecruiterCompanyInvited():
            return RecruiterCompany(exists=True, id=e.relationship_id, recruiter_id=e.recruiter_id,
                                    company_id=e.company_id, started_by="company",
                                    relationship_type=e.relationship_type, message=e.message,
                                    proposed_permissions=frozenset(e.permissions))
        case RecruiterCompanyConnectionRequested():
            return RecruiterCompany(exists=True, id=e.relationship_id, recruiter_id=e.recruiter_id,
                                    company_id=e.company_id, started_by="recruiter",
                                    relationship_type=e.relationship_type, message=e.message,
                                    terms_acknowledged_by=e.terms_acknowledged_by,
                                    terms_acknowledged_at=e.terms_acknowledged_at)
        case RecruiterCompanyAccepted():
            return replace(s, status="active", permissions=frozenset(e.permissions), accepted_by=e.accepted_by,
                           terms_acknowledged_by=e.terms_acknowledged_by,
                           terms_acknowledged_at=e.terms_acknowledged_at, relationship_start_date=e.at)
        case RecruiterCompanyDeclined():
            return replace(s, status="declined", declined_by=e.declined_by, decline_reason=e.reason)
        case RecruiterCompanyTerminated():
            return replace(s, status="terminated", permissions=frozenset(), terminated_by=e.terminated_by,
                           termination_reason=e.reason, relationship_end_date=e.at)
        case RecruiterCompanyPermissionsChanged(to_permissions=permissions):
            return replace(s, permissions=frozenset(permissions))
        case _:
            return s


def decide(cmd: RecruiterCompanyCommand, s: RecruiterCompany) -> list[RecruiterCompanyEvent]:
    match cmd:
        case InviteRecruiterToCompany() | RequestCompanyConnection():
            return _start(cmd, s)
        case _ if not s.exists:
            missing = cmd.relationship_id
            raise NotFound(f"relationship {missing} does not exist", relationship_id=str(missing))
        case ChangeRecruiterCompanyPermissions():
            return _change_permissions(cmd, s)
        case _PartyCommand(side=side, party_id=party_id) if party_id != _party(s, side):
            raise NotAPartyToRelationship(s.id, side, party_id)
        case AcceptRecruiterCompany():
            return _accept(cmd, s)
        case DeclineRecruiterCompany():
            return _decline(cmd, s)
        case TerminateRecruiterCompany():
            return _terminate(cmd, s)
        case _:
            raise TypeError(f"the recruiter_company decider has no case for {type(cmd).__name__}")


def _start(cmd: InviteRecruiterToCompany | RequestCompanyConnection,
           s: RecruiterCompany) -> list[RecruiterCompanyEvent]:
    side: RecruiterCompanySide = "company" if isinstance(cmd, InviteRecruiterToCompany) else "recruiter"
    event = _started(cmd, s)
    if s.exists and s.status == "active":
        raise Conflict(f"recruiter {s.recruiter_id} already works with company {s.company_id}",
                       relationship_id=str(s.id))
    if s.exists and s.status == "pending":
        if side != s.started_by:
            raise Conflict(f"the {s.started_by} has already asked; accept relationship {s.id} instead",
                           relationship_id=str(s.id))
        if evolve(s, event) == s:
            return []  # a retried invitation or request records nothing
        raise Conflict(f"relationship {s.id} is already pending with other terms; wait for an answer",
                       relationship_id=str(s.id))
    return [event]


def _started(cmd: InviteRecruiterToCompany | RequestCompanyConnection,
             s: RecruiterCompany) -> RecruiterCompanyInvited | RecruiterCompanyConnectionRequested:
    common = {"relationship_id": cmd.relationship_id, "recruiter_id": cmd.recruiter_id,
              "company_id": cmd.company_id, "relationship_type": cmd.relationship_type, "message": cmd.message}
    if isinstance(cmd, InviteRecruiterToCompany):
        permissions = DEFAULT_PERMISSIONS if cmd.permissions is None else cmd.permissions
        return RecruiterCompanyInvited(**common, permissions=_listed(permissions), by=cmd.by, at=cmd.at)
    if not cmd.terms_acknowledged:
        raise TermsNotAcknowledged(cmd.relationship_id)
    if s.status == "pending" and s.started_by == "recruiter" and s.terms_acknowledged_at is not None:
        # A retried request keeps the first acknowledgement, so that it is seen as the same request.
        acknowledged_by, acknowledged_at = s.terms_acknowledged_by or cmd.by, s.terms_acknowledged_at
    else:
        acknowledged_by, acknowledged_at = cmd.by, cmd.at
    return RecruiterCompanyConnectionRequested(**common, terms_acknowledged_by=acknowledged_by,
                                               terms_acknowledged_at=acknowledged_at, by=cmd.by, at=cmd.at)


def _accept(cmd: AcceptRecruiterCompany, s: RecruiterCompany) -> list[RecruiterCompanyEvent]:
    if s.status == "active" and s.accepted_by == cmd.side:
        return []  # a retried acceptance records nothing
    if s.status != "pending":
        raise RecruiterCompanyNotInStatus(s.id, s.status, "accepted", "pending")
    if cmd.side == s.started_by:
        raise NotTheRespondingSide(s.id, s.started_by, "accept")
    if cmd.side == "recruiter":
        if cmd.permissions is not None:
            raise OnlyCompanyGrantsPermissions(s.id)
        if not cmd.terms_acknowledged:
            raise TermsNotAcknowledged(s.id)
        permissions, acknowledged_by, acknowledged_at = s.proposed_permissions, cmd.by, cmd.at
    else:
        permissions = DEFAULT_PERMISSIONS if cmd.permissions is None else cmd.permissions
        assert s.terms_acknowledged_by is not None and s.terms_acknowledged_at is not None
        acknowledged_by, acknowledged_at = s.terms_acknowledged_by, s.terms_acknowledged_at
    return [RecruiterCompanyAccepted(**_pair(s), relationship_type=s.relationship_type,
                                     permissions=_listed(permissions), accepted_by=cmd.side,
                                     terms_acknowledged_by=acknowledged_by, terms_acknowledged_at=acknowledged_at,
                                     by=cmd.by, at=cmd.at)]


def _decline(cmd: DeclineRecruiterCompany, s: RecruiterCompany) -> list[RecruiterCompanyEvent]:
    if s.status == "declined" and s.declined_by == cmd.side:
        return []  # a retried decline records nothing
    if s.status != "pending":
        raise RecruiterCompanyNotInStatus(s.id, s.status, "declined", "pending")
    if cmd.side == s.started_by:
        raise NotTheRespondingSide(s.id, s.started_by, "decline")
    return [RecruiterCompanyDeclined(**_pair(s), declined_by=cmd.side, reason=cmd.reason, by=cmd.by, at=cmd.at)]


def _terminate(cmd: TerminateRecruiterCompany, s: RecruiterCompany) -> list[RecruiterCompanyEvent]:
    if s.status == "terminated":
        return []  # a retried termination records nothing
    if s.status == "declined":
        raise RecruiterCompanyNotInStatus(s.id, s.status, "terminated", "active")
    if s.status == "pending" and cmd.side != s.started_by:
        raise RuleViolation(f"the {cmd.side} did not start relationship {s.id}: decline it instead",
                            relationship_id=str(s.id), side=cmd.side)
    ended: list[RecruiterCompanyEvent] = [RecruiterCompanyTerminated(
        **_pair(s), terminated_by=cmd.side, reason=cmd.reason, by=cmd.by, at=cmd.at)]
    if cmd.jobs:
        ended.append(RecruiterCompanyTerminationDecided(**_pair(s), decided_by=cmd.side, jobs=cmd.jobs,
                                                        by=cmd.by, at=cmd.at))
    return ended


def _change_permissions(cmd: ChangeRecruiterCompanyPermissions, s: RecruiterCompany) -> list[RecruiterCompanyEvent]:
    if cmd.by_company_id != s.company_id:
        raise NotAPartyToRelationship(s.id, "company", cmd.by_company_id)
    if s.status != "active":
        raise RecruiterCompanyNotInStatus(s.id, s.status, "given new permissions", "active")
    if cmd.permissions == s.permissions:
        return []
    return [RecruiterCompanyPermissionsChanged(**_pair(s), from_permissions=_listed(s.permissions),
                                               to_permissions=_listed(cmd.permissions), by=cmd.by, at=cmd.at)]


def _party(s: RecruiterCompany, side: RecruiterCompanySide) -> UUID | None:
    return s.recruiter_id if side == "recruiter" else s.company_id


def _pair(s: RecruiterCompany) -> dict[str, Any]:
    return {"relationship_id": s.id, "recruiter_id": s.recruiter_id, "company_id": s.company_id}


recruiter_company: Decider[RecruiterCompanyCommand, RecruiterCompanyEvent, RecruiterCompany] = Decider(
    "recruiter_company",
    initial_state,
    evolve,
    decide,
    events=(RecruiterCompanyInvited, RecruiterCompanyConnectionRequested, RecruiterCompanyAccepted,
            RecruiterCompanyDeclined, RecruiterCompanyTerminated, RecruiterCompanyPermissionsChanged,
            RecruiterCompanyTerminationDecided),
)
