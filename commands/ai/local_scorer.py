"""The transparent local reviewer, used when no OpenAI key is configured (DESIGN §6): keyword overlap.

It looks for the job's skills, the words of its title and the words of its requirements in what the
candidate wrote (profile, skills, resume text, cover letter, pre-screen answers) and scores the weighted
share it finds. It is deterministic and explains itself: its summary says it is a keyword overlap, its
model is `local/keyword-overlap`, and its confidence stays low. Pure (no I/O), so it lives beside the
rules it applies and is tested like a decider.

Weights: a required skill counts 3, a mandatory requirement 2, a preferred skill, a preferred
requirement and a word of the job title 1 each. A requirement is met when at least 60% of its words
appear. With nothing on the job to compare, the score is 50 (fair fit, no concerns). Each required yes/no
pre-screen question answered "no" then takes 15 points off (not below 0) and is named first among the concerns.

The candidate's structured profile counts first: a job skill is matched by a skill on the profile with the
same slug (its reason names the years and proficiency given), else by a mention in what they wrote, which
includes the profile's positions, education and certifications. Years: when the mandatory requirements
name none, the job's level sets the years expected (`LEVEL_YEARS`: entry 0, mid 2, senior 5, lead 7,
manager 5, director 8, vp 10, c_suite 12), which count 2 and are found when the candidate's stated total
years reach them; years a requirement names are weighed with that requirement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from commands.ai.fit import MAX_ITEM_CHARS, MAX_YEARS, FitReview, recommendation_for
from commands.ai.inputs import ReviewInputs, SkillClaim
from commands.ats.job_commands import skill_slug

MODEL = "local/keyword-overlap"
REQUIRED_SKILL, MANDATORY_REQUIREMENT, PREFERRED, TITLE_WORD, EXPERIENCE = 3, 2, 1, 1, 2
LEVEL_YEARS = {"entry": 0, "mid": 2, "senior": 5, "lead": 7, "manager": 5, "director": 8, "vp": 10, "c_suite": 12}
REQUIREMENT_SHARE = 0.6
NOTHING_TO_COMPARE = 50
DECLINED_REQUIRED = 15  # points off for each required yes/no pre-screen question answered "no"

_WORD = re.compile(r"[a-z0-9][a-z0-9+#.]*")
_YEARS = re.compile(r"(\d{1,2})\s*\+?\s*(?:years?|yrs?)\b")
_STOP = frozenset({
    "and", "the", "for", "with", "from", "our", "you", "your", "are", "who", "will", "can", "has", "have", "any",
    "all", "this", "that", "into", "their", "able", "good", "strong", "plus", "etc", "years", "year", "experience",
    "knowledge", "ability", "skills", "working", "work",
})
_REMOTE = re.compile(r"\bremote\b", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return [w.rstrip(".") for w in _WORD.findall(text.lower()) if len(w.rstrip(".")) > 2 and w.rstrip(".") not in _STOP]


def _mentions(haystack: str, term: str) -> bool:
    """`term` appears in `haystack` as a whole word or phrase (so "go" is not found in "good")."""
    pattern = r"(?<![a-z0-9])" + re.escape(term.lower().strip()) + r"(?![a-z0-9])"
    return re.search(pattern, haystack) is not None


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ITEM_CHARS else text[: MAX_ITEM_CHARS - 1] + "…"


def _requirement_met(haystack: str, requirement: str) -> bool:
    words = set(_words(requirement))
    if not words:
        return False
    return sum(_mentions(haystack, w) for w in words) >= REQUIREMENT_SHARE * len(words)


def required_years(requirements: Iterable[str]) -> int | None:
    """The most years of experience a mandatory requirement asks for ("5+ years of Python" → 5), if any."""
    found = [int(m) for text in requirements for m in _YEARS.findall(text.lower())]
    return min(max(found), MAX_YEARS) if found else None


def _candidate_text(inputs: ReviewInputs) -> str:
    parts = [inputs.candidate_title, inputs.candidate_company, inputs.candidate_bio, " ".join(inputs.candidate_skills),
             *inputs.candidate_experience, *inputs.candidate_education, *inputs.candidate_certifications,
             inputs.resume_text, inputs.cover_letter,
             *(f"{a.question} {a.answer}" for a in inputs.pre_screen_answers)]
    return " ".join(" ".join(p.lower().split()) for p in parts if p)


def _location(inputs: ReviewInputs) -> str:
    """Perfect when the places share a word, good when either is unknown or the job is remote, challenging
    when the candidate would have to move (and either side is open to it), mismatch otherwise."""
    job, candidate = inputs.job_location, inputs.candidate_location
    if not job or not candidate:
        return "good"
    if set(_words(job)) & set(_words(candidate)):
        return "perfect"
    if inputs.remote_friendly or _REMOTE.search(job):
        return "good"
    if inputs.candidate_open_to_relocation or inputs.open_to_relocation:
        return "challenging"
    return "mismatch"


def _claims(inputs: ReviewInputs) -> dict[str, SkillClaim]:
    return {c.slug: c for c in inputs.candidate_skill_claims}


def _level_years(inputs: ReviewInputs) -> int | None:
    """The years the job's level expects, when no mandatory requirement names years (and the level expects any)."""
    if required_years(inputs.mandatory_requirements) is not None or not inputs.job_level:
        return None
    return LEVEL_YEARS.get(inputs.job_level) or None


def local_review(inputs: ReviewInputs) -> FitReview:
    """Review `inputs` by keyword overlap (see the module docstring for the weights)."""
    text = _candidate_text(inputs)
    claims = _claims(inputs)
    matched_required = [s for s in inputs.required_skills if skill_slug(s) in claims or _mentions(text, s)]
    matched_preferred = [s for s in inputs.preferred_skills if skill_slug(s) in claims or _mentions(text, s)]
    missing_skills = [s for s in inputs.skills if s not in matched_required and s not in matched_preferred]
    title_words = sorted(set(_words(inputs.job_title)))
    title_found = [w for w in title_words if _mentions(text, w)]
    met_mandatory = [r for r in inputs.mandatory_requirements if _requirement_met(text, r)]
    met_preferred = [r for r in inputs.preferred_requirements if _requirement_met(text, r)]
    missing_mandatory = [r for r in inputs.mandatory_requirements if r not in met_mandatory]
    missing_requirements = missing_mandatory + [r for r in inputs.preferred_requirements if r not in met_preferred]

    level_years = _level_years(inputs)
    level_met = level_years is not None and inputs.candidate_years is not None and inputs.candidate_years >= level_years
    total = (REQUIRED_SKILL * len(inputs.required_skills) + PREFERRED * len(inputs.preferred_skills)
             + TITLE_WORD * len(title_words) + MANDATORY_REQUIREMENT * len(inputs.mandatory_requirements)
             + PREFERRED * len(inputs.preferred_requirements) + (EXPERIENCE if level_years is not None else 0))
    found = (REQUIRED_SKILL * len(matched_required) + PREFERRED * len(matched_preferred)
             + TITLE_WORD * len(title_found) + MANDATORY_REQUIREMENT * len(met_mandatory)
             + PREFERRED * len(met_preferred) + (EXPERIENCE if level_met else 0))
    fit_score = round(100 * found / total) if total else NOTHING_TO_COMPARE
    skills_share = round(100 * (len(matched_required) + len(matched_preferred)) / len(inputs.skills)) \
        if inputs.skills else 100
    years_wanted = required_years(inputs.mandatory_requirements) or level_years
    years = inputs.candidate_years
    meets_years = years_wanted is None or (years is not None and years >= years_wanted)

    def said(kind: str, skill: str) -> str:
        claim = claims.get(skill_slug(skill))
        return f"Lists the {kind} skill {claim}" if claim else f"Mentions the {kind} skill {skill}"

    strengths = [said("required", s) for s in matched_required]
    strengths += [said("preferred", s) for s in matched_preferred]
    if level_met:
        strengths.append(f"{inputs.candidate_years} years of experience reach the {level_years} a"
                         f" {inputs.job_level} role expects")
    strengths += [f"Meets: {r}" for r in met_mandatory + met_preferred]
    if inputs.resume_text:
        strengths.append("A resume is attached")
    if inputs.cover_letter:
        strengths.append("A cover letter is included")
    strengths = strengths or ["The application is complete enough to be reviewed by a person"]
    concerns = [f"No mention of the required skill {s}" for s in inputs.required_skills if s not in matched_required]
    concerns += [f"No evidence of: {r}" for r in missing_mandatory]
    if not meets_years:
        concerns.append(f"The job {'level expects' if level_years else 'asks for'} {years_wanted}+ years;"
                        " the profile states "
                        + ("none" if inputs.candidate_years is None else str(inputs.candidate_years)))
    if total and not inputs.resume_text:
        concerns.append("No resume text: only the profile was compared")

    read = ("profile with its skills and résumé" if inputs.candidate_skill_claims or inputs.candidate_experience
            else "profile") + (", resume" if inputs.resume_text else "")
    summary = (
        f"Keyword overlap, not an AI model: {found} of {total} weighted job terms were found in the candidate's"
        f" {read} and application (required skills count 3, mandatory requirements 2, preferred skills,"
        f" preferred requirements and title words 1"
        + (f", the {level_years} years a {inputs.job_level} role expects 2" if level_years else "")
        + f"), giving {fit_score}/100."
        if total else
        "Keyword overlap, not an AI model: the job lists no skills, requirements or title words to compare,"
        f" so the score is a neutral {NOTHING_TO_COMPARE}/100."
    )
    declined = [a.question for a in inputs.pre_screen_answers
                if a.is_required and a.question_type == "yes_no" and a.answer == "no"]
    if declined:  # the job's must-haves the candidate said no to
        fit_score = max(0, fit_score - DECLINED_REQUIRED * len(declined))
        concerns = [f"Answered no to the required pre-screen question: {q}" for q in declined] + concerns
        summary += (f" {len(declined)} required yes/no pre-screen question(s) answered no, {DECLINED_REQUIRED}"
                    f" points off each: {fit_score}/100.")
    return FitReview(
        fit_score=fit_score,
        recommendation=recommendation_for(fit_score),
        confidence_level=min(60, 20 + (20 if inputs.resume_text else 0) + (10 if inputs.skills else 0)
                             + (10 if inputs.candidate_skill_claims or inputs.candidate_experience else 0)),
        strengths=[_clip(s) for s in strengths[:5]],
        concerns=[_clip(c) for c in concerns[:5]],
        matched_skills=matched_required + matched_preferred,
        missing_skills=missing_skills,
        skills_match_percentage=skills_share,
        matched_requirements=[_clip(r) for r in met_mandatory + met_preferred],
        missing_requirements=[_clip(r) for r in missing_requirements],
        required_years=years_wanted,
        candidate_years=inputs.candidate_years,
        meets_experience_requirement=meets_years,
        location_compatibility=_location(inputs),  # type: ignore[arg-type]
        overall_summary=summary,
    )
