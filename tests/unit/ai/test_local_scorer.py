"""The transparent local scorer: keyword overlap, weighted, explained, and never pretending to be a model."""

from __future__ import annotations

from commands.ai.fit import needs_improvement
from commands.ai.inputs import PreScreenAnswer, ReviewInputs
from commands.ai.local_scorer import MODEL, local_review, required_years

JOB = ReviewInputs(
    job_title="Backend Engineer",
    required_skills=("Python", "PostgreSQL"),
    preferred_skills=("Go", "C++"),
    mandatory_requirements=("5+ years building web services",),
    preferred_requirements=("Open source contributions",),
    job_location="Berlin, Germany",
)


def with_candidate(**fields) -> ReviewInputs:
    return ReviewInputs(**{**JOB.__dict__, **fields})


def test_a_candidate_matching_everything_is_a_strong_fit() -> None:
    review = local_review(with_candidate(
        candidate_title="Senior Backend Engineer", candidate_location="Berlin",
        resume_text="Python and PostgreSQL for 8 years; Go and C++ too. Building web services."
                    " Open source contributions.",
        candidate_years=8,
    ))
    assert review.fit_score == 100 and review.recommendation == "strong_fit"
    assert review.matched_skills == ["Python", "PostgreSQL", "Go", "C++"] and review.missing_skills == []
    assert review.skills_match_percentage == 100
    assert review.matched_requirements == list(JOB.mandatory_requirements + JOB.preferred_requirements)
    assert review.required_years == 5 and review.candidate_years == 8 and review.meets_experience_requirement
    assert review.location_compatibility == "perfect"
    assert review.concerns == [] and not review.needs_improvement


def test_the_score_is_the_weighted_share_found() -> None:
    # Found: Python (3) and the title words backend, engineer (1 + 1); of 3+3+1+1+2+2+1 = 13.
    review = local_review(with_candidate(candidate_title="Backend engineer", candidate_bio="I write Python."))
    assert review.fit_score == round(100 * 5 / 13) == 38
    assert review.recommendation == "poor_fit" and review.needs_improvement
    assert review.matched_skills == ["Python"]
    assert review.missing_skills == ["PostgreSQL", "Go", "C++"]
    assert review.skills_match_percentage == 25
    assert "No mention of the required skill PostgreSQL" in review.concerns
    assert "No resume text: only the profile was compared" in review.concerns


def test_skills_match_whole_words_only() -> None:
    review = local_review(with_candidate(candidate_bio="Good at pythonic code, a goal-driven person, C programmer"))
    assert review.matched_skills == []


def test_a_fair_fit_with_concerns_needs_improvement() -> None:
    review = local_review(with_candidate(
        candidate_title="Backend Engineer", resume_text="Python and PostgreSQL.", candidate_years=2))
    assert (review.fit_score, review.recommendation) == (round(100 * 8 / 13), "fair_fit")
    assert review.concerns and needs_improvement(review.recommendation, review.concerns)
    assert "The job asks for 5+ years; the profile states 2" in review.concerns


def test_the_summary_says_it_is_a_keyword_overlap_not_a_model() -> None:
    review = local_review(with_candidate(candidate_title="Engineer"))
    assert review.overall_summary.startswith("Keyword overlap, not an AI model")
    assert MODEL == "local/keyword-overlap"
    assert review.confidence_level <= 60


def test_cover_letter_and_answers_count_as_what_the_candidate_wrote() -> None:
    review = local_review(with_candidate(
        cover_letter="I love PostgreSQL.", pre_screen_answers=(PreScreenAnswer("Languages?", "Python, Go"),)))
    assert set(review.matched_skills) == {"Python", "PostgreSQL", "Go"}


def test_a_job_with_nothing_to_compare_is_a_neutral_fair_fit_without_concerns() -> None:
    review = local_review(ReviewInputs(job_title="of"))
    assert (review.fit_score, review.recommendation, review.concerns) == (50, "fair_fit", [])
    assert not review.needs_improvement and review.strengths


def test_locations() -> None:
    assert local_review(with_candidate(candidate_location="Paris")).location_compatibility == "mismatch"
    assert local_review(with_candidate(candidate_location="Paris", candidate_open_to_relocation=True)) \
        .location_compatibility == "challenging"
    remote = local_review(with_candidate(candidate_location="Paris", remote_friendly=True))
    assert remote.location_compatibility == "good"
    assert local_review(with_candidate()).location_compatibility == "good"  # unknown: no evidence of a problem


def test_required_years_are_read_from_the_requirements() -> None:
    assert required_years(["3+ years of Go", "at least 7 years leading teams", "a degree"]) == 7
    assert required_years(["a degree"]) is None


def test_the_review_is_always_valid_even_for_huge_inputs() -> None:
    skills = tuple(f"skill{i}" for i in range(50))
    review = local_review(ReviewInputs(job_title="x " * 500, required_skills=skills,
                                       mandatory_requirements=("word " * 400,) * 50, candidate_years=70))
    assert len(review.strengths) == 1 and len(review.concerns) == 5
    assert all(len(item) <= 500 for item in review.missing_requirements)
