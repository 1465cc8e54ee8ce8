"""The events of a company platform invitation (domain §3.3 CompanyPlatformInvitation, §4.4), stream
`company_invitation-<invitation_id>`: a recruiter invites a company that is not on the platform yet.

    invited (pending, 30 days) ──accept (a signed-in user)──► accepted
                               ├──revoke (the recruiter)────► revoked
                               └──(30 days pass)────────────► expired (read from `expires_at`, never recorded)

The link's token never appears here, only its SHA-256 hex digest. Like every context's events, these carry
types but not the business limits of the commands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

CompanyInvitationStatus = Literal["pending", "accepted", "revoked", "expired"]


class CompanyPlatformInvitationCreated(Event):
    invitation_id: UUID
    recruiter_id: UUID
    invite_code: str
    token_digest: str
    invited_email: str
    company_name_hint: str | None
    personal_message: str | None
    expires_at: datetime
    by: str
    at: datetime

    personal = Personal(("invited_email", "personal_message"), kind="invitation", key="invitation_id")
    not_personal = frozenset({"company_name_hint"})  # a company's name


class CompanyPlatformInvitationRevoked(Event):
    invitation_id: UUID
    recruiter_id: UUID
    by: str
    at: datetime


class CompanyPlatformInvitationAccepted(Event):
    """The organization and its company were made for the accepting user just before this was recorded."""

    invitation_id: UUID
    recruiter_id: UUID
    accepted_by_user_id: UUID
    organization_id: UUID
    company_id: UUID
    by: str
    at: datetime
