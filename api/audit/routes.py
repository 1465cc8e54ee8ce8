"""`GET /v1/audit/placements/{id}/export` and `GET /v1/audit/public-key` (issue: audit exports for disputes).

Who may export a placement's bundle: a platform admin, a company admin of the placement's company, and the
recruiters credited in its split — checked on the placement's billing stream itself. Anyone else gets the
same 404 as for a placement that does not exist (its existence is not theirs to know), and nothing is
recorded. A platform admin's bundle is whole; every other party's holds only what the money API shows them,
the rest redacted to its place in the hash chain (`projections/audit/scope.py`, `bundle.py`), and it verifies
all the same. The bundle holds only the streams of the placement's trail (`projections/audit/trail.py`).
Every export is recorded as an `AuditBundleExported` event.

An export is heavy (seconds for a long trail, built in a worker thread so other requests go on): beyond the
gateway's limit for every route, each caller may take `AUDIT_EXPORT_PER_HOUR` of them an hour.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from api.billing.policy import billing_visibility, party_of
from api.deps import AuditSignerDep, CommandMetadata, CurrentUser, Db, RateLimited, Store, SystemDep
from api.ratelimit import Decision
from commands.billing import placement_billing as money
from commands.core import NotFound
from eventstore import load, stream_id_for
from api.audit.bundles import export_placement
from projections.audit.bundle import public_key_hex
from projections.audit.scope import Viewer

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class PublicKey(BaseModel):
    algorithm: Literal["ed25519"] = "ed25519"
    public_key: str


@router.get("/public-key", response_model=PublicKey)
async def public_key(signer: AuditSignerDep) -> PublicKey:
    """Public: the key audit bundles are signed with (hex of the raw 32 bytes)."""
    return PublicKey(public_key=public_key_hex(signer.public_key()))


class ExportsRateLimited(RateLimited):
    """Answered as every rate limit is (429, `Retry-After`), with the hourly bound in its message."""

    def __init__(self, decision: Decision) -> None:
        Exception.__init__(self, f"at most {decision.limit} audit exports an hour")
        self.decision = decision


async def _export_limit(request: Request, user: CurrentUser) -> None:
    """At most `AUDIT_EXPORT_PER_HOUR` exports an hour per caller (counted in Redis with the gateway's limiter;
    without Redis, as for every limit, there is none)."""
    gateway = request.app.state.gateway
    if gateway.limiter is None:
        return
    per_hour = request.app.state.system.settings.audit_export_per_hour
    decision = await gateway.limiter.check(f"audit-export:{user.clerk_user_id}", per_hour, window_s=3600)
    if not decision.allowed:
        raise ExportsRateLimited(decision)


def _not_found(placement_id: UUID) -> NotFound:
    """One answer for a placement that does not exist and one the caller has no part in."""
    return NotFound(f"placement {placement_id} not found", placement_id=str(placement_id))


@router.get("/placements/{placement_id}/export", responses={200: {"content": {"application/zip": {}}}, 401: {},
                                                             404: {}, 429: {}},
            dependencies=[Depends(_export_limit)])
async def export(placement_id: UUID, user: CurrentUser, store: Store, db: Db, system: SystemDep,
                 signer: AuditSignerDep, meta: CommandMetadata) -> Response:
    state, _, _ = await load(store, money.placement_billing, stream_id_for(money.placement_billing, placement_id))
    visibility = await billing_visibility(db, user)
    party = party_of(user, state, visibility)
    if party not in ("platform_admin", "company_admin", "recruiter"):
        raise _not_found(placement_id)
    viewer = Viewer(party, user_id=str(user.user_id) if user.user_id else None,
                    recruiter_id=str(user.recruiter_id) if user.recruiter_id else None,
                    firm_ids=frozenset(map(str, visibility.firm_ids)))
    taken = await export_placement(store, placement_id, meta.actor or "unknown", party,
                                   signer.private_key(), meta, viewer, clock=system.clock)
    if taken is None:
        raise _not_found(placement_id)
    return Response(taken.bundle, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{taken.filename}"', "X-Audit-Export-Id": str(taken.export_id)})
