"""Retention in the ats read schema: an application a retention run names is scrubbed as for an erasure."""

from __future__ import annotations

from projections.ats.schema import ats
from projections.retention import scrub_on_retention

scrub_on_retention(ats)
