"""A user's plan and entitlements (domain §13), read from the event store itself: the subscription's stream
gives the plan in force now, the plan's stream its entitlements. Decisions that hang on an entitlement
(creating a firm, taking one over) see the latest subscription change, not a read model catching up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from commands.billing import plan as plans
from commands.billing import subscription as subscriptions
from commands.billing.catalogue import default_entitlements
from commands.billing.events import EntitlementValue, PlanTier
from eventstore import EventStore, load, stream_id_for


@dataclass(frozen=True)
class Entitlements:
    tier: PlanTier
    status: str | None
    values: dict[str, EntitlementValue]

    def allows(self, name: str) -> bool:
        """A yes/no entitlement, or a limit that is unlimited (None) or above zero."""
        value = self.values.get(name, False)
        return value is None or (value is not False and value != 0)


async def entitlements_of(store: EventStore, user_id: UUID, now: datetime) -> Entitlements:
    """What `user_id`'s plan gives them at `now` (the caller's clock reading: a canceled plan ends then)."""
    subscription, _, _ = await load(store, subscriptions.subscription,
                                    stream_id_for(subscriptions.subscription, user_id))
    tier = subscriptions.effective_tier(subscription, now)
    plan, _, _ = await load(store, plans.plan, stream_id_for(plans.plan, tier))
    values = dict(plan.entitlements) if plan.exists else default_entitlements(tier)
    return Entitlements(tier=tier, status=subscription.status if subscription.exists else None, values=values)
