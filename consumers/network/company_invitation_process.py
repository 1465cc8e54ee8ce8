"""A company that accepted a recruiter's platform invitation works with that recruiter as its sourcer (domain
§4.4 "complete-relationship", §5.2): on `CompanyPlatformInvitationAccepted`, the recruiter–company relationship
of type `sourcer` is started by the recruiter (who acknowledged the terms by inviting) and accepted by the
company (by accepting the invitation), so it is active with the default permissions.

Two commands, each keyed by the event and its step, so that a crash between them finishes on retry; each records
nothing when it was done before. A pair that already works together (the relationship is active) is left as it
is. The company sourcer itself (the commission role) was claimed by the acceptance (api/network/
company_invitations.py); this relationship is the working one.
"""

from __future__ import annotations

from dataclasses import replace

import structlog

from commands.core import Conflict
from commands.network import recruiter_company as rco
from commands.network.company_invitation_events import CompanyPlatformInvitationAccepted
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import handle

log = structlog.get_logger(__name__)


async def _on_accepted(reaction: Reaction) -> None:
    e: CompanyPlatformInvitationAccepted = reaction.event
    base = reaction.metadata()
    relationship_id = rco.recruiter_company_id_for(e.recruiter_id, e.company_id)
    try:
        await handle(reaction.store, rco.recruiter_company, relationship_id, rco.RequestCompanyConnection(
            recruiter_id=e.recruiter_id, company_id=e.company_id, relationship_type="sourcer",
            message="company platform invitation", terms_acknowledged=True, by=base.actor, at=e.at),
            replace(base, idempotency_key=f"{reaction.idempotency_key}:request"))
        await handle(reaction.store, rco.recruiter_company, relationship_id, rco.AcceptRecruiterCompany(
            relationship_id=relationship_id, side="company", party_id=e.company_id, by=base.actor, at=e.at),
            replace(base, idempotency_key=f"{reaction.idempotency_key}:accept"))
    except Conflict as already:
        log.info("sourcer relationship not started: the pair already works together",
                 relationship_id=str(relationship_id), reason=already.message)


company_invitation_relationships = Reactor("company-invitation-relationships", [CompanyPlatformInvitationAccepted],
                                           _on_accepted)
