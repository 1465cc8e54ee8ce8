"""The events of the sourcer streams: the one definition of each.

Stream types `candidate_sourcer` (keyed by candidate id) and `company_sourcer` (keyed by company id).
Each stream records at most one of these events: the first sourcer wins and is never replaced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

# `tsn`: the platform itself sourced the candidate or company, so no recruiter earns the sourcer share.
SourcerType = Literal["recruiter", "tsn"]


class CandidateSourced(Event):
    candidate_id: UUID
    sourcer_recruiter_id: UUID | None
    sourcer_type: SourcerType
    source_method: str | None
    sourced_at: datetime
    protection_window_days: int
    protection_expires_at: datetime
    notes: str | None
    by: str
    at: datetime

    personal = Personal(("notes",), kind="candidate", key="candidate_id")


class CompanySourced(Event):
    company_id: UUID
    sourcer_recruiter_id: UUID | None
    sourcer_type: SourcerType
    source_method: str | None
    sourced_at: datetime
    protection_window_days: int
    protection_expires_at: datetime
    notes: str | None
    by: str
    at: datetime

    not_personal = frozenset({"notes"})  # how a company was brought in: business text about the company
