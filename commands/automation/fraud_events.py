"""The events of a fraud signal (domain §3.5, §14), recorded on `fraudsignal-<signal id>`.

A signal is raised by the `fraud-signals` reactor when an analyzer finds something suspicious in the
events around an application, and a platform admin then resolves it or marks it a false positive. The
signal's facts (who, what, how sure) travel on `FraudSignalRaised`, which is also what the admins' alert
email is made from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from commands.core import Event

SignalType = Literal["duplicate_application", "rapid_submission"]
Severity = Literal["low", "medium", "high", "critical"]
SignalStatus = Literal["active", "resolved", "false_positive"]


class FraudSignalRaised(Event):
    """An analyzer flagged something. `trigger_event_id` is the event it looked at (the signal's id is derived
    from it and the analyzer); `signal_data` holds the evidence, JSON values only (ids as strings)."""

    signal_id: UUID
    signal_type: SignalType
    severity: Severity
    confidence_score: int
    recruiter_id: UUID | None
    candidate_id: UUID | None
    job_id: UUID | None
    application_id: UUID | None
    trigger_event_id: UUID
    signal_data: dict[str, Any]
    by: str
    at: datetime

    not_personal = frozenset({"signal_data"})  # the analyzer's evidence: ids and counts


class FraudSignalResolved(Event):
    """A platform admin dealt with the signal (it was real)."""

    signal_id: UUID
    notes: str
    by: str
    at: datetime

    not_personal = frozenset({"notes"})  # the admin's finding on a marketplace signal (business text)


class FraudSignalMarkedFalsePositive(Event):
    """A platform admin found nothing wrong behind the signal."""

    signal_id: UUID
    notes: str
    by: str
    at: datetime

    not_personal = frozenset({"notes"})  # the admin's finding on a marketplace signal (business text)


FraudSignalEvent = FraudSignalRaised | FraudSignalResolved | FraudSignalMarkedFalsePositive
