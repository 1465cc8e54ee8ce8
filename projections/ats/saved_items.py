"""The `saved_items` table: which jobs and candidates each saver keeps (commands/ats/saved_items.py), one row
per saved item, removed when unsaved. The lists filter on it (`scope=saved`); the limits are decided on the
saver's stream, never here."""

from __future__ import annotations

from commands.ats.saved_item_events import CandidateSaved, CandidateUnsaved, JobSaved, JobUnsaved
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS saved_items (
        saver_kind  text NOT NULL,
        saver_id    uuid NOT NULL,
        item_kind   text NOT NULL,
        item_id     uuid NOT NULL,
        saved_at    timestamptz NOT NULL,
        PRIMARY KEY (saver_kind, saver_id, item_kind, item_id)
    );
    """
)

_SAVE = ("INSERT INTO saved_items (saver_kind, saver_id, item_kind, item_id, saved_at) VALUES (%s, %s, %s, %s, %s)"
         " ON CONFLICT DO NOTHING")
_UNSAVE = "DELETE FROM saved_items WHERE saver_kind = %s AND saver_id = %s AND item_kind = %s AND item_id = %s"


@ats.handles(JobSaved)
def _(e: JobSaved) -> Sql:
    return Sql(_SAVE, (e.saver_kind, e.saver_id, "job", e.job_id, e.at))


@ats.handles(JobUnsaved)
def _(e: JobUnsaved) -> Sql:
    return Sql(_UNSAVE, (e.saver_kind, e.saver_id, "job", e.job_id))


@ats.handles(CandidateSaved)
def _(e: CandidateSaved) -> Sql:
    return Sql(_SAVE, (e.saver_kind, e.saver_id, "candidate", e.candidate_id, e.at))


@ats.handles(CandidateUnsaved)
def _(e: CandidateUnsaved) -> Sql:
    return Sql(_UNSAVE, (e.saver_kind, e.saver_id, "candidate", e.candidate_id))
