"""The events of a candidate (stream type `candidate`, keyed by candidate id): the one definition of each.

Like every ats event they carry types, not the limits of the commands (lengths, URL shape, salary
order): a rule tightened later must not make old streams unreadable. Money is integer cents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.ats.events import EmploymentType, _Item
from commands.core import Event, Personal

MarketplaceVisibility = Literal["public", "limited", "hidden"]
VerificationStatus = Literal["unverified", "pending", "verified", "rejected"]
# The fields an UpdateCandidateProfile may change. Who owns the record (user_id, created_by_user_id)
# is not here: linking an account is its own command, since it hands the profile to the candidate.
CandidateProfileField = Literal[
    "full_name",
    "email",
    "phone",
    "location",
    "linkedin_url",
    "github_url",
    "portfolio_url",
    "current_title",
    "current_company",
    "bio",
    "desired_salary_min_cents",
    "desired_salary_max_cents",
    "desired_job_type",
    "open_to_remote",
    "open_to_relocation",
    "availability",
]
# What the candidate lets the marketplace show of their profile.
PrivacyFlag = Literal["show_email", "show_phone", "show_location", "show_current_company", "show_salary_expectations"]
CandidateChangeValue = str | int | bool | None


class CandidateCreated(Event):
    """`user_id` None: a recruiter-managed candidate, without an account until one is linked.

    The privacy flags and marketplace visibility are recorded as they were at creation, so that a
    later change of the defaults does not rewrite anyone's choices.
    """

    candidate_id: UUID
    user_id: UUID | None
    created_by_user_id: UUID
    full_name: str
    email: str
    phone: str | None
    location: str | None
    linkedin_url: str | None
    github_url: str | None
    portfolio_url: str | None
    current_title: str | None
    current_company: str | None
    bio: str | None
    desired_salary_min_cents: int | None
    desired_salary_max_cents: int | None
    desired_job_type: EmploymentType | None
    open_to_remote: bool
    open_to_relocation: bool
    availability: str | None
    marketplace_visibility: MarketplaceVisibility
    show_email: bool
    show_phone: bool
    show_location: bool
    show_current_company: bool
    show_salary_expectations: bool
    by: str
    at: datetime

    personal = Personal(
        ("full_name", "email", "phone", "location", "linkedin_url", "github_url", "portfolio_url", "current_title",
         "current_company", "bio", "desired_salary_min_cents", "desired_salary_max_cents", "availability"),
        kind="candidate", key="candidate_id",
    )


class CandidateProfileUpdated(Event):
    """Only the fields that changed, each with its new value (None clears it)."""

    candidate_id: UUID
    changes: dict[CandidateProfileField, CandidateChangeValue]
    by: str
    at: datetime

    personal = Personal(("changes",), kind="candidate", key="candidate_id")


class CandidatePrivacyChanged(Event):
    """Only the flags that changed, each with its new value."""

    candidate_id: UUID
    changes: dict[PrivacyFlag, bool]
    by: str
    at: datetime

    not_personal = frozenset({"changes"})  # which display flags changed: yes/no settings, nothing about the person


class CandidateMarketplaceVisibilityChanged(Event):
    candidate_id: UUID
    from_visibility: MarketplaceVisibility
    to_visibility: MarketplaceVisibility
    by: str
    at: datetime


class CandidateVerificationStatusChanged(Event):
    candidate_id: UUID
    from_status: VerificationStatus
    to_status: VerificationStatus
    reason: str | None
    by: str
    at: datetime

    personal = Personal(("reason",), kind="candidate", key="candidate_id")


class CandidateUserLinked(Event):
    """A user account claimed a recruiter-managed candidate: from now on the candidate is self-managed."""

    candidate_id: UUID
    user_id: UUID
    by: str
    at: datetime


class CandidateArchived(Event):
    candidate_id: UUID
    reason: str | None
    by: str
    at: datetime

    personal = Personal(("reason",), kind="candidate", key="candidate_id")


class CandidateRestored(Event):
    candidate_id: UUID
    by: str
    at: datetime


# --- skills and the résumé profile (commands/ats/candidate_profile.py) ------------------------------------

SkillSource = Literal["manual", "resume_extraction"]
Proficiency = Literal["beginner", "intermediate", "advanced", "expert"]


class CandidateSkillItem(_Item):
    """One skill of the candidate, named as the catalogue names it (`slug` keys the catalogue entry)."""

    slug: str
    name: str
    source: SkillSource
    years: int | None
    proficiency: Proficiency | None


class ExperienceEntry(_Item):
    """A past or current position; months are `YYYY-MM`, `end_month` None while it lasts."""

    title: str
    company: str | None
    start_month: str
    end_month: str | None
    description: str | None


class EducationEntry(_Item):
    institution: str
    degree: str | None
    field_of_study: str | None
    start_year: int | None
    end_year: int | None


class CertificationEntry(_Item):
    name: str
    issuer: str | None
    year: int | None


class CandidateSkillsReplaced(Event):
    """The candidate's whole list of skills, replacing the one before."""

    candidate_id: UUID
    skills: list[CandidateSkillItem]
    by: str
    at: datetime

    personal = Personal(("skills",), kind="candidate", key="candidate_id")


class CandidateResumeProfileReplaced(Event):
    """The candidate's structured résumé, replacing the one before: total years of experience, positions,
    education and certifications."""

    candidate_id: UUID
    years_experience: int | None
    experience: list[ExperienceEntry]
    education: list[EducationEntry]
    certifications: list[CertificationEntry]
    by: str
    at: datetime

    personal = Personal(("years_experience", "experience", "education", "certifications"), kind="candidate",
                        key="candidate_id")
