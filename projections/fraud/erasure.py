"""What an erasure leaves of the fraud read schema (see `projections.scrub`): all of it."""

from __future__ import annotations

from projections.fraud.schema import fraud
from projections.scrub import Keep, declare_erasure

declare_erasure(fraud, {
    "signals": Keep("an analyzer's evidence (ids and counts) and the admins' findings"),
})
