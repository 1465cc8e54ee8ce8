"""A placement's money trail: the streams whose events an audit bundle holds, read whole from the event store.

- the placement (`placement-<id>`) and its money (`placementbilling-<id>`: snapshot, splits, invoice, payout
  schedules and transactions, escrow holds, disputes);
- the application that became it, with its stage history (`application-<id>`);
- the Stripe webhooks that touched them: those naming the placement, its invoice or one of its transfers
  (`stripewebhook-<event id>`, found through the billing read schema);
- the emails and notifications sent about any of those events (`notification-<id>`, found through the
  notifications read schema);
- earlier exports of the placement (`auditexport-<placement id>`), so each bundle shows who exported before.

Streams are read whole, from version 1, so every hash chain can be recomputed from its first link.
"""

from __future__ import annotations

from uuid import UUID

from psycopg import AsyncConnection

from eventstore import EventStore, RecordedEvent


async def _webhooks(db: AsyncConnection, needles: list[str]) -> list[str]:
    if not needles:
        return []
    cur = await db.execute(
        "SELECT stripe_event_id FROM billing.stripe_webhook_events WHERE payload::text LIKE ANY(%s)"
        " ORDER BY received_at, stripe_event_id", ([f"%{n}%" for n in needles],))
    return [f"stripewebhook-{row[0]}" for row in await cur.fetchall()]


async def _notifications(db: AsyncConnection, event_ids: list[UUID]) -> list[str]:
    cur = await db.execute(
        "SELECT notification_id FROM notifications.emails WHERE source_event_id = ANY(%s)"
        " UNION SELECT id FROM notifications.inbox WHERE source_event_id = ANY(%s)", (event_ids, event_ids))
    return sorted(f"notification-{row[0]}" for row in await cur.fetchall())


async def money_trail(store: EventStore, db: AsyncConnection, placement_id: UUID) -> list[RecordedEvent]:
    """Every event of the trail's streams, in feed order; empty when the placement is unknown."""
    placement = await store.read_stream(f"placement-{placement_id}")
    if not placement:
        return []
    money = await store.read_stream(f"placementbilling-{placement_id}")
    application_id = placement[0].data.get("application_id")
    application = await store.read_stream(f"application-{application_id}") if application_id else []
    core = [*placement, *money, *application]
    needles = [str(placement_id)]
    for e in money:
        for key in ("stripe_invoice_id", "stripe_transfer_id"):
            if isinstance(e.data.get(key), str):
                needles.append(e.data[key])
    streams: dict[str, list[RecordedEvent]] = {}
    for stream_id in await _webhooks(db, sorted(set(needles))):
        streams[stream_id] = await store.read_stream(stream_id)
    for stream_id in await _notifications(db, [e.event_id for e in core]):
        streams[stream_id] = await store.read_stream(stream_id)
    streams[f"auditexport-{placement_id}"] = await store.read_stream(f"auditexport-{placement_id}")
    trail = [*core, *(e for events in streams.values() for e in events)]
    return sorted(trail, key=lambda e: e.position)
