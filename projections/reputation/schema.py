"""The reputation read schema's projection, and the score formula of `commands.automation.reputation` as SQL.

The score is stored with the counts so that lists can filter and sort by tier and score. It is written by
the statement that recomputes a subject's counts, through the expressions below: each is the pure
function's steps and constants rendered in the same order, in float8, so PostgreSQL computes the very same
double (a test holds them equal over a grid of counts). Change the formula there, and here in step.
"""

from __future__ import annotations

from collections.abc import Sequence

from commands.automation import reputation as r
from projections.core import Projection

reputation = Projection(name="reputation", ddl=[])
"""Facts per application (`applications`), placement (`placements`) and wait for an answer (`waits`), and
the per-subject aggregates with score and tier (`recruiters`, `companies`)."""


def _f(x: float) -> str:
    return f"{float(x)!r}::float8"


def _clamp(x: str) -> str:
    return f"least({_f(100)}, greatest({_f(0)}, {x}))"


def _completion(placements: str, completed: str, failed: str) -> str:
    decided = f"({completed} + {failed})"
    return (f"CASE WHEN {placements} < {r.MIN_PLACEMENTS} OR {decided} = 0 THEN {_f(r.NEUTRAL)} ELSE "
            + _clamp(f"{completed}::float8 / {decided}::float8 * {_f(100)}"
                     f" - least({r.MAX_FAILURE_PENALTY}, {failed} * {r.FAILURE_PENALTY})::float8") + " END")


def _hire(submissions: str, hires: str) -> str:
    return (f"CASE WHEN {submissions} < {r.MIN_SUBMISSIONS} THEN {_f(r.NEUTRAL)} ELSE "
            + _clamp(f"{hires}::float8 / {submissions}::float8 / {_f(r.TARGET_HIRE_RATE)} * {_f(100)}") + " END")


def _collaboration(placements: str, collaborations: str) -> str:
    return (f"CASE WHEN {placements} = 0 THEN {_f(r.NEUTRAL)} ELSE "
            + _clamp(f"{_f(r.NEUTRAL)} + {collaborations}::float8 / {placements}::float8 * {_f(100)}") + " END")


def _response(responses: str, hours: str, bands: Sequence[tuple[float, float]], slope: float) -> str:
    h0, v0 = bands[0]
    cases = [f"WHEN {responses} < {r.MIN_RESPONSES} OR {hours} IS NULL THEN {_f(r.NEUTRAL)}",
             f"WHEN {hours} <= {_f(h0)} THEN {_f(v0)}"]
    for h1, v1 in bands[1:]:
        cases.append(f"WHEN {hours} <= {_f(h1)} THEN {_f(v0)} - ({hours} - {_f(h0)}) / {_f(h1 - h0)}"
                     f" * {_f(v0 - v1)}")
        h0, v0 = h1, v1
    return f"CASE {' '.join(cases)} ELSE greatest({_f(0)}, {_f(v0)} - ({hours} - {_f(h0)}) * {_f(slope)}) END"


def _pipeline(entered: str, dropped: str) -> str:
    return (f"CASE WHEN {entered} < {r.MIN_PIPELINE} THEN {_f(r.NEUTRAL)} ELSE "
            + _clamp(f"({_f(1)} - {dropped}::float8 / {entered}::float8) * {_f(100)}") + " END")


def _bonus(completed: str) -> str:
    cases = " ".join(f"WHEN {completed} >= {n} THEN {_f(b)}" for n, b in r.VOLUME_BONUS)
    return f"CASE {cases} ELSE {_f(0)} END"


def _total(components: dict[str, str], weights: dict[str, float], completed: str) -> str:
    base = " + ".join(f"({components[name]}) * {_f(w)}" for name, w in weights.items())
    clamped = _clamp(f"({base}) / {_f(r.weight_sum(weights))} + ({_bonus(completed)})")
    return f"floor(({clamped}) * {_f(10)} + {_f(0.5)}) / {_f(10)}"


def recruiter_score_sql(col: str = "") -> str:
    """`recruiter_score` of the columns of `RecruiterCounts`, prefixed by `col` (e.g. `"c."`)."""
    def c(name: str) -> str:
        return f"{col}{name}"

    return _total({
        "completion": _completion(c("placements"), c("placements_completed"), c("placements_failed")),
        "hire": _hire(c("submissions"), c("hires")),
        "collaboration": _collaboration(c("placements"), c("collaborations")),
        "responsiveness": _response(c("responses"), c("response_hours"), r.RECRUITER_RESPONSE_BANDS,
                                    r.RECRUITER_RESPONSE_SLOPE),
        "pipeline": _pipeline(c("pipeline_entered"), c("pipeline_dropped")),
    }, r.RECRUITER_WEIGHTS, c("placements_completed"))


def company_score_sql(col: str = "") -> str:
    """`company_score` of the columns of `CompanyCounts`, prefixed by `col`."""
    def c(name: str) -> str:
        return f"{col}{name}"

    return _total({
        "completion": _completion(c("placements"), c("placements_completed"), c("placements_failed")),
        "hire": _hire(c("received"), c("hires")),
        "feedback": _response(c("feedbacks"), c("feedback_hours"), r.COMPANY_FEEDBACK_BANDS,
                              r.COMPANY_FEEDBACK_SLOPE),
        "pipeline": _pipeline(c("pipeline_entered"), c("pipeline_dropped")),
    }, r.COMPANY_WEIGHTS, c("placements_completed"))


def tier_sql(score: str) -> str:
    """`tier_for` of a score expression."""
    cases = " ".join(f"WHEN {score} >= {_f(floor)} THEN '{tier}'" for floor, tier in r.TIERS)
    return f"CASE {cases} ELSE '{r.LOWEST_TIER}' END"
