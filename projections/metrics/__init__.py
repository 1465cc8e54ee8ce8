"""The metrics read schema: the marketplace's daily figures (jobs posted, applications, submissions, hires,
placements and their fees, payouts, disputes opened, active recruiters, time to hire).

The tables hold one row per fact, keyed by the entity it is about (a job, an application, a placement, a
transfer, a dispute, a recruiter on a day), never running counters: applying an event again finds its row
already there, so replays and re-deliveries change nothing (DESIGN invariant 3). The daily figures are
aggregated from these rows when asked (`queries`).

Every module beside this one (but `schema` and the query modules) declares its tables and handlers.
"""

import sys

from projections.core_loader import load_table_modules
from projections.metrics.schema import metrics

load_table_modules(sys.modules[__name__])

__all__ = ["metrics"]
