"""Notices about the platform's own watch: fraud signals to the admins, a reputation tier's promotion or demotion
to whom it rates."""

from __future__ import annotations

from commands.automation.fraud_events import FraudSignalRaised
from commands.automation.reputation_events import CompanyTierChanged, RecruiterTierChanged
from consumers.notifications.people import (
    COMPANY, RECRUITER, Notice, Person, Planner, Reads, company_admins, find_recruiter,
)
from consumers.runtime.reactor import Reaction
from projections.identity.queries import platform_admin_contacts


async def _fraud_alert(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: FraudSignalRaised = reaction.event
    admins = await db.read(platform_admin_contacts)
    context = {"signal_type": e.signal_type.replace("_", " "), "severity": e.severity,
               "confidence": e.confidence_score, "recruiter_id": str(e.recruiter_id) if e.recruiter_id else "—"}
    return [Notice(Person(email=row[1], user_id=row[0], name=row[2]), "fraud_alert", "security", context,
                   f"{portal}/admin/fraud-signals/{e.signal_id}", "admin") for row in admins]


_TIER_ORDER = ("new", "active", "pro", "elite")


async def _tier_changed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    """A promotion or a demotion (two notices, as the original's tierPromotion and tierDemotion)."""
    e = reaction.event
    template = "tier_promotion" if _TIER_ORDER.index(e.to_tier) > _TIER_ORDER.index(e.from_tier) else "tier_demotion"
    context = {"to_tier": e.to_tier, "from_tier": e.from_tier, "score": e.score}
    if isinstance(e, RecruiterTierChanged):
        person = await find_recruiter(db, e.recruiter_id)
        return [Notice(person, template, "engagement", context | {"audience": RECRUITER},
                       f"{portal}/recruiters/{e.recruiter_id}", RECRUITER)] if person else []
    return [Notice(p, template, "engagement", context | {"audience": COMPANY},
                   f"{portal}/companies/{e.company_id}", COMPANY) for p in await company_admins(db, e.company_id)]


PLANNERS: dict[type, Planner] = {
    FraudSignalRaised: _fraud_alert,
    RecruiterTierChanged: _tier_changed,
    CompanyTierChanged: _tier_changed,
}
