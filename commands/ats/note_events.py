"""The events of an application note (stream type `application_note`, keyed by note id): the one
definition of each. They carry types, not the limits of the commands (message length, who may
write which visibility): a rule tightened later must not make old streams unreadable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

NoteAuthorType = Literal[
    "candidate", "candidate_recruiter", "company_recruiter", "hiring_manager", "company_admin", "platform_admin"
]
NoteType = Literal[
    "info_request",
    "info_response",
    "note",
    "improvement_request",
    "stage_transition",
    "interview_feedback",
    "general",
    "pitch",
    "interview_summary",
    "interview_note",
]
NoteVisibility = Literal["shared", "company_only", "candidate_only"]


class ApplicationNoteAdded(Event):
    note_id: UUID
    application_id: UUID
    created_by_user_id: UUID
    created_by_type: NoteAuthorType
    note_type: NoteType
    visibility: NoteVisibility
    message: str
    in_response_to_id: UUID | None
    by: str
    at: datetime

    personal = Personal(("message",), kind="application", key="application_id")


class ApplicationNoteEdited(Event):
    """The note's message and visibility after the edit, both whole."""

    note_id: UUID
    application_id: UUID
    message: str
    visibility: NoteVisibility
    by: str
    at: datetime

    personal = Personal(("message",), kind="application", key="application_id")


class ApplicationNoteDeleted(Event):
    note_id: UUID
    application_id: UUID
    by: str
    at: datetime
