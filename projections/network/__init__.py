"""The network read schema: recruiters, their relationships with candidates and companies, and firms
with their members and invitations.

Every module beside this one (but `schema` and the query modules) declares its tables and handlers.
"""

import sys

from projections.core_loader import load_table_modules
from projections.network.schema import network

load_table_modules(sys.modules[__name__])

__all__ = ["network"]
