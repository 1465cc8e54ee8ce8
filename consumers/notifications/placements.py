"""Notices about placements and their money: a hire recorded, an invoice paid, a payout sent or waiting for
the recruiter's Connect account."""

from __future__ import annotations

from commands.ats import job as jobs
from commands.ats.placement_events import PlacementCreated
from commands.billing.placement_events import InvoicePaid, PayoutConnectRequired, PayoutTransferred
from consumers.notifications.people import (
    CANDIDATE, COMPANY, RECRUITER, Notice, Planner, Reads, company_admins, find_candidate, find_recruiter,
)
from consumers.notifications.templates import money
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for
from projections.ats.application_queries import placement_company
from projections.billing.invoice_queries import invoice_company_and_number, transaction_payee


async def _placement(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: PlacementCreated = reaction.event
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, e.job_id))
    candidate = await find_candidate(reaction.store, db, e.candidate_id)
    credited = {r for r in (e.candidate_recruiter_id, e.company_recruiter_id, e.job_owner_recruiter_id,
                            e.candidate_sourcer_recruiter_id, e.company_sourcer_recruiter_id) if r}
    context = {"job_title": job.title or "a job", "candidate_name": candidate.name if candidate else "The candidate",
               "start_date": e.start_date.isoformat(), "fee": money(e.fee_cents)}
    url = f"{portal}/placements/{e.placement_id}"
    notices = [Notice(p, "placement_created", "placements", context | {"audience": COMPANY}, url, COMPANY)
               for p in await company_admins(db, e.company_id)]
    for recruiter_id in sorted(credited):
        if person := await find_recruiter(db, recruiter_id):
            notices.append(Notice(person, "placement_created", "placements", context | {"audience": RECRUITER},
                                  url, RECRUITER))
    if candidate is not None:
        notices.append(Notice(candidate, "placement_created", "placements", context | {"audience": CANDIDATE},
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


PLANNERS: dict[type, Planner] = {
    PlacementCreated: _placement,
    InvoicePaid: _invoice_paid,
    PayoutTransferred: _payout,
    PayoutConnectRequired: _payout,
}
