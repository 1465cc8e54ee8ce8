"""A reactor dates what it records by the system's clock (its context's), not by the machine's: a clock moved by
SPLITS_CLOCK_OFFSET, or fixed by a test, moves every fact it records (adapters/clock.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consumers.ai.reactions import ai_review
from consumers.runtime.reactor import ReactorContext, ReactorRunner
from eventstore import EventStore
from adapters.clock import Clock, FixedClock, SystemClock
from adapters.payments import payments_for
from tests.integration.ai.test_ai_review import entered_ai_review, seed_application, settings_for

FAR = datetime(2031, 3, 1, 9, 30, tzinfo=UTC)


async def review_on(store: EventStore, clock: Clock) -> list[datetime]:
    """Review a new application (with the local scorer) on `clock`; the `at` of each event the reactor
    recorded: the review's start and completion, then the application's move to ai_reviewed."""
    application_id = await seed_application(store)  # recorded at the machine's time
    settings = settings_for(None)
    context = ReactorContext(settings=settings, payments=payments_for(settings), clock=clock)
    runner = ReactorRunner(ai_review, store.pool, store, store.registry, context)
    await runner.react(await entered_ai_review(store, application_id))

    review = await store.read_stream(f"aireview-{application_id}")
    assert [e.type for e in review] == ["AIReviewStarted", "AIReviewCompleted"]
    [reviewed] = [e for e in await store.read_stream(f"application-{application_id}")
                  if e.type == "ApplicationAIReviewed"]
    return [datetime.fromisoformat(e.data["at"]) for e in (*review, reviewed)]


async def test_a_reactor_records_the_time_of_its_contexts_clock(fresh_store: EventStore) -> None:
    assert await review_on(fresh_store, FixedClock(FAR)) == [FAR, FAR, FAR]


async def test_a_reactor_on_a_clock_moved_forward_records_the_moved_time(fresh_store: EventStore) -> None:
    before = datetime.now(UTC)
    recorded = await review_on(fresh_store, SystemClock(timedelta(days=90)))
    after = datetime.now(UTC)
    assert all(before + timedelta(days=90) <= at <= after + timedelta(days=90) for at in recorded), recorded
