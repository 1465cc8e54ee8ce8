"""The notifications reactor (domain §10): for each event that concerns people, who is told, with what
template, and through which channel.

Who (the matrix of §10, stage by stage):
- an application moves: the candidate, their recruiter(s) and the company's admins, as the stage warrants
  (consumers/notifications/stages.py): the company only once the application has reached it;
- a proposal: the candidate; a representation invitation: the candidate (by email even before they have an
  account); consent given: the recruiter; organization and firm invitations: the invited address; a
  recruiter relationship ended, and what its ending withdrew, paused or closed: the party that did not end it;
- a placement: the company's admins, the credited recruiters and the candidate; an invoice paid: the
  company's admins; a payout sent, or waiting for a Connect account: the recruiter it is for; an AI review's
  result: the candidate and their recruiter (the move to `ai_reviewed` itself is not announced); a fraud
  signal: every platform admin; a reputation tier change: the recruiter, or the company's admins.
- money held: an escrow hold, its release and a dispute, each step of it: every recruiter whose payout it holds
  (their own amount), and for a dispute the company's admins (a new one: the platform admins too); an invoice
  on net terms, billing set up: the company's admins (or the firm's) and, for the invoice, the billing email.

Gates, in order: a recruiter whose plan lacks `email_notifications` gets the in-app notification only (other
people are not on plans: their emails are transactional); then each person's preference for the category
(email and in-app separately; on by default). People without an account get email only.

Once per (event, recipient, template): the notification's id is derived from the three, its stream records
the in-app notification and the email once each, and the email carries the same triple as its Resend
idempotency key. A Resend failure that may pass (5xx, rate limit, network) raises, so the runtime retries
the event with backoff and, in the end, dead-letters it; what was already recorded is not done again. A
refusal records `EmailFailed` and the other recipients are still told. So are they when one recipient's data
was erased: nothing is recorded or sent for that one (their address reads `[erased]`, or their key is gone).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import NAMESPACE_URL, uuid5

import structlog

from commands.notifications import notification as notifications
from commands.notifications import preferences as prefs
from consumers.notifications import (
    applications, catalogue, endings, engagement, jobs, placements, platform, referrals, relationships,
)
from consumers.notifications import holds, invoices
from consumers.notifications import chat
from consumers.notifications import candidates, invitations, onboarding, stages
from consumers.notifications.people import Notice, Person, Planner, Reads
from consumers.notifications.resend_webhooks import refuse_if_suppressed
from consumers.notifications.templates import render
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import EventStore, Metadata, SubjectErased, handle, load, stream_id_for
from eventstore.personal import ERASED
from adapters.mail import Email, MailRefused
from projections.billing.entitlement_queries import entitlements_of

log = structlog.get_logger(__name__)

_PLANNERS: dict[type, Planner] = {  # stages first: a pre-screen's own planner (applications) tells its move too
    **stages.PLANNERS, **onboarding.PLANNERS, **candidates.PLANNERS, **invitations.PLANNERS,
    **applications.PLANNERS, **relationships.PLANNERS, **placements.PLANNERS, **platform.PLANNERS,
    **endings.PLANNERS, **referrals.PLANNERS, **jobs.PLANNERS, **engagement.PLANNERS,
    **holds.PLANNERS, **invoices.PLANNERS, **chat.PLANNERS,
}


# --- telling them --------------------------------------------------------------------------------------------

async def _email_allowed(store: EventStore, person: Person, category: str, at: datetime) -> tuple[bool, bool]:
    """(email, in-app) for this person and category: the plan gate, then their preferences."""
    email, in_app = True, person.user_id is not None
    if person.user_id is None:
        return email, in_app
    if person.is_recruiter and not (await entitlements_of(store, person.user_id, at)).allows("email_notifications"):
        email = False
    chosen, _, _ = await load(store, prefs.preferences, stream_id_for(prefs.preferences, person.user_id))
    return email and chosen.email(category), in_app and chosen.in_app(category)


async def _tell(reaction: Reaction, notice: Notice) -> None:
    assert reaction.context is not None and reaction.context.mailer is not None
    store, settings, mailer = reaction.store, reaction.context.settings, reaction.context.mailer
    source, at = reaction.recorded.event_id, reaction.event.at
    recipient = str(notice.to.user_id or notice.to.email.lower())
    once = notice.once_per or str(source)  # what it is told once for: the event, or what the notice names
    notification_id = (notifications.notification_id_for(source, recipient, notice.template) if notice.once_per is None
                       else uuid5(NAMESPACE_URL, f"splits:notification:{once}:{recipient}:{notice.template}"))
    state, _, _ = await load(store, notifications.notification, stream_id_for(notifications.notification,
                                                                               notification_id))
    email_ok, in_app_ok = await _email_allowed(store, notice.to, notice.category, at)
    in_app_ok = in_app_ok and not notice.email_only
    unsubscribe = None
    tokens = reaction.context.tokens  # the system's signer (a context built by hand in a test may have none)
    if notice.category == "engagement" and notice.to.user_id is not None and tokens is not None:  # RFC 8058
        unsubscribe = engagement.unsubscribe_url(tokens.secret, settings.public_api_url,
                                                 notice.to.user_id, notice.category, at)
    rendered = render(notice.template, notice.context | {"action_url": notice.action_url,
                                                         "unsubscribe_url": unsubscribe})
    if unsubscribe:
        rendered = replace(rendered, text=f"{rendered.text}\n\nUnsubscribe from these emails: {unsubscribe}")
    meta = Metadata(actor=f"reactor:{reaction.reactor}", correlation_id=reaction.metadata().correlation_id,
                    causation_id=str(source), source="reactor")
    if in_app_ok and not state.in_app and notice.to.user_id is not None:
        await handle(store, notifications.notification, notification_id, notifications.RecordInApp(
            notification_id=notification_id, user_id=notice.to.user_id, category=notice.category,
            template=notice.template, title=rendered.subject, body=rendered.text, action_url=notice.action_url,
            source_event_id=source, at=at), meta)
    if not email_ok or state.email != "none":
        return
    sender = settings.resend_candidate_from_email if notice.to.is_candidate else settings.resend_from_email
    key = f"{once}/{recipient}/{notice.template}"
    try:
        await refuse_if_suppressed(store, notice.to.email)  # a hard bounce or a complaint: recorded failed
        message_id = await mailer.send(Email(sender, notice.to.email, rendered.subject, rendered.html,
                                             rendered.text,
                                             engagement.unsubscribe_headers(unsubscribe) if unsubscribe else None),
                                       key)
    except MailRefused as exc:
        log.warning("email refused", template=notice.template, to=notice.to.email, reason=str(exc))
        await handle(store, notifications.notification, notification_id, notifications.RecordEmailFailed(
            notification_id=notification_id, user_id=notice.to.user_id, recipient_email=notice.to.email,
            template=notice.template, subject=rendered.subject, reason=str(exc), source_event_id=source, at=at), meta)
        return
    await handle(store, notifications.notification, notification_id, notifications.RecordEmailSent(
        notification_id=notification_id, user_id=notice.to.user_id, recipient_email=notice.to.email,
        category=notice.category, template=notice.template, subject=rendered.subject, text=rendered.text,
        html=rendered.html, provider=mailer.provider, provider_message_id=message_id, idempotency_key=key,
        source_event_id=source, at=at), meta)


async def on_event(reaction: Reaction) -> None:
    planner = _PLANNERS.get(type(reaction.event))
    if planner is None:
        return
    assert reaction.context is not None
    settings = reaction.context.settings
    notices = await planner(reaction, Reads(reaction.store.pool), settings.portal_url.rstrip("/"),
                            settings.candidate_app_url.rstrip("/"))
    for notice in notices:
        catalogue.check(type(reaction.event).__name__, notice.audience, notice.template, notice.category)
    seen: set[tuple[str, str]] = set()
    for notice in notices:  # one email a person, even when they hold two parts (recruiter and company admin)
        if (notice.to.email.lower(), notice.template) in seen:
            continue
        seen.add((notice.to.email.lower(), notice.template))
        if notice.to.email == ERASED:  # an erased person's address: there is nobody to write to
            continue
        try:
            await _tell(reaction, notice)
        except SubjectErased:  # their data was erased (their address not yet scrubbed): skip them, tell the rest
            log.info("notice to an erased person skipped", template=notice.template, user_id=str(notice.to.user_id))


notifications_reactor = Reactor("notifier", list(_PLANNERS), on_event)
