"""Who may see and act on a placement's money (domain §2.3, §2.4): platform admins everything; a company
admin their company's placements; a recruiter the placements they hold a split in (their own payouts);
a firm's owner or admin the placements where a member's split pays the firm a take."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from psycopg import AsyncConnection

from commands.billing.placement_billing import PlacementBilling
from commands.core import Forbidden, NotFound
from projections.billing.queries import BillingVisibility
from projections.identity.access import Access
from projections.network.queries import firms_administered_by

Party = Literal["platform_admin", "company_admin", "recruiter", "firm_admin"]


async def billing_visibility(db: AsyncConnection, user: Access) -> BillingVisibility:
    if user.is_platform_admin:
        return BillingVisibility(everything=True)
    firm_ids: tuple[UUID, ...] = ()
    if user.firm_ids and user.user_id is not None:
        firm_ids = await firms_administered_by(db, user.user_id)
    company_ids = tuple(sorted(user.admin_company_ids))  # company_admin of that company, not anywhere
    return BillingVisibility(company_ids=company_ids, recruiter_id=user.recruiter_id, firm_ids=firm_ids)


def party_of(user: Access, state: PlacementBilling, vis: BillingVisibility) -> Party | None:
    """The caller's part in the placement's money, if any (checked on the stream itself, not a read model)."""
    if vis.everything:
        return "platform_admin"
    snapshot = state.snapshot
    if snapshot is None:
        return None
    if snapshot.company_id is not None and snapshot.company_id in vis.company_ids:
        return "company_admin"
    credited = {r.recruiter_id for r in snapshot.roles if r.recruiter_id is not None}
    if user.recruiter_id is not None and user.recruiter_id in credited:
        return "recruiter"
    firms = {r.firm_id for r in snapshot.roles if r.firm_id is not None}
    if firms & set(vis.firm_ids):
        return "firm_admin"
    return None


def require_party(user: Access, state: PlacementBilling, vis: BillingVisibility, placement_id: UUID) -> Party:
    """404 when the caller has no part in the placement's money (its existence is not theirs to know)."""
    party = party_of(user, state, vis)
    if party is None:
        raise NotFound(f"placement {placement_id} has no billing record you may see", placement_id=str(placement_id))
    return party


def require_disputant(party: Party, placement_id: UUID) -> Literal["platform_admin", "company_admin", "recruiter"]:
    if party == "firm_admin":
        raise Forbidden("only the company's admins, the recruiters in the split and platform admins open disputes",
                        placement_id=str(placement_id))
    return party
