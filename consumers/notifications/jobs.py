"""Notices about jobs: a job's status moving (published, paused, filled, closed, back to draft) is told to the
company's admins and the recruiter who owns the job, except to whoever moved it. A firm's job (no company) is
told to its owner recruiter only."""

from __future__ import annotations

from commands.ats import job as jobs
from commands.ats.events import JobStatusChanged
from commands.identity.user import user_id_for
from consumers.notifications.people import COMPANY, RECRUITER, Notice, Planner, Reads, company_admins, find_recruiter
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for


async def _status_changed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: JobStatusChanged = reaction.event
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, e.job_id))
    if not job.exists:
        return []
    actor = user_id_for(e.by)
    context = {"job_title": job.title or "a job", "from_status": e.from_status, "to_status": e.to_status,
               "reason": e.reason}
    url = f"{portal}/jobs/{e.job_id}"
    people = [(COMPANY, person) for person in await company_admins(db, job.company_id)]
    if owner := await find_recruiter(db, job.job_owner_recruiter_id):
        people.append((RECRUITER, owner))
    return [Notice(person, "job_status", "jobs_matches", context | {"audience": audience}, url, audience)
            for audience, person in people if person.user_id != actor]


PLANNERS: dict[type, Planner] = {JobStatusChanged: _status_changed}
