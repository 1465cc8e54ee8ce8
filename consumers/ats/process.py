"""A hire becomes a placement (domain §5.1–§5.2): on `ApplicationHired`, the placement named by the hire is
created with the job's terms and the five recruiters credited, all as they stood at the hire.

"At the hire" is the hire's place in the feed: the job, the sourcer claims and the sourcers' recruiter
accounts are folded from the events recorded before it, so a process that runs late (a retry, a consumer
catching up) freezes the same terms and attribution as one that ran at once. A sourcer is credited only
while their protection lasts at the hire time and only if their recruiter account is active; a candidate
or company nobody has claimed has no sourcer. The command carries an idempotency key derived from the
event, and the decider records nothing for a placement that already exists for the application, so a
redelivered hire changes nothing.

A failed placement linked to its replacement (`PlacementReplacementLinked`) is then marked on the replacement's
own stream (`MarkAsReplacement`), keyed by the link: the replacement then shows what it replaces. A replacement
already marked for another placement (two links raced past the route's check) cannot be repaired by a retry:
it is a permanent error, for a person to look at.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

import structlog

from commands.ats import application as applications
from commands.ats import job as jobs
from commands.ats import placement as placements
from commands.ats import sourcer as sourcers
from commands.ats.application_events import ApplicationHired
from commands.ats.placement_events import PlacementReplacementLinked
from commands.core import DomainError
from commands.network import recruiter as recruiters
from consumers.runtime.reactor import PermanentError, Reaction, Reactor
from eventstore.handle import state_as_of
from eventstore import EventStore, Position, handle

log = structlog.get_logger(__name__)




async def _credited_sourcer(store: EventStore, decider: Any, subject_id: UUID | None, hire: Position,
                            e: ApplicationHired) -> UUID | None:
    if subject_id is None:
        return None  # an off-platform firm job has no company to have sourced
    sourcer_id = sourcers.attributed_sourcer(await state_as_of(store, decider, subject_id, hire), e.at)
    if sourcer_id is None:
        return None
    account = await state_as_of(store, recruiters.recruiter, sourcer_id, hire)
    if account.exists and account.status == "active":
        return sourcer_id
    log.info("sourcer not credited: their recruiter account is not active", application_id=str(e.application_id),
             recruiter_id=str(sourcer_id), status=account.status if account.exists else None)
    return None


async def on_application_hired(reaction: Reaction) -> None:
    e: ApplicationHired = reaction.event
    store, hire, meta = reaction.store, reaction.recorded.position, reaction.metadata()
    app = await state_as_of(store, applications.application, e.application_id, hire, including=True)
    job = await state_as_of(store, jobs.job, app.job_id, hire) if app.exists else jobs.initial_state()
    if not job.exists:
        raise PermanentError(f"application {e.application_id} was hired on job {app.job_id}, which has no record")
    command = placements.CreatePlacement(
        placement_id=e.placement_id, application_id=e.application_id, job_id=app.job_id,
        candidate_id=app.candidate_id, company_id=app.company_id, salary_cents=e.salary_cents,
        fee_bps=job.fee_bps, guarantee_days=job.guarantee_days, hired_at=e.at, start_date=e.start_date,
        candidate_recruiter_id=app.candidate_recruiter_id, company_recruiter_id=app.company_recruiter_id,
        job_owner_recruiter_id=job.job_owner_recruiter_id,
        candidate_sourcer_recruiter_id=await _credited_sourcer(
            store, sourcers.candidate_sourcer, app.candidate_id, hire, e),
        company_sourcer_recruiter_id=await _credited_sourcer(store, sourcers.company_sourcer, app.company_id, hire, e),
        by=meta.actor or "reactor:placements", at=e.at,
    )
    try:
        await handle(store, placements.placement, e.placement_id, command, meta)
    except DomainError as exc:  # the same placement id for another application: retrying cannot help
        raise PermanentError(f"the hire of application {e.application_id} could not become placement "
                             f"{e.placement_id}: {exc.message}") from exc


placements_process = Reactor("placements", [ApplicationHired], on_application_hired)


async def on_replacement_linked(reaction: Reaction) -> None:
    e: PlacementReplacementLinked = reaction.event
    meta = reaction.metadata()
    command = placements.MarkAsReplacement(placement_id=e.replacement_placement_id,
                                           replaces_placement_id=e.placement_id, by=meta.actor, at=e.at)
    try:
        await handle(reaction.store, placements.placement, e.replacement_placement_id, command,
                     replace(meta, idempotency_key=f"{reaction.idempotency_key}:mark"))
    except DomainError as exc:
        raise PermanentError(f"placement {e.replacement_placement_id} could not be marked as replacing placement "
                             f"{e.placement_id}: {exc.message}") from exc


placement_replacements = Reactor("placement-replacements", [PlacementReplacementLinked], on_replacement_linked)
