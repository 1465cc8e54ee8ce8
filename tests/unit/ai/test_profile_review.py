"""The fit review reads the candidate's structured profile: skills with years and proficiency, total years against
the job's level, positions, education and certifications, in the prompt and in the local scorer's reasons."""

from __future__ import annotations

from datetime import UTC, datetime

from commands.ai.inputs import ReviewInputs, SkillClaim
from commands.ai.local_scorer import local_review
from commands.ai.profile import profile_inputs
from commands.ai.prompt import user_message
from commands.ats.candidate import candidate
from commands.ats.candidate_events import (
    CandidateResumeProfileReplaced,
    CandidateSkillItem,
    CandidateSkillsReplaced,
    CertificationEntry,
    EducationEntry,
    ExperienceEntry,
)
from tests.unit.ats.test_candidate import CAND, created
from tests.unit.dsl import given

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
JOB = ReviewInputs(job_title="Platform", required_skills=("C++", "Kubernetes"), preferred_skills=("Go",),
                   job_level="senior")
CLAIMS = (SkillClaim("C++", "c-plus-plus", 6, "expert"), SkillClaim("Go", "go", None, "beginner"))


def with_candidate(**fields) -> ReviewInputs:
    return ReviewInputs(**{**JOB.__dict__, **fields})


def test_a_skill_on_the_profile_matches_by_slug_and_says_what_was_claimed() -> None:
    review = local_review(with_candidate(candidate_skills=("C++", "Go"), candidate_skill_claims=CLAIMS,
                                         candidate_years=6))
    assert review.matched_skills == ["C++", "Go"] and review.missing_skills == ["Kubernetes"]
    assert "Lists the required skill C++ (6 years, expert)" in review.strengths
    assert "Lists the preferred skill Go (beginner)" in review.strengths
    assert "No mention of the required skill Kubernetes" in review.concerns


def test_years_against_the_jobs_level_count_and_are_explained() -> None:
    # senior expects 5 years (weight 2); total 3+3+1+1 (title word "platform") +2 = 10.
    enough = local_review(with_candidate(candidate_skill_claims=CLAIMS, candidate_years=6))
    short = local_review(with_candidate(candidate_skill_claims=CLAIMS, candidate_years=3))
    assert enough.fit_score == round(100 * (3 + 1 + 2) / 10) and short.fit_score == round(100 * (3 + 1) / 10)
    assert enough.required_years == 5 and enough.meets_experience_requirement
    assert "6 years of experience reach the 5 a senior role expects" in enough.strengths
    assert not short.meets_experience_requirement
    assert "The job level expects 5+ years; the profile states 3" in short.concerns
    assert "the 5 years a senior role expects 2" in short.overall_summary


def test_years_named_by_a_requirement_win_over_the_level() -> None:
    review = local_review(with_candidate(mandatory_requirements=("8+ years of systems work",), candidate_years=6))
    assert review.required_years == 8 and not review.meets_experience_requirement


def test_positions_education_and_certifications_are_read_for_mentions() -> None:
    review = local_review(with_candidate(candidate_experience=("SRE at Acme (2019-03 – present): ran Kubernetes",),
                                         candidate_certifications=("Certified Go developer",)))
    assert set(review.matched_skills) == {"Kubernetes", "Go"}
    assert "Mentions the required skill Kubernetes" in review.strengths


def _state():
    return given(candidate, created(), CandidateSkillsReplaced(candidate_id=CAND, skills=[
        CandidateSkillItem(slug="c-plus-plus", name="C++", source="manual", years=6, proficiency="expert")],
        by="u", at=AT), CandidateResumeProfileReplaced(
        candidate_id=CAND, years_experience=9,
        experience=[ExperienceEntry(title="SRE", company="Acme", start_month="2019-03", end_month=None,
                                    description="Kubernetes fleet")],
        education=[EducationEntry(institution="TU Berlin", degree="MSc", field_of_study="CS", start_year=2012,
                                  end_year=2014)],
        certifications=[CertificationEntry(name="CKA", issuer="CNCF", year=2021)], by="u", at=AT)).state


def test_the_profile_fills_the_review_inputs_and_the_prompt() -> None:
    fields = profile_inputs(_state())
    assert fields["candidate_skills"] == ("C++",) and fields["candidate_years"] == 9
    assert fields["candidate_experience"] == ("SRE at Acme (2019-03 – present): Kubernetes fleet",)
    assert fields["candidate_education"] == ("MSc, CS, TU Berlin (2012–2014)",)
    assert fields["candidate_certifications"] == ("CKA, CNCF (2021)",)
    prompt = user_message(with_candidate(**fields))
    candidate_part = prompt.split("<candidate>", 1)[1]
    for line in ("Years of experience: 9", "Skills: C++ (6 years, expert)", "Experience:\n- SRE at Acme",
                 "Education:\n- MSc, CS, TU Berlin (2012–2014)", "Certifications:\n- CKA, CNCF (2021)"):
        assert line in candidate_part


def test_a_candidate_without_a_profile_gives_empty_inputs() -> None:
    fields = profile_inputs(given(candidate, created()).state)
    assert fields["candidate_years"] is None and fields["candidate_skill_claims"] == ()
    assert "Skills:" not in user_message(with_candidate(**fields))


