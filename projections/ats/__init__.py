"""The ats read schema: jobs and company settings (later candidates, applications, placements)."""

from projections.ats import companies as _companies  # noqa: F401  (each module registers its tables and handlers)
from projections.ats import jobs as _jobs  # noqa: F401
from projections.ats.schema import ats

__all__ = ["ats"]
