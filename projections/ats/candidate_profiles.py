"""A candidate's skills (`candidate_skills`, one row per skill in the candidate's order) and structured résumé
(`candidate_resume_profiles`, one row per candidate with its lists as JSON). What a caller may see of them is
decided by the API (api/visibility.py, `CANDIDATE_PROFILE`)."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from commands.ats.candidate_events import CandidateResumeProfileReplaced, CandidateSkillsReplaced
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS candidate_skills (
        candidate_id uuid NOT NULL,
        slug         text NOT NULL,
        name         text NOT NULL,
        source       text NOT NULL,
        years        integer,
        proficiency  text,
        position     integer NOT NULL,
        PRIMARY KEY (candidate_id, slug)
    );
    CREATE INDEX IF NOT EXISTS candidate_skills_slug_idx ON candidate_skills (slug);
    CREATE TABLE IF NOT EXISTS candidate_resume_profiles (
        candidate_id     uuid PRIMARY KEY,
        years_experience integer,
        experience       jsonb NOT NULL,
        education        jsonb NOT NULL,
        certifications   jsonb NOT NULL,
        updated_at       timestamptz NOT NULL
    );
    """
)


@ats.handles(CandidateSkillsReplaced)
def _(e: CandidateSkillsReplaced) -> list[Sql]:
    # Events carry no limits, so an old one might repeat a slug: the first stays, the projector never stops.
    return [Sql("DELETE FROM candidate_skills WHERE candidate_id = %s", (e.candidate_id,))] + [
        Sql("INSERT INTO candidate_skills (candidate_id, slug, name, source, years, proficiency, position)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (e.candidate_id, s.slug, s.name, s.source, s.years, s.proficiency, i))
        for i, s in enumerate(e.skills)
    ]


@ats.handles(CandidateResumeProfileReplaced)
def _(e: CandidateResumeProfileReplaced) -> Sql:
    lists = {name: Jsonb([item.model_dump(mode="json") for item in getattr(e, name)])
             for name in ("experience", "education", "certifications")}
    return Sql(
        "INSERT INTO candidate_resume_profiles (candidate_id, years_experience, experience, education, certifications,"
        " updated_at) VALUES (%(id)s, %(years)s, %(experience)s, %(education)s, %(certifications)s, %(at)s)"
        " ON CONFLICT (candidate_id) DO UPDATE SET years_experience = EXCLUDED.years_experience,"
        " experience = EXCLUDED.experience, education = EXCLUDED.education,"
        " certifications = EXCLUDED.certifications, updated_at = EXCLUDED.updated_at",
        {"id": e.candidate_id, "years": e.years_experience, "at": e.at, **lists})
