"""Every verified Stripe webhook, as delivered, and what became of it: `received` until it is `processed` or
`ignored` (with the reason)."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from commands.billing.events import StripeWebhookProcessed, StripeWebhookReceived
from projections.billing.schema import billing
from projections.core import Sql

billing.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS stripe_webhook_events (
        stripe_event_id text PRIMARY KEY,
        event_type      text NOT NULL,
        api_version     text,
        livemode        boolean NOT NULL,
        account         text,
        created         timestamptz NOT NULL,
        payload         jsonb NOT NULL,
        status          text NOT NULL,
        reason          text,
        received_at     timestamptz NOT NULL,
        processed_at    timestamptz
    );
    CREATE INDEX IF NOT EXISTS stripe_webhook_events_received_idx ON stripe_webhook_events (received_at DESC);
    CREATE INDEX IF NOT EXISTS stripe_webhook_events_type_idx ON stripe_webhook_events (event_type, received_at DESC);
    CREATE INDEX IF NOT EXISTS stripe_webhook_events_status_idx ON stripe_webhook_events (status, received_at DESC);
    """
)


@billing.handles(StripeWebhookReceived)
def _(e: StripeWebhookReceived) -> Sql:
    return Sql(
        "INSERT INTO stripe_webhook_events (stripe_event_id, event_type, api_version, livemode, account, created,"
        " payload, status, received_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 'received', %s)"
        " ON CONFLICT (stripe_event_id) DO NOTHING",
        (e.stripe_event_id, e.event_type, e.api_version, e.livemode, e.account, e.created, Jsonb(e.payload),
         e.received_at),
    )


@billing.handles(StripeWebhookProcessed)
def _(e: StripeWebhookProcessed) -> Sql:
    return Sql(
        "UPDATE stripe_webhook_events SET status = %s, reason = %s, processed_at = %s WHERE stripe_event_id = %s",
        (e.outcome, e.reason, e.at, e.stripe_event_id),
    )
