"""What a fit review reads (domain §9 inputs), gathered by the reactor from the streams and the documents
read model, and handed as one value to whichever reviewer runs (the model or the local scorer)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PreScreenAnswer:
    """An answer of the application to a pre-screen question of the job, as the review reads it: `answer` as
    text (a yes/no question's "yes" or "no", a multi-select's options joined by commas); `is_required` as the
    job asks the question now (False for a question since removed)."""

    question: str
    answer: str
    question_type: str = "text"
    is_required: bool = False


@dataclass(frozen=True)
class SkillClaim:
    """A skill on the candidate's profile (the catalogue's name and slug) with the years and proficiency they give."""

    name: str
    slug: str
    years: int | None = None
    proficiency: str | None = None

    def __str__(self) -> str:
        said = [f"{self.years} years" if self.years is not None else "", self.proficiency or ""]
        return self.name + (f" ({', '.join(s for s in said if s)})" if any(said) else "")


@dataclass(frozen=True)
class ReviewInputs:
    """The job and the candidate as the review sees them. Empty text is None, empty lists are ()."""

    job_title: str
    job_description: str | None = None
    required_skills: tuple[str, ...] = ()
    preferred_skills: tuple[str, ...] = ()
    mandatory_requirements: tuple[str, ...] = ()
    preferred_requirements: tuple[str, ...] = ()
    job_location: str | None = None
    job_level: str | None = None
    remote_friendly: bool = False  # the job offers remote work
    open_to_relocation: bool = False  # the job helps candidates relocate
    candidate_title: str | None = None
    candidate_company: str | None = None
    candidate_bio: str | None = None
    candidate_skills: tuple[str, ...] = ()
    # The structured profile (commands/ai/profile.py): skills as claimed, and one line per position, school and
    # certification. The résumé text of the documents stays beside it, for what the profile does not hold.
    candidate_skill_claims: tuple[SkillClaim, ...] = ()
    candidate_experience: tuple[str, ...] = ()
    candidate_education: tuple[str, ...] = ()
    candidate_certifications: tuple[str, ...] = ()
    candidate_location: str | None = None
    candidate_years: int | None = None
    candidate_open_to_remote: bool = False
    candidate_open_to_relocation: bool = False
    resume_text: str | None = None
    cover_letter: str | None = None
    pre_screen_answers: tuple[PreScreenAnswer, ...] = field(default=())

    @property
    def skills(self) -> tuple[str, ...]:
        return (*self.required_skills, *self.preferred_skills)
