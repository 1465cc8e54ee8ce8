"""Every reactor, by name."""

from __future__ import annotations

from consumers.process.billing import billing_readiness, billing_snapshots, connect_payouts, firm_plans
from consumers.process.candidates import candidate_accounts
from consumers.process.invitations import invitations
from consumers.process.network import candidate_consents, recruiter_roles
from consumers.process.placements import placements_process
from consumers.process.privacy import erasures
from consumers.reactions.ai_review import ai_review
from consumers.reactions.billing import invoicing, payouts
from consumers.reactions.fraud import fraud_signals
from consumers.reactions.notifications import notifications_reactor
from consumers.reactions.reputation import reputation_tiers
from consumers.reactor import Reactor


def all_reactors() -> list[Reactor]:
    return [
        invitations,
        recruiter_roles,
        candidate_consents,
        candidate_accounts,
        ai_review,
        placements_process,
        billing_snapshots,
        billing_readiness,
        connect_payouts,
        firm_plans,
        invoicing,
        payouts,
        notifications_reactor,
        fraud_signals,
        reputation_tiers,
        erasures,
    ]
