"""Who may start a conversation with whom, about what, and to whom it goes (domain §2.3 in spirit, §4.6).

Decisions where the domain is silent (the original let anyone message anyone within the initiation cap):
- Both people are judged by what the records say about them, never by the request: the caller's access context,
  and the recipient's, resolved the same way from their user (projections/identity/access.py).
- A conversation about an application: both must be able to read it (its candidate, their recruiter, the
  company's recruiter, the job's owner, the company's users once the company sees it, platform admins).
- About a job or a company: the caller must be able to see it, and so must the other; and one of the two must be
  on its side (the job's company's users, its owning recruiter or its firm's members; the company's users), or the
  two must have a marketplace relationship (below): a recruiter tells their candidate about a job.
- About nothing in particular: the two must already have a marketplace relationship: an active recruiter–candidate
  relationship, an active recruiter–company relationship (recruiter and the company's users), a firm in common, or
  a company in common. Platform admins may start any conversation; nobody starts one with a platform admin
  without such a relationship (they answer in the conversations admins start).
- Routing (§4.6): a company user or a recruiter asking for a candidate who has an active recruiter gets that
  recruiter instead (the most recently consented one), unless they are that recruiter; the rights are judged for
  the candidate they asked for, whom the recruiter represents.
An entity the caller cannot see, or a recipient who does not exist, answers 404; a recipient the rules leave out,
403 `conversation_not_allowed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from api.ats import application_policy as applications_policy
from api.ats import policy as ats_policy
from commands.ats import application as applications
from commands.ats import company as companies
from commands.ats import job as jobs
from commands.conversations.conversation_events import ContextType
from commands.core import Forbidden, NotFound
from commands.network.recruiter import recruiter_id_for
from eventstore import EventStore, load, stream_id_for
from projections.ats.application_queries import recruiter_represents, recruiter_works_with
from projections.identity.access import Access, resolve_access
from projections.identity.queries import get_user
from projections.network.queries import RecruiterCandidateScope, list_recruiter_candidates, recruiter_contact


class ConversationNotAllowed(Forbidden):
    code = "conversation_not_allowed"

    def __init__(self, context_type: ContextType) -> None:
        super().__init__(f"you have no relationship with this person that lets you start a conversation "
                         f"({'about nothing in particular' if context_type == 'none' else 'about this ' + context_type})",
                         context_type=context_type)


@dataclass(frozen=True)
class Recipient:
    """Whom the conversation goes to, and whom the caller asked for when that is someone else (routed)."""

    user_id: UUID
    requested_user_id: UUID | None = None


async def access_of(pool: AsyncConnectionPool, user_id: UUID) -> Access | None:
    """A user's access context, resolved from their user as a request of theirs would be; None if unknown."""
    async with pool.connection() as conn:
        user = await get_user(conn, user_id)
        if user is None or not user.get("clerk_user_id"):
            return None
        return await resolve_access(conn, user["clerk_user_id"])


async def check_may_start(store: EventStore, pool: AsyncConnectionPool, me: Access, them: Access,
                          context_type: ContextType, context_id: UUID | None, now: datetime) -> None:
    """Refuse (404 / 403) a conversation `me` may not start with `them` about the context."""
    match context_type:
        case "application":
            assert context_id is not None
            allowed = await _application(store, me, them, context_id)
        case "job":
            assert context_id is not None
            allowed = await _job(store, me, them, context_id, now) or (
                await _job_seen_by_both(store, me, them, context_id, now) and await _related(pool, me, them, now))
        case "company":
            assert context_id is not None
            allowed = await _company(store, me, them, context_id) or (
                await _company_seen_by_both(store, me, them, context_id) and await _related(pool, me, them, now))
        case _:
            allowed = me.is_platform_admin or await _related(pool, me, them, now)
    if not allowed:
        raise ConversationNotAllowed(context_type)


async def _application(store: EventStore, me: Access, them: Access, application_id: UUID) -> bool:
    app, _, _ = await load(store, applications.application, stream_id_for(applications.application, application_id))
    if not app.exists:
        raise NotFound(f"application {application_id} not found", application_id=str(application_id))
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, app.job_id))
    parties = applications_policy.Parties.of(app, job)
    if not applications_policy.may_see(me, parties):
        raise NotFound(f"application {application_id} not found", application_id=str(application_id))
    return applications_policy.may_see(them, parties)


def _job_side(access: Access, job: jobs.Job) -> bool:
    return ((job.company_id is not None and job.company_id in access.company_ids)
            or (access.recruiter_id is not None and job.job_owner_recruiter_id == access.recruiter_id)
            or (job.source_firm_id is not None and job.source_firm_id in access.firm_ids))


async def _job(store: EventStore, me: Access, them: Access, job_id: UUID, now: datetime) -> bool:
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, job_id))
    if not job.exists or not ats_policy.may_see(me, job, now=now):
        raise NotFound(f"job {job_id} not found", job_id=str(job_id))
    return (_job_side(me, job) or _job_side(them, job)) and (
        them.is_platform_admin or ats_policy.may_see(them, job, now=now) or _job_side(them, job))


async def _job_seen_by_both(store: EventStore, me: Access, them: Access, job_id: UUID, now: datetime) -> bool:
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, job_id))
    return ats_policy.may_see(me, job, now=now) and ats_policy.may_see(them, job, now=now)


async def _company_seen_by_both(store: EventStore, me: Access, them: Access, company_id: UUID) -> bool:
    company, _, _ = await load(store, companies.company, stream_id_for(companies.company, company_id))
    return all(company_id in who.company_ids or ats_policy.may_see_company(who, company) for who in (me, them))


async def _company(store: EventStore, me: Access, them: Access, company_id: UUID) -> bool:
    company, _, _ = await load(store, companies.company, stream_id_for(companies.company, company_id))
    staff_me, staff_them = company_id in me.company_ids, company_id in them.company_ids
    if not (company.exists and (staff_me or me.is_platform_admin or ats_policy.may_see_company(me, company))):
        raise NotFound(f"company {company_id} not found", company_id=str(company_id))
    return (staff_me or staff_them) and (staff_them or them.is_platform_admin
                                         or ats_policy.may_see_company(them, company))


async def _related(pool: AsyncConnectionPool, me: Access, them: Access, now: datetime) -> bool:
    if me.firm_ids & them.firm_ids or me.company_ids & them.company_ids:
        return True
    async with pool.connection() as conn:
        for recruiter, other in ((me, them), (them, me)):
            if recruiter.recruiter_id is None:
                continue
            if other.candidate_id is not None and await recruiter_represents(conn, recruiter.recruiter_id,
                                                                             other.candidate_id, now):
                return True
            for company_id in other.company_ids:
                if await recruiter_works_with(conn, recruiter.recruiter_id, company_id):
                    return True
    return False


async def route(pool: AsyncConnectionPool, me: Access, them: Access, now: datetime) -> Recipient:
    """To whom a conversation `me` asks to start with `them` goes: a represented candidate's recruiter, when a
    company user or a recruiter other than theirs asks (domain §4.6); else `them`."""
    assert them.user_id is not None
    asks_for_candidate = them.candidate_id is not None and not (them.is_recruiter or them.is_company_user)
    if not asks_for_candidate or me.is_platform_admin or not (me.is_company_user or me.is_recruiter):
        return Recipient(them.user_id)
    assert them.candidate_id is not None
    async with pool.connection() as conn:
        rows, _ = await list_recruiter_candidates(conn, RecruiterCandidateScope(candidate_id=them.candidate_id),
                                                  "active", 1, 50, now)
        represented = sorted(rows, key=lambda r: (r["consent_given_at"] is not None, r["consent_given_at"] or now),
                             reverse=True)
        own = {me.recruiter_id, recruiter_id_for(me.user_id) if me.user_id is not None else None} - {None}
        mine = any(r["recruiter_id"] in own for r in represented)
        if not represented or mine:
            return Recipient(them.user_id)
        contact = await recruiter_contact(conn, represented[0]["recruiter_id"])
    if contact is None or contact[0] == me.user_id:
        return Recipient(them.user_id)
    return Recipient(contact[0], requested_user_id=them.user_id)
