"""A candidate's skills and structured résumé (domain §3.2 `candidate_skills`, `resume_metadata`): the commands
and the rule, decided on the candidate's own stream (commands/ats/candidate.py calls `decide_profile`).

What we decided where the domain is silent:
- each list is replaced whole, like a job's skills: the form the candidate edits is the list, and a repeat
  of the same list records nothing;
- a skill names a catalogue entry (commands/ats/skill.py) by its slug, with the catalogue's name; that the
  entry exists is checked by the caller against the catalogue before the command is sent (a decider sees
  one stream), as the candidate's email is;
- per skill: where it came from (`manual` or `resume_extraction`), the years with it (0..70) and a
  proficiency (beginner, intermediate, advanced, expert), both optional;
- total years of experience 0..70; at most 50 skills, 30 positions, 10 schools and 20 certifications, with
  the lengths below, so that one profile stays small enough to read in full and to send to the reviewer;
- months are `YYYY-MM` and years 1900..2100; a position or a school does not end before it starts.
"""

from __future__ import annotations

import re
from typing import Annotated, Protocol, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from commands.ats.candidate_events import (
    CandidateResumeProfileReplaced,
    CandidateSkillItem,
    CandidateSkillsReplaced,
    CertificationEntry,
    EducationEntry,
    ExperienceEntry,
    Proficiency,
    SkillSource,
)
from commands.ats.company import Actor
from commands.ats.job_commands import SkillName, SkillSlug
from commands.core import Command

MAX_YEARS = 70
MAX_CANDIDATE_SKILLS = 50
MAX_EXPERIENCE = 30
MAX_EDUCATION = 10
MAX_CERTIFICATIONS = 20
FIRST_YEAR, LAST_YEAR = 1900, 2100

Years = Annotated[int, Field(ge=0, le=MAX_YEARS)]
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
Month = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$")]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
_NUL = re.compile("\x00")


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="after")
    def _no_nul(self) -> Self:
        if any(isinstance(v, str) and _NUL.search(v) for v in self.__dict__.values()):
            raise ValueError("text must not contain NUL")
        return self


class CandidateSkillInput(_Part):
    slug: SkillSlug
    name: SkillName
    source: SkillSource = "manual"
    years: Years | None = None
    proficiency: Proficiency | None = None


class ExperienceInput(_Part):
    title: Short
    company: Short | None = None
    start_month: Month
    end_month: Month | None = None
    description: Description | None = None


class EducationInput(_Part):
    institution: Short
    degree: Short | None = None
    field_of_study: Short | None = None
    start_year: Year | None = None
    end_year: Year | None = None


class CertificationInput(_Part):
    name: Short
    issuer: Short | None = None
    year: Year | None = None


class _ProfileCommand(Command):
    candidate_id: UUID
    by: Actor
    at: AwareDatetime


class ReplaceCandidateSkills(_ProfileCommand):
    skills: Annotated[list[CandidateSkillInput], Field(max_length=MAX_CANDIDATE_SKILLS)]

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        slugs = [s.slug for s in self.skills]
        if repeated := sorted({s for s in slugs if slugs.count(s) > 1}):
            raise ValueError(f"skills must not repeat: {', '.join(repeated)}")
        return self

    def items(self) -> list[CandidateSkillItem]:
        return [CandidateSkillItem(**s.model_dump()) for s in self.skills]


class SetCandidateResumeProfile(_ProfileCommand):
    years_experience: Years | None = None
    experience: Annotated[list[ExperienceInput], Field(max_length=MAX_EXPERIENCE)] = []
    education: Annotated[list[EducationInput], Field(max_length=MAX_EDUCATION)] = []
    certifications: Annotated[list[CertificationInput], Field(max_length=MAX_CERTIFICATIONS)] = []

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        # A rule between fields, checked on the whole command: the problem names no field a schema could.
        if late := [i for i, e in enumerate(self.experience) if e.end_month is not None and e.end_month < e.start_month]:
            raise ValueError(f"a position's end_month must not be before its start_month (positions {late})")
        if late := [i for i, e in enumerate(self.education)
                    if e.start_year is not None and e.end_year is not None and e.end_year < e.start_year]:
            raise ValueError(f"a school's end_year must not be before its start_year (schools {late})")
        return self

    def entries(self) -> tuple[list[ExperienceEntry], list[EducationEntry], list[CertificationEntry]]:
        return ([ExperienceEntry(**e.model_dump()) for e in self.experience],
                [EducationEntry(**e.model_dump()) for e in self.education],
                [CertificationEntry(**c.model_dump()) for c in self.certifications])


ProfileCommand = ReplaceCandidateSkills | SetCandidateResumeProfile
ProfileEvent = CandidateSkillsReplaced | CandidateResumeProfileReplaced


class ProfileState(Protocol):
    """What `decide_profile` reads of the candidate's state."""

    skills: tuple[CandidateSkillItem, ...]
    years_experience: int | None
    experience: tuple[ExperienceEntry, ...]
    education: tuple[EducationEntry, ...]
    certifications: tuple[CertificationEntry, ...]


def decide_profile(cmd: ProfileCommand, s: ProfileState) -> list[ProfileEvent]:
    """The rule for a candidate that exists and is not archived (checked by the candidate decider first):
    record the new list unless it equals the current one."""
    match cmd:
        case ReplaceCandidateSkills():
            items = cmd.items()
            if tuple(items) == s.skills:
                return []
            return [CandidateSkillsReplaced(candidate_id=cmd.candidate_id, skills=items, by=cmd.by, at=cmd.at)]
        case SetCandidateResumeProfile():
            experience, education, certifications = cmd.entries()
            now = (s.years_experience, s.experience, s.education, s.certifications)
            if now == (cmd.years_experience, tuple(experience), tuple(education), tuple(certifications)):
                return []
            return [CandidateResumeProfileReplaced(
                candidate_id=cmd.candidate_id, years_experience=cmd.years_experience, experience=experience,
                education=education, certifications=certifications, by=cmd.by, at=cmd.at)]
