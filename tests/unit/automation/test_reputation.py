"""The reputation formula on hand-computed histories, and the decider that records a tier change once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from commands.automation.reputation import (
    COMPANY_FEEDBACK_BANDS,
    COMPANY_FEEDBACK_SLOPE,
    RECRUITER_RESPONSE_BANDS,
    RECRUITER_RESPONSE_SLOPE,
    CompanyCounts,
    RecordScore,
    RecruiterCounts,
    collaboration_score,
    company_components,
    company_score,
    completion_score,
    hire_score,
    pipeline_score,
    recruiter_components,
    recruiter_score,
    reputation,
    response_score,
    tier_for,
    volume_bonus,
)
from commands.automation.reputation_events import CompanyTierChanged, RecruiterTierChanged
from tests.unit.dsl import given

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
R = uuid4()
C = uuid4()


# --- whole histories, computed by hand -----------------------------------------------------------------------

def test_no_history_scores_a_neutral_50_in_the_active_tier() -> None:
    assert recruiter_score(RecruiterCounts()) == 50.0
    assert company_score(CompanyCounts()) == 50.0
    assert tier_for(50.0) == "active"


def test_too_little_data_leaves_each_component_neutral() -> None:
    # 2 placements (< 3), 4 submissions (< 5), no answered request, 2 in the pipeline (< 3): all neutral
    # but collaboration, which needs one placement: both credit another recruiter → 50 + 100 → 100.
    # (50·.30 + 50·.25 + 100·.15 + 50·.15 + 50·.10) / .95 = 55 / .95 = 57.89… → 57.9
    counts = RecruiterCounts(placements=2, placements_completed=2, collaborations=2, submissions=4, hires=4,
                             pipeline_entered=2, pipeline_dropped=2)
    assert recruiter_components(counts) == {"completion": 50, "hire": 50, "collaboration": 100,
                                            "responsiveness": 50, "pipeline": 50}
    assert recruiter_score(counts) == 57.9


def test_a_seasoned_recruiter_is_elite() -> None:
    # completion 18/20·100 − 2·5 = 80; hire 8/40 = 20% → 80; collaboration 50 + 10/20·100 = 100;
    # responsiveness 6 h → 100 − 2/8·20 = 95; pipeline (1 − 3/30)·100 = 90
    # (24 + 20 + 15 + 14.25 + 9) / .95 = 86.578… + 5 (18 completed ≥ 15) = 91.578… → 91.6
    counts = RecruiterCounts(placements=20, placements_completed=18, placements_failed=2, collaborations=10,
                             submissions=40, hires=8, responses=5, response_hours=6.0, pipeline_entered=30,
                             pipeline_dropped=3)
    assert recruiter_components(counts) == {"completion": 80, "hire": 80, "collaboration": 100,
                                            "responsiveness": 95, "pipeline": 90}
    assert recruiter_score(counts) == 91.6
    assert tier_for(recruiter_score(counts)) == "elite"


def test_a_middling_recruiter_is_pro() -> None:
    # completion 3/4·100 − 5 = 70; hire 2/10 → 80; collaboration 50 + 25 = 75; 18 h → 80 − 6/12·20 = 70;
    # pipeline 1 − 2/5 → 60; (21 + 20 + 11.25 + 10.5 + 6) / .95 = 72.368… → 72.4, no bonus (3 completed)
    counts = RecruiterCounts(placements=4, placements_completed=3, placements_failed=1, collaborations=1,
                             submissions=10, hires=2, responses=3, response_hours=18.0, pipeline_entered=5,
                             pipeline_dropped=2)
    assert recruiter_score(counts) == 72.4
    assert tier_for(72.4) == "pro"


def test_a_failing_recruiter_is_new() -> None:
    # completion 0 − 15 → 0; hire 0/10 → 0; collaboration 50; 100 h → 30 − 52·.5 = 4; pipeline 1 − 4/4 → 0
    # (0 + 0 + 7.5 + .6 + 0) / .95 = 8.526… → 8.5
    counts = RecruiterCounts(placements=3, placements_failed=3, submissions=10, responses=2, response_hours=100.0,
                             pipeline_entered=4, pipeline_dropped=4)
    assert recruiter_score(counts) == 8.5
    assert tier_for(8.5) == "new"


def test_a_company_score_from_its_side() -> None:
    # completion 2/3·100 − 5 = 61.67; hire 2/10 → 80; feedback 48 h → 100 − 24/48·20 = 90; pipeline 90
    # 61.67·.35 + 80·.30 + 90·.25 + 90·.10 = 77.083… → 77.1
    counts = CompanyCounts(received=10, hires=2, placements=3, placements_completed=2, placements_failed=1,
                           feedbacks=4, feedback_hours=48.0, pipeline_entered=10, pipeline_dropped=1)
    assert company_components(counts)["feedback"] == 90
    assert company_score(counts) == 77.1
    assert tier_for(77.1) == "pro"


def test_the_score_is_clamped_at_100() -> None:
    perfect = RecruiterCounts(placements=60, placements_completed=60, collaborations=60, submissions=100, hires=50,
                              responses=10, response_hours=1.0, pipeline_entered=100)
    assert recruiter_score(perfect) == 100.0  # 100 + a bonus of 10, clamped


# --- each component ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("placements", "completed", "failed", "expected"), [
    (2, 2, 0, 50),       # fewer than 3 placements
    (3, 0, 0, 50),       # none decided yet
    (3, 3, 0, 100),
    (4, 3, 1, 70),       # 75 − 5
    (10, 5, 5, 30),      # 50 − 20: the penalty is capped at 20
    (3, 0, 3, 0),        # −15, clamped at 0
])
def test_completion(placements: int, completed: int, failed: int, expected: float) -> None:
    assert completion_score(placements, completed, failed) == pytest.approx(expected)


@pytest.mark.parametrize(("submissions", "hires", "expected"), [
    (4, 4, 50), (5, 0, 0), (5, 1, 80), (8, 2, 100), (10, 5, 100),
])
def test_hire_rate(submissions: int, hires: int, expected: float) -> None:
    assert hire_score(submissions, hires) == pytest.approx(expected)


@pytest.mark.parametrize(("placements", "collaborations", "expected"), [(0, 0, 50), (4, 0, 50), (4, 1, 75),
                                                                       (4, 2, 100), (4, 4, 100)])
def test_collaboration(placements: int, collaborations: int, expected: float) -> None:
    assert collaboration_score(placements, collaborations) == pytest.approx(expected)


@pytest.mark.parametrize(("hours", "expected"), [
    (None, 50), (0.5, 100), (4, 100), (8, 90), (12, 80), (18, 70), (24, 60), (36, 45), (48, 30), (68, 20), (200, 0),
])
def test_responsiveness_bands(hours: float | None, expected: float) -> None:
    assert response_score(1 if hours is not None else 0, hours, RECRUITER_RESPONSE_BANDS,
                          RECRUITER_RESPONSE_SLOPE) == pytest.approx(expected)


def test_company_feedback_bands_are_in_days() -> None:
    score = response_score
    assert score(1, 24.0, COMPANY_FEEDBACK_BANDS, COMPANY_FEEDBACK_SLOPE) == 100
    assert score(1, 120.0, COMPANY_FEEDBACK_BANDS, COMPANY_FEEDBACK_SLOPE) == pytest.approx(70)
    assert score(1, 436.0, COMPANY_FEEDBACK_BANDS, COMPANY_FEEDBACK_SLOPE) == pytest.approx(20)
    assert score(0, None, COMPANY_FEEDBACK_BANDS, COMPANY_FEEDBACK_SLOPE) == 50


@pytest.mark.parametrize(("entered", "dropped", "expected"), [(2, 2, 50), (3, 0, 100), (4, 1, 75), (3, 3, 0)])
def test_pipeline_reliability(entered: int, dropped: int, expected: float) -> None:
    assert pipeline_score(entered, dropped) == pytest.approx(expected)


@pytest.mark.parametrize(("completed", "bonus"), [(0, 0), (4, 0), (5, 2.5), (14, 2.5), (15, 5), (29, 5), (30, 7.5),
                                                  (49, 7.5), (50, 10), (500, 10)])
def test_volume_bonus(completed: int, bonus: float) -> None:
    assert volume_bonus(completed) == bonus


@pytest.mark.parametrize(("score", "tier"), [(100, "elite"), (90, "elite"), (89.9, "pro"), (70, "pro"),
                                             (69.9, "active"), (40, "active"), (39.9, "new"), (0, "new")])
def test_tier_boundaries(score: float, tier: str) -> None:
    assert tier_for(score) == tier


# --- the decider ---------------------------------------------------------------------------------------------

def test_a_newcomer_at_the_neutral_score_records_nothing() -> None:
    given(reputation).when(RecordScore(kind="recruiter", subject_id=R, score=50, at=AT)).then()


def test_crossing_a_boundary_records_the_change() -> None:
    given(reputation).when(RecordScore(kind="recruiter", subject_id=R, score=91.6, at=AT)).then(
        RecruiterTierChanged(recruiter_id=R, from_tier="active", to_tier="elite", score=91.6, at=AT))


def test_the_same_tier_again_records_nothing() -> None:
    promoted = RecruiterTierChanged(recruiter_id=R, from_tier="active", to_tier="elite", score=91.6, at=AT)
    given(reputation, promoted).when(RecordScore(kind="recruiter", subject_id=R, score=95, at=AT)).then()


def test_a_fall_is_recorded_from_the_last_recorded_tier() -> None:
    promoted = RecruiterTierChanged(recruiter_id=R, from_tier="active", to_tier="elite", score=91.6, at=AT)
    given(reputation, promoted).when(RecordScore(kind="recruiter", subject_id=R, score=30, at=AT)).then(
        RecruiterTierChanged(recruiter_id=R, from_tier="elite", to_tier="new", score=30, at=AT))


def test_a_company_change_is_a_company_event() -> None:
    given(reputation).when(RecordScore(kind="company", subject_id=C, score=72, at=AT)).then(
        CompanyTierChanged(company_id=C, from_tier="active", to_tier="pro", score=72, at=AT))
