"""The HTTP contract of the activity of jobs and applications, and of job notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from api.ats.base_models import _Body
from api.bounds import text
from api.responses import ListOf
from commands.ats.job_note_events import JobNoteAuthorType, JobNoteVisibility

JobNoteMessage = text(10_000)


class JobActivityOut(BaseModel):
    """One thing done to a job, as one reader sees it (api/visibility.py): who did it, who it was for and which
    note it concerns only for the job's parties; the edited `fields` in `summary` narrowed to what the reader
    sees of a job."""

    seq: int
    action: str
    actor: str | None = None
    audience: str | None = None
    note_id: UUID | None = None
    visibility: str | None = None
    summary: dict[str, Any]
    at: datetime


class JobActivityList(ListOf[JobActivityOut]):
    pass


class ApplicationActivityOut(BaseModel):
    """One thing done to an application, as one party sees it (api/visibility.py): the actor's role for every
    party, the actor's user id only for platform admins."""

    seq: int
    action: str
    actor: str | None = None
    actor_role: str
    note_id: UUID | None = None
    visibility: str | None = None
    summary: dict[str, Any]
    at: datetime


class ApplicationActivityList(ListOf[ApplicationActivityOut]):
    pass


class AddJobNoteBody(_Body):
    visibility: JobNoteVisibility
    message: JobNoteMessage


class EditJobNoteBody(_Body):
    """Only the fields sent change; neither can be cleared."""

    message: JobNoteMessage = None  # type: ignore[assignment]
    visibility: JobNoteVisibility = None  # type: ignore[assignment]


class JobNoteOut(BaseModel):
    """A job note as one reader sees it: the author's user id only for the author and platform admins."""

    id: UUID
    job_id: UUID
    created_by_user_id: UUID | None = None
    created_by_type: JobNoteAuthorType
    visibility: JobNoteVisibility
    message: str
    created_at: datetime
    updated_at: datetime
    edited_at: datetime | None


class JobNoteList(ListOf[JobNoteOut]):
    pass
