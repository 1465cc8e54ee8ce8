"""The rules on a fit review (domain §9): ranges and enums, the score bands, and when a candidate is asked to
improve the application."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from commands.ai.fit import FitReview, needs_improvement, recommendation_for

VALID: dict[str, Any] = {
    "fit_score": 75, "recommendation": "good_fit", "confidence_level": 60, "strengths": ["Strong Python"],
    "concerns": ["No Kubernetes"], "matched_skills": ["Python"], "missing_skills": ["Kubernetes"],
    "skills_match_percentage": 50, "matched_requirements": ["BSc"], "missing_requirements": [],
    "required_years": 3, "candidate_years": 4, "meets_experience_requirement": True,
    "location_compatibility": "perfect", "overall_summary": "Solid.",
}


@pytest.mark.parametrize(("score", "expected"), [
    (100, "strong_fit"), (90, "strong_fit"), (89, "good_fit"), (70, "good_fit"), (69, "fair_fit"), (50, "fair_fit"),
    (49, "poor_fit"), (0, "poor_fit"),
])
def test_the_score_bands_of_section_9(score: int, expected: str) -> None:
    assert recommendation_for(score) == expected


@pytest.mark.parametrize(("recommendation", "concerns", "expected"), [
    ("poor_fit", [], True), ("poor_fit", ["x"], True), ("fair_fit", ["x"], True), ("fair_fit", [], False),
    ("good_fit", ["x"], False), ("strong_fit", ["x"], False),
])
def test_needs_improvement_on_a_poor_fit_or_a_fair_fit_with_concerns(recommendation, concerns, expected) -> None:
    assert needs_improvement(recommendation, concerns) is expected


def test_a_valid_review_parses_from_json() -> None:
    import json

    review = FitReview.model_validate_json(json.dumps(VALID))
    assert review.fit_score == 75 and review.recommendation == "good_fit" and not review.needs_improvement


@pytest.mark.parametrize("change", [
    {"fit_score": 101}, {"fit_score": -1}, {"confidence_level": 150}, {"skills_match_percentage": -5},
    {"recommendation": "excellent_fit"}, {"location_compatibility": "nearby"},
    {"recommendation": "strong_fit"},  # 75 is a good fit
    {"strengths": []}, {"strengths": ["a", "b", "c", "d", "e", "f"]}, {"concerns": ["1", "2", "3", "4", "5", "6"]},
    {"strengths": ["   "]}, {"overall_summary": ""}, {"required_years": -1}, {"candidate_years": 200},
    {"fit_score": "high"}, {"unexpected": 1},
])
def test_an_out_of_range_or_inconsistent_review_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FitReview(**{**VALID, **change})


def test_a_missing_field_is_refused() -> None:
    fields = dict(VALID)
    del fields["location_compatibility"]
    with pytest.raises(ValidationError):
        FitReview(**fields)


def test_the_schema_carries_the_ranges_and_enums() -> None:
    schema = FitReview.model_json_schema()
    props = schema["properties"]
    assert (props["fit_score"]["minimum"], props["fit_score"]["maximum"]) == (0, 100)
    assert set(props["recommendation"]["enum"]) == {"strong_fit", "good_fit", "fair_fit", "poor_fit"}
    assert set(props["location_compatibility"]["enum"]) == {"perfect", "good", "challenging", "mismatch"}
    assert (props["strengths"]["minItems"], props["strengths"]["maxItems"]) == (1, 5)
    assert props["concerns"]["maxItems"] == 5
    # OpenAI's strict structured outputs refuse string length keywords: none may reach the schema.
    assert "minLength" not in str(schema) and "maxLength" not in str(schema)
