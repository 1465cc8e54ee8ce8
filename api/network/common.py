"""What the network routes share: ids, the caller's own recruiter, read-your-writes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import Depends, HTTPException

from api.deps import TokenSecret as TokenSecret  # the invitation routes take it from here
from api.errors import not_registered
from api.consistency import read_after
from commands.core import Forbidden, NotFound
from commands.network import firm as firms
from commands.network import recruiter as recruiters
from eventstore import EventStore, Metadata, Position, load, stream_id_for
from projections.identity.access import Access

# Waits for the command's consistency token (if given) before a connection is taken for the query.
FreshNetwork = Annotated[Position | None, Depends(read_after("network"))]


def known(user: Access) -> UUID:
    """The caller's identity user id; a signed-in caller not registered yet must register first."""
    if user.user_id is None:
        raise not_registered()
    return user.user_id


def new_id(meta: Metadata, kind: str) -> UUID:
    """A fresh id, or one derived from the Idempotency-Key so that a retried request lands on the same stream."""
    return uuid5(NAMESPACE_URL, f"{kind}:{meta.actor}:{meta.idempotency_key}") if meta.idempotency_key else uuid4()


def my_recruiter_id(user: Access) -> UUID | None:
    """The recruiter the caller acts as in the network: the one derived from their user (POST /v1/recruiters)."""
    return recruiters.recruiter_id_for(user.user_id) if user.user_id is not None else None


async def own_recruiter(store: EventStore, user: Access, *, active: bool = False) -> recruiters.Recruiter:
    """The caller's recruiter; 403 without one (or, with `active`, unless it is active)."""
    recruiter_id = recruiters.recruiter_id_for(known(user))
    state, _, _ = await load(store, recruiters.recruiter, stream_id_for(recruiters.recruiter, recruiter_id))
    if not state.exists:
        raise HTTPException(403, "create your recruiter first: POST /v1/recruiters")
    if active and state.status != "active":
        raise Forbidden(f"recruiter {recruiter_id} is {state.status}: only an active recruiter can do this",
                        recruiter_id=str(recruiter_id), recruiter_status=state.status)
    return state


def percentage_to_bps(value: Decimal) -> int:
    return int(value * 100)


async def member_firm(store: EventStore, user: Access, firm_id: UUID) -> firms.Firm:
    """The firm, if the caller is a member of it (suspended or not) or a platform admin; for anyone else it does
    not exist (404), on every route that names it."""
    state, _, _ = await load(store, firms.firm, stream_id_for(firms.firm, firm_id))
    member = user.user_id is not None and user.user_id in state.members
    if not state.exists or not (member or user.is_platform_admin):
        raise NotFound(f"firm {firm_id} not found", firm_id=str(firm_id))
    return state
