"""Notices about jobs.

- A job's status moving (published, paused, filled, closed, back to draft) is told to the company's admins and
  the recruiter who owns the job, except to whoever moved it; closed by the scheduler because its closing date
  passed, it is told as expired (`job_expired`). A firm's job (no company) is told to its owner recruiter only.
- A job created: the company's admins (and the owner recruiter) get the confirmation, the creator included; the
  company's first job is told as that milestone (`first_job`, read from the jobs read model: a job created
  before the one before it is projected may be called first too).
- A job edited in what recruiters work from (title, place, pay, fee, guarantee, kind of work) is told to the
  recruiters with an open application on it, except whoever edited it; the notice names the fields, not their
  values (the link shows them, behind the job's reads)."""

from __future__ import annotations

from typing import Any

from commands.ats import job as jobs
from commands.ats.events import JobCreated, JobEdited, JobStatusChanged
from commands.ats.job_rules import CLOSING_DATE_PASSED
from consumers.notifications.people import (
    COMPANY, RECRUITER, Notice, Person, Planner, Reads, actor_user_id, company_admins, find_recruiter,
)
from consumers.runtime.reactor import Reaction
from eventstore import load, stream_id_for
from projections.ats.company_queries import company_name
from projections.ats.notice_queries import is_first_job_of_company, recruiters_on_open_applications

# The fields of a job a recruiter with a candidate on it must know changed, as the notice names them.
_WORKED_FROM = {
    "title": "title", "location": "location", "salary_min_cents": "salary range", "salary_max_cents": "salary range",
    "fee_bps": "fee", "guarantee_days": "guarantee period", "employment_type": "employment type",
    "commute_types": "work arrangement", "open_to_relocation": "relocation",
}


async def _job_people(db: Reads, job: Any) -> list[tuple[str, Person]]:
    people = [(COMPANY, person) for person in await company_admins(db, job.company_id)]
    if owner := await find_recruiter(db, job.job_owner_recruiter_id):
        people.append((RECRUITER, owner))
    return people


async def _status_changed(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: JobStatusChanged = reaction.event
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, e.job_id))
    if not job.exists:
        return []
    actor = actor_user_id(e.by)
    expired = e.to_status == "closed" and e.reason == CLOSING_DATE_PASSED
    context = {"job_title": job.title or "a job", "from_status": e.from_status, "to_status": e.to_status,
               "reason": e.reason, "closes_on": job.closes_at.date().isoformat() if job.closes_at else None}
    url = f"{portal}/jobs/{e.job_id}"
    return [Notice(person, "job_expired" if expired else "job_status", "jobs_matches", context | {"audience": audience},
                   url, audience)
            for audience, person in await _job_people(db, job) if person.user_id != actor]


async def _created(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: JobCreated = reaction.event
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, e.job_id))
    if not job.exists:
        return []
    name = await db.read(company_name, e.company_id) if e.company_id else None
    first = e.company_id is not None and await db.read(is_first_job_of_company, e.company_id, e.job_id)
    context = {"job_title": job.title or "a job", "company_name": name or "your company", "status": job.status,
               "first_job": first}
    return [Notice(person, "job_created", "jobs_matches", context | {"audience": audience},
                   f"{portal}/jobs/{e.job_id}", audience) for audience, person in await _job_people(db, job)]


async def _edited(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: JobEdited = reaction.event
    fields = sorted({_WORKED_FROM[f] for f in e.changes if f in _WORKED_FROM})
    if not fields:
        return []
    job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, e.job_id))
    if not job.exists:
        return []
    actor = actor_user_id(e.by)
    context = {"job_title": job.title or "a job", "fields": fields, "audience": RECRUITER}
    recruiters = [await find_recruiter(db, r) for r in await db.read(recruiters_on_open_applications, e.job_id)]
    return [Notice(person, "job_updated", "jobs_matches", context, f"{portal}/jobs/{e.job_id}", RECRUITER)
            for person in recruiters if person is not None and person.user_id != actor]


PLANNERS: dict[type, Planner] = {JobStatusChanged: _status_changed, JobCreated: _created, JobEdited: _edited}
