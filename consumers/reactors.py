"""Every reactor, by name."""

from __future__ import annotations

from consumers.billing.process import billing_readiness, billing_snapshots, connect_payouts, firm_plans
from consumers.ats.candidate_process import candidate_accounts
from consumers.ats.referral_process import referral_sourcing
from consumers.network.company_invitation_process import company_invitation_relationships
from consumers.identity.clerk_webhooks import clerk_webhooks
from consumers.identity.process import invitations
from consumers.network.process import candidate_consents, recruiter_roles, relationship_endings
from consumers.ats.process import placement_replacements, placements_process
from consumers.privacy.process import erasures
from consumers.ai.reactions import ai_review
from consumers.billing.reactions import invoicing, payouts
from consumers.billing.stripe_webhooks import stripe_webhooks
from consumers.automation.fraud import fraud_signals
from consumers.notifications.reactions import notifications_reactor
from consumers.notifications.resend_webhooks import resend_webhooks
from consumers.automation.reputation import reputation_tiers
from consumers.runtime.reactor import Reactor


def all_reactors() -> list[Reactor]:
    return [
        clerk_webhooks,
        invitations,
        recruiter_roles,
        candidate_consents,
        relationship_endings,
        candidate_accounts,
        referral_sourcing,
        company_invitation_relationships,
        ai_review,
        placements_process,
        placement_replacements,
        billing_snapshots,
        billing_readiness,
        connect_payouts,
        firm_plans,
        invoicing,
        payouts,
        stripe_webhooks,
        notifications_reactor,
        resend_webhooks,
        fraud_signals,
        reputation_tiers,
        erasures,
    ]
