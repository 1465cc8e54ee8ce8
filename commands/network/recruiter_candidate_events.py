"""The events of a recruiter ↔ candidate relationship, the right to represent (stream
`recruiter_candidate-<relationship_id>`, one per pair, so a pair has one relationship at a time).

Invitation tokens never appear here: an event holds the SHA-256 hex digest of the token, so that a leaked
event log does not leak live invitation links.

Like every context's events, these carry types but not the business limits of the commands: a rule
tightened later must not make old streams unreadable. commands/network/events.py re-exports them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from commands.core import Event, Personal

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


# What becomes of an open application the recruiter made for the candidate when their relationship ends
# (domain §4.4, the original's termination decisions): it goes on, or it is withdrawn.
ApplicationEnding = Literal["keep", "withdraw"]


class ApplicationEndingItem(BaseModel):
    """One application covered by an ended relationship and what the party ending it decided for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application_id: UUID
    decision: ApplicationEnding


class RecruiterCandidateTerminationDecided(Event):
    """Recorded with the termination when it covered open applications: the decision for each of them (every one
    covered, `keep` where the party ending it chose nothing). The relationship-endings process carries it out."""

    relationship_id: UUID
    recruiter_id: UUID
    candidate_id: UUID
    decided_by: RecruiterCandidateSide
    applications: list[ApplicationEndingItem]
    by: str
    at: datetime
