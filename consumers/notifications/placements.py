"""Notices about placements and their money: a hire recorded (or, for the company or a credited recruiter whose
first it is, their first placement), a placement's state moving (activated, completed, failed: a notice each),
an invoice paid, a payout sent, failed for good or waiting for the recruiter's Connect account, that account
enabled or disabled, a subscription cancelled. The fee is never in a candidate's notice.

A transfer that failed but will be tried again is not announced (`final` false): only one that needs the
recruiter to act. A firm's payouts and Connect account concern its admins, who are told through the firm's
own pages; these notices go to recruiters."""

from __future__ import annotations

from commands.ats import job as jobs
from commands.ats import placement as placements
from commands.ats.placement_events import PlacementCreated, PlacementStateChanged
from commands.billing.events import ConnectAccountDisabled, ConnectAccountOnboarded, SubscriptionCanceled
from commands.billing.placement_events import (
    InvoicePaid,
    PayoutBankFailed,
    PayoutConnectRequired,
    PayoutTransferFailed,
    PayoutTransferred,
)
from consumers.notifications.people import (
    CANDIDATE, COMPANY, RECRUITER, Notice, Planner, Reads, company_admins, find_candidate, find_recruiter, find_user,
)
from consumers.notifications.templates import money
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for
from projections.ats.application_queries import placement_company
from projections.ats.first_placement_queries import placed_before
from projections.billing.invoice_queries import invoice_company_and_number, transaction_payee


async def _placement(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: PlacementCreated = reaction.event
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, e.job_id))
    candidate = await find_candidate(reaction.store, db, e.candidate_id)
    credited = sorted({r for r in (e.candidate_recruiter_id, e.company_recruiter_id, e.job_owner_recruiter_id,
                                   e.candidate_sourcer_recruiter_id, e.company_sourcer_recruiter_id) if r})
    company_before, recruiters_before = await db.read(placed_before, e.placement_id, e.at, e.company_id, credited)
    told = {"job_title": job.title or "a job", "candidate_name": candidate.name if candidate else "The candidate",
            "start_date": e.start_date.isoformat()}
    context = told | {"fee": money(e.fee_cents)}
    url = f"{portal}/placements/{e.placement_id}"
    company_template = "placement_created" if company_before else "first_placement"
    notices = [Notice(p, company_template, "placements", context | {"audience": COMPANY}, url, COMPANY)
               for p in await company_admins(db, e.company_id)]
    for recruiter_id in credited:
        if person := await find_recruiter(db, recruiter_id):
            template = "placement_created" if recruiter_id in recruiters_before else "first_placement"
            notices.append(Notice(person, template, "placements", context | {"audience": RECRUITER}, url, RECRUITER))
    if candidate is not None:  # no fee: what the company pays the recruiters is not the candidate's to read
        notices.append(Notice(candidate, "placement_created", "placements", told | {"audience": CANDIDATE},
                              None, CANDIDATE))
    return notices


async def _invoice_paid(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: InvoicePaid = reaction.event
    row = await db.read(invoice_company_and_number, e.invoice_id)
    company_id = row[0] if row else None
    if company_id is None:
        company_id = await db.read(placement_company, e.placement_id)
    context = {"amount": money(e.amount_paid_cents), "number": (row[1] if row else None) or str(e.invoice_id),
               "placement_id": str(e.placement_id)}
    return [Notice(p, "invoice_paid", "billing", context, f"{portal}/placements/{e.placement_id}", COMPANY)
            for p in await company_admins(db, company_id)]


async def _payout(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    if isinstance(e, PayoutConnectRequired):
        if e.payee_kind != "recruiter" or (person := await find_recruiter(db, e.payee_id)) is None:
            return []
        return [Notice(person, "connect_required", "billing",
                       {"amount": money(e.amount_cents), "placement_id": str(e.placement_id)},
                       f"{portal}/billing/connect", RECRUITER)]
    row = await db.read(transaction_payee, e.transaction_id)
    if row is None or row[0] != "recruiter" or (person := await find_recruiter(db, row[1])) is None:
        return []
    return [Notice(person, "payout_sent", "billing", {"amount": money(e.amount_cents),
                                                        "placement_id": str(e.placement_id)},
                   f"{portal}/placements/{e.placement_id}", RECRUITER)]


_STATE_TEMPLATES = {"active": "placement_activated", "completed": "placement_completed", "failed": "placement_failed"}


async def _placement_state(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: PlacementStateChanged = reaction.event
    p, _, _ = await load(reaction.store, placements.placement, stream_id_for(placements.placement, e.placement_id))
    template = _STATE_TEMPLATES.get(e.to_state)
    if not p.exists or template is None:
        return []
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, p.job_id))
    candidate = await find_candidate(reaction.store, db, p.candidate_id)
    context = {"job_title": job.title or "a job", "candidate_name": candidate.name if candidate else "The candidate",
               "reason": e.reason, "guarantee_ends_on": p.guarantee_expires_at.date().isoformat()
               if p.guarantee_expires_at else None}
    url = f"{portal}/placements/{e.placement_id}"
    notices = [Notice(person, template, "placements", context | {"audience": COMPANY}, url, COMPANY)
               for person in await company_admins(db, p.company_id)]
    credited = {r for r in (p.candidate_recruiter_id, p.company_recruiter_id, p.job_owner_recruiter_id,
                            p.candidate_sourcer_recruiter_id, p.company_sourcer_recruiter_id) if r}
    for recruiter_id in sorted(credited):
        if person := await find_recruiter(db, recruiter_id):
            notices.append(Notice(person, template, "placements", context | {"audience": RECRUITER}, url, RECRUITER))
    return notices


async def _payout_failed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    if isinstance(e, PayoutTransferFailed) and not e.final:
        return []
    row = await db.read(transaction_payee, e.transaction_id)
    if row is None or row[0] != "recruiter" or (person := await find_recruiter(db, row[1])) is None:
        return []
    return [Notice(person, "payout_failed", "billing", {"placement_id": str(e.placement_id), "reason": e.reason},
                   f"{portal}/billing/connect", RECRUITER)]


async def _connect_account(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    if e.payee_kind != "recruiter" or (person := await find_recruiter(db, e.payee_id)) is None:
        return []
    enabled = isinstance(e, ConnectAccountOnboarded)
    return [Notice(person, "connect_account", "billing",
                   {"enabled": enabled, "reason": None if enabled else e.reason}, f"{portal}/billing/connect",
                   RECRUITER)]


async def _subscription_canceled(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: SubscriptionCanceled = reaction.event
    person = await find_user(db, e.user_id)
    return [Notice(person, "subscription_canceled", "billing",
                   {"ends_on": e.cancel_at.date().isoformat() if e.cancel_at else None},
                   f"{portal}/billing/subscription", "user")] if person else []


PLANNERS: dict[type, Planner] = {
    PlacementCreated: _placement,
    InvoicePaid: _invoice_paid,
    PayoutTransferred: _payout,
    PayoutConnectRequired: _payout,
    PlacementStateChanged: _placement_state,
    PayoutTransferFailed: _payout_failed,
    PayoutBankFailed: _payout_failed,
    ConnectAccountOnboarded: _connect_account,
    ConnectAccountDisabled: _connect_account,
    SubscriptionCanceled: _subscription_canceled,
}
