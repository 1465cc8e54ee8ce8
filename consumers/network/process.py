"""The network context's process managers.

* A new recruiter's user is granted the `recruiter` role, naming the recruiter (domain §3.3).
* A candidate who consents while signed in claims the candidate record their recruiter made for them
  (a recruiter-managed record, without an account): the record is linked to their user.

The consent route accepts a consent only from the candidate: the record's account, or a user with no
candidate record of their own whose email, verified by Clerk, is the record's. The link repeats that
rule on what the streams hold, so a consent recorded before the route checked it (one candidate
consenting to another person's invitation) never hands them the other person's record: it is logged as
not the candidate's and left unlinked.

Each step is a command keyed by the reaction, so a redelivered event changes nothing. A step the
target refuses (the user was deleted; the record is already someone else's, or archived) is logged
and left: retrying cannot change the answer.
"""

from __future__ import annotations

from dataclasses import replace

import structlog

from commands.ats import candidate as candidates
from commands.core import DomainError
from commands.identity import user as users
from commands.network.events import RecruiterCandidateConsentGiven, RecruiterCreated
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import handle, load, stream_id_for

log = structlog.get_logger(__name__)


async def on_recruiter_created(reaction: Reaction) -> None:
    e: RecruiterCreated = reaction.event
    meta = reaction.metadata()
    command = users.GrantRole(user_id=e.user_id, role="recruiter", role_entity_id=e.recruiter_id, by=meta.actor,
                              at=e.at)
    try:
        await handle(reaction.store, users.user, e.user_id, command,
                     replace(meta, idempotency_key=f"{reaction.idempotency_key}:role"))
    except DomainError as exc:
        log.warning("recruiter created but its user was not given the recruiter role",
                    recruiter_id=str(e.recruiter_id), user_id=str(e.user_id), reason=exc.message)


async def on_consent_given(reaction: Reaction) -> None:
    e: RecruiterCandidateConsentGiven = reaction.event
    if e.user_id is None:
        return
    record, _, _ = await load(reaction.store, candidates.candidate, stream_id_for(candidates.candidate, e.candidate_id))
    if not record.recruiter_managed:
        if record.user_id != e.user_id:
            log.info("consent given; the candidate record is not recruiter-managed, so it was not linked",
                     candidate_id=str(e.candidate_id), user_id=str(e.user_id), exists=record.exists)
        return
    user, _, _ = await load(reaction.store, users.user, stream_id_for(users.user, e.user_id))
    own = {entity for role, entity in user.roles if role == "candidate" and entity is not None}
    invited = (user.email_verified and user.email is not None
               and user.email.casefold() == record.email.casefold())
    if own - {e.candidate_id} or not invited:
        log.error("consent recorded from a user who is not the candidate (another candidate's account, or not "
                  "the verified owner of the invited email); the record was not linked",
                  candidate_id=str(e.candidate_id), user_id=str(e.user_id), relationship_id=str(e.relationship_id),
                  has_another_record=bool(own - {e.candidate_id}), email_verified=user.email_verified)
        return
    meta = reaction.metadata()
    command = candidates.LinkCandidateUser(candidate_id=e.candidate_id, user_id=e.user_id, by=meta.actor, at=e.at)
    try:
        await handle(reaction.store, candidates.candidate, e.candidate_id, command,
                     replace(meta, idempotency_key=f"{reaction.idempotency_key}:link"))
    except DomainError as exc:
        log.warning("consent given but the candidate record could not be linked to the user",
                    candidate_id=str(e.candidate_id), user_id=str(e.user_id), reason=exc.message)


recruiter_roles = Reactor("recruiter-roles", [RecruiterCreated], on_recruiter_created)
candidate_consents = Reactor("candidate-consents", [RecruiterCandidateConsentGiven], on_consent_given)
