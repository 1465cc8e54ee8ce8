"""The fraud analyzers at their thresholds, as pure functions over a window, and the signal decider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from commands.ats.application_events import ApplicationCreated
from commands.automation.fraud import (
    ApplicationSeen,
    MarkFalsePositive,
    RaiseSignal,
    ResolveSignal,
    SignalNotActive,
    SignalNotFound,
    Submission,
    duplicate_application,
    fraud_signal,
    rapid_submission,
    signal_id_for,
)
from commands.automation.fraud_events import FraudSignalMarkedFalsePositive, FraudSignalRaised, FraudSignalResolved
from tests.unit.dsl import given

T = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
RECRUITER, OTHER_RECRUITER = uuid4(), uuid4()
CANDIDATE, JOB = uuid4(), uuid4()


# --- rapid_submission ----------------------------------------------------------------------------------------------


def submission(at: datetime, recruiter: UUID = RECRUITER) -> Submission:
    return Submission(event_id=uuid4(), application_id=uuid4(), recruiter_id=recruiter, at=at)


def burst(n: int, last: datetime = T, spacing: timedelta = timedelta(minutes=1)) -> tuple[list[Submission], Submission]:
    """`n` submissions by the recruiter, the last (the trigger) at `last`, one a minute before it."""
    subs = [submission(last - spacing * (n - 1 - i)) for i in range(n)]
    return subs[:-1], subs[-1]


def test_ten_submissions_in_thirty_minutes_raise_nothing() -> None:
    window, trigger = burst(10)
    assert rapid_submission(window, trigger) is None


def test_eleven_submissions_raise_a_medium_signal_at_confidence_65() -> None:
    window, trigger = burst(11)
    signal = rapid_submission(window, trigger)
    assert signal is not None
    assert (signal.signal_type, signal.severity, signal.confidence_score) == ("rapid_submission", "medium", 65)
    assert signal.recruiter_id == RECRUITER and signal.application_id == trigger.application_id
    assert signal.signal_data["submission_count"] == 11
    assert len(signal.signal_data["application_ids"]) == 11


def test_twenty_submissions_are_still_medium_and_confidence_is_capped_at_95() -> None:
    signal = rapid_submission(*burst(20, spacing=timedelta(seconds=30)))
    assert signal is not None and (signal.severity, signal.confidence_score) == ("medium", 95)


def test_twenty_one_submissions_are_high() -> None:
    signal = rapid_submission(*burst(21, spacing=timedelta(seconds=30)))
    assert signal is not None and (signal.severity, signal.confidence_score) == ("high", 95)


@pytest.mark.parametrize(("n", "confidence"), [(12, 70), (16, 90), (17, 95), (18, 95)])
def test_confidence_grows_five_per_extra_submission_up_to_95(n: int, confidence: int) -> None:
    signal = rapid_submission(*burst(n, spacing=timedelta(seconds=30)))
    assert signal is not None and signal.confidence_score == confidence


def test_the_window_is_thirty_minutes_inclusive() -> None:
    window, trigger = burst(10)
    at_the_edge = submission(T - timedelta(minutes=30))
    just_outside = submission(T - timedelta(minutes=30, microseconds=1))
    assert rapid_submission([*window, just_outside], trigger) is None
    assert rapid_submission([*window, at_the_edge], trigger) is not None


def test_other_recruiters_and_later_submissions_do_not_count() -> None:
    window, trigger = burst(10)
    others = [submission(T - timedelta(minutes=1), OTHER_RECRUITER) for _ in range(5)]
    later = submission(T + timedelta(seconds=1))
    assert rapid_submission([*window, *others, later], trigger) is None


def test_the_trigger_in_its_own_window_counts_once() -> None:
    window, trigger = burst(10)
    assert rapid_submission([*window, trigger, trigger], trigger) is None


# --- duplicate_application ---------------------------------------------------------------------------------------


def created(application_id: UUID | None = None) -> ApplicationCreated:
    return ApplicationCreated(
        application_id=application_id or uuid4(), job_id=JOB, candidate_id=CANDIDATE, company_id=uuid4(),
        source="recruiter", candidate_recruiter_id=RECRUITER, company_recruiter_id=None, cover_letter=None,
        stage="draft", created_by="user_rex", at=T)


def test_a_second_open_application_for_the_same_job_raises_a_low_signal_at_85() -> None:
    first = ApplicationSeen(uuid4(), CANDIDATE, JOB, "company_review")
    event = created()
    signal = duplicate_application([first], event)
    assert signal is not None
    assert (signal.signal_type, signal.severity, signal.confidence_score) == ("duplicate_application", "low", 85)
    assert (signal.candidate_id, signal.job_id, signal.application_id) == (CANDIDATE, JOB, event.application_id)
    assert signal.recruiter_id == RECRUITER
    assert signal.signal_data["duplicate_of"] == [str(first.application_id)]


@pytest.mark.parametrize("stage", ["hired", "rejected", "withdrawn", "expired"])
def test_a_terminal_earlier_application_is_no_duplicate(stage: str) -> None:
    assert duplicate_application([ApplicationSeen(uuid4(), CANDIDATE, JOB, stage)], created()) is None  # type: ignore[arg-type]


def test_no_other_application_or_another_job_or_candidate_is_no_duplicate() -> None:
    event = created()
    assert duplicate_application([], event) is None
    assert duplicate_application([ApplicationSeen(event.application_id, CANDIDATE, JOB, "draft")], event) is None
    assert duplicate_application([ApplicationSeen(uuid4(), CANDIDATE, uuid4(), "draft")], event) is None
    assert duplicate_application([ApplicationSeen(uuid4(), uuid4(), JOB, "draft")], event) is None


# --- the signal decider --------------------------------------------------------------------------------------------

TRIGGER = uuid4()
S = signal_id_for(TRIGGER, "duplicate_application")


def raise_signal() -> RaiseSignal:
    return RaiseSignal(signal_id=S, signal_type="duplicate_application", severity="low", confidence_score=85,
                       candidate_id=CANDIDATE, job_id=JOB, application_id=uuid4(), trigger_event_id=TRIGGER,
                       signal_data={"duplicate_of": [str(uuid4())]}, by="reactor:fraud-signals", at=T)


def raised() -> FraudSignalRaised:
    return FraudSignalRaised(**raise_signal().model_dump())


def test_the_signal_id_is_derived_from_the_trigger_and_the_analyzer() -> None:
    assert signal_id_for(TRIGGER, "duplicate_application") == S
    assert signal_id_for(TRIGGER, "rapid_submission") != S
    assert signal_id_for(uuid4(), "duplicate_application") != S


def test_raising_records_the_signal() -> None:
    command = raise_signal()
    given(fraud_signal).when(command).then(FraudSignalRaised(**command.model_dump()))


def test_raising_an_existing_signal_again_records_nothing() -> None:
    given(fraud_signal, raised()).when(raise_signal()).then()


def test_an_active_signal_is_resolved_with_notes_and_who() -> None:
    given(fraud_signal, raised()).when(ResolveSignal(signal_id=S, notes="  spoke to the recruiter ", by="admin",
                                                     at=T)).then(
        FraudSignalResolved(signal_id=S, notes="spoke to the recruiter", by="admin", at=T))


def test_an_active_signal_is_marked_false_positive() -> None:
    given(fraud_signal, raised()).when(MarkFalsePositive(signal_id=S, notes="same person, two profiles merged",
                                                         by="admin", at=T)).then(
        FraudSignalMarkedFalsePositive(signal_id=S, notes="same person, two profiles merged", by="admin", at=T))


def test_an_unknown_signal_cannot_be_reviewed() -> None:
    given(fraud_signal).when(ResolveSignal(signal_id=S, notes="x", by="admin", at=T)).then_raises(SignalNotFound)
    given(fraud_signal).when(MarkFalsePositive(signal_id=S, notes="x", by="admin", at=T)).then_raises(SignalNotFound)


def test_a_reviewed_signal_does_not_move_again() -> None:
    resolved = FraudSignalResolved(signal_id=S, notes="done", by="admin", at=T)
    dismissed = FraudSignalMarkedFalsePositive(signal_id=S, notes="fine", by="admin", at=T)
    given(fraud_signal, raised(), resolved).when(
        MarkFalsePositive(signal_id=S, notes="x", by="admin", at=T)).then_raises(SignalNotActive)
    given(fraud_signal, raised(), dismissed).when(
        ResolveSignal(signal_id=S, notes="x", by="admin", at=T)).then_raises(SignalNotActive)


def test_reviewing_again_the_same_way_records_nothing() -> None:
    resolved = FraudSignalResolved(signal_id=S, notes="done", by="admin", at=T)
    given(fraud_signal, raised(), resolved).when(ResolveSignal(signal_id=S, notes="again", by="admin", at=T)).then()


def test_notes_are_required() -> None:
    with pytest.raises(ValueError):
        ResolveSignal(signal_id=S, notes="   ", by="admin", at=T)
