"""A candidate's skills and structured résumé, decided on the candidate's stream: given / when / then."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from commands.ats.candidate import CandidateIsArchived, candidate
from commands.ats.candidate_events import (
    CandidateResumeProfileReplaced,
    CandidateSkillItem,
    CandidateSkillsReplaced,
    CertificationEntry,
    EducationEntry,
    ExperienceEntry,
)
from commands.ats.candidate_profile import (
    MAX_CANDIDATE_SKILLS,
    MAX_CERTIFICATIONS,
    MAX_EDUCATION,
    MAX_EXPERIENCE,
    ReplaceCandidateSkills,
    SetCandidateResumeProfile,
)
from commands.core import NotFound
from tests.unit.ats.test_candidate import ACTOR, CAND, T1, archived, created
from tests.unit.dsl import given

PYTHON = {"slug": "python", "name": "Python", "source": "manual", "years": 6, "proficiency": "expert"}
GO = {"slug": "go", "name": "Go", "source": "resume_extraction", "years": None, "proficiency": None}
POSITION = {"title": "Backend Engineer", "company": "Acme", "start_month": "2019-03", "end_month": None,
            "description": "Payments in Python"}
SCHOOL = {"institution": "TU Berlin", "degree": "MSc", "field_of_study": "Computer Science", "start_year": 2012,
          "end_year": 2014}
CERTIFICATE = {"name": "AWS Solutions Architect", "issuer": "Amazon", "year": 2021}


def set_skills(*skills: dict[str, Any]) -> ReplaceCandidateSkills:
    return ReplaceCandidateSkills(candidate_id=CAND, skills=list(skills), by=ACTOR, at=T1)


def skills_replaced(*skills: dict[str, Any]) -> CandidateSkillsReplaced:
    return CandidateSkillsReplaced(candidate_id=CAND, skills=[CandidateSkillItem(**s) for s in skills], by=ACTOR,
                                   at=T1)


def set_resume(**fields: Any) -> SetCandidateResumeProfile:
    return SetCandidateResumeProfile(candidate_id=CAND, by=ACTOR, at=T1, **fields)


def resume_replaced(years: int | None = 8, experience=(POSITION,), education=(SCHOOL,),
                    certifications=(CERTIFICATE,)) -> CandidateResumeProfileReplaced:
    return CandidateResumeProfileReplaced(
        candidate_id=CAND, years_experience=years, experience=[ExperienceEntry(**e) for e in experience],
        education=[EducationEntry(**e) for e in education],
        certifications=[CertificationEntry(**c) for c in certifications], by=ACTOR, at=T1)


FULL = {"years_experience": 8, "experience": [POSITION], "education": [SCHOOL], "certifications": [CERTIFICATE]}


# --- skills ------------------------------------------------------------------------------------------------

def test_skills_are_recorded_with_years_and_proficiency() -> None:
    given(candidate, created()).when(set_skills(PYTHON, GO)).then(skills_replaced(PYTHON, GO))


def test_the_same_skills_again_record_nothing() -> None:
    given(candidate, created(), skills_replaced(PYTHON, GO)).when(set_skills(PYTHON, GO)).then()


def test_a_changed_list_replaces_the_whole_list() -> None:
    given(candidate, created(), skills_replaced(PYTHON, GO)).when(set_skills(GO)).then(skills_replaced(GO))
    given(candidate, created(), skills_replaced(PYTHON)).when(set_skills()).then(skills_replaced())


def test_the_state_keeps_the_skills_for_the_review() -> None:
    state = given(candidate, created(), skills_replaced(PYTHON, GO)).state
    assert [(s.name, s.years, s.proficiency) for s in state.skills] == [("Python", 6, "expert"), ("Go", None, None)]


def test_skills_of_a_missing_or_archived_candidate_are_refused() -> None:
    given(candidate).when(set_skills(PYTHON)).then_raises(NotFound)
    given(candidate, created(), archived()).when(set_skills(PYTHON)).then_raises(CandidateIsArchived)


@pytest.mark.parametrize("bad", [
    {**PYTHON, "years": 71}, {**PYTHON, "years": -1}, {**PYTHON, "proficiency": "guru"}, {**PYTHON, "source": "ai"},
    {**PYTHON, "slug": "Not A Slug"}, {**PYTHON, "name": "x" * 101}, {**PYTHON, "extra": 1},
])
def test_a_skill_out_of_bounds_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        set_skills(bad)


def test_skills_must_not_repeat_nor_exceed_the_bound() -> None:
    with pytest.raises(ValidationError, match="must not repeat"):
        set_skills(PYTHON, PYTHON)
    with pytest.raises(ValidationError):
        set_skills(*({**GO, "slug": f"s{i}"} for i in range(MAX_CANDIDATE_SKILLS + 1)))
    set_skills(*({**GO, "slug": f"s{i}"} for i in range(MAX_CANDIDATE_SKILLS)))


# --- the résumé profile -----------------------------------------------------------------------------------

def test_the_resume_profile_is_recorded() -> None:
    given(candidate, created()).when(set_resume(**FULL)).then(resume_replaced())


def test_the_same_resume_profile_again_records_nothing() -> None:
    given(candidate, created(), resume_replaced()).when(set_resume(**FULL)).then()


def test_a_changed_resume_profile_replaces_it_and_can_clear_it() -> None:
    given(candidate, created(), resume_replaced()).when(set_resume(**{**FULL, "years_experience": 9})) \
        .then(resume_replaced(years=9))
    given(candidate, created(), resume_replaced()).when(set_resume()) \
        .then(resume_replaced(years=None, experience=(), education=(), certifications=()))


def test_an_empty_resume_profile_of_a_new_candidate_records_nothing() -> None:
    given(candidate, created()).when(set_resume()).then()


def test_the_state_keeps_the_resume_profile_for_the_review() -> None:
    state = given(candidate, created(), resume_replaced()).state
    assert state.years_experience == 8 and state.experience[0].title == "Backend Engineer"
    assert state.education[0].institution == "TU Berlin" and state.certifications[0].issuer == "Amazon"


def test_the_resume_profile_of_a_missing_or_archived_candidate_is_refused() -> None:
    given(candidate).when(set_resume(**FULL)).then_raises(NotFound)
    given(candidate, created(), archived()).when(set_resume(**FULL)).then_raises(CandidateIsArchived)


@pytest.mark.parametrize("bad", [
    {"years_experience": 71}, {"years_experience": -1},
    {"experience": [{**POSITION, "start_month": "2019-13"}]},
    {"experience": [{**POSITION, "start_month": "2020-01", "end_month": "2019-12"}]},
    {"experience": [{**POSITION, "title": ""}]},
    {"experience": [{**POSITION, "description": "x" * 2001}]},
    {"experience": [{**POSITION, "title": "a\x00b"}]},
    {"education": [{**SCHOOL, "start_year": 2015, "end_year": 2014}]},
    {"education": [{**SCHOOL, "end_year": 2101}]},
    {"certifications": [{**CERTIFICATE, "year": 1899}]},
    {"certifications": [{**CERTIFICATE, "issuer": "x" * 201}]},
    {"experience": [POSITION] * (MAX_EXPERIENCE + 1)},
    {"education": [SCHOOL] * (MAX_EDUCATION + 1)},
    {"certifications": [CERTIFICATE] * (MAX_CERTIFICATIONS + 1)},
])
def test_a_resume_profile_out_of_bounds_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        set_resume(**bad)
