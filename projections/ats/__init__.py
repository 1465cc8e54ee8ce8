"""The ats read schema: companies, jobs, candidates, applications, notes, placements, sourcers.

Every module beside this one (but `schema` and the query modules) declares its tables and handlers.
"""

import sys

from projections.ats.schema import ats
from projections.core_loader import load_table_modules

load_table_modules(sys.modules[__name__])

__all__ = ["ats"]
