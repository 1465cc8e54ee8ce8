"""What a fit review says (domain §9 outputs) and the rules on it: the score bands, the consistency of the
recommendation with the score, and when the candidate is asked to improve the application.

`FitReview` is the validated content of one review, whoever produced it (the model or the local scorer).
Its fields carry the ranges and enums, so the JSON schema the model is asked to follow says them too; the
constraints kept out of the schema (non-blank text, the score band) are checked after parsing. Text
lengths are not in the schema on purpose: OpenAI's strict structured outputs refuse string length keywords.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from commands.ai.events import LocationCompatibility, Recommendation

# The lowest fit score of each recommendation, best first (domain §9).
BANDS: tuple[tuple[Recommendation, int], ...] = (
    ("strong_fit", 90), ("good_fit", 70), ("fair_fit", 50), ("poor_fit", 0),
)
MAX_ITEM_CHARS = 500
MAX_SUMMARY_CHARS = 4000
MAX_YEARS = 70


def recommendation_for(fit_score: int) -> Recommendation:
    """The recommendation of §9's band that `fit_score` (0–100) falls in."""
    for recommendation, lowest in BANDS:
        if fit_score >= lowest:
            return recommendation
    raise ValueError(f"fit_score must be 0–100, got {fit_score}")


def needs_improvement(recommendation: Recommendation, concerns: list[str]) -> bool:
    """§9: the candidate is asked to improve the application on a poor fit, or a fair fit with concerns."""
    return recommendation == "poor_fit" or (recommendation == "fair_fit" and bool(concerns))


def _text(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return value

    return AfterValidator(check)


Percent = Annotated[int, Field(ge=0, le=100)]
Years = Annotated[int, Field(ge=0, le=MAX_YEARS)]
Item = Annotated[str, _text(MAX_ITEM_CHARS)]
Items = Annotated[list[Item], Field(max_length=50)]


class FitReview(BaseModel):
    """One review's result. Skills are technical skills only; requirements are qualifications only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fit_score: Percent
    recommendation: Recommendation
    confidence_level: Percent
    strengths: Annotated[list[Item], Field(min_length=1, max_length=5)]
    concerns: Annotated[list[Item], Field(max_length=5)]
    matched_skills: Items
    missing_skills: Items
    skills_match_percentage: Percent
    matched_requirements: Items
    missing_requirements: Items
    required_years: Years | None
    candidate_years: Years | None
    meets_experience_requirement: bool
    location_compatibility: LocationCompatibility
    overall_summary: Annotated[str, _text(MAX_SUMMARY_CHARS)]

    @model_validator(mode="after")
    def _recommendation_matches_the_score(self) -> Self:
        expected = recommendation_for(self.fit_score)
        if self.recommendation != expected:
            raise ValueError(f"recommendation {self.recommendation} does not match fit_score {self.fit_score}"
                             f" (the band of {self.fit_score} is {expected})")
        return self

    @property
    def needs_improvement(self) -> bool:
        return needs_improvement(self.recommendation, self.concerns)
