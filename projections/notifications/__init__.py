"""The notifications read schema: in-app notifications, the emails sent (the development mailbox is those
sent to no provider) and each user's preferences.

Every module beside this one (but `schema` and the query modules) declares its tables and handlers.
"""

import sys

from projections.core_loader import load_table_modules
from projections.notifications.schema import notifications

load_table_modules(sys.modules[__name__])

__all__ = ["notifications"]
