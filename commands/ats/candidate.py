"""The candidate decider: a job seeker's profile, privacy, marketplace visibility, verification and
the account that owns it (domain §3.2, §4.4).

A candidate is created by the candidate themself (with their `user_id`) or by a recruiter, in which
case it is recruiter-managed (`user_id` None) until the candidate claims it with their account.
Rules over every candidate (one candidate per user account, one per email) need the read model;
the caller checks them before sending the command, as it checks who may act on the candidate.

    verification: unverified → pending → verified | rejected;  rejected → pending (asks again);
                  pending → unverified (request withdrawn);    verified → unverified (revoked)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Self, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from commands.ats.candidate_events import (
    CandidateArchived,
    CandidateCreated,
    CandidateMarketplaceVisibilityChanged,
    CandidatePrivacyChanged,
    CandidateProfileField,
    CandidateProfileUpdated,
    CandidateRestored,
    CandidateResumeProfileReplaced,
    CandidateSkillItem,
    CandidateSkillsReplaced,
    CandidateUserLinked,
    CertificationEntry,
    EducationEntry,
    ExperienceEntry,
    CandidateVerificationStatusChanged,
    MarketplaceVisibility,
    PrivacyFlag,
    VerificationStatus,
)
from commands.ats.candidate_profile import ReplaceCandidateSkills, SetCandidateResumeProfile, decide_profile
from commands.ats.company import Actor, LongText, Name, WebUrl
from commands.ats.events import EmploymentType
from commands.core import Command, Conflict, Decider, NotFound, RuleViolation
from commands.identity.fields import Email

VERIFICATION_ALLOWED: Mapping[VerificationStatus, frozenset[VerificationStatus]] = {
    "unverified": frozenset({"pending"}),
    "pending": frozenset({"verified", "rejected", "unverified"}),
    "verified": frozenset({"unverified"}),
    "rejected": frozenset({"pending"}),
}
PROFILE_FIELDS: frozenset[str] = frozenset(get_args(CandidateProfileField))
PRIVACY_FLAGS: tuple[PrivacyFlag, ...] = get_args(PrivacyFlag)
_NOT_NULL = frozenset({"full_name", "email", "open_to_remote", "open_to_relocation"})
_PHONE = re.compile(r"\+?[0-9 ().\-]{5,30}")


def _phone(value: str) -> str:
    if not _PHONE.fullmatch(value) or sum(ch.isdigit() for ch in value) < 5:
        raise ValueError("not a phone number: digits, spaces, ( ) . - and a leading +, with at least 5 digits")
    return value


def _salary_problem(fields: Mapping[str, Any]) -> str | None:
    low, high = fields.get("desired_salary_min_cents"), fields.get("desired_salary_max_cents")
    if low is not None and high is not None and low > high:
        return "desired_salary_min_cents must not exceed desired_salary_max_cents"
    return None


Phone = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_phone)]
Cents = Annotated[int, Field(ge=0)]
Availability = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class CandidateIsArchived(RuleViolation):
    def __init__(self, candidate_id: UUID | None) -> None:
        super().__init__(f"candidate {candidate_id} is archived; restore it first", candidate_id=str(candidate_id))


class VerificationTransitionNotAllowed(RuleViolation):
    def __init__(
        self, candidate_id: UUID | None, from_status: VerificationStatus, to_status: VerificationStatus
    ) -> None:
        super().__init__(
            f"a candidate's verification cannot move from {from_status} to {to_status}",
            candidate_id=str(candidate_id), from_status=from_status, to_status=to_status,
        )
        self.from_status = from_status
        self.to_status = to_status


class CandidateAlreadyLinked(Conflict):
    def __init__(self, candidate_id: UUID | None, linked_user_id: UUID | None) -> None:
        super().__init__(
            f"candidate {candidate_id} already belongs to user {linked_user_id}",
            candidate_id=str(candidate_id), linked_user_id=str(linked_user_id),
        )


class _CandidateCommand(Command):
    candidate_id: UUID
    by: Actor
    at: AwareDatetime


class CreateCandidate(_CandidateCommand):
    """By the candidate themself (`user_id` set) or by a recruiter (`user_id` None: recruiter-managed).

    `created_by_user_id` defaults to `user_id`: a candidate who signs up created their own record.
    """

    user_id: UUID | None = None
    created_by_user_id: UUID | None = None
    full_name: Name
    email: Email
    phone: Phone | None = None
    location: Name | None = None
    linkedin_url: WebUrl | None = None
    github_url: WebUrl | None = None
    portfolio_url: WebUrl | None = None
    current_title: Name | None = None
    current_company: Name | None = None
    bio: LongText | None = None
    desired_salary_min_cents: Cents | None = None
    desired_salary_max_cents: Cents | None = None
    desired_job_type: EmploymentType | None = None
    open_to_remote: bool = False
    open_to_relocation: bool = False
    availability: Availability | None = None
    marketplace_visibility: MarketplaceVisibility = "public"
    # Private by default: contact details and salary are shown only when the candidate says so.
    show_email: bool = False
    show_phone: bool = False
    show_location: bool = True
    show_current_company: bool = True
    show_salary_expectations: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.user_id is None and self.created_by_user_id is None:
            raise ValueError("a candidate is created by its own user (user_id) or by a recruiter (created_by_user_id)")
        if problem := _salary_problem(dict(self)):
            raise ValueError(problem)
        return self


class UpdateCandidateProfile(_CandidateCommand):
    """Change only the fields given; a field given as None is cleared (name, email and the open_to_*
    answers cannot be)."""

    full_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    location: Name | None = None
    linkedin_url: WebUrl | None = None
    github_url: WebUrl | None = None
    portfolio_url: WebUrl | None = None
    current_title: Name | None = None
    current_company: Name | None = None
    bio: LongText | None = None
    desired_salary_min_cents: Cents | None = None
    desired_salary_max_cents: Cents | None = None
    desired_job_type: EmploymentType | None = None
    open_to_remote: bool | None = None
    open_to_relocation: bool | None = None
    availability: Availability | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        given = {name: getattr(self, name) for name in self.model_fields_set}
        if cleared := sorted(name for name in _NOT_NULL & given.keys() if given[name] is None):
            raise ValueError(f"cannot clear {', '.join(cleared)}")
        if problem := _salary_problem(given):
            raise ValueError(problem)
        return self


class SetCandidatePrivacy(_CandidateCommand):
    """Set the flags given; a flag not given keeps its value."""

    show_email: bool | None = None
    show_phone: bool | None = None
    show_location: bool | None = None
    show_current_company: bool | None = None
    show_salary_expectations: bool | None = None


class SetCandidateMarketplaceVisibility(_CandidateCommand):
    visibility: MarketplaceVisibility


class ChangeCandidateVerification(_CandidateCommand):
    to_status: VerificationStatus
    reason: str | None = None


class LinkCandidateUser(_CandidateCommand):
    """The candidate claims a recruiter-managed record with their account."""

    user_id: UUID


class ArchiveCandidate(_CandidateCommand):
    reason: str | None = None


class RestoreCandidate(_CandidateCommand):
    pass


CandidateCommand = (
    CreateCandidate | UpdateCandidateProfile | SetCandidatePrivacy | SetCandidateMarketplaceVisibility
    | ChangeCandidateVerification | LinkCandidateUser | ArchiveCandidate | RestoreCandidate
    | ReplaceCandidateSkills | SetCandidateResumeProfile
)
CandidateEvent = (
    CandidateCreated | CandidateProfileUpdated | CandidatePrivacyChanged | CandidateMarketplaceVisibilityChanged
    | CandidateVerificationStatusChanged | CandidateUserLinked | CandidateArchived | CandidateRestored
    | CandidateSkillsReplaced | CandidateResumeProfileReplaced
)


@dataclass(frozen=True)
class Candidate:
    exists: bool = False
    archived: bool = False
    id: UUID | None = None
    user_id: UUID | None = None
    created_by_user_id: UUID | None = None
    verification_status: VerificationStatus = "unverified"
    marketplace_visibility: MarketplaceVisibility = "public"
    show_email: bool = False
    show_phone: bool = False
    show_location: bool = True
    show_current_company: bool = True
    show_salary_expectations: bool = False
    # The profile follows: kept so that an update repeating current values is seen as a no-op.
    full_name: str = ""
    email: str = ""
    phone: str | None = None
    location: str | None = None
    linkedin_url: str | None = None
    github_url: str | None = None
    portfolio_url: str | None = None
    current_title: str | None = None
    current_company: str | None = None
    bio: str | None = None
    desired_salary_min_cents: int | None = None
    desired_salary_max_cents: int | None = None
    desired_job_type: EmploymentType | None = None
    open_to_remote: bool = False
    open_to_relocation: bool = False
    availability: str | None = None
    # Skills and the structured résumé (commands/ats/candidate_profile.py), read by the AI review too.
    skills: tuple[CandidateSkillItem, ...] = ()
    years_experience: int | None = None
    experience: tuple[ExperienceEntry, ...] = ()
    education: tuple[EducationEntry, ...] = ()
    certifications: tuple[CertificationEntry, ...] = ()

    @property
    def recruiter_managed(self) -> bool:
        return self.exists and self.user_id is None


def initial_state() -> Candidate:
    return Candidate()


def evolve(s: Candidate, e: CandidateEvent) -> Candidate:
    match e:
        case CandidateCreated():
            return Candidate(exists=True, id=e.candidate_id, **e.model_dump(exclude={"candidate_id", "by", "at"}))
        case CandidateProfileUpdated(changes=changes) | CandidatePrivacyChanged(changes=changes):
            return replace(s, **changes)
        case CandidateMarketplaceVisibilityChanged(to_visibility=to):
            return replace(s, marketplace_visibility=to)
        case CandidateVerificationStatusChanged(to_status=to):
            return replace(s, verification_status=to)
        case CandidateUserLinked(user_id=user_id):
            return replace(s, user_id=user_id)
        case CandidateArchived():
            return replace(s, archived=True)
        case CandidateRestored():
            return replace(s, archived=False)
        case CandidateSkillsReplaced(skills=skills):
            return replace(s, skills=tuple(skills))
        case CandidateResumeProfileReplaced():
            return replace(s, years_experience=e.years_experience, experience=tuple(e.experience),
                           education=tuple(e.education), certifications=tuple(e.certifications))
        case _:
            return s


def decide(cmd: CandidateCommand, s: Candidate) -> list[CandidateEvent]:
    match cmd:
        case CreateCandidate() if s.exists:
            raise Conflict(f"candidate {cmd.candidate_id} already exists", candidate_id=str(cmd.candidate_id))
        case CreateCandidate():
            fields = cmd.model_dump(exclude={"created_by_user_id"})
            return [CandidateCreated(**fields, created_by_user_id=cmd.created_by_user_id or cmd.user_id)]
        case _ if not s.exists:
            raise NotFound(f"candidate {cmd.candidate_id} does not exist", candidate_id=str(cmd.candidate_id))
        case ArchiveCandidate() if s.archived:
            return []  # a retried archive records nothing
        case RestoreCandidate() if not s.archived:
            return []
        case RestoreCandidate():
            return [CandidateRestored(candidate_id=cmd.candidate_id, by=cmd.by, at=cmd.at)]
        case _ if s.archived:
            raise CandidateIsArchived(s.id)
        case UpdateCandidateProfile():
            return _update(cmd, s)
        case SetCandidatePrivacy():
            changes = {flag: getattr(cmd, flag) for flag in PRIVACY_FLAGS
                       if getattr(cmd, flag) is not None and getattr(cmd, flag) != getattr(s, flag)}
            return [CandidatePrivacyChanged(candidate_id=cmd.candidate_id, changes=changes, by=cmd.by, at=cmd.at)] \
                if changes else []
        case SetCandidateMarketplaceVisibility(visibility=to) if to == s.marketplace_visibility:
            return []
        case SetCandidateMarketplaceVisibility(visibility=to):
            return [CandidateMarketplaceVisibilityChanged(candidate_id=cmd.candidate_id,
                                                          from_visibility=s.marketplace_visibility, to_visibility=to,
                                                          by=cmd.by, at=cmd.at)]
        case ChangeCandidateVerification(to_status=to) if to == s.verification_status:
            return []
        case ChangeCandidateVerification(to_status=to) if to not in VERIFICATION_ALLOWED[s.verification_status]:
            raise VerificationTransitionNotAllowed(s.id, s.verification_status, to)
        case ChangeCandidateVerification(to_status=to):
            return [CandidateVerificationStatusChanged(candidate_id=cmd.candidate_id, from_status=s.verification_status,
                                                       to_status=to, reason=cmd.reason, by=cmd.by, at=cmd.at)]
        case LinkCandidateUser(user_id=user_id) if s.user_id == user_id:
            return []  # a retried claim records nothing
        case LinkCandidateUser() if s.user_id is not None:
            raise CandidateAlreadyLinked(s.id, s.user_id)
        case LinkCandidateUser(user_id=user_id):
            return [CandidateUserLinked(candidate_id=cmd.candidate_id, user_id=user_id, by=cmd.by, at=cmd.at)]
        case ReplaceCandidateSkills() | SetCandidateResumeProfile():
            return decide_profile(cmd, s)
        case ArchiveCandidate():
            return [CandidateArchived(candidate_id=cmd.candidate_id, reason=cmd.reason, by=cmd.by, at=cmd.at)]
        case _:
            raise TypeError(f"the candidate decider has no case for {type(cmd).__name__}")


def _update(cmd: UpdateCandidateProfile, s: Candidate) -> list[CandidateEvent]:
    changed = {name for name in cmd.model_fields_set & PROFILE_FIELDS if getattr(cmd, name) != getattr(s, name)}
    if not changed:
        return []
    after = {name: getattr(s, name) for name in PROFILE_FIELDS} | {name: getattr(cmd, name) for name in changed}
    if problem := _salary_problem(after):
        raise RuleViolation(problem, candidate_id=str(s.id))
    return [CandidateProfileUpdated(candidate_id=cmd.candidate_id, changes=cmd.model_dump(include=changed),
                                    by=cmd.by, at=cmd.at)]


candidate: Decider[CandidateCommand, CandidateEvent, Candidate] = Decider(
    "candidate",
    initial_state,
    evolve,
    decide,
    events=(CandidateCreated, CandidateProfileUpdated, CandidatePrivacyChanged, CandidateMarketplaceVisibilityChanged,
            CandidateVerificationStatusChanged, CandidateUserLinked, CandidateArchived, CandidateRestored,
            CandidateSkillsReplaced, CandidateResumeProfileReplaced),
)


def candidate_id_for(user_id: UUID) -> UUID:
    """The candidate record of a user who signed up as a candidate."""
    return uuid5(NAMESPACE_URL, f"splits:candidate-of:{user_id}")
