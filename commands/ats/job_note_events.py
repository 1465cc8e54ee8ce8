"""The events of a job note (stream type `job_note`, keyed by note id): the one definition of each. They
carry types, not the limits of the commands (message length, who may write which visibility): a rule
tightened later must not make old streams unreadable.

A job note's words are its author's (the subject `user:<created_by_user_id>`): erasing the author makes them
read as erased. Every event of a note names its author, who is also the only one who may change it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

JobNoteAuthorType = Literal["company_admin", "hiring_manager", "job_recruiter", "platform_admin"]
# shared: every party to the job (its company's users, the recruiters working it); company_only: its company's
# users (and platform admins).
JobNoteVisibility = Literal["shared", "company_only"]


class JobNoteAdded(Event):
    note_id: UUID
    job_id: UUID
    created_by_user_id: UUID
    created_by_type: JobNoteAuthorType
    visibility: JobNoteVisibility
    message: str
    by: str
    at: datetime

    personal = Personal(("message",), kind="user", key="created_by_user_id")


class JobNoteEdited(Event):
    """The note's message and visibility after the edit, both whole."""

    note_id: UUID
    job_id: UUID
    created_by_user_id: UUID
    message: str
    visibility: JobNoteVisibility
    by: str
    at: datetime

    personal = Personal(("message",), kind="user", key="created_by_user_id")


class JobNoteDeleted(Event):
    note_id: UUID
    job_id: UUID
    created_by_user_id: UUID
    by: str
    at: datetime
