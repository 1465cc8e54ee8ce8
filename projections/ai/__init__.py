"""The ai read schema: the history of the AI fit reviews of each application.

Every module beside this one (but `schema` and the query modules) declares its tables and handlers.
"""

import sys

from projections.ai.schema import ai
from projections.core_loader import load_table_modules

load_table_modules(sys.modules[__name__])

__all__ = ["ai"]
