"""What an erasure leaves of the reputation read schema (see `projections.scrub`): all of it."""

from __future__ import annotations

from projections.reputation.schema import reputation
from projections.scrub import Keep, declare_erasure

_COUNTS = Keep("outcome counts and scores by id")
declare_erasure(reputation, dict.fromkeys(("recruiters", "companies", "applications", "waits", "placements"), _COUNTS))
