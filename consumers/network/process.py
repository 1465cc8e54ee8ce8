"""The network context's process managers.

* A new recruiter's user is granted the `recruiter` role, naming the recruiter (domain §3.3).
* A candidate who consents while signed in claims the candidate record their recruiter made for them
  (a recruiter-managed record, without an account): the record is linked to their user.

The consent route accepts a consent only from the candidate: the record's account, or a user with no
candidate record of their own whose email, verified by Clerk, is the record's. The link repeats that
rule on what the streams hold, so a consent recorded before the route checked it (one candidate
consenting to another person's invitation) never hands them the other person's record: it is logged as
not the candidate's and left unlinked.

* A relationship ended with decisions (domain §4.3, §4.4; api/network/endings.py): each application to
  withdraw is withdrawn (as the system), each job to pause is paused and each to close is closed. `keep`
  does nothing. An item is acted on only if its own stream still says the relationship covers it (the
  application is the candidate's, with the recruiter as their recruiter; the job is the company's and
  owned by the recruiter); otherwise it is logged and left.

Each step is a command keyed by the reaction (and, for the endings, by the item), so a redelivered event
changes nothing and a crash between items finishes on retry. A step the target refuses (the user was
deleted; the record is already someone else's, or archived; the application was hired meanwhile; the job
was closed) is logged and left: retrying cannot change the answer.
"""

from __future__ import annotations

from dataclasses import replace

import structlog

from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.billing import billing_profile as profiles
from commands.core import DomainError
from commands.identity import user as users
from commands.network.events import (
    RecruiterCandidateConsentGiven,
    RecruiterCandidateTerminationDecided,
    RecruiterCompanyTerminationDecided,
    RecruiterCreated,
)
from consumers.runtime.reactor import Reaction, Reactor
from eventstore import EventStore, handle, load, stream_id_for

log = structlog.get_logger(__name__)


async def on_recruiter_created(reaction: Reaction) -> None:
    e: RecruiterCreated = reaction.event
    meta = reaction.metadata()
    command = users.GrantRole(user_id=e.user_id, role="recruiter", role_entity_id=e.recruiter_id, by=meta.actor,
                              at=e.at)
    try:
        await handle(reaction.store, users.user, e.user_id, command,
                     replace(meta, idempotency_key=f"{reaction.idempotency_key}:role"))
    except DomainError as exc:
        log.warning("recruiter created but its user was not given the recruiter role",
                    recruiter_id=str(e.recruiter_id), user_id=str(e.user_id), reason=exc.message)


async def on_consent_given(reaction: Reaction) -> None:
    e: RecruiterCandidateConsentGiven = reaction.event
    if e.user_id is None:
        return
    record, _, _ = await load(reaction.store, candidates.candidate, stream_id_for(candidates.candidate, e.candidate_id))
    if not record.recruiter_managed:
        if record.user_id != e.user_id:
            log.info("consent given; the candidate record is not recruiter-managed, so it was not linked",
                     candidate_id=str(e.candidate_id), user_id=str(e.user_id), exists=record.exists)
        return
    user, _, _ = await load(reaction.store, users.user, stream_id_for(users.user, e.user_id))
    own = {entity for role, entity in user.roles if role == "candidate" and entity is not None}
    invited = (user.email_verified and user.email is not None
               and user.email.casefold() == record.email.casefold())
    if own - {e.candidate_id} or not invited:
        log.error("consent recorded from a user who is not the candidate (another candidate's account, or not "
                  "the verified owner of the invited email); the record was not linked",
                  candidate_id=str(e.candidate_id), user_id=str(e.user_id), relationship_id=str(e.relationship_id),
                  has_another_record=bool(own - {e.candidate_id}), email_verified=user.email_verified)
        return
    meta = reaction.metadata()
    command = candidates.LinkCandidateUser(candidate_id=e.candidate_id, user_id=e.user_id, by=meta.actor, at=e.at)
    try:
        await handle(reaction.store, candidates.candidate, e.candidate_id, command,
                     replace(meta, idempotency_key=f"{reaction.idempotency_key}:link"))
    except DomainError as exc:
        log.warning("consent given but the candidate record could not be linked to the user",
                    candidate_id=str(e.candidate_id), user_id=str(e.user_id), reason=exc.message)


recruiter_roles = Reactor("recruiter-roles", [RecruiterCreated], on_recruiter_created)
candidate_consents = Reactor("candidate-consents", [RecruiterCandidateConsentGiven], on_consent_given)


# --- relationship endings --------------------------------------------------------------------------------------

WITHDRAWN_BECAUSE = "the recruiter's representation of the candidate ended"
JOB_ENDED_BECAUSE = "the owning recruiter's relationship with the company ended"


async def on_applications_decided(reaction: Reaction) -> None:
    e: RecruiterCandidateTerminationDecided = reaction.event
    meta = reaction.metadata()
    for item in e.applications:
        if item.decision != "withdraw":
            continue
        app, _, _ = await load(reaction.store, applications.application,
                               stream_id_for(applications.application, item.application_id))
        if not app.exists or app.candidate_id != e.candidate_id or app.candidate_recruiter_id != e.recruiter_id:
            log.warning("an ended relationship's application is not covered by it: left as it is",
                        relationship_id=str(e.relationship_id), application_id=str(item.application_id))
            continue
        command = applications.WithdrawApplication(application_id=item.application_id, by_role="system",
                                                   reason=WITHDRAWN_BECAUSE, by=meta.actor, at=e.at)
        try:
            await handle(reaction.store, applications.application, item.application_id, command,
                         replace(meta, idempotency_key=f"{reaction.idempotency_key}:{item.application_id}"))
        except DomainError as exc:
            log.warning("an ended relationship's application could not be withdrawn",
                        relationship_id=str(e.relationship_id), application_id=str(item.application_id),
                        reason=exc.message)


async def _billing_ready(store: EventStore, job: jobs.Job) -> bool:
    """A pause keeps a job off draft, so the job rules want its company billable: read from the billing
    profile's own stream, as the job routes do."""
    assert job.company_id is not None
    key = profiles.billing_profile_key("company", job.company_id)
    profile, _, _ = await load(store, profiles.billing_profile, stream_id_for(profiles.billing_profile, key))
    return profile.ready


async def on_jobs_decided(reaction: Reaction) -> None:
    e: RecruiterCompanyTerminationDecided = reaction.event
    meta = reaction.metadata()
    for item in e.jobs:
        if item.decision == "keep":
            continue
        job, _, _ = await load(reaction.store, jobs.job, stream_id_for(jobs.job, item.job_id))
        if not job.exists or job.company_id != e.company_id or job.job_owner_recruiter_id != e.recruiter_id:
            log.warning("an ended relationship's job is not owned by its recruiter: left as it is",
                        relationship_id=str(e.relationship_id), job_id=str(item.job_id))
            continue
        common = {"job_id": item.job_id, "reason": JOB_ENDED_BECAUSE, "by": meta.actor, "at": e.at}
        command: jobs.StatusCommand = (
            jobs.PauseJob(**common, billing_ready=await _billing_ready(reaction.store, job))
            if item.decision == "pause" else jobs.CloseJob(**common))
        try:
            await handle(reaction.store, jobs.job, item.job_id, command,
                         replace(meta, idempotency_key=f"{reaction.idempotency_key}:{item.job_id}"))
        except DomainError as exc:
            log.warning(f"an ended relationship's job could not be {item.decision}d",
                        relationship_id=str(e.relationship_id), job_id=str(item.job_id), reason=exc.message)


async def on_termination_decided(reaction: Reaction) -> None:
    if isinstance(reaction.event, RecruiterCandidateTerminationDecided):
        await on_applications_decided(reaction)
    else:
        await on_jobs_decided(reaction)


relationship_endings = Reactor("relationship-endings",
                               [RecruiterCandidateTerminationDecided, RecruiterCompanyTerminationDecided],
                               on_termination_decided)
