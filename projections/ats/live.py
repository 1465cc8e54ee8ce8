"""What the ats projection pushes to the stream: an application changed (`application`: its id, its stage and
when), to each person who follows it (`live_queries.application_followers`). The stream says what changed,
not how: the client reads the application again, through the reads' own access checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg_pool import AsyncConnectionPool

from adapters.live import Publication
from commands.ats.application import application
from eventstore import RecordedEvent
from projections.ats.live_queries import application_followers

TYPES = frozenset(cls.__name__ for cls in application.events)


async def plan(pool: AsyncConnectionPool, events: Sequence[tuple[RecordedEvent, Any]]) -> list[Publication]:
    ids = {e.application_id for recorded, e in events
           if recorded.stream_type == application.stream_type and hasattr(e, "application_id")}
    if not ids:
        return []
    async with pool.connection() as conn:
        rows = await application_followers(conn, ids)
    return [Publication(user, "application", {"application_id": app_id, "stage": stage, "at": at.isoformat()})
            for app_id, stage, at, followers in rows for user in sorted(followers)]
