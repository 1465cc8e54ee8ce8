"""The events of a placement (domain §4.2, §5.1–§5.2): the one definition of each.

Money is integer cents and the fee rate integer basis points (2000 = 20%); the fee in cents is decided
once, when the placement is created, and carried by `PlacementCreated` so nobody recomputes it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

PlacementState = Literal["hired", "active", "completed", "failed"]


class PlacementCreated(Event):
    """A hire became a placement. The five recruiter ids are the attribution frozen at the hire; a role
    nobody filled is None and its share stays with the platform. `company_id` is None for a firm job."""

    placement_id: UUID
    application_id: UUID
    job_id: UUID
    candidate_id: UUID
    company_id: UUID | None
    state: PlacementState
    salary_cents: int
    fee_bps: int
    fee_cents: int
    guarantee_days: int
    guarantee_expires_at: datetime
    hired_at: datetime
    start_date: date
    candidate_recruiter_id: UUID | None
    company_recruiter_id: UUID | None
    job_owner_recruiter_id: UUID | None
    candidate_sourcer_recruiter_id: UUID | None
    company_sourcer_recruiter_id: UUID | None
    created_by: str
    at: datetime

    # The salary is the candidate's pay; fee_cents, computed from it at the hire, is the marketplace's money fact.
    personal = Personal(("salary_cents",), kind="candidate", key="candidate_id")


class PlacementStateChanged(Event):
    """hired → active, completed or failed; active → completed or failed. `reason` is why a placement failed."""

    placement_id: UUID
    from_state: PlacementState
    to_state: PlacementState
    reason: str | None
    by: str
    at: datetime

    not_personal = frozenset({"reason"})  # why a placement failed, as the parties record it for the guarantee


class PlacementReplacementLinked(Event):
    """A failed placement names the placement that replaces it."""

    placement_id: UUID
    replacement_placement_id: UUID
    by: str
    at: datetime


class PlacementMarkedAsReplacement(Event):
    """The placement replaces a failed one: the other side of `PlacementReplacementLinked`, recorded on the
    replacement's own stream so that it replaces one placement at most."""

    placement_id: UUID
    replaces_placement_id: UUID
    by: str
    at: datetime
