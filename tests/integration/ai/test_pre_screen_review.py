"""The fit review reads the application's pre-screen answers through the real reviewer path (the ai-review
reactor on the real store): the OpenAI prompt, captured by the fake OpenAI server, holds each question with its
answer; the local scorer's review takes points off for a required yes/no answered no and says why."""

from __future__ import annotations

from uuid import UUID

from commands.ats import application as applications
from commands.ats import job as jobs
from commands.ats.job_commands import PreScreenQuestionInput
from eventstore import EventStore, handle, load, stream_id_for
from tests.api import SEEDER
from tests.fakes.openai import FakeOpenAI
from tests.integration.ai.test_ai_review import (  # noqa: F401  (the `fake` fixture)
    GOOD,
    application_of,
    entered_ai_review,
    fake,
    now,
    review_rows,
    runner_for,
    seed_application,
    settings_for,
)

AUTH = "Are you authorised to work in Germany?"
OFFICE = "Which office?"


async def _answered(store: EventStore, *, authorised: bool) -> UUID:
    """The seeded backend application, its job asking two required questions, answered by the candidate before
    the review is asked for."""
    application_id = await seed_application(store, trigger=False)
    app = await application_of(store, application_id)
    assert app.job_id is not None
    await handle(store, jobs.job, app.job_id, jobs.ReplaceJobPreScreenQuestions(job_id=app.job_id, questions=[
        PreScreenQuestionInput(question=AUTH, question_type="yes_no", is_required=True),
        PreScreenQuestionInput(question=OFFICE, question_type="select", options=["Paris", "Berlin"],
                               is_required=True)], by="t", at=now()), SEEDER)
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, app.job_id))
    ids = {q.question: q.question_id for q in job.pre_screen_questions}
    common = {"application_id": application_id, "by_role": "candidate", "by": "t", "at": now()}
    await handle(store, applications.application, application_id, applications.AnswerPreScreen(
        **common, questions=list(job.pre_screen_questions),
        answers=[{"question_id": ids[AUTH], "answer": authorised}, {"question_id": ids[OFFICE], "answer": "Berlin"}]),
        SEEDER)
    await handle(store, applications.application, application_id, applications.TriggerAIReview(**common), SEEDER)
    return application_id


async def test_the_openai_prompt_holds_the_pre_screen_questions_and_answers(fresh_store: EventStore,
                                                                            fake: FakeOpenAI) -> None:
    application_id = await _answered(fresh_store, authorised=False)
    fake.reply_with(GOOD)
    await runner_for(fresh_store, settings_for(fake)).react(await entered_ai_review(fresh_store, application_id))
    assert (await application_of(fresh_store, application_id)).stage == "ai_reviewed"
    [call] = fake.requests
    prompt = call.json["messages"][1]["content"]
    assert "Pre-screen answers:" in prompt
    assert f"Q: {AUTH} (required by the job)\nA: no" in prompt
    assert f"Q: {OFFICE} (required by the job)\nA: Berlin" in prompt
    assert prompt.index("Pre-screen answers:") < prompt.index("</candidate>")


async def test_the_local_scorer_lowers_the_score_for_a_required_no_and_says_why(fresh_store: EventStore) -> None:
    reviews = {}
    for authorised in (True, False):
        application_id = await _answered(fresh_store, authorised=authorised)
        await runner_for(fresh_store, settings_for(None)).react(await entered_ai_review(fresh_store, application_id))
        [row] = await review_rows(fresh_store, application_id)
        assert row["model"] == "local/keyword-overlap"
        reviews[authorised] = row
    yes, no = reviews[True], reviews[False]
    assert no["fit_score"] == yes["fit_score"] - 15
    assert no["concerns"][0] == f"Answered no to the required pre-screen question: {AUTH}"
    assert not any("pre-screen" in c for c in yes["concerns"])
    assert "1 required yes/no pre-screen question(s) answered no, 15 points off each" in no["overall_summary"]
