"""The AI fit review on the real store, the real openai SDK and a fake OpenAI server (domain §9): a valid
answer moves the application, a bad one fails it without a crash, no key means the local scorer, one model
call per review however the triggering event is delivered, and a stuck application is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from infra.app import create_app
from commands.ai import review as reviews
from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.documents import document as documents
from commands.identity.user import user_id_for
from consumers.ai.schedules import ai_schedules
from consumers.runtime.projector import Projector
from consumers.ai.reactions import ai_review
from consumers.runtime.reactor import Reaction, ReactorContext, ReactorRunner
from consumers.runtime.scheduler import Scheduler
from eventstore import EventStore, RecordedEvent, handle, load, stream_id_for
from eventstore.personal import is_sealed
from infra.bootstrap import System, adapters_for, system_for
from adapters.clock import FixedClock
from adapters.reviewer import ReviewUnavailable
from adapters.settings import Settings
from projections.registry import all_projections
from tests.api import SEEDER, dev_auth, seed_user
from tests.fakes.openai import FakeOpenAI
from tests.helpers import feed_settled

RESUME = "Eight years of Python and PostgreSQL backend development at Acme; led the Django platform team."
LETTER = "I would love to build your payments backend."
GOOD: dict[str, Any] = {
    "fit_score": 84, "recommendation": "good_fit", "confidence_level": 75,
    "strengths": ["Eight years of Python", "PostgreSQL at scale"], "concerns": ["No Kubernetes"],
    "matched_skills": ["Python", "PostgreSQL"], "missing_skills": ["Kubernetes"], "skills_match_percentage": 67,
    "matched_requirements": ["5+ years of backend development"], "missing_requirements": [],
    "required_years": 5, "candidate_years": 8, "meets_experience_requirement": True,
    "location_compatibility": "perfect", "overall_summary": "A strong backend engineer with most of the skills.",
}
POOR = {**GOOD, "fit_score": 35, "recommendation": "poor_fit"}


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    """A running fake OpenAI for the test, stopped after it."""
    with FakeOpenAI() as server:
        yield server


def now() -> datetime:
    return datetime.now(UTC)


def settings_for(fake: FakeOpenAI | None) -> Settings:
    if fake is None:
        return Settings(openai_api_key=None, openai_base_url=None)
    return Settings(openai_api_key="sk-test", openai_base_url=fake.base_url, openai_model="gpt-4o-mini")


def context_for(settings: Settings) -> ReactorContext:
    """A reactor context with the reviewer these settings choose (OpenAI at the fake, or the local scorer)."""
    adapters = adapters_for(settings)
    return ReactorContext(settings=settings, payments=adapters.payments, reviewer=adapters.reviewer)


def runner_for(store: EventStore, settings: Settings) -> ReactorRunner:
    return ReactorRunner(ai_review, store.pool, store, store.registry, context_for(settings))


async def project(store: EventStore) -> None:
    """Bring the read models (the registered ones, documents and ai) up to the store's head."""
    await feed_settled(store)
    for projection in all_projections().values():
        projector = Projector(store.pool, projection, store.registry)
        await projector.ensure_schema()
        await projector.catch_up()


async def seed_application(store: EventStore, *, at: datetime | None = None, trigger: bool = True,
                           candidate_id: UUID | None = None) -> UUID:
    """A backend job in Berlin with skills and requirements; a Python candidate with a resume; their application
    with a cover letter, moved to ai_review at `at` (unless `trigger` is false)."""
    at = at or now()
    job_id, application_id = uuid4(), uuid4()
    candidate_id = candidate_id or uuid4()
    await handle(store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=uuid4(), title="Senior Backend Engineer", location="Berlin", fee_bps=2000,
        recruiter_description="Build our payments backend.", by="t", at=at), SEEDER)
    await handle(store, jobs.job, job_id, jobs.ReplaceJobSkills(job_id=job_id, skills=[
        jobs.JobSkillInput(name="Python", is_required=True), jobs.JobSkillInput(name="PostgreSQL", is_required=True),
        jobs.JobSkillInput(name="Kubernetes")], by="t", at=at), SEEDER)
    await handle(store, jobs.job, job_id, jobs.ReplaceJobRequirements(job_id=job_id, requirements=[
        jobs.JobRequirementInput(requirement_type="mandatory", description="5+ years of backend development")],
        by="t", at=at), SEEDER)
    candidate, _, _ = await load(store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    if not candidate.exists:
        await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
            candidate_id=candidate_id, created_by_user_id=uuid4(), full_name="Ada Lovelace",
            email=f"ada-{candidate_id}@example.com",
            current_title="Backend engineer", location="Berlin", by="t", at=at), SEEDER)
    document_id = uuid4()
    await handle(store, documents.document, document_id, documents.UploadDocument(
        document_id=document_id, entity_type="candidate", entity_id=candidate_id, document_type="resume",
        filename="cv.txt", content_type="text/plain", size_bytes=len(RESUME), sha256="0" * 64,
        storage_key=f"candidate/{candidate_id}/{document_id}", uploaded_by=uuid4(), text_status="extracted",
        text=RESUME, by="t", at=at), SEEDER)
    await handle(store, applications.application, application_id, applications.CreateApplication(
        application_id=application_id, job_id=job_id, candidate_id=candidate_id, company_id=uuid4(),
        cover_letter=LETTER, by="t", at=at), SEEDER)
    if trigger:
        await handle(store, applications.application, application_id, applications.TriggerAIReview(
            application_id=application_id, by_role="candidate", by="t", at=at), SEEDER)
    await project(store)  # the documents the reactor reads
    return application_id


async def entered_ai_review(store: EventStore, application_id: UUID) -> RecordedEvent:
    [event] = [e for e in await store.read_stream(f"application-{application_id}")
               if e.type == "ApplicationStageChanged" and e.data["to_stage"] == "ai_review"]
    return event


async def application_of(store: EventStore, application_id: UUID) -> applications.Application:
    state, _, _ = await load(store, applications.application, stream_id_for(applications.application, application_id))
    return state


async def ai_types(store: EventStore, application_id: UUID) -> list[str]:
    return [e.type for e in await store.read_stream(f"aireview-{application_id}")]


async def review_rows(store: EventStore, application_id: UUID) -> list[dict[str, Any]]:
    from projections.ai.queries import list_reviews

    await project(store)
    async with store.pool.connection() as db:
        return await list_reviews(db, application_id)


# --- OpenAI answers -----------------------------------------------------------------------------------------

async def test_a_valid_answer_moves_the_application_to_ai_reviewed_with_the_review_recorded(
        fresh_store: EventStore, fake: FakeOpenAI) -> None:
    application_id = await seed_application(fresh_store)
    fake.reply_with(GOOD, prompt_tokens=812, completion_tokens=234)
    await runner_for(fresh_store, settings_for(fake)).react(await entered_ai_review(fresh_store, application_id))

    app = await application_of(fresh_store, application_id)
    assert (app.stage, app.ai_reviewed, app.needs_improvement) == ("ai_reviewed", True, False)
    assert await ai_types(fresh_store, application_id) == ["AIReviewStarted", "AIReviewCompleted"]
    [row] = await review_rows(fresh_store, application_id)
    assert app.ai_review_id == row["review_id"]
    assert {k: row[k] for k in GOOD} == GOOD
    assert (row["status"], row["model"], row["prompt_tokens"], row["completion_tokens"], row["attempts"]) == (
        "completed", "openai/gpt-4o-mini", 812, 234, 1)
    assert row["needs_improvement"] is False and row["duration_ms"] >= 0 and row["finished_at"] is not None

    # What the model was asked: the settings of §9, the structured output, and every input.
    [call] = fake.requests
    body = call.json
    assert (call.path, body["model"], body["temperature"], body["max_tokens"]) == (
        "/v1/chat/completions", "gpt-4o-mini", 0.3, 2000)
    assert body["response_format"]["type"] == "json_schema" and body["response_format"]["json_schema"]["strict"]
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["fit_score"]["maximum"] == 100
    prompt = body["messages"][1]["content"]
    for text in ("Senior Backend Engineer", "Build our payments backend.", "Required skills: Python; PostgreSQL",
                 "Preferred skills: Kubernetes", "5+ years of backend development", "Location: Berlin", RESUME,
                 LETTER, "Current title: Backend engineer"):
        assert text in prompt, text
    assert call.headers["authorization"] == "Bearer sk-test"


async def test_a_poor_fit_is_reviewed_and_needs_improvement(fresh_store: EventStore, fake: FakeOpenAI) -> None:
    application_id = await seed_application(fresh_store)
    fake.reply_with(POOR)
    await runner_for(fresh_store, settings_for(fake)).react(await entered_ai_review(fresh_store, application_id))
    app = await application_of(fresh_store, application_id)
    assert (app.stage, app.needs_improvement) == ("ai_reviewed", True)
    [row] = await review_rows(fresh_store, application_id)
    assert (row["recommendation"], row["needs_improvement"]) == ("poor_fit", True)


BAD_ANSWERS = {
    "out_of_range": ({**GOOD, "fit_score": 140}, "fit_score"),
    "bad_enum": ({**GOOD, "location_compatibility": "on the moon"}, "location_compatibility"),
    "inconsistent_band": ({**GOOD, "recommendation": "strong_fit"}, "does not match fit_score"),
    "too_many_strengths": ({**GOOD, "strengths": ["a", "b", "c", "d", "e", "f"]}, "strengths"),
    "malformed_json": ('{"fit_score": 84, "recommendation": "good_', "Invalid JSON"),
    "prose": ("I think this candidate is great!", "Invalid JSON"),
}


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
async def test_a_bad_answer_fails_the_review_without_a_crash(fresh_store: EventStore, fake: FakeOpenAI,
                                                             case: str) -> None:
    answer, reason = BAD_ANSWERS[case]
    application_id = await seed_application(fresh_store)
    fake.reply_with(answer)
    runner = runner_for(fresh_store, settings_for(fake))
    await runner.react(await entered_ai_review(fresh_store, application_id))  # no exception

    assert (await application_of(fresh_store, application_id)).stage == "ai_failed"
    assert await ai_types(fresh_store, application_id) == ["AIReviewStarted", "AIReviewFailed"]
    [row] = await review_rows(fresh_store, application_id)
    assert row["status"] == "failed" and row["fit_score"] is None and row["model"] == "openai/gpt-4o-mini"
    assert row["failure_reason"].startswith("the model's answer is not a valid fit review") and reason in \
        row["failure_reason"], row["failure_reason"]
    failed = [e for e in await fresh_store.read_stream(f"application-{application_id}")
              if e.type == "ApplicationAIReviewFailed"]
    assert fresh_store.registry is not None
    # The reason is personal (it may quote the model on the candidate): stored sealed, read through the registry.
    assert all(is_sealed(e.data["reason"]) for e in failed)
    reasons = [fresh_store.registry.decode(e).reason for e in failed]  # type: ignore[attr-defined]
    assert reasons == [row["failure_reason"]]
    assert runner.stats.handled == 1 and fake.calls == 1


@pytest.mark.parametrize(("status", "stage"), [(400, "ai_failed"), (401, "ai_failed"), (404, "ai_failed")])
async def test_a_request_openai_refuses_fails_the_review(fresh_store: EventStore, fake: FakeOpenAI,
                                                         status: int, stage: str) -> None:
    application_id = await seed_application(fresh_store)
    fake.reply_with_error(status, "no such model")
    await runner_for(fresh_store, settings_for(fake)).react(await entered_ai_review(fresh_store, application_id))
    assert (await application_of(fresh_store, application_id)).stage == stage
    [row] = await review_rows(fresh_store, application_id)
    assert row["failure_reason"].startswith(f"OpenAI refused the request ({status})")
    assert fake.calls == 1  # a 4xx is not retried


async def test_a_refusal_fails_the_review(fresh_store: EventStore, fake: FakeOpenAI) -> None:
    application_id = await seed_application(fresh_store)
    fake.reply_with_refusal("I can't assess people.")
    await runner_for(fresh_store, settings_for(fake)).react(await entered_ai_review(fresh_store, application_id))
    assert (await application_of(fresh_store, application_id)).stage == "ai_failed"
    [row] = await review_rows(fresh_store, application_id)
    assert row["failure_reason"] == "the model declined to review: I can't assess people."


async def test_an_unavailable_provider_is_retried_by_the_runtime_and_the_retry_calls_again(
        fresh_store: EventStore, fake: FakeOpenAI) -> None:
    application_id = await seed_application(fresh_store)
    event = await entered_ai_review(fresh_store, application_id)
    runner = runner_for(fresh_store, settings_for(fake))
    for _ in range(3):  # the SDK's first try and its two retries
        fake.reply_with_error(503, "overloaded")
    with pytest.raises(ReviewUnavailable):
        await runner.react(event)
    assert (await application_of(fresh_store, application_id)).stage == "ai_review"
    assert await ai_types(fresh_store, application_id) == ["AIReviewStarted", "AIReviewInterrupted"]
    assert fake.calls == 3

    # The runtime delivers the same event again at once: the lease was given back, so the model is called.
    fake.reply_with(GOOD)
    await runner.react(event)
    assert (await application_of(fresh_store, application_id)).stage == "ai_reviewed"
    assert await ai_types(fresh_store, application_id) == [
        "AIReviewStarted", "AIReviewInterrupted", "AIReviewStarted", "AIReviewCompleted"]
    [row] = await review_rows(fresh_store, application_id)
    assert (row["status"], row["attempts"], row["review_id"]) == (
        "completed", 2, reviews.review_id_for_trigger(event.event_id))
    assert fake.calls == 4


async def test_an_unreachable_provider_is_retried(fresh_store: EventStore) -> None:
    application_id = await seed_application(fresh_store)
    gone = FakeOpenAI().start()
    gone.stop()  # connection refused from now on
    with pytest.raises(ReviewUnavailable):
        await runner_for(fresh_store, settings_for(gone)).react(await entered_ai_review(fresh_store, application_id))
    assert (await application_of(fresh_store, application_id)).stage == "ai_review"
    assert await ai_types(fresh_store, application_id) == ["AIReviewStarted", "AIReviewInterrupted"]


# --- no key: the local scorer ---------------------------------------------------------------------------------

@pytest.mark.parametrize("with_context", [True, False])
async def test_without_a_key_the_local_scorer_reviews_and_says_so(fresh_store: EventStore, fake: FakeOpenAI,
                                                                  with_context: bool) -> None:
    application_id = await seed_application(fresh_store)
    event = await entered_ai_review(fresh_store, application_id)
    if with_context:
        await runner_for(fresh_store, settings_for(None)).react(event)
    else:  # a reactor run without a context (as a bare handler test does) has no key either
        await ai_review.handler(Reaction(fresh_store.registry.decode(event), event, ai_review.name, fresh_store))
    app = await application_of(fresh_store, application_id)
    assert app.stage == "ai_reviewed"
    [row] = await review_rows(fresh_store, application_id)
    assert (row["model"], row["prompt_tokens"], row["completion_tokens"]) == ("local/keyword-overlap", 0, 0)
    assert row["overall_summary"].startswith("Keyword overlap, not an AI model")
    # Python, PostgreSQL (required: 3 each), "backend" and "engineer" of the title (1 each) and the mandatory
    # requirement (2) found in the title and resume; Kubernetes (1) and "senior" (1) not: 10 of 12.
    assert row["matched_skills"] == ["Python", "PostgreSQL"] and row["missing_skills"] == ["Kubernetes"]
    assert (row["fit_score"], row["recommendation"]) == (83, "good_fit")
    assert row["location_compatibility"] == "perfect"
    assert app.needs_improvement is False
    assert fake.calls == 0


# --- one model call per review --------------------------------------------------------------------------------

def _slow_good(request: dict[str, Any]) -> dict[str, Any]:
    time.sleep(0.3)  # the fake's own thread: widens the window in which duplicates overlap
    return GOOD


async def test_the_same_event_delivered_five_times_in_a_row_makes_one_call(fresh_store: EventStore,
                                                                           fake: FakeOpenAI) -> None:
    application_id = await seed_application(fresh_store)
    fake.default(_slow_good)
    event = await entered_ai_review(fresh_store, application_id)
    settings = settings_for(fake)
    context = context_for(settings)
    reaction = Reaction(fresh_store.registry.decode(event), event, ai_review.name, fresh_store, context)
    for _ in range(5):  # straight to the handler: no inbox in between
        await ai_review.handler(reaction)
    await _reviewed_once(fresh_store, application_id, fake)


async def test_the_same_event_delivered_five_times_at_once_makes_one_call(fresh_store: EventStore,
                                                                         fake: FakeOpenAI) -> None:
    application_id = await seed_application(fresh_store)
    fake.default(_slow_good)
    event = await entered_ai_review(fresh_store, application_id)
    # Five consumers (each its own runner) receive the same message at the same time.
    runners = [runner_for(fresh_store, settings_for(fake)) for _ in range(5)]
    await asyncio.gather(*(runner.react(event) for runner in runners))
    await _reviewed_once(fresh_store, application_id, fake)
    await asyncio.gather(*(runner.react(event) for runner in runners))  # and once more, after the inbox has it
    assert fake.calls == 1


async def _reviewed_once(store: EventStore, application_id: UUID, fake: FakeOpenAI) -> None:
    assert fake.calls == 1
    assert await ai_types(store, application_id) == ["AIReviewStarted", "AIReviewCompleted"]
    moves = [e.type for e in await store.read_stream(f"application-{application_id}")]
    assert moves.count("ApplicationAIReviewed") == 1
    assert (await application_of(store, application_id)).stage == "ai_reviewed"


async def test_a_duplicate_of_a_finished_review_sends_its_outcome_to_the_application(
        fresh_store: EventStore, fake: FakeOpenAI) -> None:
    """The reactor recorded the outcome on the ai stream and died before telling the application: the
    redelivery tells it, without a second call."""
    application_id = await seed_application(fresh_store)
    event = await entered_ai_review(fresh_store, application_id)
    review_id = reviews.review_id_for_trigger(event.event_id)
    app = await application_of(fresh_store, application_id)
    assert app.job_id is not None and app.candidate_id is not None
    await handle(fresh_store, reviews.ai_review, application_id, reviews.StartAIReview(
        application_id=application_id, review_id=review_id, job_id=app.job_id, candidate_id=app.candidate_id,
        by="t", at=now()), SEEDER)
    await handle(fresh_store, reviews.ai_review, application_id, reviews.FailAIReview(
        application_id=application_id, review_id=review_id, reason="the model gave no review", by="t", at=now()),
        SEEDER)
    await runner_for(fresh_store, settings_for(fake)).react(event)
    assert (await application_of(fresh_store, application_id)).stage == "ai_failed"
    assert fake.calls == 0


async def test_an_application_that_left_ai_review_is_not_reviewed(fresh_store: EventStore,
                                                                   fake: FakeOpenAI) -> None:
    application_id = await seed_application(fresh_store)
    await handle(fresh_store, applications.application, application_id, applications.WithdrawApplication(
        application_id=application_id, by_role="candidate", by="t", at=now()), SEEDER)
    await runner_for(fresh_store, settings_for(fake)).react(await entered_ai_review(fresh_store, application_id))
    assert await ai_types(fresh_store, application_id) == [] and fake.calls == 0


# --- stuck in ai_review ---------------------------------------------------------------------------------------

async def test_a_stuck_application_is_retried_and_reviewed(fresh_store: EventStore, fake: FakeOpenAI) -> None:
    entered = now()
    application_id = await seed_application(fresh_store, at=entered)  # the reactor never saw it
    clock = FixedClock(entered)
    scheduler = Scheduler(fresh_store.pool, fresh_store, ai_schedules(), clock)

    clock.at = entered + reviews.STUCK_AFTER - timedelta(seconds=1)
    assert (await scheduler.run_once()).sent == {}
    clock.at = entered + reviews.STUCK_AFTER + timedelta(seconds=1)
    assert (await scheduler.run_once()).sent == {"ai-review-retry": 1}
    assert (await scheduler.run_once()).sent == {}  # the same stall, before the projection sees the retry
    [retry] = [e for e in await fresh_store.read_stream(f"aireview-{application_id}")]
    assert (retry.type, retry.data["review_id"]) == ("AIReviewRetryRequested",
                                                      str(reviews.retry_review_id(application_id, 1)))

    fake.reply_with(GOOD)
    await runner_for(fresh_store, settings_for(fake)).react(retry)
    app = await application_of(fresh_store, application_id)
    assert (app.stage, app.ai_review_id) == ("ai_reviewed", reviews.retry_review_id(application_id, 1))
    [row] = await review_rows(fresh_store, application_id)
    assert (row["trigger"], row["retry"], row["status"]) == ("retry", 1, "completed")
    clock.at += timedelta(hours=1)
    assert (await scheduler.run_once()).sent == {}  # reviewed: no longer stuck


async def test_retries_of_a_stuck_application_stop_after_three(fresh_store: EventStore) -> None:
    entered = now()
    application_id = await seed_application(fresh_store, at=entered)
    clock = FixedClock(entered)
    scheduler = Scheduler(fresh_store.pool, fresh_store, ai_schedules(), clock)
    for n in range(1, reviews.MAX_RETRIES + 2):
        clock.at = entered + n * (reviews.STUCK_AFTER + timedelta(seconds=1))
        expected = {"ai-review-retry": 1} if n <= reviews.MAX_RETRIES else {}
        assert (await scheduler.run_once()).sent == expected, n
        await project(fresh_store)
    rows = await review_rows(fresh_store, application_id)
    assert [(r["retry"], r["status"]) for r in rows] == [(3, "requested"), (2, "requested"), (1, "requested")]


# --- the API --------------------------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def serving_ai(store: EventStore) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the AI router added (it is wired into infra/app.py elsewhere)."""
    settings = Settings(database_url=store.pool.conninfo, splits_dev_auth=True, redis_url="redis://127.0.0.1:6379/15")
    system = system_for(settings, store)

    @contextlib.asynccontextmanager
    async def existing() -> AsyncIterator[System]:
        yield system

    app = create_app(existing)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://splits") as client:
            yield client


async def test_the_reviews_are_listed_newest_first_to_whoever_sees_the_application(
        fresh_store: EventStore, fake: FakeOpenAI) -> None:
    run = str(uuid4())[:8]
    admin, owner, stranger = f"user_admin_{run}", f"user_cand_{run}", f"user_stranger_{run}"
    candidate_id = uuid4()
    await seed_user(fresh_store, admin, roles=[("platform_admin", None)])
    await seed_user(fresh_store, owner, roles=[("candidate", candidate_id)])
    await seed_user(fresh_store, stranger, roles=[("candidate", uuid4())])
    await handle(fresh_store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, user_id=user_id_for(owner), full_name="Ada", email=f"{owner}@example.com",
        current_title="Backend engineer", location="Berlin", by="t", at=now()), SEEDER)
    application_id = await seed_application(fresh_store, candidate_id=candidate_id)
    runner = runner_for(fresh_store, settings_for(fake))
    fake.reply_with(GOOD)
    await runner.react(await entered_ai_review(fresh_store, application_id))
    # Back to draft and reviewed again: this time the answer is out of range.
    for command in (applications.ReturnToDraft(application_id=application_id, by_role="candidate", by="t", at=now()),
                    applications.TriggerAIReview(application_id=application_id, by_role="candidate", by="t",
                                                 at=now() + timedelta(seconds=1))):
        await handle(fresh_store, applications.application, application_id, command, SEEDER)
    second = [e for e in await fresh_store.read_stream(f"application-{application_id}")
              if e.type == "ApplicationStageChanged" and e.data["to_stage"] == "ai_review"][-1]
    fake.reply_with({**GOOD, "fit_score": 101})
    await runner.react(second)
    await project(fresh_store)

    async with serving_ai(fresh_store) as client:
        path = f"/v1/applications/{application_id}/ai-reviews"
        for caller in (admin, owner):
            answer = await client.get(path, headers=dev_auth(caller))
            assert answer.status_code == 200, answer.text
            data = answer.json()["data"]
            assert [(r["status"], r["fit_score"]) for r in data] == [("failed", None), ("completed", 84)]
            assert data[1]["strengths"] == GOOD["strengths"] and data[1]["model"] == "openai/gpt-4o-mini"
            assert "fit_score" in data[0]["failure_reason"]
        answer = await client.get(path, headers=dev_auth(stranger))
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
        assert (await client.get(f"/v1/applications/{uuid4()}/ai-reviews", headers=dev_auth(admin))).status_code == 404
        assert (await client.get(path)).status_code == 401
        assert json.loads((await client.get(path, headers=dev_auth(owner))).text)["data"][0]["last_error"] is None
