"""Notices about referrals and company platform invitations: the recruiter whose referral code a user registered
with (`recruiter_code.used` → "referral redeemed", domain §6), and the address a recruiter invited to bring its
company to the platform (by email: it has no account yet)."""

from __future__ import annotations

from commands.ats.sourcer import DEFAULT_PROTECTION_WINDOW_DAYS
from commands.identity import user as users
from commands.network.company_invitation_events import CompanyPlatformInvitationCreated
from commands.network.recruiter_code_events import RecruiterCodeRedeemed
from consumers.notifications.people import RECRUITER, Notice, Person, Planner, Reads, find_recruiter
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for


async def _redeemed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCodeRedeemed = reaction.event
    recruiter = await find_recruiter(db, e.recruiter_id)
    if recruiter is None:
        return []
    # Read from the user's stream: the referral is recorded just before the registration it belongs to.
    account, _, _ = await load(reaction.store, users.user, stream_id_for(users.user, e.user_id))
    return [Notice(recruiter, "referral_redeemed", "engagement",
                   {"user_name": account.name or "A new user", "code": e.code,
                    "protection_days": DEFAULT_PROTECTION_WINDOW_DAYS},
                   f"{portal}/referral-codes", RECRUITER)]


async def _invited(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: CompanyPlatformInvitationCreated = reaction.event
    recruiter = await find_recruiter(db, e.recruiter_id)
    assert reaction.context is not None and reaction.context.tokens is not None
    token = reaction.context.tokens.invitation_token(e.invitation_id)
    return [Notice(Person(email=e.invited_email), "company_platform_invitation", "invitations",
                   {"recruiter_name": recruiter.name if recruiter and recruiter.name else "A recruiter",
                    "company_name": e.company_name_hint or "your company", "invite_code": e.invite_code,
                    "message": e.personal_message, "expires_on": e.expires_at.date().isoformat()},
                   f"{portal}/company-invitations/{token}", "invitee")]


PLANNERS: dict[type, Planner] = {
    RecruiterCodeRedeemed: _redeemed,
    CompanyPlatformInvitationCreated: _invited,
}
