"""A job's requirements, skills and pre-screen questions: each list replaced whole by its event, so a
handler deletes the job's rows and inserts the new list in one go."""

from __future__ import annotations

from commands.ats.events import (
    JobPreScreenQuestionsReplaced,
    JobRequirementsReplaced,
    JobSkillsReplaced,
)
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS job_requirements (
        job_id           uuid NOT NULL,
        sort_order       integer NOT NULL,
        requirement_type text NOT NULL,
        description      text NOT NULL,
        PRIMARY KEY (job_id, sort_order)
    );
    CREATE TABLE IF NOT EXISTS job_skills (
        job_id      uuid NOT NULL,
        slug        text NOT NULL,
        name        text NOT NULL,
        is_required boolean NOT NULL,
        position    integer NOT NULL,
        PRIMARY KEY (job_id, slug)
    );
    CREATE INDEX IF NOT EXISTS job_skills_slug_idx ON job_skills (slug);
    CREATE TABLE IF NOT EXISTS job_pre_screen_questions (
        job_id        uuid NOT NULL,
        question_id   uuid NOT NULL,
        position      integer NOT NULL,
        question      text NOT NULL,
        question_type text NOT NULL,
        options       text[] NOT NULL,
        is_required   boolean NOT NULL,
        disclaimer    text,
        PRIMARY KEY (job_id, question_id)
    );
    """
)

# Events carry no limits, so an old one might repeat a key: the first entry stays, the projector never stops.


@ats.handles(JobRequirementsReplaced)
def _(e: JobRequirementsReplaced) -> list[Sql]:
    return [Sql("DELETE FROM job_requirements WHERE job_id = %s", (e.job_id,))] + [
        Sql("INSERT INTO job_requirements (job_id, sort_order, requirement_type, description) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING", (e.job_id, r.sort_order, r.requirement_type, r.description))
        for r in e.requirements
    ]


@ats.handles(JobSkillsReplaced)
def _(e: JobSkillsReplaced) -> list[Sql]:
    return [Sql("DELETE FROM job_skills WHERE job_id = %s", (e.job_id,))] + [
        Sql("INSERT INTO job_skills (job_id, slug, name, is_required, position) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING", (e.job_id, s.slug, s.name, s.is_required, i))
        for i, s in enumerate(e.skills)
    ]


@ats.handles(JobPreScreenQuestionsReplaced)
def _(e: JobPreScreenQuestionsReplaced) -> list[Sql]:
    return [Sql("DELETE FROM job_pre_screen_questions WHERE job_id = %s", (e.job_id,))] + [
        Sql("INSERT INTO job_pre_screen_questions (job_id, question_id, position, question, question_type, options,"
            " is_required, disclaimer) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (e.job_id, q.question_id, i, q.question, q.question_type, list(q.options), q.is_required, q.disclaimer))
        for i, q in enumerate(e.questions)
    ]
