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

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
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
    # Whether Clerk had verified `email` (its primary address); False for streams recorded before this was kept.
    email_verified: bool = False

    personal = Personal(("email", "name", "image_url"), kind="user", key="user_id")


class UserProfileUpdated(Event):
    """Only the fields that changed, each with its new value (None clears it). `email_verified` is Clerk's
    verification of the (new) primary email when that changed too, None when it did not; the email itself
    only ever comes from Clerk (a webhook or a Backend API read), never from the user."""

    user_id: UUID
    changes: dict[ProfileField, str | None]
    by: str
    at: datetime
    email_verified: bool | None = None

    personal = Personal(("changes",), kind="user", key="user_id")


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

    personal = Personal(("metadata",), kind="user", key="user_id")  # the wizard's answers, the person's own


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

    personal = Personal(("ip_address", "user_agent"), kind="user", key="user_id")


# --- organizations and their memberships ----------------------------------------------------------

class OrganizationCreated(Event):
    organization_id: UUID
    name: str
    slug: str
    clerk_org_id: str | None
    company_id: UUID | None
    by: str
    at: datetime

    not_personal = frozenset({"name", "slug"})  # an organization's name, not a person's


class OrganizationRenamed(Event):
    organization_id: UUID
    name: str
    slug: str
    by: str
    at: datetime

    not_personal = frozenset({"name", "slug"})  # an organization's name, not a person's


class OrganizationDeleted(Event):
    organization_id: UUID
    by: str
    at: datetime


class OrganizationCompanyAttached(Event):
    """An organization created without a company id (through Clerk, before organizations got one at creation)
    is given its company id, once."""

    organization_id: UUID
    company_id: UUID
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

    personal = Personal(("email",), kind="invitation", key="invitation_id")


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

    personal = Personal(("email",), kind="invitation", key="invitation_id")


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

# The Clerk event types whose `data` is about one user, and where that user's Clerk id sits in it.
_CLERK_USER_ID = {"user": ("id",), "session": ("user_id",), "organizationMembership": ("public_user_data", "user_id"),
                  "email": ("user_id",), "sms": ("user_id",)}
# Organization payloads name the organization; an organization invitation names it as `organization_id`.
_CLERK_ORG_ID = {"organization": ("id",), "organizationInvitation": ("organization_id",),
                 "organizationDomain": ("organization_id",)}


def clerk_payload_subject(data: Mapping[str, Any]) -> str:
    """Whose data a Clerk payload holds: `clerk:<user id>` for a user's, `clerk:<org id>` for an organization's,
    else the delivery itself (`clerkwebhook:<svix id>`), so that every payload is sealed under some key."""
    payload = data.get("payload")
    inner = payload.get("data") if isinstance(payload, Mapping) else None
    family = str(data.get("event_type") or "").split(".", 1)[0]
    path = _CLERK_USER_ID.get(family) or _CLERK_ORG_ID.get(family)
    ident: Any = inner if path else None
    for step in path or ():
        ident = ident.get(step) if isinstance(ident, Mapping) else None
    return f"clerk:{ident}" if isinstance(ident, str) and ident else f"clerkwebhook:{data.get('svix_id')}"


class ClerkWebhookReceived(Event):
    """A verified Clerk webhook exactly as delivered, kept so every identity change can be traced to it."""

    svix_id: str
    instance: WebhookInstance
    event_type: str
    payload: dict[str, Json]
    received_at: datetime

    personal = Personal(("payload",), subject_of_data=clerk_payload_subject)


class ClerkWebhookProcessed(Event):
    """The identity commands a delivery asked for have all run (or it was deliberately ignored).

    Until this is recorded, a redelivery of the same svix id runs them again; each is keyed by the
    delivery, so what already ran is not run twice."""

    svix_id: str
    outcome: Literal["processed", "ignored"]
    reason: str | None
    at: datetime

    not_personal = frozenset({"reason"})  # our own account of the outcome (a refusal's message), not payload data

