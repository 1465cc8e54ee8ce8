"""Fraud signals (domain §3.5, §14): the two analyzers, pure functions over a window of plain records, and
the decider of a signal on `fraudsignal-<signal id>`.

The analyzers know nothing of the event store: the `fraud-signals` reactor builds their window (the other
applications of the candidate for the job, a recruiter's recent submissions) as of the triggering event's
place in the feed, so a late or repeated run sees the same window and reaches the same verdict.

A signal's id is derived from the triggering event and the analyzer (`signal_id_for`), and raising a
signal that exists records nothing: a duplicate delivery raises no second signal. Only an active signal
moves, to resolved or false positive, by a platform admin with notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field, StringConstraints

from commands.ats.application_events import ApplicationCreated, ApplicationStage
from commands.ats.application_rules import TERMINAL
from commands.automation.fraud_events import (
    FraudSignalEvent,
    FraudSignalMarkedFalsePositive,
    FraudSignalRaised,
    FraudSignalResolved,
    Severity,
    SignalStatus,
    SignalType,
)
from commands.core import Command, Decider, NotFound, RuleViolation

# Domain §14: "duplicate_application (same candidate+job with a non-terminal application; low, confidence 85)".
DUPLICATE_SEVERITY: Severity = "low"
DUPLICATE_CONFIDENCE = 85
# "rapid_submission (> 10 submissions in 30 min by one recruiter; medium, high at 2×; confidence 60 + 5 per
# extra, cap 95)". The window is inclusive: a submission exactly 30 minutes before the trigger counts.
# "High at 2×" is read as more than twice the threshold (> 20), the same strict comparison as the threshold.
RAPID_WINDOW = timedelta(minutes=30)
RAPID_THRESHOLD = 10
RAPID_HIGH_THRESHOLD = 2 * RAPID_THRESHOLD
RAPID_BASE_CONFIDENCE = 60
RAPID_CONFIDENCE_PER_EXTRA = 5
RAPID_CONFIDENCE_CAP = 95

_SIGNAL_NAMESPACE = uuid5(NAMESPACE_URL, "splits:fraud-signal")


# --- the window's records and what an analyzer finds -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplicationSeen:
    """Another application, as it stood when the triggering event was recorded."""

    application_id: UUID
    candidate_id: UUID
    job_id: UUID
    stage: ApplicationStage


@dataclass(frozen=True, slots=True)
class Submission:
    """One application submitted by a recruiter (`event_id` is the ApplicationSubmitted event)."""

    event_id: UUID
    application_id: UUID
    recruiter_id: UUID
    at: datetime


@dataclass(frozen=True, slots=True)
class Signal:
    """What an analyzer found; the reactor records it with the id derived from its trigger."""

    signal_type: SignalType
    severity: Severity
    confidence_score: int
    recruiter_id: UUID | None = None
    candidate_id: UUID | None = None
    job_id: UUID | None = None
    application_id: UUID | None = None
    signal_data: dict[str, Any] = field(default_factory=dict)


def signal_id_for(trigger_event_id: UUID, signal_type: SignalType) -> UUID:
    """The one id of the signal an analyzer raises for an event: the same however often the event arrives."""
    return uuid5(_SIGNAL_NAMESPACE, f"{signal_type}:{trigger_event_id}")


# --- the analyzers ---------------------------------------------------------------------------------------------


def duplicate_application(window: Iterable[ApplicationSeen], event: ApplicationCreated) -> Signal | None:
    """A low signal when the candidate already has a non-terminal application for the job."""
    open_ones = sorted(
        (a for a in window if a.application_id != event.application_id and a.candidate_id == event.candidate_id
         and a.job_id == event.job_id and a.stage not in TERMINAL),
        key=lambda a: str(a.application_id),
    )
    if not open_ones:
        return None
    return Signal(
        signal_type="duplicate_application", severity=DUPLICATE_SEVERITY, confidence_score=DUPLICATE_CONFIDENCE,
        recruiter_id=event.candidate_recruiter_id, candidate_id=event.candidate_id, job_id=event.job_id,
        application_id=event.application_id,
        signal_data={"duplicate_of": [str(a.application_id) for a in open_ones],
                     "stages": {str(a.application_id): a.stage for a in open_ones}, "source": event.source},
    )


def rapid_submission(window: Iterable[Submission], event: Submission) -> Signal | None:
    """A signal when the recruiter made more than 10 submissions in the 30 minutes up to and including this one:
    medium, high past 20; confidence 60 + 5 per submission over 10, at most 95."""
    since = event.at - RAPID_WINDOW
    counted = {s.event_id: s for s in window
               if s.recruiter_id == event.recruiter_id and since <= s.at <= event.at}
    counted[event.event_id] = event
    count = len(counted)
    if count <= RAPID_THRESHOLD:
        return None
    extra = count - RAPID_THRESHOLD
    return Signal(
        signal_type="rapid_submission", severity="high" if count > RAPID_HIGH_THRESHOLD else "medium",
        confidence_score=min(RAPID_CONFIDENCE_CAP, RAPID_BASE_CONFIDENCE + RAPID_CONFIDENCE_PER_EXTRA * extra),
        recruiter_id=event.recruiter_id, application_id=event.application_id,
        signal_data={"submission_count": count, "threshold": RAPID_THRESHOLD,
                     "window_minutes": int(RAPID_WINDOW.total_seconds() // 60),
                     "window_start": since.isoformat(),
                     "application_ids": sorted({str(s.application_id) for s in counted.values()})},
    )


# --- the decider of a signal -------------------------------------------------------------------------------------

Notes = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class RaiseSignal(Command):
    signal_id: UUID
    signal_type: SignalType
    severity: Severity
    confidence_score: Annotated[int, Field(ge=0, le=100)]
    recruiter_id: UUID | None = None
    candidate_id: UUID | None = None
    job_id: UUID | None = None
    application_id: UUID | None = None
    trigger_event_id: UUID
    signal_data: dict[str, Any] = {}
    by: str
    at: AwareDatetime

    @classmethod
    def of(cls, signal: Signal, trigger_event_id: UUID, by: str, at: datetime) -> RaiseSignal:
        return cls(signal_id=signal_id_for(trigger_event_id, signal.signal_type), signal_type=signal.signal_type,
                   severity=signal.severity, confidence_score=signal.confidence_score,
                   recruiter_id=signal.recruiter_id, candidate_id=signal.candidate_id, job_id=signal.job_id,
                   application_id=signal.application_id, trigger_event_id=trigger_event_id,
                   signal_data=signal.signal_data, by=by, at=at)


class ResolveSignal(Command):
    signal_id: UUID
    notes: Notes
    by: str
    at: AwareDatetime


class MarkFalsePositive(Command):
    signal_id: UUID
    notes: Notes
    by: str
    at: AwareDatetime


FraudSignalCommand = RaiseSignal | ResolveSignal | MarkFalsePositive


@dataclass(frozen=True, slots=True)
class FraudSignal:
    exists: bool = False
    id: UUID | None = None
    signal_type: SignalType | None = None
    status: SignalStatus | None = None


class SignalNotFound(NotFound):
    code = "fraud_signal_not_found"

    def __init__(self, signal_id: UUID) -> None:
        super().__init__(f"fraud signal {signal_id} not found", signal_id=str(signal_id))


class SignalNotActive(RuleViolation):
    code = "fraud_signal_not_active"

    def __init__(self, signal_id: UUID, current: SignalStatus | None, wanted: SignalStatus) -> None:
        super().__init__(f"fraud signal {signal_id} is {current}; only an active signal can become {wanted}",
                         signal_id=str(signal_id), current_status=current, wanted_status=wanted)


def initial_state() -> FraudSignal:
    return FraudSignal()


def evolve(s: FraudSignal, e: FraudSignalEvent) -> FraudSignal:
    match e:
        case FraudSignalRaised():
            return FraudSignal(exists=True, id=e.signal_id, signal_type=e.signal_type, status="active")
        case FraudSignalResolved():
            return FraudSignal(exists=True, id=s.id, signal_type=s.signal_type, status="resolved")
        case FraudSignalMarkedFalsePositive():
            return FraudSignal(exists=True, id=s.id, signal_type=s.signal_type, status="false_positive")
    return s


def decide(cmd: FraudSignalCommand, s: FraudSignal) -> list[FraudSignalEvent]:
    match cmd:
        case RaiseSignal():
            if s.exists:
                return []  # the same trigger again (a redelivery): already raised
            return [FraudSignalRaised(**cmd.model_dump())]
        case ResolveSignal():
            if _moves(cmd.signal_id, s, "resolved"):
                return [FraudSignalResolved(signal_id=cmd.signal_id, notes=cmd.notes, by=cmd.by, at=cmd.at)]
            return []
        case MarkFalsePositive():
            if _moves(cmd.signal_id, s, "false_positive"):
                return [FraudSignalMarkedFalsePositive(signal_id=cmd.signal_id, notes=cmd.notes, by=cmd.by,
                                                       at=cmd.at)]
            return []
    raise TypeError(f"the fraud signal decider has no case for {type(cmd).__name__}")


def _moves(signal_id: UUID, s: FraudSignal, to: SignalStatus) -> bool:
    """True when an active signal moves to `to`; False when it is there already (a retried request)."""
    if not s.exists:
        raise SignalNotFound(signal_id)
    if s.status == to:
        return False
    if s.status != "active":
        raise SignalNotActive(signal_id, s.status, to)
    return True


fraud_signal: Decider[FraudSignalCommand, FraudSignalEvent, FraudSignal] = Decider(
    "fraudsignal", initial_state, evolve, decide,
    events=(FraudSignalRaised, FraudSignalResolved, FraudSignalMarkedFalsePositive),
)
