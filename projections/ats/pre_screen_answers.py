"""`application_pre_screen_answers`: the latest answer of an application to each pre-screen question of its
job, with the question as it was asked (commands/ats/application_prescreen.py). Each answering also restarts
the application's idle clock, and is a line of its activity (projections/ats/application_activity.py).
"""
from __future__ import annotations

from psycopg.types.json import Jsonb

from commands.ats.application_events import ApplicationPreScreenAnswered
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS application_pre_screen_answers (
        application_id   uuid NOT NULL,
        question_id      uuid NOT NULL,
        position         integer NOT NULL,
        question         text NOT NULL,
        question_type    text NOT NULL,
        answer           jsonb NOT NULL,
        answered_by      text NOT NULL,
        answered_by_role text NOT NULL,
        answered_at      timestamptz NOT NULL,
        PRIMARY KEY (application_id, question_id)
    );
    """
)


@ats.handles(ApplicationPreScreenAnswered)
def _(e: ApplicationPreScreenAnswered) -> list[Sql]:
    answers = [
        Sql("INSERT INTO application_pre_screen_answers (application_id, question_id, position, question,"
            " question_type, answer, answered_by, answered_by_role, answered_at)"
            " VALUES (%(application_id)s, %(question_id)s, %(position)s, %(question)s, %(question_type)s,"
            " %(answer)s, %(by)s, %(by_role)s, %(at)s)"
            " ON CONFLICT (application_id, question_id) DO UPDATE SET position = excluded.position,"
            " question = excluded.question, question_type = excluded.question_type, answer = excluded.answer,"
            " answered_by = excluded.answered_by, answered_by_role = excluded.answered_by_role,"
            " answered_at = excluded.answered_at",
            {"application_id": e.application_id, "question_id": a.question_id, "position": i,
             "question": a.question, "question_type": a.question_type, "answer": Jsonb(a.answer), "by": e.by,
             "by_role": e.by_role, "at": e.at})
        for i, a in enumerate(e.answers)
    ]
    return [
        *answers,
        Sql("UPDATE applications SET last_activity_at = %(at)s, updated_at = %(at)s WHERE id = %(id)s",
            {"id": e.application_id, "at": e.at}),
    ]
