"""The AI reviewer is an adapter chosen once, by the composition root (adapters/reviewer.py, infra/bootstrap.py):
the ai-review reactor calls the reviewer of the System's adapters, whatever the settings would choose, and asks
it for §9's review; the settings choose OpenAI or the local scorer as the reactor used to."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import tests.integration.ai.test_ai_review as ai
from adapters.reviewer import (LOCAL_REVIEWER, OpenAIReviewer, ReviewOutcome, ReviewRequest, ReviewUnavailable,
                               reviewer_for)
from adapters.settings import Settings
from commands.ai import review as reviews
from commands.ai.fit import FitReview
from consumers.ai.reactions import FitReviewOut
from consumers.runtime.app import Consumers
from eventstore import EventStore
from infra.bootstrap import adapters_for, system_for


class FixedReviewer:
    """A reviewer of our own: answers every request with one outcome (or raises), and keeps what it was asked."""

    def __init__(self, outcome: ReviewOutcome[Any] | None = None, raises: Exception | None = None) -> None:
        self.outcome = outcome
        self.raises = raises
        self.asked: list[ReviewRequest[Any]] = []

    async def review(self, request: ReviewRequest[Any]) -> ReviewOutcome[Any]:
        self.asked.append(request)
        if self.raises is not None:
            raise self.raises
        assert self.outcome is not None
        return self.outcome


def ai_review_runner(store: EventStore, reviewer: FixedReviewer):
    """The ai-review runner of a consumers process whose System holds `reviewer`, on settings that would choose
    the local scorer (no OpenAI key)."""
    settings = Settings(database_url=store.pool.conninfo, openai_api_key=None, openai_base_url=None)
    adapters = dataclasses.replace(adapters_for(settings), reviewer=reviewer)
    [runner] = Consumers(system_for(settings, store, adapters), only={"ai-review"}).reactors
    return runner


async def test_the_reactor_calls_the_reviewer_of_the_systems_adapters(fresh_store: EventStore) -> None:
    reviewer = FixedReviewer(ReviewOutcome("test/fixed", review=FitReview(**ai.GOOD), prompt_tokens=11,
                                           completion_tokens=7, duration_ms=5))
    application_id = await ai.seed_application(fresh_store)
    await ai_review_runner(fresh_store, reviewer).react(await ai.entered_ai_review(fresh_store, application_id))

    assert (await ai.application_of(fresh_store, application_id)).stage == "ai_reviewed"
    [row] = await ai.review_rows(fresh_store, application_id)
    assert (row["model"], row["prompt_tokens"], row["completion_tokens"], row["fit_score"]) == ("test/fixed", 11, 7, 84)
    # What it was asked: §9's structured review of this application, and the local scorer's answer beside it.
    [request] = reviewer.asked
    assert request.answer is FitReviewOut and (request.temperature, request.max_tokens) == (0.3, 2000)
    assert ai.RESUME in request.user and ai.LETTER in request.user
    assert request.local_model == "local/keyword-overlap" and request.local().fit_score == 83


async def test_a_failure_is_recorded_cut_to_its_bound_and_an_unavailable_reviewer_is_retried(
        fresh_store: EventStore) -> None:
    application_id = await ai.seed_application(fresh_store)
    event = await ai.entered_ai_review(fresh_store, application_id)
    with pytest.raises(ReviewUnavailable):
        await ai_review_runner(fresh_store, FixedReviewer(raises=ReviewUnavailable("later"))).react(event)
    assert await ai.ai_types(fresh_store, application_id) == ["AIReviewStarted", "AIReviewInterrupted"]

    failing = FixedReviewer(ReviewOutcome("test/fixed", failure="x" * (reviews.MAX_REASON_CHARS + 50)))
    await ai_review_runner(fresh_store, failing).react(event)
    assert (await ai.application_of(fresh_store, application_id)).stage == "ai_failed"
    [row] = await ai.review_rows(fresh_store, application_id)
    assert row["failure_reason"] == "x" * reviews.MAX_REASON_CHARS


def test_the_settings_choose_openai_only_with_a_key_and_unless_the_local_scorer_is_asked_for() -> None:
    chosen = reviewer_for(Settings(openai_api_key="sk-test", openai_model="gpt-4o-mini", splits_ai=None))
    assert isinstance(chosen, OpenAIReviewer) and chosen.model == "gpt-4o-mini"
    assert reviewer_for(Settings(openai_api_key="sk-test", splits_ai="local")) is LOCAL_REVIEWER
    assert reviewer_for(Settings(openai_api_key=None, splits_ai=None)) is LOCAL_REVIEWER
    assert reviewer_for(Settings(openai_api_key=None, splits_ai="openai")) is LOCAL_REVIEWER
    assert adapters_for(Settings(openai_api_key=None, splits_ai=None)).reviewer is LOCAL_REVIEWER
