"""The Clerk webhook process manager: a recorded Clerk event (`ClerkWebhookReceived`) turned into identity
commands (domain §8.1).

`POST /v2/webhooks/clerk` (api/identity/webhooks.py) only verifies and records; this reactor reads the recorded
payload, plans the commands it stands for (commands/identity/clerk_events.py), runs them in order and marks the
webhook processed, or ignored with the reason when the payload asks for nothing or a decider refuses a step.

A refusal is deterministic (a membership of an unknown organization, a deleted user), so it ends the webhook as
`ignored` rather than being retried; the payload stays recorded and can be replayed once its cause is fixed. Any
other failure propagates and the reactor runtime retries the event: each step is keyed by the delivery and its
place in the plan (`clerk:<svix id>:<n>`), so a retry after a failure half way repeats only what had not
happened.
"""

from __future__ import annotations

from dataclasses import replace

import structlog

from commands.core import DomainError
from commands.identity.clerk_events import Step, Unreadable, from_ms, read, steps_for
from commands.identity.clerk_webhook import MarkClerkWebhookProcessed, clerk_webhook
from commands.identity.events import ClerkWebhookReceived
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import EventStore, Metadata, handle, load, stream_id_for

log = structlog.get_logger(__name__)


def _plan(e: ClerkWebhookReceived) -> tuple[list[Step], str | None]:
    """The steps the recorded payload asks for, or why there are none."""
    if not e.payload:
        return [], "the event's payload is no longer recorded"  # erased with its person
    if e.instance not in ("portal", "candidate"):
        return [], f"instance {e.instance} is not one we act for"
    try:
        event, _, data = read(e.payload)
    except Unreadable as exc:
        return [], str(exc)
    # Clerk's own time of the event; a payload without one was sent (and signed) as we received it.
    occurred = from_ms(event.timestamp) or e.received_at
    return steps_for(e.event_type, data, e.instance, occurred)


async def _apply(store: EventStore, steps: list[Step], meta: Metadata, svix_id: str) -> str | None:
    """Run the steps in order; the first domain refusal stops them and is the reason returned."""
    for n, (decider, entity_id, command) in enumerate(steps):
        try:
            await handle(store, decider, entity_id, command, replace(meta, idempotency_key=f"clerk:{svix_id}:{n}"))
        except DomainError as exc:
            return f"{type(command).__name__} refused: {exc.message}"
    return None


async def on_clerk_webhook(reaction: Reaction) -> None:
    e: ClerkWebhookReceived = reaction.event
    state, _, _ = await load(reaction.store, clerk_webhook, stream_id_for(clerk_webhook, e.svix_id))
    if state.processed:
        return
    base = reaction.metadata()
    meta = Metadata(actor=f"clerk:{e.instance}", correlation_id=base.correlation_id, causation_id=e.svix_id,
                    source="clerk-webhook")
    steps, reason = _plan(e)
    if not reason:
        reason = await _apply(reaction.store, steps, meta, e.svix_id)
    done = MarkClerkWebhookProcessed(svix_id=e.svix_id, outcome="ignored" if reason else "processed", reason=reason,
                                     at=reaction.clock.now())
    await handle(reaction.store, clerk_webhook, e.svix_id, done,
                 replace(meta, idempotency_key=reaction.idempotency_key))
    if reason:
        log.info("clerk webhook ignored", svix_id=e.svix_id, event_type=e.event_type, instance=e.instance,
                 reason=reason)


# In order: Clerk sends an organization before its memberships, a user before their sessions.
clerk_webhooks = Reactor("clerk-webhooks", [ClerkWebhookReceived], on_clerk_webhook, in_order=True)
