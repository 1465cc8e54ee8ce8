"""What an erasure leaves of the metrics read schema (see `projections.scrub`): all of it."""

from __future__ import annotations

from projections.metrics.schema import metrics
from projections.scrub import Keep, declare_erasure

_COUNTS = Keep("dated counts and amounts by id")
declare_erasure(metrics, dict.fromkeys(
    ("recruiter_days", "placements", "payouts", "disputes", "jobs_posted", "applications"), _COUNTS))
