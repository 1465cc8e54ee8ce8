"""The events of the network context, one module per aggregate, re-exported here so a caller imports one
module:

- commands/network/recruiter_events.py: a recruiter's profile and status (`recruiter-<recruiter_id>`);
- commands/network/recruiter_candidate_events.py: the right to represent (`recruiter_candidate-<relationship_id>`);
- commands/network/recruiter_company_events.py: a recruiter working with a company
  (`recruiter_company-<relationship_id>`);
- commands/network/firm_events.py: a firm, its members and its invitations (`firm-<firm_id>`).

Like every context's events, these carry types but not the business limits of the commands (take-rate
range, token length, ...): a rule tightened later must not make old streams unreadable. Every field is
JSON-native or has a lossless JSON form (UUID, datetime); percentages are integer basis points.
A pair has one relationship at a time: one stream per pair. Invitation tokens never appear in an event,
only the SHA-256 hex digest of the token, so that a leaked event log does not leak live invitation links.

The event registry finds each class in the module that defines it (commands/registry.py), not here.
"""

from __future__ import annotations

from commands.network.recruiter_events import (
    MarketplaceVisibility,
    ProfileValue,
    RecruiterCreated,
    RecruiterProfileField,
    RecruiterProfileUpdated,
    RecruiterStatus,
    RecruiterStatusChanged,
)
from commands.network.recruiter_candidate_events import (
    ApplicationEnding,
    ApplicationEndingItem,
    ConsentRefusal,
    RecruiterCandidateConsentDeclined,
    RecruiterCandidateConsentGiven,
    RecruiterCandidateConsentRefused,
    RecruiterCandidateExpired,
    RecruiterCandidateInvitationCancelled,
    RecruiterCandidateInvitationExpired,
    RecruiterCandidateInvitationResent,
    RecruiterCandidateInvited,
    RecruiterCandidateSide,
    RecruiterCandidateStatus,
    RecruiterCandidateTerminated,
    RecruiterCandidateTerminationDecided,
)
from commands.network.recruiter_company_events import (
    JobEnding,
    JobEndingItem,
    RecruiterCompanyAccepted,
    RecruiterCompanyConnectionRequested,
    RecruiterCompanyDeclined,
    RecruiterCompanyInvited,
    RecruiterCompanyPermission,
    RecruiterCompanyPermissionsChanged,
    RecruiterCompanySide,
    RecruiterCompanyStatus,
    RecruiterCompanyTerminated,
    RecruiterCompanyTerminationDecided,
    RecruiterCompanyType,
)
from commands.network.firm_events import (
    FirmAdminTakeRateSet,
    FirmCreated,
    FirmInvitationAccepted,
    FirmInvitationCreated,
    FirmInvitationExpired,
    FirmInvitationRevoked,
    FirmInvitationRole,
    FirmInvitationStatus,
    FirmMemberAdded,
    FirmMemberRemoved,
    FirmMemberRoleChanged,
    FirmOwnershipTransferred,
    FirmReactivated,
    FirmRole,
    FirmStatus,
    FirmSuspended,
)

__all__ = [
    "ApplicationEnding",
    "ApplicationEndingItem",
    "ConsentRefusal",
    "FirmAdminTakeRateSet",
    "FirmCreated",
    "FirmInvitationAccepted",
    "FirmInvitationCreated",
    "FirmInvitationExpired",
    "FirmInvitationRevoked",
    "FirmInvitationRole",
    "FirmInvitationStatus",
    "FirmMemberAdded",
    "FirmMemberRemoved",
    "FirmMemberRoleChanged",
    "FirmOwnershipTransferred",
    "FirmReactivated",
    "FirmRole",
    "FirmStatus",
    "FirmSuspended",
    "JobEnding",
    "JobEndingItem",
    "MarketplaceVisibility",
    "ProfileValue",
    "RecruiterCandidateConsentDeclined",
    "RecruiterCandidateConsentGiven",
    "RecruiterCandidateConsentRefused",
    "RecruiterCandidateExpired",
    "RecruiterCandidateInvitationCancelled",
    "RecruiterCandidateInvitationExpired",
    "RecruiterCandidateInvitationResent",
    "RecruiterCandidateInvited",
    "RecruiterCandidateSide",
    "RecruiterCandidateStatus",
    "RecruiterCandidateTerminated",
    "RecruiterCandidateTerminationDecided",
    "RecruiterCompanyAccepted",
    "RecruiterCompanyConnectionRequested",
    "RecruiterCompanyDeclined",
    "RecruiterCompanyInvited",
    "RecruiterCompanyPermission",
    "RecruiterCompanyPermissionsChanged",
    "RecruiterCompanySide",
    "RecruiterCompanyStatus",
    "RecruiterCompanyTerminated",
    "RecruiterCompanyTerminationDecided",
    "RecruiterCompanyType",
    "RecruiterCreated",
    "RecruiterProfileField",
    "RecruiterProfileUpdated",
    "RecruiterStatus",
    "RecruiterStatusChanged",
]
