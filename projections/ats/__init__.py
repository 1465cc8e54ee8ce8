"""The ats read schema (jobs, and later companies, candidates, applications, placements)."""

from projections.ats import jobs as _jobs  # noqa: F401  (registers its table and handlers)
from projections.ats.schema import ats

__all__ = ["ats"]
