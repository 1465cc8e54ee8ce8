"""The events of referral codes (domain §3.3 RecruiterCode, §6 `recruiter_code.*`).

Stream `recruiter_codes-<recruiter_id>`: every code a recruiter has made, so that the number of active codes
(limited by the plan) is decided on one stream. Stream `referral-<user_id>`: the one code a user signed up
with (the first code wins; it is the log of sign-ups through codes, `recruiter_codes_log`).

Like every context's events, these carry types but not the business limits of the commands.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands.core import Event, Personal


class RecruiterCodeCreated(Event):
    """`is_default`: the recruiter's first code, made for them when they first list their codes."""

    recruiter_id: UUID
    code_id: UUID
    code: str
    label: str | None
    is_default: bool
    by: str
    at: datetime

    personal = Personal(("label",), kind="recruiter", key="recruiter_id")


class RecruiterCodeDeactivated(Event):
    recruiter_id: UUID
    code_id: UUID
    code: str
    by: str
    at: datetime


class RecruiterCodeRedeemed(Event):
    """A user registered with a recruiter's code. Whatever the user becomes decides what is sourced: their
    candidate record (the candidate sourcer) or the company their organization runs (the company sourcer)."""

    user_id: UUID
    recruiter_id: UUID
    code_id: UUID
    code: str
    by: str
    at: datetime
