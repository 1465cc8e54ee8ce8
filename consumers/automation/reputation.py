"""Reputation tiers: after an event that moves a recruiter's or a company's score, record a tier change
when the score crossed a boundary (domain §6.5; the notifications reactor emails it).

The score is read from the `reputation` read model, once its projector has applied the event (we wait,
bounded, for its checkpoint to pass the event's position; a projector that lags longer makes the reaction
fail and retry later). The score is computed from the stored counts by the pure formula, and the decider on
`reputation-<kind>-<id>` records a change only when the tier differs from the last one recorded. The
command carries the reaction's idempotency key, so running the same event twice records nothing twice.

The read model may already be past the event when it is read: the tier recorded is then the newer one, and
the later events' reactions find it already recorded. Replays never re-fire (reactors keep their inbox).
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from commands.ats.application_events import STAGE_EVENTS
from commands.ats.placement_events import PlacementCreated, PlacementStateChanged
from commands.automation import reputation as rep
from consumers.runtime.projector import checkpoint_name
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import EventStore, Position, handle, load_checkpoint
from projections.reputation import queries
from projections.reputation.schema import reputation as projection

WAIT_FOR_PROJECTION_S = 30.0


class ProjectionBehind(RuntimeError):
    """The reputation projection has not applied the event yet; the reaction is retried later."""


async def wait_for_projection(store: EventStore, position: Position, timeout_s: float = WAIT_FOR_PROJECTION_S) -> None:
    """Return once the reputation projection's checkpoint is at or past `position`."""
    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + timeout_s, 0.01
    name = checkpoint_name(projection.name)
    while True:
        async with store.pool.connection() as conn:
            checkpoint = await load_checkpoint(conn, name)
        if checkpoint is not None and checkpoint.position >= position:
            return
        if loop.time() >= deadline:
            raise ProjectionBehind(f"{name} has not reached {position} after {timeout_s}s")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def _subjects(store: EventStore, event: Any) -> tuple[list[UUID], list[UUID]]:
    """The recruiters and companies whose scores the event may have moved, from the read model."""
    async with store.pool.connection() as db:
        if isinstance(event, PlacementCreated | PlacementStateChanged):
            return await queries.placement_subjects(db, event.placement_id)
        return await queries.application_subjects(db, event.application_id)


async def _score(store: EventStore, kind: rep.SubjectKind, subject_id: UUID) -> float:
    async with store.pool.connection() as db:
        if kind == "recruiter":
            row = await queries.get_recruiter_reputation(db, subject_id)
            return rep.recruiter_score(queries.recruiter_counts(row))
        row = await queries.get_company_reputation(db, subject_id)
        return rep.company_score(queries.company_counts(row))


async def on_score_moved(reaction: Reaction) -> None:
    store, event = reaction.store, reaction.event
    await wait_for_projection(store, reaction.recorded.position)
    recruiters, companies = await _subjects(store, event)
    subjects: list[tuple[rep.SubjectKind, UUID]] = [("recruiter", r) for r in recruiters]
    subjects += [("company", c) for c in companies]
    for kind, subject_id in subjects:
        command = rep.RecordScore(kind=kind, subject_id=subject_id, score=await _score(store, kind, subject_id),
                                  at=event.at)
        await handle(store, rep.reputation, rep.subject_stream(kind, subject_id), command, reaction.metadata())


reputation_tiers = Reactor("reputation-tiers", [*STAGE_EVENTS, PlacementCreated, PlacementStateChanged],
                           on_score_moved)
