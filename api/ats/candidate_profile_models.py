"""The HTTP contract of a candidate's skills and résumé profile, and of the skills catalogue. The limits are the
commands' (commands/ats/candidate_profile.py, commands/ats/skill.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from api.ats.base_models import _Body
from api.bounds import Slug, text, whole
from api.responses import Pagination
from commands.ats.candidate_profile import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_CANDIDATE_SKILLS,
    MAX_CERTIFICATIONS,
    MAX_EDUCATION,
    MAX_EXPERIENCE,
    MAX_YEARS,
)

SkillSourceIn = Literal["manual", "resume_extraction"]
ProficiencyIn = Literal["beginner", "intermediate", "advanced", "expert"]
YearsIn = whole(0, MAX_YEARS)
YearIn = whole(FIRST_YEAR, LAST_YEAR)
MonthIn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=7, max_length=7,
                                          pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$")]
ShortIn = text(200)
SkillNameIn = text(100)
DescriptionIn = text(2000)


class CandidateSkillBody(_Body):
    """A catalogue skill by its slug (`GET /v1/skills`), with the candidate's years and proficiency."""

    slug: Slug
    source: SkillSourceIn = "manual"
    years: YearsIn | None = None
    proficiency: ProficiencyIn | None = None


class CandidateSkillsBody(_Body):
    """The candidate's whole list of skills, replacing the one before."""

    skills: Annotated[list[CandidateSkillBody], Field(max_length=MAX_CANDIDATE_SKILLS)]


class ExperienceBody(_Body):
    title: ShortIn
    company: ShortIn | None = None
    start_month: MonthIn = Field(description="YYYY-MM")
    end_month: MonthIn | None = Field(default=None, description="YYYY-MM; null while the position lasts")
    description: DescriptionIn | None = None


class EducationBody(_Body):
    institution: ShortIn
    degree: ShortIn | None = None
    field_of_study: ShortIn | None = None
    start_year: YearIn | None = None
    end_year: YearIn | None = None


class CertificationBody(_Body):
    name: ShortIn
    issuer: ShortIn | None = None
    year: YearIn | None = None


class ResumeProfileBody(_Body):
    """The whole structured résumé, replacing the one before."""

    years_experience: YearsIn | None = None
    experience: Annotated[list[ExperienceBody], Field(max_length=MAX_EXPERIENCE)] = []
    education: Annotated[list[EducationBody], Field(max_length=MAX_EDUCATION)] = []
    certifications: Annotated[list[CertificationBody], Field(max_length=MAX_CERTIFICATIONS)] = []


class CandidateSkillOut(BaseModel):
    slug: str | None = None
    name: str | None = None
    source: SkillSourceIn | None = None
    years: int | None = None
    proficiency: ProficiencyIn | None = None


class ExperienceOut(BaseModel):
    title: str | None = None
    company: str | None = None
    start_month: str | None = None
    end_month: str | None = None
    description: str | None = None


class EducationOut(BaseModel):
    institution: str | None = None
    degree: str | None = None
    field_of_study: str | None = None
    start_year: int | None = None
    end_year: int | None = None


class CertificationOut(BaseModel):
    name: str | None = None
    issuer: str | None = None
    year: int | None = None


class CandidateProfileOut(BaseModel):
    """A candidate's skills and résumé as one caller sees it (api/visibility.py `CANDIDATE_PROFILE`): a field a
    viewer may not see is left out, not sent as null."""

    candidate_id: UUID
    years_experience: int | None = None
    skills: list[CandidateSkillOut] = []
    experience: list[ExperienceOut] = []
    education: list[EducationOut] = []
    certifications: list[CertificationOut] = []
    updated_at: datetime | None = None


class CandidateProfileEnvelope(BaseModel):
    data: CandidateProfileOut


class ProposeSkillBody(_Body):
    """A platform admin adds the skill approved; anyone else proposes it for approval."""

    name: SkillNameIn


class CatalogueSkillOut(BaseModel):
    id: UUID
    slug: str
    name: str
    is_approved: bool
    proposed_by_user_id: UUID | None = None
    created_at: datetime
    approved_at: datetime | None = None


class SkillPage(BaseModel):
    data: list[CatalogueSkillOut]
    pagination: Pagination
