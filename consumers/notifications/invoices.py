"""Notices to whoever pays: a placement's invoice issued on net terms (Stripe sends it to be paid by its due date;
one charged at once is told when it is paid, `invoice_paid`), and billing set up (the billing email, the Stripe
customer and the default payment method all present, so the owner's jobs may leave draft).

Who: a company's admins, or a firm's owners and admins, and for an invoice the billing profile's billing email
(one email a person: an admin whose address it is gets one)."""

from __future__ import annotations

from uuid import UUID

from commands.billing.events import BillingReadinessChanged
from commands.billing.placement_events import InvoiceIssued
from consumers.notifications.people import COMPANY, Notice, Person, Planner, Reads, company_admins
from consumers.notifications.templates import money
from consumers.runtime.reactor import Reaction
from projections.billing.notice_queries import billing_contact_email
from projections.billing.queries import find_billing_owner_by_customer
from projections.network.queries import firm_members

BILLING = "billing"


async def _payers(db: Reads, owner_kind: str, owner_id: UUID) -> list[tuple[str, Person]]:
    """(audience, person): the company's admins, or the firm's owners and admins."""
    if owner_kind == "company":
        return [(COMPANY, person) for person in await company_admins(db, owner_id)]
    return [("admin", Person(email=r["email"], user_id=r["user_id"], name=r["name"], is_recruiter=True))
            for r in await db.read(firm_members, owner_id) if r["role"] in ("owner", "admin") and r["email"]]


async def _invoice_issued(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: InvoiceIssued = reaction.event
    if e.collection_method != "send_invoice":
        return []
    owner = await db.read(find_billing_owner_by_customer, e.stripe_customer_id)
    if owner is None and e.company_id is not None:
        owner = ("company", e.company_id)
    if owner is None:
        return []
    context = {"number": e.number or str(e.invoice_id), "amount": money(e.amount_due_cents), "fee": money(e.fee_cents),
               "processing_fee": money(e.processing_fee_cents), "terms": e.billing_terms.replace("_", " "),
               "due_on": e.due_date.isoformat() if e.due_date else None, "pay_url": e.hosted_invoice_url,
               "pdf_url": e.invoice_pdf_url}
    url = f"{portal}/placements/{e.placement_id}"
    notices = [Notice(person, "invoice_issued", "billing", context | {"audience": audience}, url, audience)
               for audience, person in await _payers(db, *owner)]
    if email := await db.read(billing_contact_email, *owner):
        notices.append(Notice(Person(email=email), "invoice_issued", "billing", context | {"audience": BILLING}, url,
                              BILLING))
    return notices


async def _billing_ready(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: BillingReadinessChanged = reaction.event
    if not e.ready:
        return []
    url = f"{portal}/{'companies' if e.owner_kind == 'company' else 'firms'}/{e.owner_id}/billing"
    return [Notice(person, "billing_setup_complete", "billing", {"audience": audience, "owner_kind": e.owner_kind},
                   url, audience) for audience, person in await _payers(db, e.owner_kind, e.owner_id)]


PLANNERS: dict[type, Planner] = {
    InvoiceIssued: _invoice_issued,
    BillingReadinessChanged: _billing_ready,
}
