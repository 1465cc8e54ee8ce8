"""The notifications reactor (domain §10): for each event that concerns people, who is told, with what
template, and through which channel.

Who (the matrix of §10, stage by stage):
- an application moves: the candidate, their recruiter(s) and the company's admins, as the stage warrants
  (`_STAGE_AUDIENCES`): company admins only once the application has reached the company;
- a proposal: the candidate; a representation invitation: the candidate (by email even before they have an
  account); consent given: the recruiter; organization and firm invitations: the invited address;
- a placement: the company's admins, the credited recruiters and the candidate; an invoice paid: the
  company's admins; a payout sent, or waiting for a Connect account: the recruiter it is for; an AI review's
  result: the candidate and their recruiter (the move to `ai_reviewed` itself is not announced); a fraud
  signal: every platform admin; a reputation tier change: the recruiter, or the company's admins.

Gates, in order: a recruiter whose plan lacks `email_notifications` gets the in-app notification only (other
people are not on plans: their emails are transactional); then each person's preference for the category
(email and in-app separately; on by default). People without an account get email only.

Once per (event, recipient, template): the notification's id is derived from the three, its stream records
the in-app notification and the email once each, and the email carries the same triple as its Resend
idempotency key. A Resend failure that may pass (5xx, rate limit, network) raises, so the runtime retries
the event with backoff and, in the end, dead-letters it; what was already recorded is not done again. A
refusal records `EmailFailed` and the other recipients are still told.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import structlog
from psycopg_pool import AsyncConnectionPool

from commands.ai.events import AIReviewCompleted
from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.ats.application_events import STAGE_EVENTS, ApplicationProposed
from commands.ats.placement_events import PlacementCreated
from commands.automation.fraud_events import FraudSignalRaised
from commands.automation.reputation_events import CompanyTierChanged, RecruiterTierChanged
from commands.billing.placement_events import InvoicePaid, PayoutConnectRequired, PayoutTransferred
from commands.identity.events import InvitationCreated
from commands.network.events import FirmInvitationCreated, RecruiterCandidateConsentGiven, RecruiterCandidateInvited
from commands.notifications import notification as notifications
from commands.notifications import preferences as prefs
from commands.notifications.events import Category
from consumers.notifications.templates import STAGE_LABELS, money, render
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import EventStore, Metadata, handle, load, stream_id_for
from adapters.mail import Email, MailRefused
from projections.ats.application_queries import placement_company
from projections.ats.company_queries import company_admin_contacts
from projections.billing.entitlement_queries import entitlements_of
from projections.billing.invoice_queries import invoice_company_and_number, transaction_payee
from projections.identity.queries import organization_name, platform_admin_contacts, user_contact
from projections.network.queries import firm_name, recruiter_contact

log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Person:
    email: str
    user_id: UUID | None = None
    name: str | None = None
    is_recruiter: bool = False
    is_candidate: bool = False


@dataclass(frozen=True)
class Notice:
    to: Person
    template: str
    category: Category
    context: dict[str, Any] = field(default_factory=dict)
    action_url: str | None = None
    audience: str = "user"


# --- the read models ---------------------------------------------------------------------------------------

class Reads:
    """Read-model queries for the planners, each on a pool connection held for that query alone.

    A planner also loads streams, and `load` takes a connection of its own: holding one across the whole
    plan held two per handler, and under a backlog every connection was held by a handler waiting for a
    second (the pool starved and the consumers stalled).
    """

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def read(self, query: Callable[..., Awaitable[T]], *args: Any) -> T:
        """`query(conn, *args)`: a query function of the read models' (projections/<ctx>/*queries.py)."""
        async with self._pool.connection() as conn:
            return await query(conn, *args)


# --- the people ----------------------------------------------------------------------------------------------

async def _user(db: Reads, user_id: UUID | None, **kind: bool) -> Person | None:
    if user_id is None:
        return None
    row = await db.read(user_contact, user_id)
    return Person(email=row[0], user_id=user_id, name=row[1], **kind) if row else None


async def _recruiter(db: Reads, recruiter_id: UUID | None) -> Person | None:
    if recruiter_id is None:
        return None
    row = await db.read(recruiter_contact, recruiter_id)
    return Person(email=row[1], user_id=row[0], name=row[2], is_recruiter=True) if row else None


async def _candidate(store: EventStore, db: Reads, candidate_id: UUID | None) -> Person | None:
    if candidate_id is None:
        return None
    c, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    if not c.exists:
        return None
    return Person(email=c.email, user_id=c.user_id, name=c.full_name, is_candidate=True)


async def _company_admins(db: Reads, company_id: UUID | None) -> list[Person]:
    if company_id is None:
        return []
    return [Person(email=r[1], user_id=r[0], name=r[2]) for r in await db.read(company_admin_contacts, company_id)]


# --- what each event asks for ------------------------------------------------------------------------------

_CANDIDATE, _RECRUITER, _COMPANY = "candidate", "recruiter", "company"
_STAGE_AUDIENCES: dict[str, tuple[str, ...]] = {
    "recruiter_request": (_CANDIDATE,),
    "screen": (_CANDIDATE, _RECRUITER),
    "recruiter_review": (_CANDIDATE, _RECRUITER),
    "recruiter_proposed": (_CANDIDATE, _RECRUITER),
    "submitted": (_CANDIDATE, _RECRUITER, _COMPANY),
    **dict.fromkeys(("company_review", "company_feedback", "interview", "offer", "hired", "rejected"),
                    (_CANDIDATE, _RECRUITER, _COMPANY)),
    "withdrawn": (_RECRUITER, _COMPANY),
    "expired": (_CANDIDATE, _RECRUITER),
}
_STAGE_CATEGORY: dict[str, Category] = {"interview": "interviews", "offer": "offers_hires", "hired": "offers_hires"}


async def _application_people(store: EventStore, db: Reads, application_id: UUID
                              ) -> tuple[Any, Any, dict[str, list[Person]]]:
    app, _, _ = await load(store, applications.application, stream_id_for(applications.application, application_id))
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, app.job_id)) if app.exists else (
        jobs.initial_state(), 0, None)
    candidate = await _candidate(store, db, app.candidate_id)
    recruiters = [r for r in [await _recruiter(db, app.candidate_recruiter_id),
                              await _recruiter(db, app.company_recruiter_id)] if r]
    people = {_CANDIDATE: [candidate] if candidate else [], _RECRUITER: recruiters,
              _COMPANY: await _company_admins(db, app.company_id)}
    return app, job, people


async def _stage(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    audiences = _STAGE_AUDIENCES.get(e.to_stage, ())
    if not audiences:
        return []
    app, job, people = await _application_people(reaction.store, db, e.application_id)
    candidate_name = people[_CANDIDATE][0].name if people[_CANDIDATE] else "The candidate"
    context = {"job_title": job.title or "a job", "candidate_name": candidate_name,
               "stage_label": STAGE_LABELS[e.to_stage], "reason": getattr(e, "reason", None)}
    category = _STAGE_CATEGORY.get(e.to_stage, "applications")
    notices = []
    for audience in audiences:
        base = candidate_app if audience == _CANDIDATE else portal
        for person in people[audience]:
            notices.append(Notice(person, "application_stage", category, context | {"audience": audience},
                                  f"{base}/applications/{e.application_id}", audience))
    return notices


async def _proposed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: ApplicationProposed = reaction.event
    candidate = await _candidate(reaction.store, db, e.candidate_id)
    recruiter = await _recruiter(db, e.candidate_recruiter_id)
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, e.job_id))
    if candidate is None:
        return []
    return [Notice(candidate, "application_proposed", "applications",
                   {"job_title": job.title, "recruiter_name": recruiter.name if recruiter else "A recruiter",
                    "pitch": e.pitch}, f"{candidate_app}/applications/{e.application_id}", _CANDIDATE)]


async def _invited(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCandidateInvited = reaction.event
    candidate = await _candidate(reaction.store, db, e.candidate_id)
    recruiter = await _recruiter(db, e.recruiter_id)
    if candidate is None:
        return []
    assert reaction.context is not None and reaction.context.tokens is not None
    token = reaction.context.tokens.invitation_token(e.invitation_id)
    return [Notice(candidate, "candidate_invitation", "invitations",
                   {"recruiter_name": recruiter.name if recruiter else "A recruiter",
                    "expires_on": e.invitation_expires_at.date().isoformat()},
                   f"{candidate_app}/invitations/{token}", _CANDIDATE)]


async def _consented(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCandidateConsentGiven = reaction.event
    recruiter = await _recruiter(db, e.recruiter_id)
    candidate = await _candidate(reaction.store, db, e.candidate_id)
    if recruiter is None:
        return []
    return [Notice(recruiter, "consent_given", "candidates",
                   {"candidate_name": candidate.name if candidate else "A candidate"},
                   f"{portal}/candidates/{e.candidate_id}", _RECRUITER)]


async def _org_invitation(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: InvitationCreated = reaction.event
    name = await db.read(organization_name, e.organization_id)
    return [Notice(Person(email=e.email), "organization_invitation", "invitations",
                   {"organization_name": name if name is not None else "an organization", "role": e.role.replace("_", " "),
                    "expires_on": e.expires_at.date().isoformat()},
                   f"{portal}/invitations/{e.invitation_id}", "invitee")]


async def _firm_invitation(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: FirmInvitationCreated = reaction.event
    name = await db.read(firm_name, e.firm_id)
    return [Notice(Person(email=e.email), "firm_invitation", "invitations",
                   {"firm_name": name if name is not None else "a firm", "role": e.role,
                    "expires_on": e.expires_at.date().isoformat()},
                   f"{portal}/firms/{e.firm_id}/invitations/{e.invitation_id}", "invitee")]


async def _placement(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: PlacementCreated = reaction.event
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, e.job_id))
    candidate = await _candidate(reaction.store, db, e.candidate_id)
    credited = {r for r in (e.candidate_recruiter_id, e.company_recruiter_id, e.job_owner_recruiter_id,
                            e.candidate_sourcer_recruiter_id, e.company_sourcer_recruiter_id) if r}
    context = {"job_title": job.title or "a job", "candidate_name": candidate.name if candidate else "The candidate",
               "start_date": e.start_date.isoformat(), "fee": money(e.fee_cents)}
    url = f"{portal}/placements/{e.placement_id}"
    notices = [Notice(p, "placement_created", "placements", context | {"audience": _COMPANY}, url, _COMPANY)
               for p in await _company_admins(db, e.company_id)]
    for recruiter_id in sorted(credited):
        if person := await _recruiter(db, recruiter_id):
            notices.append(Notice(person, "placement_created", "placements", context | {"audience": _RECRUITER},
                                  url, _RECRUITER))
    if candidate is not None:
        notices.append(Notice(candidate, "placement_created", "placements", context | {"audience": _CANDIDATE},
                              None, _CANDIDATE))
    return notices


async def _invoice_paid(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: InvoicePaid = reaction.event
    row = await db.read(invoice_company_and_number, e.invoice_id)
    company_id = row[0] if row else None
    if company_id is None:
        company_id = await db.read(placement_company, e.placement_id)
    context = {"amount": money(e.amount_paid_cents), "number": (row[1] if row else None) or str(e.invoice_id),
               "placement_id": str(e.placement_id)}
    return [Notice(p, "invoice_paid", "billing", context, f"{portal}/placements/{e.placement_id}", _COMPANY)
            for p in await _company_admins(db, company_id)]


async def _payout(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    if isinstance(e, PayoutConnectRequired):
        if e.payee_kind != "recruiter" or (person := await _recruiter(db, e.payee_id)) is None:
            return []
        return [Notice(person, "connect_required", "billing",
                       {"amount": money(e.amount_cents), "placement_id": str(e.placement_id)},
                       f"{portal}/billing/connect", _RECRUITER)]
    row = await db.read(transaction_payee, e.transaction_id)
    if row is None or row[0] != "recruiter" or (person := await _recruiter(db, row[1])) is None:
        return []
    return [Notice(person, "payout_sent", "billing", {"amount": money(e.amount_cents),
                                                        "placement_id": str(e.placement_id)},
                   f"{portal}/placements/{e.placement_id}", _RECRUITER)]


async def _ai_reviewed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: AIReviewCompleted = reaction.event
    app, job, people = await _application_people(reaction.store, db, e.application_id)
    candidate_name = people[_CANDIDATE][0].name if people[_CANDIDATE] else "The candidate"
    context = {"job_title": job.title or "a job", "candidate_name": candidate_name, "fit_score": e.fit_score,
               "recommendation": e.recommendation.replace("_", " "), "needs_improvement": e.needs_improvement}
    notices = [Notice(p, "ai_review_completed", "applications", context | {"audience": _CANDIDATE},
                      f"{candidate_app}/applications/{e.application_id}", _CANDIDATE) for p in people[_CANDIDATE]]
    recruiter = await _recruiter(db, app.candidate_recruiter_id)
    if recruiter is not None:
        notices.append(Notice(recruiter, "ai_review_completed", "applications", context | {"audience": _RECRUITER},
                              f"{portal}/applications/{e.application_id}", _RECRUITER))
    return notices


async def _fraud_alert(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: FraudSignalRaised = reaction.event
    admins = await db.read(platform_admin_contacts)
    context = {"signal_type": e.signal_type.replace("_", " "), "severity": e.severity,
               "confidence": e.confidence_score, "recruiter_id": str(e.recruiter_id) if e.recruiter_id else "—"}
    return [Notice(Person(email=row[1], user_id=row[0], name=row[2]), "fraud_alert", "security", context,
                   f"{portal}/admin/fraud-signals/{e.signal_id}", "admin") for row in admins]


_TIER_ORDER = ("new", "active", "pro", "elite")


async def _tier_changed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    up = _TIER_ORDER.index(e.to_tier) > _TIER_ORDER.index(e.from_tier)
    context = {"to_tier": e.to_tier, "from_tier": e.from_tier, "score": e.score, "promoted": up}
    if isinstance(e, RecruiterTierChanged):
        person = await _recruiter(db, e.recruiter_id)
        return [Notice(person, "tier_changed", "engagement", context | {"audience": _RECRUITER},
                       f"{portal}/recruiters/{e.recruiter_id}", _RECRUITER)] if person else []
    return [Notice(p, "tier_changed", "engagement", context | {"audience": _COMPANY},
                   f"{portal}/companies/{e.company_id}", _COMPANY) for p in await _company_admins(db, e.company_id)]


_PLANNERS: dict[type, Any] = {
    **dict.fromkeys(STAGE_EVENTS, _stage),
    ApplicationProposed: _proposed,
    RecruiterCandidateInvited: _invited,
    RecruiterCandidateConsentGiven: _consented,
    InvitationCreated: _org_invitation,
    FirmInvitationCreated: _firm_invitation,
    PlacementCreated: _placement,
    InvoicePaid: _invoice_paid,
    PayoutTransferred: _payout,
    PayoutConnectRequired: _payout,
    AIReviewCompleted: _ai_reviewed,
    FraudSignalRaised: _fraud_alert,
    RecruiterTierChanged: _tier_changed,
    CompanyTierChanged: _tier_changed,
}


# --- telling them --------------------------------------------------------------------------------------------

async def _email_allowed(store: EventStore, person: Person, category: str, at: datetime) -> tuple[bool, bool]:
    """(email, in-app) for this person and category: the plan gate, then their preferences."""
    email, in_app = True, person.user_id is not None
    if person.user_id is None:
        return email, in_app
    if person.is_recruiter and not (await entitlements_of(store, person.user_id, at)).allows("email_notifications"):
        email = False
    chosen, _, _ = await load(store, prefs.preferences, stream_id_for(prefs.preferences, person.user_id))
    return email and chosen.email(category), in_app and chosen.in_app(category)


async def _tell(reaction: Reaction, notice: Notice) -> None:
    assert reaction.context is not None and reaction.context.mailer is not None
    store, settings, mailer = reaction.store, reaction.context.settings, reaction.context.mailer
    source, at = reaction.recorded.event_id, reaction.event.at
    recipient = str(notice.to.user_id or notice.to.email.lower())
    notification_id = notifications.notification_id_for(source, recipient, notice.template)
    state, _, _ = await load(store, notifications.notification, stream_id_for(notifications.notification,
                                                                               notification_id))
    email_ok, in_app_ok = await _email_allowed(store, notice.to, notice.category, at)
    rendered = render(notice.template, notice.context | {"action_url": notice.action_url})
    meta = Metadata(actor=f"reactor:{reaction.reactor}", correlation_id=reaction.metadata().correlation_id,
                    causation_id=str(source), source="reactor")
    if in_app_ok and not state.in_app and notice.to.user_id is not None:
        await handle(store, notifications.notification, notification_id, notifications.RecordInApp(
            notification_id=notification_id, user_id=notice.to.user_id, category=notice.category,
            template=notice.template, title=rendered.subject, body=rendered.text, action_url=notice.action_url,
            source_event_id=source, at=at), meta)
    if not email_ok or state.email != "none":
        return
    sender = settings.resend_candidate_from_email if notice.to.is_candidate else settings.resend_from_email
    key = f"{source}/{recipient}/{notice.template}"
    try:
        message_id = await mailer.send(Email(sender, notice.to.email, rendered.subject, rendered.html,
                                             rendered.text), key)
    except MailRefused as exc:
        log.warning("email refused", template=notice.template, to=notice.to.email, reason=str(exc))
        await handle(store, notifications.notification, notification_id, notifications.RecordEmailFailed(
            notification_id=notification_id, user_id=notice.to.user_id, recipient_email=notice.to.email,
            template=notice.template, subject=rendered.subject, reason=str(exc), source_event_id=source, at=at), meta)
        return
    await handle(store, notifications.notification, notification_id, notifications.RecordEmailSent(
        notification_id=notification_id, user_id=notice.to.user_id, recipient_email=notice.to.email,
        category=notice.category, template=notice.template, subject=rendered.subject, text=rendered.text,
        html=rendered.html, provider=mailer.provider, provider_message_id=message_id, idempotency_key=key,
        source_event_id=source, at=at), meta)


async def on_event(reaction: Reaction) -> None:
    planner = _PLANNERS.get(type(reaction.event))
    if planner is None:
        return
    assert reaction.context is not None
    settings = reaction.context.settings
    notices = await planner(reaction, Reads(reaction.store.pool), settings.portal_url.rstrip("/"),
                            settings.candidate_app_url.rstrip("/"))
    seen: set[tuple[str, str]] = set()
    for notice in notices:  # one email a person, even when they hold two parts (recruiter and company admin)
        if (notice.to.email.lower(), notice.template) in seen:
            continue
        seen.add((notice.to.email.lower(), notice.template))
        await _tell(reaction, notice)


notifications_reactor = Reactor("notifier", list(_PLANNERS), on_event)
