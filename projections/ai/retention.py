"""Retention in the AI read schema: the reviews of an application a retention run names lose their texts."""

from __future__ import annotations

from projections.ai.schema import ai
from projections.retention import scrub_on_retention

scrub_on_retention(ai)
