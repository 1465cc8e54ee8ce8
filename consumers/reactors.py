"""Every reactor, by name. The notifications, AI review and payouts reactors register here."""

from __future__ import annotations

from consumers.process.candidates import candidate_accounts
from consumers.process.invitations import invitations
from consumers.process.network import candidate_consents, recruiter_roles
from consumers.process.placements import placements_process
from consumers.reactions.ai_review import ai_review
from consumers.reactor import Reactor


def all_reactors() -> list[Reactor]:
    return [
        invitations,
        recruiter_roles,
        candidate_consents,
        candidate_accounts,
        ai_review,
        placements_process,
    ]
