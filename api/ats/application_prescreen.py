"""Pre-screen answers (domain §4.1): the candidate side answers the job's pre-screen questions on the
application; the rules are commands/ats/application_prescreen.py.

The job's questions are read from its stream and passed to the decider, as the hire takes the job's guarantee.
The candidate answers for themself; their recruiter answers on their behalf while the candidate's consent to
them holds (the relationship that lets a recruiter apply for a candidate, api/ats/applications.py).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from api.ats.application_models import AnswerPreScreenBody
from api.ats.application_policy import require_role
from api.ats.applications import job_questions, visible_application
from api.deps import CommandMetadata, CurrentUser, Db, ExpectedVersion, Now, Store
from api.responses import CommandResponse
from commands.ats import application as applications
from commands.core import Forbidden
from eventstore import handle
from projections.ats.application_queries import recruiter_represents

router = APIRouter(prefix="/v1/applications", tags=["applications"])
_REFUSALS: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


@router.post("/{application_id}/pre-screen-answers", responses=_REFUSALS)
async def answer_pre_screen(application_id: UUID, body: AnswerPreScreenBody, store: Store, meta: CommandMetadata,
                            user: CurrentUser, db: Db, if_match: ExpectedVersion, now: Now) -> CommandResponse:
    """Answers to the job's pre-screen questions (`GET /v1/jobs/{id}` lists them with their ids), each replacing
    an earlier answer to its question. An answer that does not fit its question is refused (422
    `pre_screen_answer_invalid`), as are answers once the company has the application (422
    `pre_screen_answers_closed`); the company side may not answer (403)."""
    parties = await visible_application(store, user, application_id)
    role = require_role(user, parties)
    if role == "candidate_recruiter" and not await recruiter_represents(db, user.recruiter_id, parties.candidate_id,
                                                                        now):
        raise Forbidden("a recruiter answers for a candidate only while the candidate's consent to them holds",
                        candidate_id=str(parties.candidate_id))
    command = applications.AnswerPreScreen(
        application_id=application_id, by=meta.actor, by_role=role, at=now,
        questions=await job_questions(store, application_id),
        answers=[answer.model_dump() for answer in body.answers])
    result = await handle(store, applications.application, application_id, command, meta, expected_version=if_match)
    return CommandResponse.of(application_id, result)
