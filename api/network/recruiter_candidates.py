"""Recruiter–candidate routes (domain §7.4): a recruiter invites a candidate to be represented; the
candidate consents or declines with the invitation's token; either side ends it.

The token is HMAC-SHA256(secret, invitation id) (`adapters.tokens`): nothing stores it, and the email
carrying it to the candidate can be rebuilt; only under `splits dev` does the invite response return it.
Consenting needs a signed-in user who is the candidate: the account that owns the record, or the owner of
the invited email as verified by Clerk (a process manager then links a recruiter-managed candidate record
to them). Anyone else holding the token is refused, and the attempt recorded. Declining only needs the
token: it grants nothing.

A relationship is visible to its recruiter, its candidate and platform admins; to anyone else it does
not exist (404). Its candidate is the caller whose access names the candidate (the `candidate` role the
ats context grants the account that owns the record) or who consented to it.
"""

from __future__ import annotations

import hmac
from dataclasses import replace
from datetime import datetime
from math import ceil
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Request

from api.ats.policy import may_see_candidate
from api.auth import VerifiedToken
from api.bounds import NO_NUL, Limit, Page
from api.consistency import read_after
from api.deps import Caller, CommandMetadata, CurrentUser, Db, MaybeUser, Now, Store, SystemDep
from api.identity.users_verified import EmailNotVerified, verified_email
from api.network.common import (
    FreshNetwork,
    TokenSecret,
    known,
    my_recruiter_id,
    new_id,
    own_recruiter,
)
from api.network.endings import CandidateTerminationImpact, TerminateCandidateBody, affected, decided
from api.network.models import (
    CandidateInvitationPreview,
    CandidateInvitationResponse,
    CandidateInvitationSent,
    DeclineCandidateBody,
    InviteCandidateBody,
    Pagination,
    RecruiterCandidateOut,
    RecruiterCandidatePage,
    TokenBody,
)
from adapters.tokens import invitation_token
from api.responses import CommandResponse
from commands.ats import candidate as candidates
from commands.core import Forbidden
from commands.network import recruiter_candidate as rtr
from commands.network.events import ApplicationEndingItem, ConsentRefusal, RecruiterCandidateStatus
from eventstore import CommandResult, EventStore, Metadata, Position, handle, load, stream_id_for
from adapters.system import System
from projections.ats import ending_queries
from projections.identity.access import Access
from projections.network import queries
from projections.network.queries import RecruiterCandidateScope

router = APIRouter(prefix="/recruiter-candidates", tags=["recruiter-candidates"])
# The termination impact reads the ats schema: a caller's own write there is waited for.
FreshAts = Annotated[Position | None, Depends(read_after("ats"))]

Party = Literal["recruiter", "candidate", "admin"]


def _scope(user: Access) -> RecruiterCandidateScope:
    if user.is_platform_admin:
        return RecruiterCandidateScope(everything=True)
    return RecruiterCandidateScope(recruiter_id=my_recruiter_id(user), candidate_id=user.candidate_id,
                                   user_id=user.user_id)


async def _candidate_record(store: EventStore, candidate_id: UUID | None) -> candidates.Candidate:
    if candidate_id is None:
        return candidates.initial_state()
    state, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    return state


def _is_candidate(user: Access, s: rtr.RecruiterCandidate) -> bool:
    """The same rule as `_scope` (what the lists show), for one relationship loaded from its stream."""
    return ((user.candidate_id is not None and user.candidate_id == s.candidate_id)
            or (user.user_id is not None and s.consent_user_id == user.user_id))


async def _relationship(store: EventStore, user: Access, relationship_id: UUID) -> tuple[rtr.RecruiterCandidate, Party]:
    """The relationship and the caller's part in it; 404 for anyone who is not a party (nor an admin)."""
    s, _, _ = await load(store, rtr.recruiter_candidate, stream_id_for(rtr.recruiter_candidate, relationship_id))
    if s.exists:
        if s.recruiter_id == my_recruiter_id(user):
            return s, "recruiter"
        if _is_candidate(user, s):
            return s, "candidate"
        if user.is_platform_admin:
            return s, "admin"
    raise HTTPException(404, f"relationship {relationship_id} not found")


def _recruiter_only(party: Party, s: rtr.RecruiterCandidate, action: str) -> None:
    if party != "recruiter":
        raise Forbidden(f"only the recruiter can {action} this invitation", relationship_id=str(s.id))


def _invitation_answer(request: Request, result: CommandResult, relationship_id: UUID, invitation_id: UUID,
                       token: str) -> CandidateInvitationResponse:
    """The token goes to the candidate only, by email; under `splits dev` (no email leaves the machine) the
    recruiter's answer carries it too, so a newcomer can play both parts."""
    development = request.app.state.system.settings.environment == "development"
    return CandidateInvitationResponse.with_data(relationship_id, result, CandidateInvitationSent(
        invitation_id=invitation_id, invitation_token=token if development else None))


@router.post("", status_code=201, responses={401: {}, 403: {}, 404: {}, 409: {}})
async def invite(body: InviteCandidateBody, request: Request, user: CurrentUser, store: Store, secret: TokenSecret,
                 meta: CommandMetadata, now: Now) -> CandidateInvitationResponse:
    """The caller's (active) recruiter invites the candidate; valid 7 days."""
    recruiter = await own_recruiter(store, user, active=True)
    candidate = await _candidate_record(store, body.candidate_id)
    if not candidate.exists or candidate.archived or not may_see_candidate(user, candidate, as_recruiter=True):
        raise HTTPException(404, f"candidate {body.candidate_id} not found")
    assert recruiter.id is not None
    invitation_id = new_id(meta, "recruiter-candidate-invitation")
    token = invitation_token(secret, invitation_id)
    command = rtr.InviteCandidate(recruiter_id=recruiter.id, candidate_id=body.candidate_id,
                                  invitation_id=invitation_id, token=token, by=meta.actor, at=now)
    result = await handle(store, rtr.recruiter_candidate, command.relationship_id, command, meta)
    return _invitation_answer(request, result, command.relationship_id, invitation_id, token)


@router.get("", response_model=RecruiterCandidatePage, responses={401: {}})
async def list_relationships(
    _: FreshNetwork,
    user: CurrentUser,
    db: Db,
    now: Now,
    status: RecruiterCandidateStatus | None = None,
    page: Page = 1,
    limit: Limit = 25,
) -> RecruiterCandidatePage:
    """Recruiters see their own relationships, candidates theirs, platform admins all."""
    rows, total = await queries.list_recruiter_candidates(db, _scope(user), status, page, limit, now)
    return RecruiterCandidatePage(data=[RecruiterCandidateOut(**r) for r in rows],
                                  pagination=Pagination(total=total, page=page, limit=limit,
                                                        total_pages=ceil(total / limit) if total else 0))


@router.get("/invitations/{token}", responses={404: {}})
async def preview_invitation(token: Annotated[str, Path(min_length=32, max_length=256, pattern=NO_NUL)], _: FreshNetwork,
                             db: Db, now: Now) -> dict[str, CandidateInvitationPreview]:
    """Public: what the holder of an invitation link sees (looked up by the token's digest)."""
    row = await queries.candidate_invitation_by_digest(db, rtr.token_digest(token), now)
    if row is None:
        raise HTTPException(404, "no invitation has this token")
    return {"data": CandidateInvitationPreview(**row)}


@router.get("/{relationship_id}", responses={401: {}, 404: {}})
async def get_relationship(relationship_id: UUID, _: FreshNetwork, user: CurrentUser,
                           db: Db, now: Now) -> dict[str, RecruiterCandidateOut]:
    row = await queries.get_recruiter_candidate(db, relationship_id, _scope(user), now)
    if row is None:
        raise HTTPException(404, f"relationship {relationship_id} not found")
    return {"data": RecruiterCandidateOut(**row)}


@router.post("/{relationship_id}/resend", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def resend(relationship_id: UUID, request: Request, user: CurrentUser, store: Store, secret: TokenSecret,
                 meta: CommandMetadata, now: Now) -> CandidateInvitationResponse:
    """A new token (valid 7 days) replaces the previous one, which stops working."""
    s, party = await _relationship(store, user, relationship_id)
    _recruiter_only(party, s, "resend")
    assert s.recruiter_id is not None
    invitation_id = new_id(meta, f"recruiter-candidate-invitation:{relationship_id}")
    token = invitation_token(secret, invitation_id)
    command = rtr.ResendCandidateInvitation(relationship_id=relationship_id, by_recruiter_id=s.recruiter_id,
                                            invitation_id=invitation_id, token=token, by=meta.actor, at=now)
    result = await handle(store, rtr.recruiter_candidate, relationship_id, command, meta)
    return _invitation_answer(request, result, relationship_id, invitation_id, token)


@router.post("/{relationship_id}/cancel", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def cancel(relationship_id: UUID, user: CurrentUser, store: Store, meta: CommandMetadata,
                 now: Now) -> CommandResponse:
    s, party = await _relationship(store, user, relationship_id)
    _recruiter_only(party, s, "cancel")
    assert s.recruiter_id is not None
    command = rtr.CancelCandidateInvitation(relationship_id=relationship_id, by_recruiter_id=s.recruiter_id,
                                            by=meta.actor, at=now)
    return CommandResponse.of(relationship_id, await handle(store, rtr.recruiter_candidate, relationship_id, command, meta))


async def _held(store: EventStore, user: Access | None, relationship_id: UUID, token: str) -> rtr.RecruiterCandidate:
    """The relationship whose current token this is: the token is the candidate's proof, checked first. A wrong
    token is a 404 for whoever may not see the relationship otherwise (it exists for them only through its
    token), and a 403 for its parties."""
    s, _, _ = await load(store, rtr.recruiter_candidate, stream_id_for(rtr.recruiter_candidate, relationship_id))
    if not s.exists:
        raise HTTPException(404, f"relationship {relationship_id} not found")
    if not hmac.compare_digest(rtr.token_digest(token), s.token_digest):
        if user is None or not (user.is_platform_admin or s.recruiter_id == my_recruiter_id(user)
                                or _is_candidate(user, s)):
            raise HTTPException(404, f"relationship {relationship_id} not found")
        raise rtr.CandidateInvitationTokenMismatch(s.id)
    return s


class ConsentNotFromCandidate(Forbidden):
    code = "consent_not_from_candidate"


_REFUSED: dict[ConsentRefusal, str] = {
    "record_has_another_account": "this candidate belongs to another account: sign in as that account to answer",
    "consenter_has_another_record": "your account is another candidate's: only the invited candidate can consent",
    "email_mismatch": "this invitation was sent to another email address: only the invited candidate can consent",
    "email_unverified": "your email address is not verified: verify it in your account, then answer",
}


async def _refusal(store: EventStore, system: System, caller: VerifiedToken, user: Access, user_id: UUID,
                   candidate_id: UUID | None, meta: Metadata, now: datetime) -> ConsentRefusal | None:
    """Why the caller is not the candidate, or None when they are: the account that owns the record, or,
    for a record nobody owns yet, a user with no candidate record of their own whose email, verified by
    Clerk, is the one the recruiter invited."""
    record = await _candidate_record(store, candidate_id)
    if record.user_id is not None:
        return None if record.user_id == user_id else "record_has_another_account"
    if user.candidate_id is not None and user.candidate_id != candidate_id:
        return "consenter_has_another_record"
    try:
        email = await verified_email(store, system.settings, caller, user_id, meta, now)
    except EmailNotVerified:
        return "email_unverified"
    return None if email.casefold() == record.email.casefold() else "email_mismatch"


@router.post("/{relationship_id}/consent", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def consent(relationship_id: UUID, body: TokenBody, request: Request, user: CurrentUser, caller: Caller,
                  system: SystemDep, store: Store, meta: CommandMetadata, now: Now) -> CommandResponse:
    """The candidate, signed in, consents with the token: active from now for one year.

    The token proves the link was received, not who received it: a consent from anyone but the candidate
    (`_refusal`) is recorded as refused and answered 403 `consent_not_from_candidate`."""
    user_id = known(user)
    s = await _held(store, user, relationship_id, body.token)
    if s.recruiter_id == my_recruiter_id(user):
        raise Forbidden("a recruiter cannot consent on their candidate's behalf", relationship_id=str(relationship_id))
    ip_address = request.client.host if request.client else None
    user_agent = request.headers.get("user-agent")
    if (reason := await _refusal(store, system, caller, user, user_id, s.candidate_id, meta, now)) is not None:
        refused = rtr.RefuseConsent(relationship_id=relationship_id, token=body.token, user_id=user_id, reason=reason,
                                    ip_address=ip_address, user_agent=user_agent, by=meta.actor, at=now)
        key = None if meta.idempotency_key is None else f"{meta.idempotency_key}:refused"
        await handle(store, rtr.recruiter_candidate, relationship_id, refused, replace(meta, idempotency_key=key))
        raise ConsentNotFromCandidate(_REFUSED[reason], relationship_id=str(relationship_id), reason=reason)
    command = rtr.GiveConsent(relationship_id=relationship_id, token=body.token, user_id=user_id,
                              ip_address=ip_address, user_agent=user_agent, by=meta.actor, at=now)
    return CommandResponse.of(relationship_id, await handle(store, rtr.recruiter_candidate, relationship_id, command, meta))


@router.post("/{relationship_id}/decline", responses={403: {}, 404: {}, 422: {}})
async def decline(relationship_id: UUID, body: DeclineCandidateBody, store: Store, user: MaybeUser,
                  meta: CommandMetadata, now: Now) -> CommandResponse:
    """The holder of the token declines, signed in or not: declining grants nothing."""
    await _held(store, user, relationship_id, body.token)
    command = rtr.DeclineConsent(relationship_id=relationship_id, token=body.token, reason=body.reason,
                                 by=meta.actor, at=now)
    return CommandResponse.of(relationship_id, await handle(store, rtr.recruiter_candidate, relationship_id, command, meta))


async def _covered(store: EventStore, s: rtr.RecruiterCandidate) -> list[dict]:
    assert s.recruiter_id is not None and s.candidate_id is not None
    return await affected(store, ending_queries.applications_covered, s.recruiter_id, s.candidate_id)


@router.get("/{relationship_id}/termination-impact", responses={401: {}, 404: {}, 422: {}})
async def termination_impact(relationship_id: UUID, _: FreshAts, user: CurrentUser,
                             store: Store) -> dict[str, CandidateTerminationImpact]:
    """The open applications the recruiter made for the candidate, which ending the relationship decides on
    (keep or withdraw; api/network/endings.py). Seen by whoever sees the relationship."""
    s, _party = await _relationship(store, user, relationship_id)
    return {"data": CandidateTerminationImpact(relationship_id=relationship_id, applications=await _covered(store, s))}


@router.post("/{relationship_id}/terminate", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def terminate(relationship_id: UUID, body: TerminateCandidateBody, user: CurrentUser, store: Store,
                    meta: CommandMetadata, now: Now) -> CommandResponse:
    """Either party ends an active relationship, deciding for each open application it covers: keep (the
    default) or withdraw. A process then withdraws those to withdraw."""
    s, party = await _relationship(store, user, relationship_id)
    if party == "admin":
        raise Forbidden("only the recruiter or the candidate can end this relationship", relationship_id=str(s.id))
    party_id = s.recruiter_id if party == "recruiter" else s.candidate_id
    assert party_id is not None
    decisions = []
    if s.status != "terminated":  # a retried termination records nothing, whatever the process did since
        covered = [row["application_id"] for row in await _covered(store, s)]
        decisions = [ApplicationEndingItem(application_id=application_id, decision=decision)
                     for application_id, decision in decided(covered, body.applications, "application")]
    command = rtr.TerminateRecruiterCandidate(relationship_id=relationship_id, side=party, party_id=party_id,
                                              reason=body.reason, applications=decisions, by=meta.actor, at=now)
    return CommandResponse.of(relationship_id, await handle(store, rtr.recruiter_candidate, relationship_id, command, meta))
