"""Every notice Splits sends: which event tells whom, with which template, in which preference category.

The notifications reactor refuses to send a notice this table does not list (`check`), a test renders every
template for every audience listed here, and `python -m consumers.notifications.catalogue` writes the table as
docs/notifications.md (a test keeps that file current). Audiences: `candidate`, `recruiter` (the candidate's or
the job's recruiter, or the recruiter an event concerns), `company` (the company's admins), `admin` (platform
admins, or a group's admins where `when` says so), `invitee` (an address with no account yet), `user` (the
account an event concerns).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from commands.ats.application_events import STAGE_EVENTS
from commands.notifications.events import Category

C, R, CO, ADMIN, INVITEE, USER = "candidate", "recruiter", "company", "admin", "invitee", "user"


@dataclass(frozen=True)
class Row:
    event: str
    audiences: tuple[str, ...]
    template: str
    category: Category
    when: str = ""


_STAGE_EVENTS = tuple(event.__name__ for event in STAGE_EVENTS)

ROWS: tuple[Row, ...] = (
    # applications
    *(Row(event, (C, R, CO), "application_stage", category, "the new stage's audience (domain §10): the company once"
          " the application has reached it; a move to `ai_reviewed` is told by the review's own notice")
      for event in _STAGE_EVENTS for category in ("applications", "interviews", "offers_hires")),
    Row("ApplicationProposed", (C,), "application_proposed", "applications"),
    Row("AIReviewCompleted", (C, R), "ai_review_completed", "applications"),
    Row("ApplicationExpiryWarned", (C, R, CO), "expiry_warning", "applications",
        "the company once the application has reached it"),
    Row("ApplicationOfferAccepted", (R, CO), "offer_accepted", "offers_hires"),
    Row("ApplicationPrescreenRequested", (R,), "prescreen_requested", "applications"),
    Row("ApplicationNoteAdded", (C, R, CO), "note_added", "applications",
        "those who read the note's visibility, never its author"),
    # jobs
    Row("JobStatusChanged", (R, CO), "job_status", "jobs_matches", "not the person who changed it"),
    # candidates, representation, invitations, relationships
    Row("RecruiterCandidateInvited", (C,), "candidate_invitation", "invitations"),
    Row("RecruiterCandidateConsentGiven", (R,), "consent_given", "candidates"),
    Row("RecruiterCandidateConsentDeclined", (R,), "consent_declined", "candidates"),
    Row("RecruiterCandidateInvitationCancelled", (C,), "representation_invitation_cancelled", "invitations"),
    Row("InvitationCreated", (INVITEE,), "organization_invitation", "invitations"),
    Row("FirmInvitationCreated", (INVITEE,), "firm_invitation", "invitations"),
    Row("InvitationAccepted", (ADMIN,), "member_joined", "invitations", "the organization's admins"),
    Row("FirmInvitationAccepted", (ADMIN,), "member_joined", "invitations", "the firm's owners and admins"),
    *(Row(event, (R, CO), "recruiter_company", "invitations", "the side that did not act")
      for event in ("RecruiterCompanyInvited", "RecruiterCompanyConnectionRequested", "RecruiterCompanyAccepted",
                    "RecruiterCompanyDeclined")),
    Row("RecruiterCandidateTerminated", (C, R), "relationship_ended", "candidates", "the side that did not end it"),
    Row("RecruiterCompanyTerminated", (R, CO), "relationship_ended", "engagement", "the side that did not end it"),
    Row("RecruiterCandidateTerminationDecided", (C, R), "relationship_ending_decided", "applications",
        "the side that did not end it"),
    Row("RecruiterCompanyTerminationDecided", (R, CO), "relationship_ending_decided", "engagement",
        "the side that did not end it"),
    Row("RecruiterCodeRedeemed", (R,), "referral_redeemed", "engagement"),
    Row("CompanyPlatformInvitationCreated", (INVITEE,), "company_platform_invitation", "invitations"),
    # placements and money
    Row("PlacementCreated", (C, R, CO), "placement_created", "placements", "the credited recruiters"),
    Row("PlacementStateChanged", (R, CO), "placement_state", "placements"),
    Row("InvoicePaid", (CO,), "invoice_paid", "billing"),
    Row("PayoutTransferred", (R,), "payout_sent", "billing"),
    Row("PayoutConnectRequired", (R,), "connect_required", "billing"),
    Row("PayoutTransferFailed", (R,), "payout_failed", "billing"),
    Row("PayoutBankFailed", (R,), "payout_failed", "billing"),
    Row("ConnectAccountOnboarded", (R,), "connect_account", "billing"),
    Row("ConnectAccountDisabled", (R,), "connect_account", "billing"),
    Row("SubscriptionCanceled", (USER,), "subscription_canceled", "billing", "the subscriber"),
    # platform
    Row("FraudSignalRaised", (ADMIN,), "fraud_alert", "security", "every platform admin"),
    Row("RecruiterTierChanged", (R,), "tier_changed", "engagement"),
    Row("CompanyTierChanged", (CO,), "tier_changed", "engagement"),
)


# The original's notices that Splits does not send, and why (most concern a feature Splits does not have).
OMITTED: tuple[tuple[str, str], ...] = (
    ("callConfirmation, callCancellation, callReschedule, callReminder, instantCall, callRecordingReady",
     "Splits has no calls or video"),
    ("jobRecommendation, recruiterInvite, inviteDenied, candidate match digest", "Splits has no matching service"),
    ("badge, level and streak notices", "Splits has no gamification"),
)


class UnlistedNotice(RuntimeError):
    """A planner produced a notice the catalogue does not list: a programming error, caught by the tests."""


_LISTED = {(row.event, audience, row.template, row.category) for row in ROWS for audience in row.audiences}


def check(event: str, audience: str, template: str, category: str) -> None:
    if (event, audience, template, category) not in _LISTED:
        raise UnlistedNotice(f"{event} → {audience}: {template} ({category}) is not in consumers/notifications/"
                             "catalogue.py; add its row (and regenerate docs/notifications.md)")


def markdown() -> str:
    lines = [
        "# Notifications",
        "",
        "Generated by `python -m consumers.notifications.catalogue > docs/notifications.md` from",
        "`consumers/notifications/catalogue.py`; the templates are `consumers/notifications/templates/<template>.j2`.",
        "Each notice goes in-app to people with an account and by email, gated by the recipient's plan",
        "(`email_notifications`, recruiters) and their preference for the category.",
        "",
        "| event | recipients | template | category | when |",
        "|---|---|---|---|---|",
    ]
    merged: dict[tuple[str, tuple[str, ...], str, str], list[str]] = {}
    for row in ROWS:
        merged.setdefault((row.event, row.audiences, row.template, row.when), []).append(row.category)
    for (event, audiences, template, when), categories in merged.items():
        lines.append(f"| `{event}` | {', '.join(audiences)} | `{template}` | {', '.join(categories)} | {when} |")
    lines += ["", "## Not sent", "", "| the original's notices | why not |", "|---|---|"]
    lines += [f"| {names} | {why} |" for names, why in OMITTED]
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.write(markdown())


if __name__ == "__main__":
    main()
