"""The `job_activity` table: who did what to a job, and when, one row per event of the job and of its notes
(`seq` counts from 1 per job, in the order of the log).

A row holds the actor (the `by` of the event), an `action`, a small `summary` with ids, names and counts only —
never the words of the job, of a reason or of a note — and who it is for:
- `audience`: `public` (what the marketplace shows of the job: created, its status, its content replaced,
  edits), `recruiter` (the job's terms and owner: what recruiters work from), `company` (the job's parties);
- a note's rows carry the note's id and its current visibility, and are read by whoever reads the note.

An edit of the terms only (fee, guarantee, the recruiters' brief, priority) is for recruiters; an edit that
touches anything else is public, and its `fields` are narrowed to what each reader sees of a job by the API.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from commands.ats.events import (
    JobCreated,
    JobEarlyAccessEnded,
    JobEdited,
    JobOwnerChanged,
    JobPreScreenQuestionsReplaced,
    JobRequirementsReplaced,
    JobSkillsReplaced,
    JobStatusChanged,
)
from commands.ats.job_note_events import JobNoteAdded, JobNoteDeleted, JobNoteEdited
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS job_activity (
        job_id     uuid NOT NULL,
        seq        integer NOT NULL,
        action     text NOT NULL,
        actor      text NOT NULL,
        audience   text NOT NULL,
        note_id    uuid,
        visibility text,
        summary    jsonb NOT NULL,
        at         timestamptz NOT NULL,
        PRIMARY KEY (job_id, seq)
    );
    CREATE INDEX IF NOT EXISTS job_activity_note_idx ON job_activity (note_id) WHERE note_id IS NOT NULL;
    """
)

# The editable fields recruiters see of a job but the marketplace does not (api/visibility.py, `JOB`).
RECRUITER_TERMS = frozenset({"recruiter_description", "fee_bps", "guarantee_days", "is_priority"})

_INSERT = (
    "INSERT INTO job_activity (job_id, seq, action, actor, audience, note_id, visibility, summary, at)"
    " SELECT %(job_id)s, coalesce(max(seq), 0) + 1, %(action)s, %(actor)s, %(audience)s, %(note_id)s,"
    " %(visibility)s, %(summary)s, %(at)s FROM job_activity WHERE job_id = %(job_id)s"
)


def _entry(e: Any, action: str, audience: str = "public", summary: dict[str, Any] | None = None, *,
           note_id: Any = None, visibility: str | None = None) -> Sql:
    return Sql(_INSERT, {"job_id": e.job_id, "action": action, "actor": e.by if hasattr(e, "by") else e.created_by,
                         "audience": audience, "note_id": note_id, "visibility": visibility,
                         "summary": Jsonb(summary or {}), "at": e.at})


@ats.also_handles(JobCreated)
def _(e: JobCreated) -> Sql:
    return _entry(e, "job_created")


@ats.also_handles(JobEdited)
def _(e: JobEdited) -> Sql:
    fields = sorted(e.changes)
    audience = "recruiter" if set(fields) <= RECRUITER_TERMS else "public"
    return _entry(e, "job_edited", audience, {"fields": fields})


@ats.also_handles(JobStatusChanged)
def _(e: JobStatusChanged) -> Sql:
    return _entry(e, "job_status_changed", summary={"from_status": e.from_status, "to_status": e.to_status})


@ats.also_handles(JobRequirementsReplaced)
def _(e: JobRequirementsReplaced) -> Sql:
    return _entry(e, "job_requirements_replaced", summary={"count": len(e.requirements)})


@ats.also_handles(JobSkillsReplaced)
def _(e: JobSkillsReplaced) -> Sql:
    return _entry(e, "job_skills_replaced", summary={"count": len(e.skills)})


@ats.also_handles(JobPreScreenQuestionsReplaced)
def _(e: JobPreScreenQuestionsReplaced) -> Sql:
    return _entry(e, "job_pre_screen_questions_replaced", summary={"count": len(e.questions)})


@ats.also_handles(JobOwnerChanged)
def _(e: JobOwnerChanged) -> Sql:
    ids = {"from_recruiter_id": e.from_recruiter_id, "to_recruiter_id": e.to_recruiter_id}
    return _entry(e, "job_owner_changed", "recruiter", {k: None if v is None else str(v) for k, v in ids.items()})


@ats.also_handles(JobEarlyAccessEnded)
def _(e: JobEarlyAccessEnded) -> Sql:
    return _entry(e, "job_early_access_ended")


@ats.also_handles(JobNoteAdded)
def _(e: JobNoteAdded) -> Sql:
    return _entry(e, "job_note_added", "company", {"author_type": e.created_by_type}, note_id=e.note_id,
                  visibility=e.visibility)


def _note_changed(e: JobNoteEdited | JobNoteDeleted, action: str) -> list[Sql]:
    """A note's rows follow its visibility (an edit may change it); the new row takes the author's side from
    the row of the note's addition."""
    statements = []
    if isinstance(e, JobNoteEdited):
        statements.append(Sql("UPDATE job_activity SET visibility = %s WHERE note_id = %s", (e.visibility, e.note_id)))
    statements.append(Sql(
        "INSERT INTO job_activity (job_id, seq, action, actor, audience, note_id, visibility, summary, at)"
        " SELECT %(job_id)s, (SELECT coalesce(max(seq), 0) + 1 FROM job_activity WHERE job_id = %(job_id)s),"
        " %(action)s, %(actor)s, 'company', note_id, visibility, summary, %(at)s FROM job_activity"
        " WHERE note_id = %(note_id)s AND action = 'job_note_added'",
        {"job_id": e.job_id, "action": action, "actor": e.by, "note_id": e.note_id, "at": e.at}))
    return statements


@ats.also_handles(JobNoteEdited)
def _(e: JobNoteEdited) -> list[Sql]:
    return _note_changed(e, "job_note_edited")


@ats.also_handles(JobNoteDeleted)
def _(e: JobNoteDeleted) -> list[Sql]:
    return _note_changed(e, "job_note_deleted")
