"""Candidate accounts: a user who signs up through the candidate app gets a candidate record (the one a
recruiter already made for their email, if any, else a new one), and a user
linked to a candidate record (their own, or a recruiter-managed one they consented to) holds the
`candidate` role for it, which is how the access context finds their candidate id.

The candidate id of a self-registered user is derived from the user id, so a redelivered registration
meets the same stream; every command is keyed by the event it answers.
"""

from __future__ import annotations

from dataclasses import replace
from uuid import NAMESPACE_URL, UUID, uuid5

from commands.ats import candidate as candidates
from commands.ats.candidate_events import CandidateCreated, CandidateUserLinked
from commands.core import Conflict
from commands.identity import user as users
from commands.identity.events import UserRegistered
from consumers.reactor import Reaction, Reactor
from eventstore import handle


def candidate_id_for(user_id: UUID) -> UUID:
    """The candidate record of a user who signed up as a candidate."""
    return uuid5(NAMESPACE_URL, f"splits:candidate-of:{user_id}")


async def _recruiter_managed_record(reaction: Reaction, email: str) -> UUID | None:
    """A candidate record a recruiter made for this email and nobody has claimed yet, oldest first."""
    async with reaction.store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT id FROM ats.candidates WHERE lower(email) = lower(%s) AND user_id IS NULL AND archived_at IS NULL"
            " ORDER BY created_at, id LIMIT 1", (email,))
        row = await cur.fetchone()
    return row[0] if row else None


async def _on_registered(reaction: Reaction) -> None:
    e: UserRegistered = reaction.event
    if e.source != "candidate":
        return
    # Invited by a recruiter before signing up: the record the recruiter made becomes theirs.
    existing = await _recruiter_managed_record(reaction, e.email)
    if existing is not None:
        link = candidates.LinkCandidateUser(candidate_id=existing, user_id=e.user_id, by=reaction.metadata().actor, at=e.at)
        await handle(reaction.store, candidates.candidate, existing, link, reaction.metadata())
        return
    candidate_id = candidate_id_for(e.user_id)
    command = candidates.CreateCandidate(
        candidate_id=candidate_id, user_id=e.user_id, full_name=e.name or e.email.split("@")[0], email=e.email,
        by=reaction.metadata().actor, at=e.at,
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
    elif isinstance(e, CandidateCreated | CandidateUserLinked) and e.user_id is not None:
        await _grant(reaction, e.user_id, e.candidate_id)


candidate_accounts = Reactor("candidate-accounts", [UserRegistered, CandidateCreated, CandidateUserLinked], _react)
