"""The `job_notes` table: notes on jobs with their visibility (commands/ats/job_note.py). A deleted note keeps
its row, marked `deleted_at`, and is no longer listed; who reads which visibility is the API's to say."""

from __future__ import annotations

from commands.ats.job_note_events import JobNoteAdded, JobNoteDeleted, JobNoteEdited
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS job_notes (
        id                 uuid PRIMARY KEY,
        job_id             uuid NOT NULL,
        created_by_user_id uuid NOT NULL,
        created_by_type    text NOT NULL,
        visibility         text NOT NULL,
        message            text NOT NULL,
        created_by         text NOT NULL,
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL,
        edited_at          timestamptz,
        deleted_at         timestamptz
    );
    CREATE INDEX IF NOT EXISTS job_notes_job_idx ON job_notes (job_id, created_at);
    """
)


@ats.handles(JobNoteAdded)
def _(e: JobNoteAdded) -> Sql:
    return Sql(
        "INSERT INTO job_notes (id, job_id, created_by_user_id, created_by_type, visibility, message, created_by,"
        " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.note_id, e.job_id, e.created_by_user_id, e.created_by_type, e.visibility, e.message, e.by, e.at, e.at),
    )


@ats.handles(JobNoteEdited)
def _(e: JobNoteEdited) -> Sql:
    return Sql("UPDATE job_notes SET message = %s, visibility = %s, edited_at = %s, updated_at = %s WHERE id = %s",
               (e.message, e.visibility, e.at, e.at, e.note_id))


@ats.handles(JobNoteDeleted)
def _(e: JobNoteDeleted) -> Sql:
    return Sql("UPDATE job_notes SET deleted_at = %s, updated_at = %s WHERE id = %s", (e.at, e.at, e.note_id))
