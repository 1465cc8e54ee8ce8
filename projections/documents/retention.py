"""Retention in the documents read schema: the documents a retention run names are deleted, without name or text."""

from __future__ import annotations

from projections.documents.schema import documents
from projections.retention import scrub_on_retention

scrub_on_retention(documents)
