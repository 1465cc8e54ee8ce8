"""The events of the network context: the one definition of each.

Like every context's events, these carry types but not the business limits of the commands (take-rate
range, token length, ...): a rule tightened later must not make old streams unreadable. Every field is
JSON-native or has a lossless JSON form (UUID, datetime); percentages are integer basis points.

Streams: `recruiter-<recruiter_id>`, `recruiter_candidate-<relationship_id>` and
`recruiter_company-<relationship_id>` (one stream per pair, so a pair has one relationship at a time),
and `firm-<firm_id>` (the firm owns its members and its invitations).

Invitation tokens never appear here: an event holds the SHA-256 hex digest of the token, so that a leaked
event log does not leak live invitation links.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.core import Event, Personal

# --- recruiters -----------------------------------------------------------------------------------

RecruiterStatus = Literal["pending", "active", "suspended", "inactive"]
MarketplaceVisibility = Literal["public", "limited", "hidden"]
RecruiterProfileField = Literal[
    "slug",
    "bio",
    "tagline",
    "location",
    "years_experience",
    "industries",
    "specialties",
    "phone",
    "marketplace_enabled",
    "marketplace_visibility",
    "show_success_metrics",
    "show_contact_info",
    "candidate_recruiter",
    "company_recruiter",
]
ProfileValue = str | int | bool | list[str] | None


class RecruiterCreated(Event):
    """The recruiter with its whole initial profile. A process manager grants the user the recruiter role."""

    recruiter_id: UUID
    user_id: UUID
    status: RecruiterStatus
    slug: str | None
    bio: str | None
    tagline: str | None
    location: str | None
    years_experience: int | None
    industries: list[str]
    specialties: list[str]
    phone: str | None
    marketplace_enabled: bool
    marketplace_visibility: MarketplaceVisibility
    show_success_metrics: bool
    show_contact_info: bool
    candidate_recruiter: bool
    company_recruiter: bool
    by: str
    at: datetime

    # The public profile: the slug is chosen by the recruiter and usually spells their name.
    personal = Personal(
        ("slug", "bio", "tagline", "location", "years_experience", "industries", "specialties", "phone"),
        kind="recruiter", key="recruiter_id",
    )


class RecruiterProfileUpdated(Event):
    """Only the fields that changed, each with its new value (None clears it)."""

    recruiter_id: UUID
    changes: dict[RecruiterProfileField, ProfileValue]
    by: str
    at: datetime

    personal = Personal(("changes",), kind="recruiter", key="recruiter_id")


class RecruiterStatusChanged(Event):
    recruiter_id: UUID
    from_status: RecruiterStatus
    to_status: RecruiterStatus
    reason: str | None
    by: str
    at: datetime

    personal = Personal(("reason",), kind="recruiter", key="recruiter_id")


# --- recruiter ↔ candidate (right to represent) ---------------------------------------------------

# The closed set of a relationship's statuses (domain §15 item 6: the original wrote statuses outside
# its own list). Nothing else is ever written.
#   pending             invited; the candidate has not answered and the invitation may still be valid
#   invitation_expired  the invitation lapsed unanswered (the scheduler recorded it); it can be resent
#   active              the candidate consented; the recruiter represents them until the end date
#   declined            the candidate refused the invitation
#   cancelled           the recruiter withdrew the invitation before an answer
#   terminated          either side ended the active relationship
#   expired             the one-year term ran out
RecruiterCandidateStatus = Literal[
    "pending", "invitation_expired", "active", "declined", "cancelled", "terminated", "expired"
]
RecruiterCandidateSide = Literal["recruiter", "candidate"]


class RecruiterCandidateInvited(Event):
    """A new invitation; on a pair that had ended before, it opens a fresh round on the same stream."""

    relationship_id: UUID
    recruiter_id: UUID
    candidate_id: UUID
    invitation_id: UUID
    token_digest: str
    invitation_expires_at: datetime
    by: str
    at: datetime


class RecruiterCandidateInvitationResent(Event):
    """A new token replaces the previous one, which stops working."""

    relationship_id: UUID
    recruiter_id: UUID
    candidate_id: UUID
    invitation_id: UUID
    token_digest: str
    invitation_expires_at: datetime
    by: str
    at: datetime


class RecruiterCandidateInvitationCancelled(Event):
    relationship_id: UUID
    recruiter_id: UUID
    candidate_id: UUID
    by: str
    at: datetime


class RecruiterCandidateInvitationExpired(Event):
    relationship_id: UUID
    recruiter_id: UUID
    candidate_id: UUID
    invitation_expires_at: datetime
    by: str
    at: datetime


class RecruiterCandidateConsentGiven(Event):
    """`user_id` is the candidate's signed-in user, when there was one: the candidate record can be linked to it."""

    relationship_id: UUID
    recruiter_id: UUID
    candidate_id: UUID
    user_id: UUID | None
    ip_address: str | None
    user_agent: str | None
    relationship_start_date: datetime
    relationship_end_date: datetime
    by: str
    at: datetime

    personal = Personal(("ip_address", "user_agent"), kind="candidate", key="candidate_id")


ConsentRefusal = Literal["record_has_another_account", "consenter_has_another_record", "email_mismatch",
                         "email_unverified"]


class RecruiterCandidateConsentRefused(Event):
    """Someone holding the invitation's token tried to consent but is not the candidate: the user is not the
    record's account, nor the holder of the invited email (verified by Clerk). Nothing changes; the attempt
    is kept so that a leaked or forwarded link shows in the relationship's history."""

    relationship_id: UUID
    recruiter_id: UUID
    candidate_id: UUID
    user_id: UUID
    reason: ConsentRefusal
    ip_address: str | None
    user_agent: str | None
    by: str
    at: datetime

    personal = Personal(("ip_address", "user_agent"), kind="user", key="user_id")
    not_personal = frozenset({"reason"})


class RecruiterCandidateConsentDeclined(Event):
    relationship_id: UUID
    recruiter_id: UUID
    candidate_id: UUID
    reason: str | None
    by: str
    at: datetime

    personal = Personal(("reason",), kind="candidate", key="candidate_id")


class RecruiterCandidateTerminated(Event):
    """The relationship ends at `at`; applications the recruiter made for the candidate need a decision."""

    relationship_id: UUID
    recruiter_id: UUID
    candidate_id: UUID
    terminated_by: RecruiterCandidateSide
    reason: str
    by: str
    at: datetime

    personal = Personal(("reason",), kind="candidate", key="candidate_id")


class RecruiterCandidateExpired(Event):
    relationship_id: UUID
    recruiter_id: UUID
    candidate_id: UUID
    relationship_end_date: datetime
    by: str
    at: datetime


# --- recruiter ↔ company --------------------------------------------------------------------------

RecruiterCompanyStatus = Literal["pending", "active", "declined", "terminated"]
RecruiterCompanySide = Literal["recruiter", "company"]
RecruiterCompanyType = Literal["sourcer", "recruiter"]
RecruiterCompanyPermission = Literal[
    "can_view_jobs",
    "can_create_jobs",
    "can_edit_jobs",
    "can_advance_candidates",
    "can_view_applications",
    "can_submit_candidates",
]


class RecruiterCompanyInvited(Event):
    """The company invites the recruiter; `permissions` (the granted names) take effect on acceptance."""

    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    relationship_type: RecruiterCompanyType
    permissions: list[RecruiterCompanyPermission]
    message: str | None
    by: str
    at: datetime

    personal = Personal(("message",), kind="recruiter", key="recruiter_id")


class RecruiterCompanyConnectionRequested(Event):
    """The recruiter asks to work with the company, acknowledging the terms as they ask."""

    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    relationship_type: RecruiterCompanyType
    message: str | None
    terms_acknowledged_by: str
    terms_acknowledged_at: datetime
    by: str
    at: datetime

    personal = Personal(("message",), kind="recruiter", key="recruiter_id")


class RecruiterCompanyAccepted(Event):
    """The side that did not start the relationship accepted it: active from `at` with `permissions`."""

    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    relationship_type: RecruiterCompanyType
    permissions: list[RecruiterCompanyPermission]
    accepted_by: RecruiterCompanySide
    terms_acknowledged_by: str
    terms_acknowledged_at: datetime
    by: str
    at: datetime


class RecruiterCompanyDeclined(Event):
    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    declined_by: RecruiterCompanySide
    reason: str | None
    by: str
    at: datetime

    personal = Personal(("reason",), kind="recruiter", key="recruiter_id")


class RecruiterCompanyTerminated(Event):
    """The relationship ends at `at` (or a pending one is withdrawn); jobs the recruiter owns need a decision."""

    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    terminated_by: RecruiterCompanySide
    reason: str
    by: str
    at: datetime

    personal = Personal(("reason",), kind="recruiter", key="recruiter_id")


class RecruiterCompanyPermissionsChanged(Event):
    relationship_id: UUID
    recruiter_id: UUID
    company_id: UUID
    from_permissions: list[RecruiterCompanyPermission]
    to_permissions: list[RecruiterCompanyPermission]
    by: str
    at: datetime


# --- firms ----------------------------------------------------------------------------------------

FirmStatus = Literal["active", "suspended"]
FirmRole = Literal["owner", "admin", "member"]
FirmInvitationRole = Literal["admin", "member"]
FirmInvitationStatus = Literal["pending", "accepted", "revoked", "expired"]


class FirmCreated(Event):
    """Always followed by `FirmMemberAdded` for the owner."""

    firm_id: UUID
    name: str
    slug: str
    owner_user_id: UUID
    admin_take_rate_bps: int
    by: str
    at: datetime

    not_personal = frozenset({"name", "slug"})  # a firm's trading name, the business's


class FirmMemberAdded(Event):
    """`recruiter_id` is the member's recruiter (derived from the user), whose splits the take rate applies to."""

    firm_id: UUID
    user_id: UUID
    recruiter_id: UUID
    role: FirmRole
    invitation_id: UUID | None
    by: str
    at: datetime


class FirmMemberRoleChanged(Event):
    firm_id: UUID
    user_id: UUID
    recruiter_id: UUID
    from_role: FirmRole
    to_role: FirmRole
    by: str
    at: datetime


class FirmMemberRemoved(Event):
    firm_id: UUID
    user_id: UUID
    recruiter_id: UUID
    role: FirmRole
    by: str
    at: datetime


class FirmOwnershipTransferred(Event):
    """The new owner was a member; the previous owner stays on as an admin."""

    firm_id: UUID
    from_user_id: UUID
    to_user_id: UUID
    by: str
    at: datetime


class FirmAdminTakeRateSet(Event):
    firm_id: UUID
    from_bps: int
    to_bps: int
    by: str
    at: datetime


class FirmSuspended(Event):
    firm_id: UUID
    reason: str | None
    by: str
    at: datetime

    not_personal = frozenset({"reason"})  # why the platform suspended a firm: its standing as a business


class FirmReactivated(Event):
    firm_id: UUID
    by: str
    at: datetime


class FirmInvitationCreated(Event):
    firm_id: UUID
    invitation_id: UUID
    email: str
    role: FirmInvitationRole
    invited_by_user_id: UUID | None
    expires_at: datetime
    by: str
    at: datetime

    personal = Personal(("email",), kind="invitation", key="invitation_id")


class FirmInvitationAccepted(Event):
    """Always followed by `FirmMemberAdded` for the accepting user."""

    firm_id: UUID
    invitation_id: UUID
    email: str
    role: FirmInvitationRole
    user_id: UUID
    by: str
    at: datetime

    personal = Personal(("email",), kind="invitation", key="invitation_id")


class FirmInvitationRevoked(Event):
    firm_id: UUID
    invitation_id: UUID
    by: str
    at: datetime


class FirmInvitationExpired(Event):
    firm_id: UUID
    invitation_id: UUID
    expires_at: datetime
    by: str
    at: datetime
