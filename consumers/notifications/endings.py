"""Notices about a recruiter relationship ending (domain §4.3, §4.4): the other party is told that it ended and
why; then, when the termination decided something other than keeping (applications withdrawn, jobs paused or
closed), the other party is told what, since they did not choose it.

The recruiter–candidate pair: the candidate when the recruiter ended it, the recruiter when the candidate did.
The recruiter–company pair: the company's admins when the recruiter ended it, the recruiter when the company did.
"""

from __future__ import annotations

from uuid import UUID

from commands.ats import application as applications
from commands.ats import job as jobs
from commands.network.events import (
    RecruiterCandidateTerminated,
    RecruiterCandidateTerminationDecided,
    RecruiterCompanyTerminated,
    RecruiterCompanyTerminationDecided,
)
from consumers.notifications.people import (
    CANDIDATE, COMPANY, RECRUITER, Notice, Person, Planner, Reads, company_admins, find_candidate, find_recruiter,
)
from consumers.runtime.reactor import Reaction
from eventstore import EventStore, load, stream_id_for
from projections.ats.company_queries import company_name


async def _candidate_side(reaction: Reaction, db: Reads, portal: str, candidate_app: str, recruiter_id: UUID,
                          candidate_id: UUID, ended_by: str) -> tuple[list[Person], dict[str, str], str, str]:
    """(who is told, the names, their role, their link) for a recruiter–candidate event."""
    recruiter = await find_recruiter(db, recruiter_id)
    candidate = await find_candidate(reaction.store, db, candidate_id)
    names = {"recruiter_name": recruiter.name if recruiter and recruiter.name else "Your recruiter",
             "candidate_name": candidate.name if candidate and candidate.name else "A candidate"}
    if ended_by == "recruiter":
        return [candidate] if candidate else [], names, CANDIDATE, f"{candidate_app}/applications"
    return [recruiter] if recruiter else [], names, RECRUITER, f"{portal}/candidates/{candidate_id}"


async def _company_side(db: Reads, portal: str, recruiter_id: UUID, company_id: UUID,
                        ended_by: str) -> tuple[list[Person], dict[str, str], str, str]:
    """(who is told, the names, their role, their link) for a recruiter–company event."""
    recruiter = await find_recruiter(db, recruiter_id)
    names = {"recruiter_name": recruiter.name if recruiter and recruiter.name else "A recruiter",
             "company_name": await db.read(company_name, company_id) or "A company"}
    if ended_by == "company":
        return [recruiter] if recruiter else [], names, RECRUITER, f"{portal}/companies/{company_id}"
    return await company_admins(db, company_id), names, COMPANY, f"{portal}/recruiters/{recruiter_id}"


async def _candidate_ended(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCandidateTerminated = reaction.event
    people, names, audience, url = await _candidate_side(reaction, db, portal, candidate_app, e.recruiter_id,
                                                         e.candidate_id, e.terminated_by)
    context = names | {"pair": "representation", "audience": audience, "reason": e.reason}
    return [Notice(person, "relationship_ended", "candidates", context, url, audience) for person in people]


async def _company_ended(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCompanyTerminated = reaction.event
    people, names, audience, url = await _company_side(db, portal, e.recruiter_id, e.company_id, e.terminated_by)
    context = names | {"pair": "company", "audience": audience, "reason": e.reason}
    return [Notice(person, "relationship_ended", "engagement", context, url, audience) for person in people]


async def _titles(store: EventStore, job_ids: list[UUID]) -> list[str]:
    titles = []
    for job_id in job_ids:
        job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, job_id))
        titles.append(job.title if job.exists and job.title else "a job")
    return titles


async def _applications_decided(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCandidateTerminationDecided = reaction.event
    withdrawn = [item.application_id for item in e.applications if item.decision == "withdraw"]
    if not withdrawn:
        return []
    job_ids = []
    for application_id in withdrawn:
        app, _, _ = await load(reaction.store, applications.application,
                               stream_id_for(applications.application, application_id))
        if app.exists:
            job_ids.append(app.job_id)
    people, names, audience, url = await _candidate_side(reaction, db, portal, candidate_app, e.recruiter_id,
                                                         e.candidate_id, e.decided_by)
    context = names | {"pair": "representation", "audience": audience,
                       "withdrawn": await _titles(reaction.store, job_ids), "paused": [], "closed": []}
    return [Notice(person, "relationship_ending_decided", "applications", context, url, audience)
            for person in people]


async def _jobs_decided(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: RecruiterCompanyTerminationDecided = reaction.event
    paused = [item.job_id for item in e.jobs if item.decision == "pause"]
    closed = [item.job_id for item in e.jobs if item.decision == "close"]
    if not paused and not closed:
        return []
    people, names, audience, url = await _company_side(db, portal, e.recruiter_id, e.company_id, e.decided_by)
    context = names | {"pair": "company", "audience": audience, "withdrawn": [],
                       "paused": await _titles(reaction.store, paused), "closed": await _titles(reaction.store, closed)}
    return [Notice(person, "relationship_ending_decided", "engagement", context, url, audience) for person in people]


PLANNERS: dict[type, Planner] = {
    RecruiterCandidateTerminated: _candidate_ended,
    RecruiterCompanyTerminated: _company_ended,
    RecruiterCandidateTerminationDecided: _applications_decided,
    RecruiterCompanyTerminationDecided: _jobs_decided,
}
