"""Company settings routes (for now: billing readiness, until the billing context owns it)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter

from api.ats.models import BillingReadinessBody
from api.deps import CommandMetadata, CurrentUser, Store
from api.responses import CommandResponse
from commands.ats.company import SetCompanyBillingReadiness, company
from commands.core import Forbidden
from eventstore import handle

router = APIRouter(prefix="/v1/companies", tags=["companies"])


@router.put("/{company_id}/billing-readiness", responses={401: {}, 403: {}})
async def set_billing_readiness(
    company_id: UUID, body: BillingReadinessBody, store: Store, meta: CommandMetadata, user: CurrentUser
) -> CommandResponse:
    """The company's admins (billing admins, domain §2.3) or a platform admin."""
    if not (user.is_platform_admin or user.is_company_admin_of(company_id)):
        raise Forbidden("only the company's admins may change its billing settings", company_id=str(company_id))
    command = SetCompanyBillingReadiness(company_id=company_id, ready=body.ready, by=meta.actor, at=datetime.now(UTC))
    result = await handle(store, company, company_id, command, meta)
    return CommandResponse.of(company_id, result)
