"""What the notifications projection pushes to the stream: each new in-app notification, to its user, as the
notifications list shows it (`notification`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg_pool import AsyncConnectionPool

from adapters.live import Publication
from commands.notifications.events import NotificationCreated
from eventstore import RecordedEvent

TYPES = frozenset({NotificationCreated.__name__})


async def plan(pool: AsyncConnectionPool, events: Sequence[tuple[RecordedEvent, Any]]) -> list[Publication]:
    return [
        Publication(e.user_id, "notification", {
            "id": e.notification_id, "category": e.category, "template": e.template, "title": e.title,
            "body": e.body, "action_url": e.action_url, "priority": e.priority, "read_at": None,
            "created_at": e.at.isoformat()})
        for _, e in events if isinstance(e, NotificationCreated)
    ]
