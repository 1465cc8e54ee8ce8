"""Live updates fed by the projectors: after a projection commits a batch, what each of its events means for the
users it concerns is pushed to their streams (adapters/live.py; `GET /v1/stream`, api/live/routes.py).

A projection that feeds the stream names a `Planner` (in `projections/<ctx>/live.py`): from the batch's
events, decoded, to the publications, reading its own (just committed) read model where it needs to. The hook
runs after the commit (consumers/runtime/projector.py `on_applied`): a read it makes sees the batch's rows, and
nothing is pushed for a batch that did not commit. It is best effort: a failure is logged and the rows stay
committed. An event recorded longer ago than the backlog is kept is not news: a projection catching up on its
history (a new one, or one rebuilt) pushes nothing for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import structlog
from psycopg_pool import AsyncConnectionPool

from adapters.live import Live, LiveHub, Publication
from eventstore import EventRegistry, RecordedEvent, UnknownEventType

log = structlog.get_logger(__name__)

Planner = Callable[[AsyncConnectionPool, Sequence[tuple[RecordedEvent, Any]]], Awaitable[list[Publication]]]
"""(the pool, the batch's events it takes as (recorded, decoded)) → what to push to whom."""


class LiveFeed:
    """The `on_applied` hook of one projection: its planner's publications, pushed through the process's hub."""

    def __init__(self, live: Live, hub: LiveHub, pool: AsyncConnectionPool, registry: EventRegistry,
                 types: frozenset[str], planner: Planner) -> None:
        self.live, self.hub, self.pool, self.registry = live, hub, pool, registry
        self.types, self.planner = types, planner

    async def __call__(self, events: Sequence[RecordedEvent]) -> None:
        since = self.live.clock.now() - timedelta(seconds=self.live.backlog_ttl_s)
        wanted = [e for e in events if e.type in self.types and e.recorded_at >= since]
        if not wanted:
            return
        if self.registry.keyring is not None:  # personal fields (a message's body) are opened for their reader
            await self.registry.keyring.load(wanted)
        decoded = []
        for recorded in wanted:
            try:
                decoded.append((recorded, self.registry.decode(recorded)))
            except (UnknownEventType, ValueError, TypeError, KeyError) as exc:
                log.warning("live updates skipped an event", type=recorded.type, error=repr(exc))
        publications = await self.planner(self.pool, decoded)
        await self.hub.publish(publications)


def chain(*hooks: Callable[[Sequence[RecordedEvent]], Awaitable[None]] | None
          ) -> Callable[[Sequence[RecordedEvent]], Awaitable[None]] | None:
    """One `on_applied` hook running each of `hooks` in turn (each one's failure logged, the others still run)."""
    present = [h for h in hooks if h is not None]
    if len(present) <= 1:
        return present[0] if present else None

    async def run(events: Sequence[RecordedEvent]) -> None:
        for hook in present:
            try:
                await hook(events)
            except Exception as exc:  # best effort, as the projector treats a single hook
                log.warning("projector hook failed", hook=repr(hook), error=repr(exc))

    return run
