"""What an erasure leaves of the AI read schema (see `projections.scrub`).

A review keeps its scores, costs and timing (the marketplace's own figures); the texts about the candidate go.
"""

from __future__ import annotations

from projections.ai.schema import ai
from projections.scrub import EMPTY_ARRAY, ERASED, Scrub, declare_erasure, if_set

_TEXTS = ("strengths", "concerns", "matched_skills", "missing_skills", "matched_requirements", "missing_requirements")

declare_erasure(ai, {
    "reviews": Scrub("candidate_id = ANY(%(candidate_ids)s) OR application_id = ANY(%(application_ids)s)", {
        "overall_summary": if_set(ERASED), "failure_reason": if_set(ERASED),
        **{column: if_set(EMPTY_ARRAY) for column in _TEXTS},
    }),
})
