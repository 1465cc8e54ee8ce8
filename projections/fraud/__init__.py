"""The fraud read schema: the signals the `fraud-signals` reactor raised and what admins made of them.

Every module beside this one (but `schema` and the query modules) declares its tables and handlers.
"""

import sys

from projections.core_loader import load_table_modules
from projections.fraud.schema import fraud

load_table_modules(sys.modules[__name__])

__all__ = ["fraud"]
