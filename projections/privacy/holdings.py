"""What the read models hold about a person: their rows, table by table, as JSON-ready values.

One declaration per table (`HOLDINGS`): which rows are the person's, found by the ids `subjects.Person` lists.
Rows about someone else that a person merely touched (a note they wrote on another candidate, a document
they uploaded for one) are that other person's and are not here. Columns that are secrets of the system
rather than data about the person (an invitation token's digest) are left out.

Decided where the issue is silent: fraud signals are not exported (an access request does not reach data
kept to detect fraud, and showing it would defeat it); money rows the person is a party to (their payouts,
their splits) are, as is the reputation score computed about a recruiter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from projections.privacy.subjects import Person


@dataclass(frozen=True)
class Holding:
    """One table's rows of a person: `where` over the table aliased `t`, its parameters from the person."""

    table: str
    where: str
    params: Callable[[Person], tuple[Any, ...]]
    order: str
    leave_out: tuple[str, ...] = ()


def _users(p: Person) -> tuple[Any, ...]:
    return (list(p.user_ids),)


def _candidates(p: Person) -> tuple[Any, ...]:
    return (list(p.candidate_ids),)


def _applications(p: Person) -> tuple[Any, ...]:
    return (list(p.application_ids),)


def _recruiters(p: Person) -> tuple[Any, ...]:
    return (list(p.recruiter_ids),)


HOLDINGS: tuple[Holding, ...] = (
    Holding("identity.users", "t.id = ANY(%s)", _users, "t.created_at"),
    Holding("identity.user_roles", "t.user_id = ANY(%s)", _users, "t.granted_at"),
    Holding("identity.memberships", "t.user_id = ANY(%s)", _users, "t.added_at"),
    Holding("identity.consents", "t.user_id = ANY(%s)", _users, "t.recorded_at"),
    Holding("identity.invitations", "t.id = ANY(%s)", lambda p: (list(p.invitation_ids),), "t.created_at"),
    Holding("network.firm_invitations", "t.id = ANY(%s)", lambda p: (list(p.invitation_ids),), "t.created_at"),
    Holding("network.company_invitations", "t.id = ANY(%s)", lambda p: (list(p.invitation_ids),), "t.created_at",
            leave_out=("token_digest",)),
    Holding("network.recruiter_codes", "t.recruiter_id = ANY(%s)", _recruiters, "t.created_at"),
    Holding("network.referrals", "t.user_id = ANY(%s) OR t.recruiter_id = ANY(%s)",
            lambda p: (list(p.user_ids), list(p.recruiter_ids)), "t.redeemed_at"),
    Holding("network.firm_members", "t.user_id = ANY(%s)", _users, "t.joined_at"),
    Holding("network.recruiters", "t.id = ANY(%s)", _recruiters, "t.created_at"),
    Holding("network.recruiter_companies", "t.recruiter_id = ANY(%s)", _recruiters, "t.created_at"),
    Holding("network.recruiter_candidates", "t.candidate_id = ANY(%s)", _candidates, "t.created_at",
            leave_out=("token_digest",)),
    Holding("ats.candidates", "t.id = ANY(%s)", _candidates, "t.created_at"),
    Holding("ats.candidate_sourcers", "t.candidate_id = ANY(%s)", _candidates, "t.created_at"),
    Holding("ats.candidate_skills", "t.candidate_id = ANY(%s)", _candidates, "t.candidate_id, t.position"),
    Holding("ats.candidate_resume_profiles", "t.candidate_id = ANY(%s)", _candidates, "t.candidate_id"),
    Holding("ats.skills", "t.proposed_by_user_id = ANY(%s)", _users, "t.created_at"),
    Holding("ats.applications", "t.id = ANY(%s)", _applications, "t.created_at"),
    Holding("ats.application_stage_history", "t.application_id = ANY(%s)", _applications, "t.application_id, t.seq"),
    Holding("ats.application_notes", "t.application_id = ANY(%s)", _applications, "t.created_at"),
    Holding("ats.placements", "t.candidate_id = ANY(%s)", _candidates, "t.created_at"),
    Holding("ai.reviews", "t.candidate_id = ANY(%s) OR t.application_id = ANY(%s)",
            lambda p: (list(p.candidate_ids), list(p.application_ids)), "t.requested_at"),
    Holding("documents.documents", "t.id = ANY(%s)", lambda p: (list(p.document_ids),), "t.created_at"),
    Holding("notifications.inbox", "t.user_id = ANY(%s)", _users, "t.created_at"),
    Holding("notifications.emails", "t.user_id = ANY(%s) OR t.notification_id = ANY(%s)",
            lambda p: (list(p.user_ids), list(p.contact_notification_ids)), "t.at"),
    Holding("notifications.preferences", "t.user_id = ANY(%s)", _users, "t.category"),
    Holding("billing.subscriptions", "t.user_id = ANY(%s)", _users, "t.created_at"),
    Holding("billing.connect_accounts", "t.payee_kind = 'recruiter' AND t.payee_id = ANY(%s)", _recruiters,
            "t.created_at"),
    Holding("billing.placement_splits", "t.recruiter_id = ANY(%s)", _recruiters, "t.placement_id, t.role"),
    Holding("billing.payout_transactions", "t.payee_kind = 'recruiter' AND t.payee_id = ANY(%s)", _recruiters,
            "t.created_at"),
    Holding("reputation.recruiters", "t.recruiter_id = ANY(%s)", _recruiters, "t.recruiter_id"),
    # Conversations: their own state in each, the messages they sent (what they received is the sender's), their
    # blocks, the reports they filed (without the admin's reason, which is about the person reported) and the
    # messaging sanctions on them.
    Holding("conversations.participants", "t.user_id = ANY(%s)", _users, "t.conversation_id"),
    Holding("conversations.messages", "t.sender_user_id = ANY(%s)", _users, "t.sent_at, t.id"),
    Holding("conversations.blocks", "t.user_id = ANY(%s)", _users, "t.blocked_at"),
    Holding("conversations.reports", "t.reporter_id = ANY(%s)", _users, "t.created_at", leave_out=("reason",)),
    Holding("conversations.sanctions", "t.user_id = ANY(%s)", _users, "t.since"),
)


async def rows_of(conn: psycopg.AsyncConnection, person: Person) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows of the person (tables with none are listed empty), as JSON values."""
    held: dict[str, list[dict[str, Any]]] = {}
    for holding in HOLDINGS:
        drop = "".join(f" - '{column}'" for column in holding.leave_out)
        cur = await conn.execute(
            f"SELECT to_jsonb(t){drop} FROM {holding.table} t WHERE {holding.where} ORDER BY {holding.order}",
            holding.params(person))
        held[holding.table] = [row[0] for row in await cur.fetchall()]
    return held
