"""Every notice Splits sends: which event tells whom, with which template, in which preference category.

The notifications reactor refuses to send a notice this table does not list (`check`), a test renders every
template for every audience listed here, and `python -m consumers.notifications.catalogue` writes the table as
docs/notifications.md (a test keeps that file current). Audiences: `candidate`, `recruiter` (the candidate's or
the job's recruiter, or the recruiter an event concerns), `company` (the company's admins), `admin` (platform
admins, or a group's admins where `when` says so), `invitee` (an address with no account yet), `user` (the
account an event concerns), `billing` (a company's or a firm's billing email).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from commands.notifications.events import Category

C, R, CO, ADMIN, INVITEE, USER = "candidate", "recruiter", "company", "admin", "invitee", "user"
BILLING = "billing"  # a billing profile's billing email, which need not be anyone's account


@dataclass(frozen=True)
class Row:
    event: str
    audiences: tuple[str, ...]
    template: str
    category: Category
    when: str = ""


ROWS: tuple[Row, ...] = (
    # applications (consumers/notifications/stages.py): the company's admins and recruiter only once the application
    # has reached the company; nobody of their own move (the candidate is, of a submission)
    Row("ApplicationCreated", (C, R), "application_created", "applications",
        "the candidate (applied directly, or by their recruiter); their recruiter when the candidate applied"),
    *(Row("ApplicationStageChanged", audiences, template, category, when) for audiences, template, category, when in (
        ((C,), "application_changes_requested", "applications", "to `recruiter_request`"),
        ((C, R, CO), "application_company_review", "applications", "to `company_review`"),
        ((C, R, CO), "application_company_feedback", "applications", "to `company_feedback`"),
        ((C, R, CO), "application_interview", "interviews", "to `interview`: the candidate's invitation"),
        ((C, R, CO), "application_offer", "offers_hires", "to `offer`: received (candidate), extended (others)"),
        ((C, R, CO), "application_rejected", "applications",
         "to `rejected`: the company only if it had seen the application"))),
    Row("ApplicationSubmitted", (C, R, CO), "application_submitted", "applications",
        "to `submitted`: the candidate (direct or through their recruiter), the recruiters, the company (received)"),
    Row("ApplicationSubmitted", (C, R), "application_recruiter_review", "applications",
        "to `recruiter_review`: the candidate's recruiter reviews it"),
    Row("ApplicationPrescreenRequested", (C, R), "application_screen", "applications",
        "the candidate and their recruiter (the screening recruiter has `prescreen_requested`)"),
    Row("ApplicationHired", (C, R, CO), "application_hired", "offers_hires", "never the fee"),
    Row("ApplicationWithdrawn", (R, CO), "application_withdrawn", "applications",
        "the company only if it had seen the application"),
    Row("ApplicationExpired", (C, R, CO), "application_expired", "applications",
        "the company only if it had seen the application; an unanswered proposal: opportunity expired"),
    Row("ApplicationReactivated", (C, R, CO), "application_stage", "applications",
        "the stage it is back at: its audience"),
    Row("ApplicationProposalAccepted", (R,), "proposal_answered", "applications", "the recruiter who proposed it"),
    Row("ApplicationProposalDeclined", (R,), "proposal_answered", "applications", "the recruiter who proposed it"),
    Row("ApplicationAIReviewFailed", (C, R), "ai_review_failed", "applications", "never the model's reason"),
    Row("ApplicationProposed", (C,), "application_proposed", "applications"),
    Row("AIReviewCompleted", (C, R), "ai_review_completed", "applications"),
    Row("ApplicationExpiryWarned", (C, R, CO), "expiry_warning", "applications",
        "the company once the application has reached it"),
    Row("ApplicationOfferAccepted", (R, CO), "offer_accepted", "offers_hires"),
    Row("ApplicationPrescreenRequested", (R,), "prescreen_requested", "applications", "the screening recruiter"),
    Row("ApplicationPrescreenRequested", (CO,), "prescreen_confirmation", "applications",
        "the company's user who asked"),
    Row("ApplicationNoteAdded", (C, R, CO), "note_added", "applications",
        "those who read the note's visibility, never its author"),
    # jobs
    Row("JobStatusChanged", (R, CO), "job_status", "jobs_matches", "not the person who changed it"),
    Row("JobStatusChanged", (R, CO), "job_expired", "jobs_matches", "closed by the scheduler: its closing date passed"),
    Row("JobCreated", (R, CO), "job_created", "jobs_matches",
        "the company's admins and the job's owner recruiter; the company's first job told as that milestone"),
    Row("JobEdited", (R,), "job_updated", "jobs_matches",
        "a field recruiters work from changed: the recruiters with an open application on it, not the editor"),
    # onboarding
    Row("UserRegistered", (C, USER), "welcome", "engagement", "the candidate app's sign-up: a candidate's welcome"),
    Row("RecruiterCreated", (R,), "welcome", "engagement", "the recruiter's onboarding"),
    Row("CompanyCreated", (CO,), "welcome", "engagement", "the organization's admin who created it"),
    # candidates, representation, invitations, relationships
    Row("RecruiterCandidateInvited", (C,), "candidate_invitation", "invitations"),
    Row("RecruiterCandidateConsentGiven", (R,), "consent_given", "candidates"),
    Row("RecruiterCandidateConsentDeclined", (R,), "consent_declined", "candidates"),
    Row("RecruiterCandidateInvitationCancelled", (C,), "representation_invitation_cancelled", "invitations"),
    Row("CandidateSourced", (C, R), "candidate_sourced", "candidates",
        "the sourcer (confirmation) and the candidate (added to a network); not by referral code"),
    Row("DocumentTextExtracted", (C, R), "resume_processed", "candidates",
        "a candidate's résumé: whoever uploaded it, the candidate or their recruiter"),
    *(Row(event, (INVITEE,), "invitation_revoked", "invitations", "the invited address")
      for event in ("InvitationRevoked", "FirmInvitationRevoked", "CompanyPlatformInvitationRevoked")),
    Row("CompanyPlatformInvitationAccepted", (R,), "company_invitation_accepted", "invitations",
        "the recruiter who invited the company"),
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
    # conversations
    Row("ConversationMessageSent", (USER,), "chat_message", "messaging",
        "each other participant with no live stream open who has not muted the conversation: once per conversation"
        " per quiet period (CHAT_EMAIL_QUIET_S), not once per message"),
    Row("CompanyPlatformInvitationCreated", (INVITEE,), "company_platform_invitation", "invitations"),
    # placements and money
    Row("PlacementCreated", (C, R, CO), "placement_created", "placements",
        "the credited recruiters; never the fee to the candidate"),
    Row("PlacementCreated", (R, CO), "first_placement", "placements",
        "instead of `placement_created`, to the company or a credited recruiter with no placement before it"),
    Row("PlacementStateChanged", (R, CO), "placement_activated", "placements", "to `active`; the credited recruiters"),
    Row("PlacementStateChanged", (R, CO), "placement_completed", "placements",
        "to `completed` (the guarantee is over); the credited recruiters"),
    Row("PlacementStateChanged", (R, CO), "placement_failed", "placements", "to `failed`; the credited recruiters"),
    Row("InvoicePaid", (CO,), "invoice_paid", "billing"),
    Row("PayoutTransferred", (R,), "payout_sent", "billing"),
    Row("PayoutConnectRequired", (R,), "connect_required", "billing"),
    Row("PayoutTransferFailed", (R,), "payout_failed", "billing"),
    Row("PayoutBankFailed", (R,), "payout_failed", "billing"),
    Row("ConnectAccountOnboarded", (R,), "connect_account", "billing"),
    Row("ConnectAccountDisabled", (R,), "connect_account", "billing"),
    Row("SubscriptionCanceled", (USER,), "subscription_canceled", "billing", "the subscriber"),
    Row("InvoiceIssued", (CO, ADMIN, BILLING), "invoice_issued", "billing",
        "on net terms only (`send_invoice`): the company's admins, or a firm's owners and admins, and the billing"
        " email"),
    Row("BillingReadinessChanged", (CO, ADMIN), "billing_setup_complete", "billing",
        "when it becomes ready: the company's admins, or a firm's owners and admins"),
    Row("EscrowHoldPlaced", (R,), "payout_held", "billing",
        "every recruiter with a payout of the placement not transferred yet: their own amount"),
    *(Row(event, (R,), "escrow_released", "billing",
          "every recruiter whose payout the hold held: their own amount, and whether something else still holds it")
      for event in ("EscrowHoldReleased", "EscrowHoldCancelled")),
    Row("DisputeOpened", (R, CO, ADMIN), "dispute_opened", "billing",
        "the company's admins, every recruiter whose payout it holds (their own amount) and every platform admin;"
        " not whoever opened it"),
    Row("DisputeUnderReview", (R, CO), "dispute_under_review", "billing",
        "the company's admins and every recruiter whose payout it holds (their own amount)"),
    Row("DisputeClosed", (R, CO), "dispute_closed", "billing",
        "resolved or dismissed: the company's admins and every recruiter whose payout it held (their own amount)"),
    # platform
    Row("FraudSignalRaised", (ADMIN,), "fraud_alert", "security", "every platform admin"),
    Row("RecruiterTierChanged", (R,), "tier_promotion", "engagement", "to a higher tier"),
    Row("RecruiterTierChanged", (R,), "tier_demotion", "engagement", "to a lower tier"),
    Row("CompanyTierChanged", (CO,), "tier_promotion", "engagement", "to a higher tier"),
    Row("CompanyTierChanged", (CO,), "tier_demotion", "engagement", "to a lower tier"),
    # scheduled engagement mail (consumers/notifications/schedules.py): by email only, with an unsubscribe link
    Row("EngagementMailDue", (R, CO), "weekly_digest", "engagement",
        "Monday 08:00 UTC: recruiters and company users whose applications were made or moved in the week before"),
    Row("EngagementMailDue", (CO,), "monthly_hiring_report", "engagement",
        "the 1st, 09:00 UTC: company admins whose company submitted, interviewed, hired or placed in the month before"),
    Row("EngagementMailDue", (C,), "candidate_reminder", "engagement",
        "Wednesday 10:00 UTC: candidates with a proposal, changes, pre-screen questions or an invitation waiting"),
    Row("EngagementMailDue", (R,), "recruiter_inactivity", "engagement",
        "Thursday 09:00 UTC: active recruiters not signed in for 14 days"),
    Row("EngagementMailDue", (C, R, CO), "aftercare", "engagement",
        "daily 08:00 UTC, day 3, 14, 30 and 90 after a hire and 7 days before the guarantee ends: the company's"
        " admins and the credited recruiters; the candidate on day 3, 30 and 90"),
)


# The original's notices that Splits does not send, and why (most concern a feature Splits does not have).
OMITTED: tuple[tuple[str, str], ...] = (
    ("callConfirmation, callCancellation, callReschedule, callReminder, instantCall, callRecordingReady",
     "Splits has no calls or video"),
    ("jobRecommendation, recruiterInvite, inviteDenied, candidate match digest", "Splits has no matching service"),
    ("badge, level and streak notices", "Splits has no gamification"),
    ("jobDeleted", "Splits never deletes a job: it is closed, and that is told by `job_status` (or `job_expired`"
     " when its closing date passed)"),
    ("collaboratorAdded", "Splits has no application collaborators: an application's people are its candidate, the"
     " candidate's recruiter and the company's recruiter and admins"),
    ("ownershipConflict, ownershipConflictRejection", "a second claim to a candidate's sourcer is refused (409"
     " `SourcerAlreadySet`) to the recruiter who made it and nothing is recorded: there is no event to tell of"),
    ("candidateDirectInvite, candidateRepresentedInvite", "Splits invites a candidate one way, to representation by a"
     " recruiter (`candidate_invitation`); a candidate otherwise joins by signing up (`welcome`)"),
    ("recruiterJobProposal, candidateAIReview (review started)", "the recruiter who proposes a job is the one who"
     " acted: the candidate gets `application_proposed` and the recruiter hears the answer (`proposal_answered`); a"
     " review's start is not announced, its result (`ai_review_completed`) or failure (`ai_review_failed`) is"),
    ("applicationCreated (the company's copy at creation)", "an application is created as a draft the company does"
     " not see; the company is told when it is submitted (`application_submitted`)"),
    ("securityReplayAlert", "Splits records no replayed or forged webhook to alert on: a delivery whose signature"
     " or timestamp does not verify is answered 400 and nothing is written, and a redelivery of a recorded event is"
     " answered `duplicate` and changes nothing (api/billing/webhooks.py, api/identity/webhooks.py)"),
    ("serviceUnhealthy, serviceRecovered", "Splits records no health events: a process's health is its probes"
     " (/health, /ready, watched by Kubernetes) and the consumers' status (consumers/runtime/status.py, read by"
     " platform admins through the admin API), not an event anyone is told of"),
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
