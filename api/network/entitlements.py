"""Stand-ins for entitlements the billing context will own (domain §13)."""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection

from projections.network import queries


async def may_create_firms(db: AsyncConnection, user_id: UUID) -> bool:
    """The `firm_creation` entitlement (the Partner plan) of a user.

    Until the billing context owns plans and subscriptions, platform admins and users whose identity
    roles include `recruiter` hold it. Replace this function with the billing read model's answer.
    """
    return await queries.holds_role(db, user_id, ("platform_admin", "recruiter"))
