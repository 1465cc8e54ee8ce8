"""The events of reputation (domain §6.5, §14): a recruiter's or a company's tier moved. The score itself is
a read model (`projections/reputation`), rebuilt from the marketplace's events; only a tier change is a fact
worth keeping, because people are told about it (promotion and demotion emails)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event

Tier = Literal["elite", "pro", "active", "new"]


class RecruiterTierChanged(Event):
    """The recruiter's reputation crossed a tier boundary; `score` is the 0–100 score that moved it."""

    recruiter_id: UUID
    from_tier: Tier
    to_tier: Tier
    score: float
    at: datetime


class CompanyTierChanged(Event):
    """The company's reputation crossed a tier boundary; `score` is the 0–100 score that moved it."""

    company_id: UUID
    from_tier: Tier
    to_tier: Tier
    score: float
    at: datetime
