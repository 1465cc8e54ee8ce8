"""Which email of ours a provider's report is about (issue 20 item 6)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import psycopg


@dataclass(frozen=True)
class SentEmail:
    notification_id: UUID
    user_id: UUID | None


async def email_by_provider_message_id(db: psycopg.AsyncConnection, provider: str,
                                       provider_message_id: str) -> SentEmail | None:
    """The email recorded as sent through `provider` under that message id, if the read model has it."""
    cur = await db.execute("SELECT notification_id, user_id FROM notifications.emails"
                           " WHERE provider_message_id = %s AND provider = %s AND status = 'sent' LIMIT 1",
                           (provider_message_id, provider))
    row = await cur.fetchone()
    return SentEmail(row[0], row[1]) if row else None
