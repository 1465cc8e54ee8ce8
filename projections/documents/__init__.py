"""The documents read schema: the metadata of every document, its extracted text, and its deletion.

Every module beside this one (but `schema` and the query modules) declares its tables and handlers.
"""

import sys

from projections.core_loader import load_table_modules
from projections.documents.schema import documents

load_table_modules(sys.modules[__name__])

__all__ = ["documents"]
