"""The reputation read schema: per recruiter and per company the counts their score is computed from, the
score and the tier (domain §14); rebuilt from the marketplace's events by `splits replay reputation`.

Every module beside this one (but `schema` and the query modules) declares its tables and handlers.
"""

import sys

from projections.core_loader import load_table_modules
from projections.reputation.schema import reputation

load_table_modules(sys.modules[__name__])

__all__ = ["reputation"]
