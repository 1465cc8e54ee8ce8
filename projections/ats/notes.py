"""The `application_notes` table: notes on applications with their visibility. A deleted note keeps its
row, marked `deleted_at`, and is no longer listed; who reads which visibility is the API's to say."""

from __future__ import annotations

from commands.ats.note_events import (
    ApplicationNoteAdded,
    ApplicationNoteDeleted,
    ApplicationNoteEdited,
)
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS application_notes (
        id                 uuid PRIMARY KEY,
        application_id     uuid NOT NULL,
        created_by_user_id uuid NOT NULL,
        created_by_type    text NOT NULL,
        note_type          text NOT NULL,
        visibility         text NOT NULL,
        message            text NOT NULL,
        in_response_to_id  uuid,
        created_by         text NOT NULL,
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL,
        edited_at          timestamptz,
        deleted_at         timestamptz
    );
    CREATE INDEX IF NOT EXISTS application_notes_application_idx ON application_notes (application_id, created_at);
    """
)


@ats.handles(ApplicationNoteAdded)
def _(e: ApplicationNoteAdded) -> Sql:
    return Sql(
        "INSERT INTO application_notes (id, application_id, created_by_user_id, created_by_type, note_type,"
        " visibility, message, in_response_to_id, created_by, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.note_id, e.application_id, e.created_by_user_id, e.created_by_type, e.note_type, e.visibility, e.message,
         e.in_response_to_id, e.by, e.at, e.at),
    )


@ats.handles(ApplicationNoteEdited)
def _(e: ApplicationNoteEdited) -> Sql:
    return Sql(
        "UPDATE application_notes SET message = %s, visibility = %s, edited_at = %s, updated_at = %s WHERE id = %s",
        (e.message, e.visibility, e.at, e.at, e.note_id),
    )


@ats.handles(ApplicationNoteDeleted)
def _(e: ApplicationNoteDeleted) -> Sql:
    return Sql("UPDATE application_notes SET deleted_at = %s, updated_at = %s WHERE id = %s",
               (e.at, e.at, e.note_id))
