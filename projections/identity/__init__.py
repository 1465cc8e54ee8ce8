"""The identity read schema: users, roles, consent, organizations, memberships, invitations.

Every module beside this one (but `schema`, `access` and the query modules) declares its tables and handlers.
"""

import sys

from projections.core_loader import load_table_modules
from projections.identity.schema import identity

load_table_modules(sys.modules[__name__])

__all__ = ["identity"]
