"""The entitlements the network routes decide on (domain §13), from the billing context."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from psycopg import AsyncConnection

from eventstore import EventStore
from projections.billing.entitlement_queries import entitlements_of
from projections.network import queries


async def may_create_firms(db: AsyncConnection, store: EventStore, user_id: UUID, now: datetime) -> bool:
    """The `firm_creation` entitlement (the Partner plan); platform admins hold it whatever their plan."""
    if await queries.holds_role(db, user_id, ("platform_admin",)):
        return True
    return (await entitlements_of(store, user_id, now)).allows("firm_creation")
