"""The events of the identity context: the one definition of each.

Like every context's events, these carry types but not the business limits of the commands (step
range, email shape, ...): a rule tightened later must not make old streams unreadable. Every field is
JSON-native or has a lossless JSON form (UUID, datetime). There are no floats, not even inside the
free-form dicts (`Json`), because a float does not keep its exact text through PostgreSQL's jsonb
and the stored bytes are hashed.

Streams: `user-<user_id>`, `organization-<organization_id>` (the organization owns its memberships,
so rules over all its members are checked in one place), `invitation-<invitation_id>`, and
`clerkwebhook-<svix_id>` (the audit trail of the raw webhook payloads).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from typing_extensions import TypeAliasType

from commands.core import Event, Personal

# Any JSON value except a float.
Json = TypeAliasType("Json", "str | int | bool | list[Json] | dict[str, Json] | None")

SourceInstance = Literal["portal", "candidate"]
# The Clerk instance a webhook came from: the secret that verified it tells which (domain §8.1).
WebhookInstance = Literal["portal", "candidate", "unknown"]
UserRole = Literal["recruiter", "candidate", "platform_admin"]
MembershipRole = Literal["company_admin", "hiring_manager"]
OnboardingStatus = Literal["pending", "in_progress", "completed", "skipped"]
ProfileField = Literal["email", "name", "image_url"]


# --- users ----------------------------------------------------------------------------------------

class UserRegistered(Event):
    user_id: UUID
    clerk_user_id: str
    email: str
    name: str | None
    image_url: str | None
    source: SourceInstance
    referred_by_recruiter_id: UUID | None
    by: str
    at: datetime

    personal = Personal(("email", "name", "image_url"), kind="user", key="user_id")


class UserProfileUpdated(Event):
    """Only the fields that changed, each with its new value (None clears it)."""

    user_id: UUID
    changes: dict[ProfileField, str | None]
    by: str
    at: datetime


class UserDeleted(Event):
    user_id: UUID
    by: str
    at: datetime


class UserSignedIn(Event):
    """A Clerk session started: the user's last activity is `at`."""

    user_id: UUID
    session_id: str | None
    by: str
    at: datetime


class OnboardingProgressed(Event):
    """The onboarding wizard's whole state after the change; `completed_at` is set while completed."""

    user_id: UUID
    status: OnboardingStatus
    step: int
    metadata: dict[str, Json]
    completed_at: datetime | None
    by: str
    at: datetime


class UserRoleGranted(Event):
    user_id: UUID
    role: UserRole
    role_entity_id: UUID | None
    by: str
    at: datetime


class UserRoleRevoked(Event):
    user_id: UUID
    role: UserRole
    role_entity_id: UUID | None
    by: str
    at: datetime


class ConsentRecorded(Event):
    user_id: UUID
    necessary: bool
    functional: bool
    analytics: bool
    marketing: bool
    ip_address: str | None
    user_agent: str | None
    source: str
    by: str
    at: datetime


# --- organizations and their memberships ----------------------------------------------------------

class OrganizationCreated(Event):
    organization_id: UUID
    name: str
    slug: str
    clerk_org_id: str | None
    company_id: UUID | None
    by: str
    at: datetime


class OrganizationRenamed(Event):
    organization_id: UUID
    name: str
    slug: str
    by: str
    at: datetime


class OrganizationDeleted(Event):
    organization_id: UUID
    by: str
    at: datetime


class MembershipAdded(Event):
    """A membership is identified by (user_id, company_id); company_id None means organization-wide."""

    organization_id: UUID
    user_id: UUID
    company_id: UUID | None
    role: MembershipRole
    by: str
    at: datetime


class MembershipRoleChanged(Event):
    organization_id: UUID
    user_id: UUID
    company_id: UUID | None
    from_role: MembershipRole
    to_role: MembershipRole
    by: str
    at: datetime


class MembershipRemoved(Event):
    organization_id: UUID
    user_id: UUID
    company_id: UUID | None
    role: MembershipRole
    by: str
    at: datetime


# --- invitations ----------------------------------------------------------------------------------

class InvitationCreated(Event):
    invitation_id: UUID
    email: str
    organization_id: UUID
    company_id: UUID | None
    role: MembershipRole
    invited_by: str
    expires_at: datetime
    at: datetime


class InvitationAccepted(Event):
    """Carries everything a process manager needs to add the membership to the organization's stream."""

    invitation_id: UUID
    organization_id: UUID
    company_id: UUID | None
    role: MembershipRole
    user_id: UUID
    email: str
    by: str
    at: datetime


class InvitationRevoked(Event):
    invitation_id: UUID
    by: str
    at: datetime


class InvitationExpired(Event):
    invitation_id: UUID
    expires_at: datetime
    by: str
    at: datetime


# --- webhooks -------------------------------------------------------------------------------------

class ClerkWebhookReceived(Event):
    """A verified Clerk webhook exactly as delivered, kept so every identity change can be traced to it."""

    svix_id: str
    instance: WebhookInstance
    event_type: str
    payload: dict[str, Json]
    received_at: datetime


class ClerkWebhookProcessed(Event):
    """The identity commands a delivery asked for have all run (or it was deliberately ignored).

    Until this is recorded, a redelivery of the same svix id runs them again; each is keyed by the
    delivery, so what already ran is not run twice."""

    svix_id: str
    outcome: Literal["processed", "ignored"]
    reason: str | None
    at: datetime
