"""A referral sources what the referred user brings (domain §3.2 CandidateSourcer "created only from a referral
signup", §5.2, §6 `candidate.sourced`): the recruiter whose code a user registered with
(`RecruiterCodeRedeemed`) becomes the sourcer of that user's candidate record, or of the company their
organization runs, with the usual 365-day protection from the registration.

Both sides are recorded on their own streams, in either order, so the process reacts to each:
- the referral: the user's candidate record, if they have one already (the one derived from their account, read
  from its stream; else the one the read model links to them);
- a candidate record made for or linked to a user: that user's referral, read from its stream;
- a company made: the referral of its organization's first organization-wide company admin (who made it).

The first sourcer wins (commands/ats/sourcer.py): a subject someone else sourced first keeps its sourcer, and the
refusal is the expected outcome here, not an error. A company made from a company platform invitation was
claimed for the inviting recruiter before it was made (api/network/company_invitations.py), so a referral code
never takes it. Each command is keyed by the event it answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from commands.ats import sourcer as sourcers
from commands.ats.candidate import candidate_id_for
from commands.ats import candidate as candidates
from commands.ats.candidate_events import CandidateCreated, CandidateUserLinked
from commands.ats.events import CompanyCreated
from commands.identity import organization as orgs
from commands.network import referral as referrals
from commands.network.recruiter_code_events import RecruiterCodeRedeemed
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import handle, load, stream_id_for
from projections.ats.candidate_queries import candidate_of_user

log = structlog.get_logger(__name__)
SOURCE_METHOD = "referral_code"


async def _referral(reaction: Reaction, user_id: UUID) -> referrals.Referral:
    state, _, _ = await load(reaction.store, referrals.referral, stream_id_for(referrals.referral, user_id))
    return state


async def _candidate_of(reaction: Reaction, user_id: UUID) -> UUID | None:
    own = candidate_id_for(user_id)
    record, _, _ = await load(reaction.store, candidates.candidate, stream_id_for(candidates.candidate, own))
    if record.exists and record.user_id == user_id:
        return own
    async with reaction.store.pool.connection() as conn:
        row = await candidate_of_user(conn, user_id)
    return row["id"] if row else None


def _terms(reaction: Reaction, referral: referrals.Referral, at: datetime) -> dict[str, Any]:
    """The referral's recruiter as sourcer, protected from the registration (never after the claim itself)."""
    assert referral.redeemed_at is not None and referral.recruiter_id is not None
    return {"sourcer_recruiter_id": referral.recruiter_id, "source_method": SOURCE_METHOD,
            "sourced_at": min(referral.redeemed_at, at), "by": reaction.metadata().actor, "at": at}


async def _claim(reaction: Reaction, decider: Any, subject_id: UUID, command: sourcers.ClaimCandidateSourcer
                 | sourcers.ClaimCompanySourcer) -> None:
    try:
        await handle(reaction.store, decider, subject_id, command, reaction.metadata())
    except sourcers.SourcerAlreadySet as refused:
        log.info("referral not credited: sourced first by someone else", subject_id=str(subject_id),
                 referred_by=str(command.sourcer_recruiter_id), sourcer=str(refused.sourcer_recruiter_id))


async def _claim_candidate(reaction: Reaction, candidate_id: UUID, referral: referrals.Referral,
                           at: datetime) -> None:
    await _claim(reaction, sourcers.candidate_sourcer, candidate_id,
                 sourcers.ClaimCandidateSourcer(candidate_id=candidate_id, **_terms(reaction, referral, at)))


async def _on_redeemed(reaction: Reaction) -> None:
    e: RecruiterCodeRedeemed = reaction.event
    candidate_id = await _candidate_of(reaction, e.user_id)
    if candidate_id is not None:
        await _claim_candidate(reaction, candidate_id, await _referral(reaction, e.user_id), e.at)


async def _on_candidate(reaction: Reaction) -> None:
    e: CandidateCreated | CandidateUserLinked = reaction.event
    assert e.user_id is not None
    referral = await _referral(reaction, e.user_id)
    if referral.exists:
        await _claim_candidate(reaction, e.candidate_id, referral, e.at)


async def _on_company(reaction: Reaction) -> None:
    e: CompanyCreated = reaction.event
    organization, _, _ = await load(reaction.store, orgs.organization,
                                    stream_id_for(orgs.organization, e.identity_organization_id))
    maker = next((user for (user, scope), role in organization.members.items()
                  if scope is None and role == "company_admin"), None)
    if maker is None:
        return
    referral = await _referral(reaction, maker)
    if referral.exists:
        await _claim(reaction, sourcers.company_sourcer, e.company_id,
                     sourcers.ClaimCompanySourcer(company_id=e.company_id, **_terms(reaction, referral, e.at)))


async def _react(reaction: Reaction) -> None:
    e = reaction.event
    if isinstance(e, RecruiterCodeRedeemed):
        await _on_redeemed(reaction)
    elif isinstance(e, CandidateCreated | CandidateUserLinked) and e.user_id is not None:
        await _on_candidate(reaction)
    elif isinstance(e, CompanyCreated):
        await _on_company(reaction)


referral_sourcing = Reactor("referral-sourcing", [RecruiterCodeRedeemed, CandidateCreated, CandidateUserLinked,
                                                  CompanyCreated], _react)
