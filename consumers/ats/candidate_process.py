"""Candidate accounts: a user who signs up through the candidate app gets a candidate record (the one a
recruiter already made for their email, if any, else a new one), and a user
linked to a candidate record (their own, or a recruiter-managed one they consented to) holds the
`candidate` role for it, which is how the access context finds their candidate id.

The sign-up step waits for Clerk to have verified the user's primary email: an address anyone can type
into a Clerk account must not hand them the record a recruiter made for its owner (nor make a record in
that owner's name). It runs at the registration when the address is verified then, else at the profile
update that records its verification.

The candidate id of a self-registered user is derived from the user id, so a redelivered registration
meets the same stream; every command is keyed by the event it answers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from commands.ats import candidate as candidates
from commands.ats.candidate_events import CandidateCreated, CandidateUserLinked
from commands.core import Conflict
from commands.identity import user as users
from commands.identity.events import UserProfileUpdated, UserRegistered
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import handle, load, stream_id_for
from commands.ats.candidate import candidate_id_for
from projections.ats.candidate_queries import candidate_of_user, recruiter_managed_with_email




async def _recruiter_managed_record(reaction: Reaction, email: str) -> UUID | None:
    """A candidate record a recruiter made for this email and nobody has claimed yet, oldest first."""
    async with reaction.store.pool.connection() as conn:
        row = await recruiter_managed_with_email(conn, email)
    return row["id"] if row else None


async def _has_record(reaction: Reaction, user_id: UUID) -> bool:
    async with reaction.store.pool.connection() as conn:
        return await candidate_of_user(conn, user_id) is not None


async def _on_verified(reaction: Reaction) -> None:
    """A candidate-app user's email was just verified: the sign-up step, unless they have a record by now."""
    e: UserProfileUpdated = reaction.event
    account, _, _ = await load(reaction.store, users.user, stream_id_for(users.user, e.user_id))
    if account.deleted or account.email is None or not account.email_verified or account.id is None:
        return  # a later change withdrew it again; the update that verifies it next will come here
    if account.source != "candidate" or await _has_record(reaction, e.user_id):
        return
    await _sign_up(reaction, e.user_id, account.email, account.name, e.at)


async def _on_registered(reaction: Reaction) -> None:
    e: UserRegistered = reaction.event
    if e.source != "candidate" or not e.email_verified:
        return
    await _sign_up(reaction, e.user_id, e.email, e.name, e.at)


async def _sign_up(reaction: Reaction, user_id: UUID, email: str, name: str | None, at: datetime) -> None:
    # Invited by a recruiter before signing up: the record the recruiter made becomes theirs.
    existing = await _recruiter_managed_record(reaction, email)
    if existing is not None:
        link = candidates.LinkCandidateUser(candidate_id=existing, user_id=user_id, by=reaction.metadata().actor, at=at)
        await handle(reaction.store, candidates.candidate, existing, link, reaction.metadata())
        return
    candidate_id = candidate_id_for(user_id)
    command = candidates.CreateCandidate(
        candidate_id=candidate_id, user_id=user_id, full_name=name or email.split("@")[0], email=email,
        by=reaction.metadata().actor, at=at,
    )
    try:
        await handle(reaction.store, candidates.candidate, candidate_id, command, reaction.metadata())
    except Conflict:
        pass  # created before (a redelivery after the key's first run answered): nothing to do


async def _grant(reaction: Reaction, user_id: UUID, candidate_id: UUID) -> None:
    meta = replace(reaction.metadata(), idempotency_key=f"{reaction.idempotency_key}:role")
    grant = users.GrantRole(user_id=user_id, role="candidate", role_entity_id=candidate_id, by=meta.actor,
                            at=reaction.event.at)
    await handle(reaction.store, users.user, user_id, grant, meta)


async def _react(reaction: Reaction) -> None:
    e = reaction.event
    if isinstance(e, UserRegistered):
        await _on_registered(reaction)
    elif isinstance(e, UserProfileUpdated) and e.email_verified:
        await _on_verified(reaction)
    elif isinstance(e, CandidateCreated | CandidateUserLinked) and e.user_id is not None:
        await _grant(reaction, e.user_id, e.candidate_id)


candidate_accounts = Reactor("candidate-accounts", [UserRegistered, UserProfileUpdated, CandidateCreated,
                                                    CandidateUserLinked], _react)
