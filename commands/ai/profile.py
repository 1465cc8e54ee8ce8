"""The candidate's structured profile as the fit review reads it: skills with their years and proficiency,
total years of experience, and one line per position, school and certification (from the candidate's stream,
commands/ats/candidate_profile.py)."""

from __future__ import annotations

from typing import Any

from commands.ai.fit import MAX_YEARS
from commands.ai.inputs import SkillClaim
from commands.ats.candidate import Candidate
from commands.ats.candidate_events import CertificationEntry, EducationEntry, ExperienceEntry


def _position(e: ExperienceEntry) -> str:
    where = f" at {e.company}" if e.company else ""
    line = f"{e.title}{where} ({e.start_month} – {e.end_month or 'present'})"
    return f"{line}: {e.description}" if e.description else line


def _school(e: EducationEntry) -> str:
    what = ", ".join(p for p in (e.degree, e.field_of_study) if p)
    years = "–".join(str(y) for y in (e.start_year, e.end_year) if y is not None)
    return (f"{what}, " if what else "") + e.institution + (f" ({years})" if years else "")


def _certificate(c: CertificationEntry) -> str:
    return c.name + (f", {c.issuer}" if c.issuer else "") + (f" ({c.year})" if c.year is not None else "")


def profile_inputs(candidate: Candidate) -> dict[str, Any]:
    """The `ReviewInputs` fields the candidate's skills and résumé profile fill."""
    years = candidate.years_experience
    return {
        "candidate_skills": tuple(s.name for s in candidate.skills),
        "candidate_skill_claims": tuple(SkillClaim(s.name, s.slug, s.years, s.proficiency) for s in candidate.skills),
        "candidate_years": None if years is None else max(0, min(MAX_YEARS, years)),
        "candidate_experience": tuple(_position(e) for e in candidate.experience),
        "candidate_education": tuple(_school(e) for e in candidate.education),
        "candidate_certifications": tuple(_certificate(c) for c in candidate.certifications),
    }
