"""The events of a saver's saved items (stream type `saved_items`, one stream per saver: see
`commands/ats/saved_items.py`): the one definition of each. They carry ids only (domain §6.2: the saved-item
events hold ids), so nothing in them is personal data to seal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event

# Who saves: a recruiter (jobs and candidates) or a candidate (jobs).
SaverKind = Literal["recruiter", "candidate"]


class JobSaved(Event):
    saver_kind: SaverKind
    saver_id: UUID
    job_id: UUID
    by: str
    at: datetime


class JobUnsaved(Event):
    saver_kind: SaverKind
    saver_id: UUID
    job_id: UUID
    by: str
    at: datetime


class CandidateSaved(Event):
    """Only recruiters save candidates."""

    saver_kind: SaverKind
    saver_id: UUID
    candidate_id: UUID
    by: str
    at: datetime


class CandidateUnsaved(Event):
    saver_kind: SaverKind
    saver_id: UUID
    candidate_id: UUID
    by: str
    at: datetime
