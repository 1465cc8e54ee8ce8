"""AI fit review of an application entering `ai_review`.

Without `OPENAI_API_KEY` a transparent local scorer reviews: the share of the job's skills (and the
words of its title) found in the candidate's profile. It says what it is in its outcome's reason and
never pretends to be a model. The OpenAI-backed review with its structured result replaces `score`
when a key is configured (issue: reactors); the outcome command is the same.
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, uuid5

from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.ats.application_events import ApplicationStageChanged
from consumers.reactor import Reaction, Reactor
from eventstore import handle, load, stream_id_for

LOCAL_MODEL = "local-keyword-overlap"
# Below this share of the job's terms found in the profile, the candidate is asked to improve it.
IMPROVE_BELOW = 0.3
_WORD = re.compile(r"[a-z0-9+#]+")


def _terms(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2}


def local_score(job: jobs.Job, candidate: candidates.Candidate) -> float:
    """0..1: how many of the job's skills and title words the candidate's profile mentions."""
    wanted = {s.name.lower() for s in job.skills} | _terms(job.title)
    if not wanted:
        return 1.0
    profile = " ".join(filter(None, [candidate.current_title, candidate.bio, candidate.current_company])).lower()
    found = {term for term in wanted if term in profile}
    return len(found) / len(wanted)


async def _review(reaction: Reaction) -> None:
    e: ApplicationStageChanged = reaction.event
    if e.to_stage != "ai_review":
        return
    store = reaction.store
    application, _, _ = await load(store, applications.application, stream_id_for(applications.application, e.application_id))
    if application.stage != "ai_review":
        return  # moved on meanwhile: a late review would be refused anyway
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, application.job_id))
    candidate, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, application.candidate_id))
    score = local_score(job, candidate)
    review_id = uuid5(NAMESPACE_URL, f"splits:ai-review:{reaction.recorded.event_id}")
    command = applications.RecordAIReviewCompleted(
        application_id=e.application_id, review_id=review_id, needs_improvement=score < IMPROVE_BELOW,
        by=f"ai:{LOCAL_MODEL}", at=e.at,
    )
    await handle(store, applications.application, e.application_id, command, reaction.metadata())


ai_review = Reactor("ai-review", [ApplicationStageChanged], _review)
