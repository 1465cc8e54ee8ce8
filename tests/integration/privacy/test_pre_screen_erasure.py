"""Erasing a candidate who answered a job's pre-screen questions: their answers go from the read model, the
live ats schema equals a replay of it, and the application's activity keeps the step (who answered, when)."""

from __future__ import annotations

from pathlib import Path

from commands.ats import application as applications
from commands.ats import job as jobs
from commands.ats.job_commands import PreScreenQuestionInput
from consumers.runtime.replay import replay
from eventstore import EventStore, handle, load, stream_id_for
from adapters.storage import LocalStorage
from projections.registry import all_projections
from tests.api import SEEDER
from tests.helpers import NOW, dump_schema
from tests.integration.privacy.test_erasure_process import candidate_story, request, runner
from tests.integration.runtime.test_scheduler import project


async def test_erased_answers_leave_the_read_model_as_a_replay_builds_it(fresh_store: EventStore,
                                                                          tmp_path: Path) -> None:
    store = fresh_store
    ids = await candidate_story(store, LocalStorage(tmp_path))
    await handle(store, jobs.job, ids["job"], jobs.ReplaceJobPreScreenQuestions(job_id=ids["job"], questions=[
        PreScreenQuestionInput(question="Why engines?", question_type="text", is_required=True)], by="t", at=NOW),
        SEEDER)
    job, _, _ = await load(store, jobs.job, stream_id_for(jobs.job, ids["job"]))
    [question] = job.pre_screen_questions
    await handle(store, applications.application, ids["application"], applications.AnswerPreScreen(
        application_id=ids["application"], by_role="candidate", by="t", at=NOW, questions=[question],
        answers=[{"question_id": question.question_id, "answer": "Ada Lovelace loves engines"}]), SEEDER)
    await project(store)
    before = await dump_schema(store, "ats")
    assert any("Ada Lovelace loves engines" in row for row in before["application_pre_screen_answers"])

    erasure_id = await request(store, "candidate", ids["candidate"])
    await runner(store, LocalStorage(tmp_path)).react((await store.read_stream(f"erasure-{erasure_id}"))[0])
    await project(store)
    live = await dump_schema(store, "ats")
    assert live["application_pre_screen_answers"] == []
    assert sum('"pre_screen_answered"' in row for row in live["application_activity"]) == 1
    await replay(store.pool, all_projections()["ats"], store.registry)
    assert await dump_schema(store, "ats") == live
