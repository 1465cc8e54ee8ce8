"""The `application_activity` table: who did what to an application, and when, one row per event of the
application and of its notes (`seq` counts from 1 per application, in the order of the log).

A row holds the actor (the `by` of the event) and their role towards the application, an `action` and a small
`summary` with stages, kinds and ids only — never a cover letter, a pitch, a reason, a salary or a note's
words. The application's own rows are read by every party who reads the application (as its stage history
is); a note's rows carry the note's id and its current visibility, and are read by whoever reads the note.

The role of an application's creation is the side that brought it (`source`); a note's is its author's side,
company admins and hiring managers being `company`.
"""

from __future__ import annotations

import re
from typing import Any

from psycopg.types.json import Jsonb

from commands.ats.application_events import (
    STAGE_EVENTS,
    ApplicationCreated,
    ApplicationExpiryWarned,
    ApplicationOfferAccepted,
    ApplicationPreScreenAnswered,
    ApplicationProposed,
)
from commands.ats.note_events import ApplicationNoteAdded, ApplicationNoteDeleted, ApplicationNoteEdited
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS application_activity (
        application_id uuid NOT NULL,
        seq            integer NOT NULL,
        action         text NOT NULL,
        actor          text NOT NULL,
        actor_role     text NOT NULL,
        note_id        uuid,
        visibility     text,
        summary        jsonb NOT NULL,
        at             timestamptz NOT NULL,
        PRIMARY KEY (application_id, seq)
    );
    CREATE INDEX IF NOT EXISTS application_activity_note_idx ON application_activity (note_id)
        WHERE note_id IS NOT NULL;
    """
)

_ROLE_OF_SOURCE = {"direct": "candidate", "recruiter": "candidate_recruiter", "company_recruiter": "company_recruiter"}
_ROLE_OF_AUTHOR = {"hiring_manager": "company", "company_admin": "company"}

_INSERT = (
    "INSERT INTO application_activity (application_id, seq, action, actor, actor_role, note_id, visibility,"
    " summary, at) SELECT %(application_id)s, coalesce(max(seq), 0) + 1, %(action)s, %(actor)s, %(actor_role)s,"
    " %(note_id)s, %(visibility)s, %(summary)s, %(at)s FROM application_activity"
    " WHERE application_id = %(application_id)s"
)


def _entry(application_id: Any, action: str, actor: str, actor_role: str, at: Any,
           summary: dict[str, Any] | None = None, *, note_id: Any = None, visibility: str | None = None) -> Sql:
    return Sql(_INSERT, {"application_id": application_id, "action": action, "actor": actor,
                         "actor_role": actor_role, "note_id": note_id, "visibility": visibility,
                         "summary": Jsonb(summary or {}), "at": at})


def action_of(event_class: type) -> str:
    """`ApplicationAIReviewFailed` → `ai_review_failed`."""
    name = event_class.__name__.removeprefix("Application")
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


@ats.also_handles(ApplicationCreated)
def _(e: ApplicationCreated) -> Sql:
    return _entry(e.application_id, "created", e.created_by, _ROLE_OF_SOURCE.get(e.source, "candidate"), e.at,
                  {"source": e.source, "stage": e.stage})


@ats.also_handles(ApplicationProposed)
def _(e: ApplicationProposed) -> Sql:
    return _entry(e.application_id, "proposed", e.proposed_by, "candidate_recruiter", e.at, {"stage": e.stage})


@ats.also_handles(ApplicationOfferAccepted)
def _(e: ApplicationOfferAccepted) -> Sql:
    return _entry(e.application_id, "offer_accepted", e.by, e.by_role, e.at)


@ats.also_handles(ApplicationPreScreenAnswered)
def _(e: ApplicationPreScreenAnswered) -> Sql:
    # The answers are sealed whole: after an erasure a replay reads none, so the summary names only the stage.
    return _entry(e.application_id, "pre_screen_answered", e.by, e.by_role, e.at, {"stage": e.stage})


@ats.also_handles(ApplicationExpiryWarned)
def _(e: ApplicationExpiryWarned) -> Sql:
    return _entry(e.application_id, "expiry_warned", e.by, "system", e.at,
                  {"stage": e.stage, "responsible_party": e.responsible_party})


def _moved(e: Any) -> Sql:
    return _entry(e.application_id, action_of(type(e)), e.by, getattr(e, "by_role", "system"), e.at,
                  {"from_stage": e.from_stage, "to_stage": e.to_stage})


for _stage_event in STAGE_EVENTS:
    ats.also_handles(_stage_event)(_moved)


@ats.also_handles(ApplicationNoteAdded)
def _(e: ApplicationNoteAdded) -> Sql:
    return _entry(e.application_id, "note_added", e.by, _ROLE_OF_AUTHOR.get(e.created_by_type, e.created_by_type),
                  e.at, {"note_type": e.note_type, "author_type": e.created_by_type}, note_id=e.note_id,
                  visibility=e.visibility)


def _note_changed(e: ApplicationNoteEdited | ApplicationNoteDeleted, action: str) -> list[Sql]:
    """A note's rows follow its visibility (an edit may change it); the new row takes the author's side from
    the row of the note's addition."""
    statements = []
    if isinstance(e, ApplicationNoteEdited):
        statements.append(Sql("UPDATE application_activity SET visibility = %s WHERE note_id = %s",
                              (e.visibility, e.note_id)))
    statements.append(Sql(
        "INSERT INTO application_activity (application_id, seq, action, actor, actor_role, note_id, visibility,"
        " summary, at) SELECT %(application_id)s, (SELECT coalesce(max(seq), 0) + 1 FROM application_activity"
        " WHERE application_id = %(application_id)s), %(action)s, %(actor)s, actor_role, note_id, visibility,"
        " summary, %(at)s FROM application_activity WHERE note_id = %(note_id)s AND action = 'note_added'",
        {"application_id": e.application_id, "action": action, "actor": e.by, "note_id": e.note_id, "at": e.at}))
    return statements


@ats.also_handles(ApplicationNoteEdited)
def _(e: ApplicationNoteEdited) -> list[Sql]:
    return _note_changed(e, "note_edited")


@ats.also_handles(ApplicationNoteDeleted)
def _(e: ApplicationNoteDeleted) -> list[Sql]:
    return _note_changed(e, "note_deleted")
