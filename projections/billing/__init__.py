"""The billing read schema: plans and split rates, subscriptions, billing profiles, Connect accounts, Stripe
webhooks, and each placement's money (snapshot, splits, payout transactions, invoice, payout schedules, escrow
holds, disputes).

Every module beside this one (but `schema` and the query modules) declares its tables and handlers.
"""

import sys

from projections.billing.schema import billing
from projections.core_loader import load_table_modules

load_table_modules(sys.modules[__name__])

__all__ = ["billing"]
