"""The `fraud-signals` reactor (domain §3.5, §14): each new application and each recruiter's submission is run
through the fraud analyzers, and what they find is recorded as a signal for platform admins to review.

- `ApplicationCreated` → `duplicate_application`: the candidate's other applications for the job.
- `ApplicationSubmitted` by a recruiter → `rapid_submission`: that recruiter's submissions in the 30 minutes
  up to this one.

The window is what the feed held at the triggering event: the ats read schema only says which applications to
look at (once it has applied the trigger), and each of them is folded from its stream up to the trigger's
position. A late run, a retry or a replayed delivery therefore sees the same window, and the signal's id is
derived from the trigger and the analyzer, so it is raised once (the decider records nothing for a signal that
exists). The admins' alert email is the notifications reactor's, on `FraudSignalRaised`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import structlog

from commands.ats import application as applications
from commands.ats.application_events import ApplicationCreated, ApplicationSubmitted
from commands.automation import fraud
from consumers.runtime.projector import checkpoint_name
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import EventStore, Position, RecordedEvent, handle, load_checkpoint, stream_id_for
from projections.fraud import queries

log = structlog.get_logger(__name__)

# How long to wait for the ats read schema to apply the trigger before failing the attempt (it is retried).
ATS_WAIT_S = 10.0


class ReadModelBehind(Exception):
    """The ats read schema has not applied the triggering event yet: retry later."""


async def _ats_has_applied(store: EventStore, position: Position) -> None:
    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + ATS_WAIT_S, 0.01
    while True:
        async with store.pool.connection() as db:
            checkpoint = await load_checkpoint(db, checkpoint_name("ats"))
        if checkpoint is not None and checkpoint.position >= position:
            return
        if loop.time() >= deadline:
            raise ReadModelBehind(f"the ats read schema has not applied {position} yet")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


async def _history(store: EventStore, application_id: UUID, until: Position) -> list[tuple[RecordedEvent, Any]]:
    """The application's events recorded up to `until` (inclusive), decoded."""
    assert store.registry is not None
    recorded = await store.read_stream(stream_id_for(applications.application, application_id))
    return [(r, store.registry.decode(r)) for r in recorded if r.position <= until]


def _submitter(state: applications.Application, e: ApplicationSubmitted) -> UUID | None:
    """The recruiter who made the submission, or None when it was not a recruiter's (a candidate, an admin)."""
    if e.by_role == "candidate_recruiter":
        return state.candidate_recruiter_id
    if e.by_role == "company_recruiter":
        return state.company_recruiter_id
    return None


def _submissions(history: Iterable[tuple[RecordedEvent, Any]]) -> list[fraud.Submission]:
    """The recruiter submissions of one application's history, each attributed as the application stood then."""
    state, found = applications.initial_state(), []
    for recorded, event in history:
        if isinstance(event, ApplicationSubmitted) and (recruiter := _submitter(state, event)) is not None:
            found.append(fraud.Submission(recorded.event_id, event.application_id, recruiter, event.at))
        state = applications.evolve(state, event)
    return found


async def _raise(reaction: Reaction, signal: fraud.Signal | None) -> None:
    if signal is None:
        return
    e = reaction.event
    command = fraud.RaiseSignal.of(signal, reaction.recorded.event_id, f"reactor:{reaction.reactor}", e.at)
    await handle(reaction.store, fraud.fraud_signal, command.signal_id, command, reaction.metadata())
    log.info("fraud signal raised", signal_id=str(command.signal_id), signal_type=signal.signal_type,
             severity=signal.severity, trigger_event_id=str(reaction.recorded.event_id))


async def on_application_created(reaction: Reaction) -> None:
    e: ApplicationCreated = reaction.event
    store, trigger = reaction.store, reaction.recorded.position
    await _ats_has_applied(store, trigger)
    async with store.pool.connection() as db:
        others = [a for a in await queries.applications_for(db, e.candidate_id, e.job_id) if a != e.application_id]
    window = []
    for other in others:
        state = applications.initial_state()
        for _, event in await _history(store, other, trigger):
            state = applications.evolve(state, event)
        if state.exists:
            window.append(fraud.ApplicationSeen(other, state.candidate_id, state.job_id, state.stage))
    await _raise(reaction, fraud.duplicate_application(window, e))


async def on_application_submitted(reaction: Reaction) -> None:
    e: ApplicationSubmitted = reaction.event
    store, trigger = reaction.store, reaction.recorded.position
    own = _submissions(await _history(store, e.application_id, trigger))
    this = next((s for s in own if s.event_id == reaction.recorded.event_id), None)
    if this is None:
        return  # not a recruiter's submission: nothing to count
    await _ats_has_applied(store, trigger)
    async with store.pool.connection() as db:
        recent = await queries.recent_applications_of(db, this.recruiter_id, this.at - fraud.RAPID_WINDOW)
    window = list(own)
    for application_id in recent:
        if application_id != e.application_id:
            window += _submissions(await _history(store, application_id, trigger))
    await _raise(reaction, fraud.rapid_submission(window, this))


async def on_application_event(reaction: Reaction) -> None:
    if isinstance(reaction.event, ApplicationCreated):
        await on_application_created(reaction)
    elif isinstance(reaction.event, ApplicationSubmitted):
        await on_application_submitted(reaction)


fraud_signals = Reactor("fraud-signals", [ApplicationCreated, ApplicationSubmitted], on_application_event)
