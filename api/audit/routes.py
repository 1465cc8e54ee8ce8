"""`GET /v1/audit/placements/{id}/export` and `GET /v1/audit/public-key` (issue: audit exports for disputes).

Who may export a placement's bundle: a platform admin, a company admin of the placement's company, and the
recruiters credited in its split — checked on the placement's billing stream itself. Anyone else gets 403
and nothing is recorded; an unknown placement is 404. Each party gets the whole money trail of that
placement; the bundle holds only the streams of that trail (`projections/audit/trail.py`), so no other
placement's or person's records. Every export is recorded as an `AuditBundleExported` event.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel

from api.billing.policy import billing_visibility, party_of
from api.deps import CommandMetadata, CurrentUser, Db, Store, SystemDep
from commands.billing import placement_billing as money
from commands.core import Forbidden, NotFound
from eventstore import load, stream_id_for
from infra.audit import export_placement
from infra.audit_keys import signing_key
from projections.audit.bundle import public_key_hex

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class PublicKey(BaseModel):
    algorithm: Literal["ed25519"] = "ed25519"
    public_key: str


@router.get("/public-key", response_model=PublicKey)
async def public_key(system: SystemDep) -> PublicKey:
    """Public: the key audit bundles are signed with (hex of the raw 32 bytes)."""
    return PublicKey(public_key=public_key_hex(signing_key(system.settings).public_key()))


@router.get("/placements/{placement_id}/export", responses={200: {"content": {"application/zip": {}}}, 401: {},
                                                             403: {}, 404: {}})
async def export(placement_id: UUID, user: CurrentUser, store: Store, db: Db, system: SystemDep,
                 meta: CommandMetadata) -> Response:
    state, _, _ = await load(store, money.placement_billing, stream_id_for(money.placement_billing, placement_id))
    party = party_of(user, state, await billing_visibility(db, user))
    if party not in ("platform_admin", "company_admin", "recruiter"):
        if not state.exists and not (await store.read_stream(f"placement-{placement_id}")):
            raise NotFound(f"placement {placement_id} not found", placement_id=str(placement_id))
        raise Forbidden("only platform admins, the placement's company admins and the recruiters in its split"
                        " export its audit bundle", placement_id=str(placement_id))
    taken = await export_placement(store, placement_id, meta.actor or "unknown", party,
                                   signing_key(system.settings), meta)
    if taken is None:
        raise NotFound(f"placement {placement_id} not found", placement_id=str(placement_id))
    return Response(taken.bundle, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{taken.filename}"', "X-Audit-Export-Id": str(taken.export_id)})
