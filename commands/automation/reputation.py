"""Reputation (domain §14): the 0–100 score of a recruiter and of a company, their tier, and the decider
that records a tier change once.

The score is a pure function of counts the `reputation` read model keeps; this module is the one definition
of the formula (the projection renders the same constants and steps as SQL, and a test holds the two equal).

Recruiter score, the original's weights and rules (`automation-service/src/v2/reputation/calculator.ts`):
- completion, 30%: needs ≥ 3 placements credited to the recruiter and ≥ 1 of them decided (completed or
  failed); completed / decided × 100, minus 5 per failed placement (at most 20), clamped 0–100.
- hire rate, 25%: needs ≥ 5 submissions; hires / submissions scaled so a 25% hire rate is 100 (capped).
  A submission is an application the recruiter represents (candidate recruiter) that was submitted; a hire is
  such an application hired.
- collaboration, 15%: needs ≥ 1 placement; 50 + 100 × the share of their placements that credit another
  recruiter too (any of the five roles), capped at 100 — so working alone is neutral, never a penalty.
- responsiveness, 15%: needs ≥ 1 answered request; the MEDIAN hours the recruiter took to act on an
  application waiting on them (entered `recruiter_review` for the candidate recruiter, or `screen` by a
  prescreen request naming a company recruiter), until a stage move made by a recruiter. A wait that ends
  otherwise (the candidate withdrew, it expired, an admin moved it) is not a response and is not counted.
  ≤ 4 h = 100, then linear to 80 at 12 h, 60 at 24 h, 30 at 48 h, then −0.5 a further hour down to 0.
  The median, not the original's mean: one forgotten request should not outweigh fifty prompt answers.
- pipeline reliability, 10%: needs ≥ 3 applications of theirs that entered the pipeline (screen,
  recruiter review or submitted); 1 − the share of those that ended withdrawn or expired (an expiry undone by
  a reactivation no longer counts), × 100.
- volume bonus: +2.5 / 5 / 7.5 / 10 at 5 / 15 / 30 / 50 completed placements.
The weighted components are divided by the sum of the weights, then the bonus is added, clamped 0–100,
rounded half up to one decimal. The original's weights add up to 95%, so without that division a recruiter
with no history would score 47.5 and a flawless one 95 + bonus; dividing keeps the original's relative
weights and its rule that insufficient data is a neutral 50. Any component without its own minimum data is
a neutral 50, so a subject with no history scores exactly 50.
Proposals (accepted, declined, timed out) are counted and shown but, as in the original, not scored.

Company score, the same shape seen from the company's side:
- completion, 35%: as the recruiter's, over the company's placements.
- hire rate, 30%: needs ≥ 5 applications received (reached a company stage: submitted, company review,
  feedback, interview, offer or hired); hires / received, 25% = 100.
- feedback, 25%: needs ≥ 1; median hours from an application entering `submitted` to the company's first
  stage move on it; ≤ 24 h = 100, 80 at 72 h, 60 at 168 h (a week), 30 at 336 h, then −0.1 an hour to 0.
- pipeline reliability, 10%: needs ≥ 3 received; 1 − the share that expired while waiting on the company.
- the same volume bonus, on completed placements; clamped, rounded.

Tiers: elite ≥ 90, pro ≥ 70, active ≥ 40, new below. A subject with no recorded tier is taken to be in the
tier of the neutral score (`active`): a newcomer scoring 50 records nothing, and the first recorded change
is from `active`. The decider records a change only when the tier differs from the last recorded one, so a
repeated or late recomputation never records the same change twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from commands.automation.reputation_events import CompanyTierChanged, RecruiterTierChanged, Tier
from commands.core import Command, Decider

NEUTRAL = 50
MIN_PLACEMENTS = 3
FAILURE_PENALTY = 5
MAX_FAILURE_PENALTY = 20
MIN_SUBMISSIONS = 5
TARGET_HIRE_RATE = 0.25
MIN_RESPONSES = 1
MIN_PIPELINE = 3

# (hours, score) points of the responsiveness curve, linear between them; then `slope` points lost an hour.
RECRUITER_RESPONSE_BANDS: tuple[tuple[float, float], ...] = ((4, 100), (12, 80), (24, 60), (48, 30))
RECRUITER_RESPONSE_SLOPE = 0.5
COMPANY_FEEDBACK_BANDS: tuple[tuple[float, float], ...] = ((24, 100), (72, 80), (168, 60), (336, 30))
COMPANY_FEEDBACK_SLOPE = 0.1

# (completed placements, bonus), highest first.
VOLUME_BONUS: tuple[tuple[int, float], ...] = ((50, 10), (30, 7.5), (15, 5), (5, 2.5))

RECRUITER_WEIGHTS = {"completion": 0.30, "hire": 0.25, "collaboration": 0.15, "responsiveness": 0.15,
                     "pipeline": 0.10}
COMPANY_WEIGHTS = {"completion": 0.35, "hire": 0.30, "feedback": 0.25, "pipeline": 0.10}

TIERS: tuple[tuple[float, Tier], ...] = ((90, "elite"), (70, "pro"), (40, "active"))
LOWEST_TIER: Tier = "new"


@dataclass(frozen=True, slots=True)
class RecruiterCounts:
    """What the recruiter's score is computed from (the `reputation.recruiters` columns of the same names)."""

    submissions: int = 0
    hires: int = 0
    placements: int = 0
    placements_completed: int = 0
    placements_failed: int = 0
    collaborations: int = 0
    responses: int = 0
    response_hours: float | None = None
    pipeline_entered: int = 0
    pipeline_dropped: int = 0


@dataclass(frozen=True, slots=True)
class CompanyCounts:
    """What the company's score is computed from (the `reputation.companies` columns of the same names)."""

    received: int = 0
    hires: int = 0
    placements: int = 0
    placements_completed: int = 0
    placements_failed: int = 0
    feedbacks: int = 0
    feedback_hours: float | None = None
    pipeline_entered: int = 0
    pipeline_dropped: int = 0


def _clamp(x: float) -> float:
    return min(100, max(0, x))


def completion_score(placements: int, completed: int, failed: int) -> float:
    decided = completed + failed
    if placements < MIN_PLACEMENTS or decided == 0:
        return NEUTRAL
    return _clamp(completed / decided * 100 - min(MAX_FAILURE_PENALTY, failed * FAILURE_PENALTY))


def hire_score(submissions: int, hires: int) -> float:
    if submissions < MIN_SUBMISSIONS:
        return NEUTRAL
    return _clamp(hires / submissions / TARGET_HIRE_RATE * 100)


def collaboration_score(placements: int, collaborations: int) -> float:
    if placements == 0:
        return NEUTRAL
    return _clamp(NEUTRAL + collaborations / placements * 100)


def response_score(responses: int, hours: float | None, bands: Sequence[tuple[float, float]],
                   slope: float) -> float:
    if responses < MIN_RESPONSES or hours is None:
        return NEUTRAL
    (h0, v0) = bands[0]
    if hours <= h0:
        return v0
    for h1, v1 in bands[1:]:
        if hours <= h1:
            return v0 - (hours - h0) / (h1 - h0) * (v0 - v1)
        h0, v0 = h1, v1
    return max(0, v0 - (hours - h0) * slope)


def pipeline_score(entered: int, dropped: int) -> float:
    if entered < MIN_PIPELINE:
        return NEUTRAL
    return _clamp((1 - dropped / entered) * 100)


def volume_bonus(completed: int) -> float:
    for threshold, bonus in VOLUME_BONUS:
        if completed >= threshold:
            return bonus
    return 0


def round_score(x: float) -> float:
    """Half up to one decimal (Python's `round` is half-even, SQL's is not: this is the same in both)."""
    return math.floor(x * 10 + 0.5) / 10


def recruiter_components(c: RecruiterCounts) -> dict[str, float]:
    return {
        "completion": completion_score(c.placements, c.placements_completed, c.placements_failed),
        "hire": hire_score(c.submissions, c.hires),
        "collaboration": collaboration_score(c.placements, c.collaborations),
        "responsiveness": response_score(c.responses, c.response_hours, RECRUITER_RESPONSE_BANDS,
                                         RECRUITER_RESPONSE_SLOPE),
        "pipeline": pipeline_score(c.pipeline_entered, c.pipeline_dropped),
    }


def company_components(c: CompanyCounts) -> dict[str, float]:
    return {
        "completion": completion_score(c.placements, c.placements_completed, c.placements_failed),
        "hire": hire_score(c.received, c.hires),
        "feedback": response_score(c.feedbacks, c.feedback_hours, COMPANY_FEEDBACK_BANDS, COMPANY_FEEDBACK_SLOPE),
        "pipeline": pipeline_score(c.pipeline_entered, c.pipeline_dropped),
    }


def weight_sum(weights: dict[str, float]) -> float:
    total: float = 0
    for weight in weights.values():
        total = total + weight
    return total


def _total(components: dict[str, float], weights: dict[str, float], completed: int) -> float:
    base: float = 0
    for name, weight in weights.items():  # in the weights' order: the SQL adds them in the same order
        base = base + components[name] * weight
    return round_score(_clamp(base / weight_sum(weights) + volume_bonus(completed)))


def recruiter_score(c: RecruiterCounts) -> float:
    return _total(recruiter_components(c), RECRUITER_WEIGHTS, c.placements_completed)


def company_score(c: CompanyCounts) -> float:
    return _total(company_components(c), COMPANY_WEIGHTS, c.placements_completed)


def tier_for(score: float) -> Tier:
    for floor, tier in TIERS:
        if score >= floor:
            return tier
    return LOWEST_TIER


def recruiter_rates(c: RecruiterCounts) -> dict[str, float | None]:
    """The rates shown beside the score (None when there is nothing to divide by)."""
    decided = c.placements_completed + c.placements_failed
    return {
        "hire_rate": c.hires / c.submissions if c.submissions else None,
        "completion_rate": c.placements_completed / decided if decided else None,
        "collaboration_rate": c.collaborations / c.placements if c.placements else None,
    }


def company_rates(c: CompanyCounts) -> dict[str, float | None]:
    decided = c.placements_completed + c.placements_failed
    return {
        "hire_rate": c.hires / c.received if c.received else None,
        "completion_rate": c.placements_completed / decided if decided else None,
    }


# --- the decider: a tier change, recorded once, on `reputation-<kind>-<id>` -----------------------------------

SubjectKind = Literal["recruiter", "company"]
ReputationEvent = RecruiterTierChanged | CompanyTierChanged


class RecordScore(Command):
    """The subject's current score, as computed from the read model; records a change if its tier moved."""

    kind: SubjectKind
    subject_id: UUID
    score: Annotated[float, Field(ge=0, le=100)]
    at: AwareDatetime


def subject_stream(kind: SubjectKind, subject_id: UUID) -> str:
    """The entity id under the `reputation` stream type: `reputation-<kind>-<id>`."""
    return f"{kind}-{subject_id}"


def initial_state() -> Tier:
    return tier_for(NEUTRAL)


def evolve(_: Tier, e: ReputationEvent) -> Tier:
    return e.to_tier


def decide(cmd: RecordScore, last: Tier) -> list[ReputationEvent]:
    to = tier_for(cmd.score)
    if to == last:
        return []
    if cmd.kind == "recruiter":
        return [RecruiterTierChanged(recruiter_id=cmd.subject_id, from_tier=last, to_tier=to, score=cmd.score,
                                     at=cmd.at)]
    return [CompanyTierChanged(company_id=cmd.subject_id, from_tier=last, to_tier=to, score=cmd.score, at=cmd.at)]


reputation: Decider[RecordScore, ReputationEvent, Tier] = Decider(
    "reputation", initial_state, evolve, decide, events=(RecruiterTierChanged, CompanyTierChanged),
)
