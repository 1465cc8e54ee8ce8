"""What the billing account routes share: plans and rates (api/billing/plans.py), recruiter subscriptions
(subscriptions.py), billing profiles (profiles.py) and Connect accounts (connect.py) (domain §7.5, §13).

A recruiter manages their own subscription and Connect account; a company's admins its billing profile; a
firm's owner and admins its billing profile and Connect account (`_firm_admin`); platform admins all of them.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends
from psycopg import AsyncConnection

from api.consistency import read_after
from commands.core import Forbidden, NotFound
from commands.network import firm as firms
from eventstore import EventStore, Position, load, stream_id_for
from projections.identity import queries as identity_queries
from projections.identity.access import Access

FreshBilling = Annotated[Position | None, Depends(read_after("billing"))]


async def _email_of(db: AsyncConnection, user_id: UUID) -> str | None:
    return await identity_queries.email_of(db, user_id)


def _token(position: Position | None) -> str | None:
    return None if position is None else str(position)


async def _firm_admin(store: EventStore, user: Access, firm_id: UUID) -> None:
    firm, _, _ = await load(store, firms.firm, stream_id_for(firms.firm, firm_id))
    if not firm.exists:
        raise NotFound(f"firm {firm_id} not found", firm_id=str(firm_id))
    if user.is_platform_admin:
        return
    role = None if user.user_id is None else firm.members.get(user.user_id)
    if role is None:  # not a member: the firm does not exist for them (a 403 would say it does)
        raise NotFound(f"firm {firm_id} not found", firm_id=str(firm_id))
    if role not in ("owner", "admin"):
        raise Forbidden("only the firm's owner and admins manage its billing", firm_id=str(firm_id))
