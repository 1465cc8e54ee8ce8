"""The Resend webhook process manager (issue 20 item 6): a recorded Resend event (`ResendWebhookReceived`)
turned into notification commands.

`POST /webhooks/resend` (api/notifications/resend_webhooks.py) only verifies and records; this reactor reads
the recorded payload (commands/notifications/resend_events.py) and:
1. reports it on the email it is about (`ReportDelivery` on `emaildelivery-<notification id>`), found by
   Resend's email id among the emails we recorded as sent; an email the read model does not have (sent
   by nobody we know, or not projected yet) is not reported, and the outcome says so;
2. on a hard bounce or a complaint, suppresses each recipient's address (`SuppressAddress` on
   `emailsuppression-<address id>`): the notifier sends nothing more to it (reactions.py, `suppression_of`);
3. marks the webhook processed, or ignored with the reason when the payload cannot be read any more.

Each step is keyed by the delivery and the step (`resend:<svix id>:…`), so a retry after a failure half way
repeats only what had not happened. The suppression does not wait for step 1: it holds for the address
whether or not the email is found.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import structlog

from commands.notifications import suppression as suppressions
from commands.notifications.addresses import address_id_for, normalized_address
from commands.notifications.delivery_events import ResendWebhookReceived
from commands.notifications.email_delivery import ReportDelivery, email_delivery
from commands.notifications.resend_events import Report, Unreadable, read, suppresses
from commands.notifications.resend_webhook import MarkResendWebhookProcessed, resend_webhook
from consumers.notifications.people import Reads
from consumers.runtime.reactor import Reaction, Reactor
from adapters.mail import MailRefused
from eventstore import EventStore, Metadata, SubjectErased, handle, load, stream_id_for
from projections.notifications.delivery_queries import email_by_provider_message_id

log = structlog.get_logger(__name__)


def _occurred(e: ResendWebhookReceived) -> datetime:
    """Resend's own time of the event; the receipt's when it has none we can read."""
    stamp = e.payload.get("created_at")
    try:
        at = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        at = None
    return at if at is not None and at.tzinfo is not None else e.received_at


async def _report(reaction: Reaction, e: ResendWebhookReceived, report: Report, meta: Metadata) -> str | None:
    """Steps 1 and 2; the reason the email itself could not be reported, if it could not."""
    store, at = reaction.store, _occurred(e)
    sent = await Reads(store.pool).read(email_by_provider_message_id, "resend", report.email_id)
    if sent is not None:
        try:
            await handle(store, email_delivery, sent.notification_id, ReportDelivery(
                notification_id=sent.notification_id, user_id=sent.user_id, provider_message_id=report.email_id,
                status=report.status, bounce_type=report.bounce_type, detail=report.detail, svix_id=e.svix_id,
                at=at), replace(meta, idempotency_key=f"resend:{e.svix_id}:report"))
        except SubjectErased:  # its recipient's data was erased since: nothing of them is recorded again
            log.info("delivery report about an erased person not recorded", svix_id=e.svix_id)
    if why := suppresses(report):
        for n, address in enumerate(sorted({normalized_address(a) for a in report.to})):
            command = suppressions.SuppressAddress.of(address, reason=why, provider_message_id=report.email_id,
                                                      svix_id=e.svix_id, at=at)
            try:
                await handle(store, suppressions.suppression, command.address_id, command,
                             replace(meta, idempotency_key=f"resend:{e.svix_id}:suppress:{n}"))
            except SubjectErased:  # the address's data was erased: nothing of it may be recorded again
                log.info("suppression of an erased address not recorded", svix_id=e.svix_id)
    return None if sent is not None else "no email recorded as sent carries this Resend email id"


async def on_resend_webhook(reaction: Reaction) -> None:
    e: ResendWebhookReceived = reaction.event
    state, _, _ = await load(reaction.store, resend_webhook, stream_id_for(resend_webhook, e.svix_id))
    if state.processed:
        return
    meta = Metadata(actor="resend", correlation_id=reaction.metadata().correlation_id, causation_id=e.svix_id,
                    source="resend-webhook")
    reason: str | None
    try:
        report = read(e.payload) if e.payload else None
        reason = None if report is not None else "the payload is not one Splits acts on (or no longer recorded)"
    except Unreadable as exc:
        report, reason = None, str(exc)
    if report is not None:
        reason = await _report(reaction, e, report, meta)
    ignored = report is None
    done = MarkResendWebhookProcessed(svix_id=e.svix_id, outcome="ignored" if ignored else "processed",
                                      reason=reason, at=reaction.clock.now())
    await handle(reaction.store, resend_webhook, e.svix_id, done,
                 replace(meta, idempotency_key=reaction.idempotency_key))
    if reason:
        log.info("resend webhook", svix_id=e.svix_id, event_type=e.event_type, outcome=done.outcome, reason=reason)


resend_webhooks = Reactor("resend-webhooks", [ResendWebhookReceived], on_resend_webhook)


# --- the sending side ----------------------------------------------------------------------------------------

class AddressSuppressed(MailRefused):
    """Not sent: the address hard-bounced or complained, and nobody has cleared it since."""


async def refuse_if_suppressed(store: EventStore, address: str) -> None:
    """Raise `AddressSuppressed` (an email refused for good, recorded failed with the reason, not retried) when
    email to `address` is suppressed; read from its stream, so a bounce recorded a moment ago counts."""
    address_id = address_id_for(address)
    state, _, _ = await load(store, suppressions.suppression, stream_id_for(suppressions.suppression, address_id))
    if state.suppressed:
        since = state.since.date().isoformat() if state.since else "earlier"
        why = "hard-bounced" if state.reason == "bounced" else "was reported as spam by its recipient"
        raise AddressSuppressed(f"not sent: the address {why} ({since}); email to it is suppressed until it "
                                "changes or its owner clears it")
