"""The conversations read schema: conversations and their participants, messages, read receipts and unread
counts, blocks, reports and the moderation trail.

Every module beside this one (but `schema` and the query modules) declares its tables and handlers.
"""

import sys

from projections.core_loader import load_table_modules
from projections.conversations.schema import conversations

load_table_modules(sys.modules[__name__])

__all__ = ["conversations"]
