"""Who a person is across the contexts, and the subjects their personal data is sealed under.

The one resolution of a person, shared by the access export and the erasure process: a person is named by
what they are to us (a user, a candidate record, a recruiter) and that record's id. The same human shows up
in several contexts, joined only by links recorded from verified sources — a candidate record linked to a
user, a recruiter profile of a user — never by matching a self-typed field. From those links the records
that are theirs follow, one query function per context below, and from the records the subjects
(`<kind>:<id>`, see `eventstore.personal`):

| subject | whose | found from |
|---|---|---|
| `user:<id>` | the identity user: profile, consents, onboarding, in-app notifications, emails to the user | identity.users |
| `clerk:<clerk user id>` | Clerk's webhook payloads about the user | identity.users.clerk_user_id |
| `candidate:<id>` | candidate records linked to the user (or the record named) | ats.candidates.user_id |
| `application:<id>` | the free text of the candidate records' applications | ats.applications.candidate_id |
| `recruiter:<id>` | the recruiter profile of the user | network.recruiters.user_id |
| `document:<id>` | files on their candidate records and applications, files they attached in conversations | documents.documents (entity; a conversation's by uploader) |
| `invitation:<id>` | organization and firm invitations sent to the user's email, or accepted by them | identity.invitations, network.firm_invitations |
| `contact:<notification id>` | emails sent to one of their addresses when no user was known | notifications.emails |
| `stripe:<id>` | their own subscription's customer, their recruiter Connect account | billing.subscriptions, billing.connect_accounts |
| `emailaddress:<id>` | their addresses' email suppressions and the Resend reports about them (the id is derived from the address) | the emails above |

Decided where the issue is silent: a candidate record no user claimed is its own person (recruiters create
records from what they are told; only the link the candidate makes by signing in joins it to a user); a firm's
billing profile (`billing:<firm id>`) is the firm's, not its owner's, and is left out; documents a person
uploaded about someone else are that someone's. The read models may be a little behind the events: a record
made a moment ago may be missed, which the process that erases tolerates by running its projections' scrub
on the ids it recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

import psycopg

from commands.notifications.addresses import address_id_for

PersonKind = Literal["user", "candidate", "recruiter"]


@dataclass(frozen=True)
class Person:
    """Everything that is one person's, by context: record ids and the subjects their data is sealed under."""

    kind: PersonKind
    id: UUID
    user_ids: tuple[UUID, ...] = ()
    clerk_user_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()  # lower-cased: of the users and of their candidate records
    candidate_ids: tuple[UUID, ...] = ()
    application_ids: tuple[UUID, ...] = ()
    recruiter_ids: tuple[UUID, ...] = ()
    document_ids: tuple[UUID, ...] = ()
    invitation_ids: tuple[UUID, ...] = ()
    contact_notification_ids: tuple[UUID, ...] = ()
    stripe_ids: tuple[str, ...] = field(default=())

    @property
    def subjects(self) -> list[str]:
        """Every subject their personal data is sealed under, sorted."""
        found = {f"user:{i}" for i in self.user_ids} | {f"clerk:{i}" for i in self.clerk_user_ids}
        found |= {f"candidate:{i}" for i in self.candidate_ids} | {f"application:{i}" for i in self.application_ids}
        found |= {f"recruiter:{i}" for i in self.recruiter_ids} | {f"document:{i}" for i in self.document_ids}
        found |= {f"invitation:{i}" for i in self.invitation_ids}
        found |= {f"contact:{i}" for i in self.contact_notification_ids} | {f"stripe:{i}" for i in self.stripe_ids}
        found |= {f"emailaddress:{address_id_for(e)}" for e in self.emails}
        return sorted(found)


async def resolve_person(conn: psycopg.AsyncConnection, kind: PersonKind, person_id: UUID) -> Person | None:
    """The person named by `kind` and `person_id` with everything that is theirs; None when no such record exists."""
    user_ids, candidate_ids, recruiter_ids = await _people(conn, kind, person_id)
    if not (user_ids or candidate_ids or recruiter_ids):
        return None
    clerk_ids, user_emails = await identity_of(conn, user_ids)
    candidate_emails, application_ids = await ats_of(conn, candidate_ids)
    emails = sorted({e.lower() for e in (*user_emails, *candidate_emails) if e})
    return Person(
        kind=kind, id=person_id,
        user_ids=tuple(user_ids), clerk_user_ids=tuple(clerk_ids), emails=tuple(emails),
        candidate_ids=tuple(candidate_ids), application_ids=tuple(application_ids), recruiter_ids=tuple(recruiter_ids),
        document_ids=tuple(await documents_of(conn, candidate_ids, application_ids, user_ids)),
        invitation_ids=tuple(await invitations_of(conn, user_ids, [e.lower() for e in user_emails])),
        contact_notification_ids=tuple(await contact_emails_of(conn, emails)),
        stripe_ids=tuple(await stripe_ids_of(conn, user_ids, recruiter_ids)),
    )


async def _column(conn: psycopg.AsyncConnection, sql: str, params: tuple[object, ...]) -> list:
    cur = await conn.execute(sql, params)
    return sorted({row[0] for row in await cur.fetchall() if row[0] is not None})


async def _people(conn: psycopg.AsyncConnection, kind: PersonKind, person_id: UUID) -> tuple[list, list, list]:
    """The user, candidate records and recruiter profiles that are one person, from the record named."""
    if kind == "user":
        user_ids = await _column(conn, "SELECT id FROM identity.users WHERE id = %s", (person_id,))
        named_candidates: list[UUID] = []
        named_recruiters: list[UUID] = []
    elif kind == "candidate":
        named_candidates = await _column(conn, "SELECT id FROM ats.candidates WHERE id = %s", (person_id,))
        user_ids = await _column(conn, "SELECT user_id FROM ats.candidates WHERE id = %s", (person_id,))
        named_recruiters = []
    else:
        named_recruiters = await _column(conn, "SELECT id FROM network.recruiters WHERE id = %s", (person_id,))
        user_ids = await _column(conn, "SELECT user_id FROM network.recruiters WHERE id = %s", (person_id,))
        named_candidates = []
    candidate_ids = sorted({*named_candidates, *await _column(
        conn, "SELECT id FROM ats.candidates WHERE user_id = ANY(%s)", (user_ids,))})
    recruiter_ids = sorted({*named_recruiters, *await _column(
        conn, "SELECT id FROM network.recruiters WHERE user_id = ANY(%s)", (user_ids,))})
    return user_ids, candidate_ids, recruiter_ids


# --- one query function per context ---------------------------------------------------------------------

async def identity_of(conn: psycopg.AsyncConnection, user_ids: list[UUID]) -> tuple[list[str], list[str]]:
    """The users' Clerk ids and (verified) emails."""
    cur = await conn.execute("SELECT clerk_user_id, email FROM identity.users WHERE id = ANY(%s)", (user_ids,))
    rows = await cur.fetchall()
    return sorted({r[0] for r in rows if r[0]}), sorted({r[1] for r in rows if r[1]})


async def ats_of(conn: psycopg.AsyncConnection, candidate_ids: list[UUID]) -> tuple[list[str], list[UUID]]:
    """The candidate records' emails and their applications."""
    emails = await _column(conn, "SELECT email FROM ats.candidates WHERE id = ANY(%s)", (candidate_ids,))
    applications = await _column(conn, "SELECT id FROM ats.applications WHERE candidate_id = ANY(%s)", (candidate_ids,))
    return emails, applications


async def documents_of(conn: psycopg.AsyncConnection, candidate_ids: list[UUID], application_ids: list[UUID],
                       user_ids: list[UUID] | tuple[UUID, ...] = ()) -> list[UUID]:
    """Documents on the candidate records and on their applications, and the files the users attached in
    conversations (a message's attachment is its sender's, like the message's words); deleted ones too: their
    events remain."""
    return await _column(conn, """
        SELECT id FROM documents.documents
         WHERE (entity_type = 'candidate' AND entity_id = ANY(%s))
            OR (entity_type = 'application' AND entity_id = ANY(%s))
            OR (entity_type = 'conversation' AND uploaded_by_user_id = ANY(%s))""",
        (candidate_ids, application_ids, list(user_ids)))


async def invitations_of(conn: psycopg.AsyncConnection, user_ids: list[UUID], emails: list[str]) -> list[UUID]:
    """Organization, firm and company platform invitations to the users' own (verified) addresses, or accepted by them."""
    return await _column(conn, """
        SELECT id FROM identity.invitations WHERE lower(email) = ANY(%s) OR accepted_by = ANY(%s)
        UNION
        SELECT id FROM network.firm_invitations WHERE lower(email) = ANY(%s) OR accepted_by = ANY(%s)
        UNION
        SELECT id FROM network.company_invitations WHERE lower(invited_email) = ANY(%s)
            OR accepted_by_user_id = ANY(%s)""",
        (emails, user_ids, emails, user_ids, emails, user_ids))


async def contact_emails_of(conn: psycopg.AsyncConnection, emails: list[str]) -> list[UUID]:
    """Emails sent to one of their addresses while no user was known for it (each its own `contact:` subject)."""
    return await _column(conn, "SELECT notification_id FROM notifications.emails"
                               " WHERE user_id IS NULL AND lower(recipient_email) = ANY(%s)", (emails,))


async def stripe_ids_of(conn: psycopg.AsyncConnection, user_ids: list[UUID], recruiter_ids: list[UUID]) -> list[str]:
    """Their subscription's Stripe customer and their recruiter Connect accounts."""
    return await _column(conn, """
        SELECT stripe_customer_id FROM billing.subscriptions WHERE user_id = ANY(%s)
        UNION
        SELECT stripe_account_id FROM billing.connect_accounts WHERE payee_kind = 'recruiter' AND payee_id = ANY(%s)""",
        (user_ids, recruiter_ids))
