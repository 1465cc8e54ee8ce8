"""Company settings routes (for now: billing readiness, until the billing context owns it)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter

from api.ats.models import BillingReadinessBody, CommandResponse
from api.deps import CommandMetadata, Store
from commands.ats.company import SetCompanyBillingReadiness, company
from eventstore import handle

router = APIRouter(prefix="/v1/companies", tags=["companies"])


@router.put("/{company_id}/billing-readiness")
async def set_billing_readiness(
    company_id: UUID, body: BillingReadinessBody, store: Store, meta: CommandMetadata
) -> CommandResponse:
    command = SetCompanyBillingReadiness(company_id=company_id, ready=body.ready, by=meta.actor, at=datetime.now(UTC))
    result = await handle(store, company, company_id, command, meta)
    return CommandResponse(id=company_id, version=result.version, consistency_token=result.token)
