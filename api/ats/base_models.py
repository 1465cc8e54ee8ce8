"""What the ats request and response models share: request bodies refuse unknown fields, and percentages."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer

from api.bounds import percentage, text

# Percentages travel as JSON numbers (22.5), are validated as decimals and stored as basis points.
Percentage = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
# ... and arrive as JSON numbers of at most 2 decimal places (api/bounds.py).
FeePercentage = percentage(description="e.g. 20 or 22.5")


def percentage_to_bps(value: Decimal) -> int:
    return int(value * 100)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# A status change's reason, for a job and a candidate record alike.
StatusReason = text(500)
