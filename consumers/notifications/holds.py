"""Notices about a placement's money held: an escrow hold placed on its payouts (a payout held), released by a
platform admin or on its date, or cancelled; a dispute opened, taken under review, resolved or dismissed.

Whose payouts it holds: the recruiters with a member payout of the placement that had not been transferred
when the hold was placed or the dispute opened (projections/billing/notice_queries.py); each reads their own
held amount and nobody else's. A recruiter paid before that is not told. Disputes go to the company's admins
too (the company the placement is billed to), and a new dispute to every platform admin, who review it; the
person who opened it is not told of their own dispute. Firms' admin takes are held alike but told through the
firm's own pages (as its payouts are)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands.ats import job as jobs
from commands.ats import placement as placements
from commands.billing import placement_billing as money_trail
from commands.billing.placement_events import (
    DisputeClosed,
    DisputeOpened,
    DisputeUnderReview,
    EscrowHoldCancelled,
    EscrowHoldPlaced,
    EscrowHoldReleased,
)
from commands.identity.user import user_id_for
from consumers.notifications.people import (
    COMPANY, RECRUITER, Notice, Person, Planner, Reads, company_admins, find_candidate, find_recruiter,
)
from consumers.notifications.templates import money
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for
from projections.billing.notice_queries import (
    dispute_summary, hold_placed_at, payouts_held_since,
)
from projections.identity.queries import platform_admin_contacts

_DISPUTE_TYPES = {"fee_amount": "the fee amount", "fee_split": "the fee split", "placement_validity":
                  "the placement's validity", "service_quality": "the service's quality", "other": "another matter"}
_RAISED_BY = {"company_admin": "the company", "recruiter": "a recruiter", "platform_admin": "Splits"}


async def _held(db: Reads, placement_id: UUID, since: datetime) -> list[tuple[Person, int]]:
    """Each recruiter whose payouts were held since `since`, with their own held cents."""
    held = []
    for recruiter_id, cents in await db.read(payouts_held_since, placement_id, since):
        if person := await find_recruiter(db, recruiter_id):
            held.append((person, cents))
    return held


async def _placement(reaction: Reaction, db: Reads, placement_id: UUID) -> tuple[dict[str, str], UUID | None]:
    """The job's title and the candidate's name, and the company the placement is billed to (None: a firm's)."""
    p, _, _ = await load(reaction.store, placements.placement, stream_id_for(placements.placement, placement_id))
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, p.job_id)) if p.exists else (
        jobs.initial_state(), 0, None)
    candidate = await find_candidate(reaction.store, db, p.candidate_id) if p.exists else None
    return {"job_title": job.title or "a job", "candidate_name": candidate.name if candidate else "the candidate"}, \
        p.company_id


async def _still_held(reaction: Reaction, placement_id: UUID) -> bool:
    """Whether another hold or an open dispute still holds the placement's payouts."""
    state, _, _ = await load(reaction.store, money_trail.placement_billing,
                             stream_id_for(money_trail.placement_billing, placement_id))
    return state.blocked


async def _hold(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    context, _ = await _placement(reaction, db, e.placement_id)
    if isinstance(e, EscrowHoldPlaced):
        template, since = "payout_held", e.at
        context |= {"reason": e.reason, "release_on": e.release_on.date().isoformat() if e.release_on else None}
    else:
        template, since = "escrow_released", (await db.read(hold_placed_at, e.hold_id)) or e.at
        context |= {"how": "cancelled" if isinstance(e, EscrowHoldCancelled) else
                    "automatic" if e.automatic else "released",
                    "still_held": await _still_held(reaction, e.placement_id)}
    url = f"{portal}/placements/{e.placement_id}"
    return [Notice(person, template, "billing", context | {"amount": money(cents), "audience": RECRUITER}, url,
                   RECRUITER) for person, cents in await _held(db, e.placement_id, since)]


def _is(person: Person, actor: str) -> bool:
    """Whether `actor` (an identity user id, or `clerk:<id>` before the user was synced) is this person."""
    if person.user_id is None:
        return False
    if actor.startswith("clerk:"):
        return user_id_for(actor.removeprefix("clerk:")) == person.user_id
    return actor == str(person.user_id)


async def _dispute(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e = reaction.event
    summary = await db.read(dispute_summary, e.dispute_id)
    if isinstance(e, DisputeOpened):
        template, since, raised_by = "dispute_opened", e.at, e.raised_by
        summary = {"dispute_type": e.dispute_type, "reason": e.reason, "raised_by_role": e.raised_by_role}
    else:
        template = "dispute_under_review" if isinstance(e, DisputeUnderReview) else "dispute_closed"
        since, raised_by = (summary or {}).get("opened_at") or e.at, None
    placement, company_id = await _placement(reaction, db, e.placement_id)
    context = placement | {
        "dispute_type": _DISPUTE_TYPES.get((summary or {}).get("dispute_type", ""), "the placement's fee"),
        "reason": (summary or {}).get("reason"),
        "raised_by": _RAISED_BY.get((summary or {}).get("raised_by_role", ""), "a party to the placement"),
        "outcome": e.outcome if isinstance(e, DisputeClosed) else None,
        "notes": e.notes if isinstance(e, DisputeClosed) else None,
    }
    url = f"{portal}/disputes/{e.dispute_id}"
    notices = [Notice(person, template, "billing", context | {"audience": COMPANY}, url, COMPANY)
               for person in await company_admins(db, company_id)]
    notices += [Notice(person, template, "billing", context | {"amount": money(cents), "audience": RECRUITER}, url,
                       RECRUITER) for person, cents in await _held(db, e.placement_id, since)]
    if isinstance(e, DisputeOpened):
        notices += [Notice(Person(email=row[1], user_id=row[0], name=row[2]), template, "billing",
                           context | {"audience": "admin"}, f"{portal}/admin/disputes/{e.dispute_id}", "admin")
                    for row in await db.read(platform_admin_contacts)]
    return [notice for notice in notices if raised_by is None or not _is(notice.to, raised_by)]


PLANNERS: dict[type, Planner] = {
    EscrowHoldPlaced: _hold,
    EscrowHoldReleased: _hold,
    EscrowHoldCancelled: _hold,
    DisputeOpened: _dispute,
    DisputeUnderReview: _dispute,
    DisputeClosed: _dispute,
}
