"""An accepted invitation makes its user a member of the organization, with the invited role and
scope, and completes their onboarding (domain §3.1).

Each step is a command with an idempotency key derived from the acceptance event, so a redelivered
event changes nothing. A user who is already a member in that scope takes the invited role, unless
that would leave the organization without an organization-wide admin (then the acceptance stands and
the membership is left as it was, which the log says).
"""

from __future__ import annotations

from dataclasses import replace

import structlog

from commands.core import Conflict, RuleViolation
from commands.identity import organization as orgs
from commands.identity import user as users
from commands.identity.events import InvitationAccepted
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import handle

log = structlog.get_logger(__name__)


async def _on_accepted(reaction: Reaction) -> None:
    e: InvitationAccepted = reaction.event
    meta = reaction.metadata()
    member = {"organization_id": e.organization_id, "user_id": e.user_id, "company_id": e.company_id,
              "role": e.role, "by": meta.actor, "at": e.at}
    try:
        await handle(reaction.store, orgs.organization, e.organization_id, orgs.AddMember(**member),
                     replace(meta, idempotency_key=f"{reaction.idempotency_key}:member"))
    except Conflict:
        try:
            await handle(reaction.store, orgs.organization, e.organization_id, orgs.ChangeMemberRole(**member),
                         replace(meta, idempotency_key=f"{reaction.idempotency_key}:role"))
        except RuleViolation as exc:
            log.warning("invitation accepted but the membership was kept", invitation_id=str(e.invitation_id),
                        reason=exc.message)
    await handle(reaction.store, users.user, e.user_id, users.ProgressOnboarding(
        user_id=e.user_id, status="completed", step=4, by=meta.actor, at=e.at),
        replace(meta, idempotency_key=f"{reaction.idempotency_key}:onboarding"))


invitations = Reactor("invitations", [InvitationAccepted], _on_accepted)
