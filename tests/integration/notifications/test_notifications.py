"""The notifications reactor against the fake Resend (the real `resend` SDK pointed at it): who is told of an
application's move, by which channel, once however often the event comes; preferences and plans gate the
email; Resend failing is retried with the same key and sends once when it recovers. The in-app side is read
through the API."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from faststream.rabbit import Channel, RabbitBroker

from commands.ai import review as ai_reviews
from commands.ai.fit import FitReview
from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import company as companies
from commands.ats import job as jobs
from commands.automation import fraud, reputation
from commands.billing import subscription as subscriptions
from commands.identity.user import user_id_for
from commands.notifications import preferences as prefs
from consumers.runtime.dlq import dead_letter_count, list_dead_letters
from consumers.notifications.reactions import notifications_reactor
from consumers.runtime.reactor import Reaction, Reactor, ReactorContext, ReactorRunner
from consumers.runtime.relay import Relay
from commands.ats.application_events import ApplicationStageChanged
from eventstore import ANY_VERSION, EventStore, RecordedEvent, handle, load_checkpoint
from adapters.mail import MailUnavailable, mailer_for
from adapters.payments import payments_for
from adapters.settings import Settings
from tests.api import SEEDER, dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.conftest import RABBITMQ_URL
from tests.fakes.resend import FakeResend
from tests.fakes.resend import resend_fake as resend_fake  # noqa: F401  (the fixture)
from tests.helpers import feed_settled, settled_head, wait_until

PROJECTIONS = {"identity", "network", "ats", "billing", "notifications", "recruiter-roles"}


@dataclass
class World:
    client: httpx.AsyncClient
    store: EventStore
    resend: FakeResend
    runner: ReactorRunner
    run: str
    company_id: UUID
    job_id: UUID
    candidate_id: UUID
    recruiters: dict[str, UUID]

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    def email(self, name: str) -> str:
        return f"{self.clerk_id(name)}@example.com"

    async def moved(self, application_id: UUID, to: str, reason: str | None = None) -> RecordedEvent:
        """Move the application (as its recruiter) and return the recorded event the reactor gets."""
        result = await handle(self.store, applications.application, application_id, applications.MoveStage(
            application_id=application_id, to=to, reason=reason, may_advance=True, by="rex",
            by_role="candidate_recruiter",
            at=datetime.now(UTC)), SEEDER)
        events = await self.store.read_stream(result.stream_id)
        return events[-1]

    async def projected(self) -> None:
        await feed_settled(self.store)
        head = await settled_head(self.store)

        async def caught_up() -> bool:
            async with self.store.pool.connection() as conn:
                for name in ("identity", "network", "ats", "notifications"):
                    checkpoint = await load_checkpoint(conn, f"projection:{name}")
                    if checkpoint is None or checkpoint.position < head:
                        return False
            return True

        await wait_until(caught_up)


@pytest.fixture
async def world(fresh_store: EventStore, resend_fake: FakeResend) -> AsyncIterator[World]:  # noqa: F811
    run, now = secrets.token_hex(4), datetime.now(UTC)
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True, consistency_wait_s=10,
                        resend_api_key="re_test", resend_api_url=resend_fake.url,
                        candidate_app_url="https://app.example", portal_url="https://portal.example")
    async with serving(fresh_store, settings) as (client, system), running_consumers(system, only=PROJECTIONS):
        clerk = {name: f"user_{name}_{run}" for name in ("cora", "rex", "sam")}
        for name in clerk.values():
            await seed_user(fresh_store, name)
        company_id, job_id, candidate_id = uuid4(), uuid4(), uuid4()
        org = await seed_organization(fresh_store, company_id, [(clerk["cora"], "company_admin", False)])
        await handle(fresh_store, companies.company, company_id, companies.CreateCompany(
            company_id=company_id, identity_organization_id=org, name="Acme", slug=f"acme-{run}", by="cora",
            at=now), SEEDER)
        recruiters = {}
        for name in ("rex", "sam"):
            created = await client.post("/v1/recruiters", json={}, headers=dev_auth(clerk[name]))
            if created.status_code != 201:  # the user is not projected yet
                await feed_settled(fresh_store)
                await wait_until(lambda n=name: _registered(client, clerk[n]))
                created = await client.post("/v1/recruiters", json={}, headers=dev_auth(clerk[name]))
            assert created.status_code == 201, created.text
            recruiters[name] = UUID(created.json()["id"])
        # Rex is on Pro (emails); Sam on Starter (in-app only).
        rex_user = user_id_for(clerk["rex"])
        await handle(fresh_store, subscriptions.subscription, rex_user, subscriptions.ActivateSubscription(
            user_id=rex_user, tier="pro", stripe_subscription_id=f"sub_rex_{run}", by="rex", at=now), SEEDER)
        await handle(fresh_store, candidates.candidate, candidate_id, candidates.CreateCandidate(
            candidate_id=candidate_id, full_name="Cami Candidate", email=f"cami_{run}@example.com",
            created_by_user_id=rex_user, by="rex", at=now), SEEDER)
        await handle(fresh_store, jobs.job, job_id, jobs.CreateJob(
            job_id=job_id, company_id=company_id, title="Staff Engineer", fee_bps=2000, by="cora", at=now), SEEDER)
        runner = ReactorRunner(notifications_reactor, fresh_store.pool, fresh_store, fresh_store.registry,
                               ReactorContext(settings, payments_for(settings), mailer_for(settings)))
        w = World(client, fresh_store, resend_fake, runner, run, company_id, job_id, candidate_id, recruiters)
        await w.projected()
        yield w


async def _registered(client: httpx.AsyncClient, clerk_id: str) -> bool:
    return (await client.get("/v1/users/me", headers=dev_auth(clerk_id))).status_code == 200


async def _application(w: World, seen_by_company: bool = False) -> UUID:
    """A draft application of Cami's through Rex (Sam the company's recruiter); `seen_by_company`: walked on to
    company review as its history would be (a move the company sees is told to the company)."""
    application_id = uuid4()
    result = await handle(w.store, applications.application, application_id, applications.CreateApplication(
        application_id=application_id, job_id=w.job_id, candidate_id=w.candidate_id, company_id=w.company_id,
        source="recruiter", candidate_recruiter_id=w.recruiters["rex"], company_recruiter_id=w.recruiters["sam"],
        by="rex", at=datetime.now(UTC)), SEEDER)
    if seen_by_company:
        assert w.store.registry is not None
        await w.store.append(result.stream_id, [w.store.registry.encode(ApplicationStageChanged(
            application_id=application_id, from_stage="draft", to_stage="company_review", reason=None, by="seed",
            by_role="platform_admin", at=datetime.now(UTC)))], ANY_VERSION)
    return application_id


async def _inbox(w: World, name: str) -> list[dict[str, Any]]:
    await w.projected()
    answer = await w.client.get("/v1/notifications", headers=dev_auth(w.clerk_id(name)))
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


async def test_a_rejection_tells_each_party_by_the_channels_they_may_get(world: World) -> None:
    w = world
    cora = user_id_for(w.clerk_id("cora"))
    await handle(w.store, prefs.preferences, cora, prefs.SetPreference(
        user_id=cora, category="applications", email_enabled=False, in_app_enabled=True, at=datetime.now(UTC)),
        SEEDER)
    application_id = await _application(w, seen_by_company=True)
    moved = await w.moved(application_id, "rejected", reason="the role was filled internally")
    await w.projected()
    for _ in range(5):  # delivered five times (the runtime's inbox would stop repeats: the handler itself does)
        await notifications_reactor.handler(_reaction(w, moved))

    cami = w.resend.sent_to(f"cami_{w.run}@example.com")
    rex = w.resend.sent_to(w.email("rex"))
    assert len(cami) == 1 and len(rex) == 1
    assert w.resend.sent_to(w.email("cora")) == []  # opted out of application emails
    assert w.resend.sent_to(w.email("sam")) == []  # Starter: no email notifications
    assert cami[0]["subject"] == "Your application for Staff Engineer: not selected"
    assert rex[0]["subject"] == "Not selected: Cami Candidate · Staff Engineer"
    assert f"https://app.example/applications/{application_id}" in cami[0]["text"]
    assert f"https://portal.example/applications/{application_id}" in rex[0]["html"]
    assert "the role was filled internally" in cami[0]["text"]
    assert "notifications@updates.applicant.network" in cami[0]["from"]
    assert len({e["idempotency_key"] for e in w.resend.sent}) == len(w.resend.sent) == 2

    # In-app: everyone with an account and the category on, including those without the email.
    for name in ("cora", "sam", "rex"):
        inbox = await _inbox(w, name)
        assert [(n["template"], n["read_at"]) for n in inbox] == [("application_rejected", None)], name
    notice = (await _inbox(w, "sam"))[0]
    count = await w.client.get("/v1/notifications/unread-count", headers=dev_auth(w.clerk_id("sam")))
    assert count.json() == {"unread": 1}
    other = await w.client.post(f"/v1/notifications/{notice['id']}/read", headers=dev_auth(w.clerk_id("rex")))
    unknown = await w.client.post(f"/v1/notifications/{uuid4()}/read", headers=dev_auth(w.clerk_id("rex")))
    assert (other.status_code, other.json()) == (404, unknown.json() | {
        "detail": f"notification {notice['id']} not found", "notification_id": notice["id"]})  # not theirs: not there
    read = await w.client.post(f"/v1/notifications/{notice['id']}/read", headers=dev_auth(w.clerk_id("sam")))
    assert read.status_code == 200
    await w.client.post(f"/v1/notifications/{notice['id']}/dismiss", headers=dev_auth(w.clerk_id("sam")))
    assert await _inbox(w, "sam") == []


async def test_resend_failing_is_retried_with_the_same_key_and_sends_once(world: World) -> None:
    w = world
    application_id = await _application(w, seen_by_company=True)
    moved = await w.moved(application_id, "rejected", reason="not a fit")
    await w.projected()
    w.resend.fail_always(500)
    for _ in range(3):  # the runtime retries with backoff, then dead-letters; each attempt raises
        with pytest.raises(MailUnavailable):
            await notifications_reactor.handler(_reaction(w, moved))
    assert w.resend.sent == []
    w.resend.recover()
    await notifications_reactor.handler(_reaction(w, moved))
    await notifications_reactor.handler(_reaction(w, moved))
    assert len(w.resend.sent_to(f"cami_{w.run}@example.com")) == 1
    assert len(w.resend.sent_to(w.email("rex"))) == 1 and len(w.resend.sent_to(w.email("cora"))) == 1
    # the events say what was sent
    await w.projected()
    async with w.store.pool.connection() as conn:
        cur = await conn.execute("SELECT recipient_email, status, provider FROM notifications.emails"
                                 " WHERE source_event_id = %s ORDER BY recipient_email", (moved.event_id,))
        rows = await cur.fetchall()
    assert [(r[1], r[2]) for r in rows] == [("sent", "resend")] * 3  # cami, cora and rex


async def test_a_refused_email_is_recorded_failed_and_the_others_still_go(world: World) -> None:
    w = world
    application_id = await _application(w, seen_by_company=True)
    moved = await w.moved(application_id, "rejected", reason="not a fit")
    await w.projected()
    w.resend.fail_next(422, times=1)  # the first recipient's address is refused
    await notifications_reactor.handler(_reaction(w, moved))
    await w.projected()
    async with w.store.pool.connection() as conn:
        cur = await conn.execute("SELECT status, count(*) FROM notifications.emails WHERE source_event_id = %s"
                                 " GROUP BY status ORDER BY status", (moved.event_id,))
        assert await cur.fetchall() == [("failed", 1), ("sent", 2)]  # cami, rex and cora: one refused


def _reaction(w: World, recorded: RecordedEvent) -> Reaction:
    assert w.store.registry is not None
    return Reaction(w.store.registry.decode(recorded), recorded, "notifier", w.store, w.runner.context)


async def test_resend_failing_for_good_dead_letters_the_event_and_the_next_ones_still_flow(
        world: World, amqp, topology) -> None:
    """On RabbitMQ, with the runtime's retries shortened: the event whose emails Resend keeps refusing with 5xx
    ends in the reactor's dead-letter queue; once Resend is back, the next event is notified."""
    w, store = world, world.store
    reactor = Reactor("notifier-test", notifications_reactor.events, notifications_reactor.handler, max_attempts=3,
                      retry_base_ms=50)
    runner = ReactorRunner(reactor, store.pool, store, store.registry, w.runner.context)
    channel = await amqp.channel()
    await topology.declare_events(channel)
    await topology.declare_reactor(channel, reactor.name, reactor.routing_keys(store.registry),
                                   reactor.retry_delays_ms())
    broker = RabbitBroker(RABBITMQ_URL, default_channel=Channel(on_return_raises=True))
    runner.subscribe(broker, topology)
    await broker.start()
    relay = Relay(store.pool, broker, topology, store.registry)
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop))
    # The world's own events (registrations, the recruiters, the job, the two applications and their moves to
    # company review: welcomes, confirmations, moves) are told first, while Resend works.
    first, second = await _application(w, seen_by_company=True), await _application(w, seen_by_company=True)
    told = {cls.__name__ for cls in reactor.events}
    await feed_settled(store)  # all of them: another worker's open transaction holds the feed back, and any left
    world_events = len([e for e in await store.feed(limit=10_000) if e.type in told])  # out would fail below
    await wait_until(lambda: _handled(runner, world_events), timeout=30)
    w.resend.clear()
    w.resend.fail_always(503)
    moved = await w.moved(first, "rejected", reason="not a fit")
    try:
        await wait_until(lambda: _dead_lettered(runner, 1), timeout=30)
        assert await dead_letter_count(amqp, topology, reactor.name) == 1
        assert w.resend.sent == []
        w.resend.recover()
        await w.moved(second, "rejected", reason="filled")
        await wait_until(lambda: _sent_about(w, second), timeout=30)
        assert {e["subject"] for e in w.resend.sent} == {"Your application for Staff Engineer: not selected",
                                                         "Not selected: Cami Candidate · Staff Engineer"}
        letters = await list_dead_letters(amqp, topology, reactor.name)
        assert [letter.event_id for letter in letters] == [str(moved.event_id)]
    finally:
        stop.set()
        await relay_task
        await broker.stop()
        await topology.delete_all(channel, {reactor.name: reactor.retry_delays_ms()})


async def _handled(runner: ReactorRunner, n: int) -> bool:
    return runner.stats.handled >= n


async def _dead_lettered(runner: ReactorRunner, n: int) -> bool:
    return runner.stats.dead_lettered == n


async def _sent_about(w: World, application_id: UUID) -> bool:
    return len(w.resend.sent) == 3  # cami, rex and cora


async def test_without_a_resend_key_emails_land_in_the_dev_mailbox(world: World) -> None:
    w = world
    assert (await w.client.get("/dev/mailbox")).status_code == 404  # Resend configured: no mailbox
    local = Settings(database_url=w.store.pool.conninfo, splits_dev_auth=True, consistency_wait_s=10)
    context = ReactorContext(local, payments_for(local), mailer_for(local))
    application_id = await _application(w, seen_by_company=True)
    moved = await w.moved(application_id, "rejected", reason="not a fit")
    await w.projected()
    assert w.store.registry is not None
    await notifications_reactor.handler(Reaction(w.store.registry.decode(moved), moved, "notifier", w.store, context))
    await w.projected()
    assert w.resend.sent == []
    admin = f"user_admin_{w.run}"  # the mailbox holds everyone's mail: platform admins only
    await seed_user(w.store, admin, roles=[("platform_admin", None)])
    await w.projected()
    async with serving(w.store, local) as (client, _):
        mailbox = await client.get("/dev/mailbox", params={"to": f"cami_{w.run}@example.com"},
                                   headers=dev_auth(admin))
        assert mailbox.status_code == 200, mailbox.text
        mails = mailbox.json()["data"]
        assert [m["subject"] for m in mails] == ["Your application for Staff Engineer: not selected"]
        assert "not a fit" in mails[0]["text"] and "<p>" in mails[0]["html"]
        everyone = (await client.get("/dev/mailbox", headers=dev_auth(admin))).json()["pagination"]["total"]
        assert everyone == 3


async def test_an_ai_review_result_is_told_to_the_candidate_and_their_recruiter(world: World) -> None:
    w = world
    application_id, now = await _application(w), datetime.now(UTC)
    review_id = uuid4()
    await handle(w.store, ai_reviews.ai_review, application_id, ai_reviews.StartAIReview(
        application_id=application_id, review_id=review_id, job_id=w.job_id, candidate_id=w.candidate_id,
        by="reactor:ai-review", at=now), SEEDER)
    result = await handle(w.store, ai_reviews.ai_review, application_id, ai_reviews.CompleteAIReview(
        application_id=application_id, review_id=review_id, model="local/keyword-overlap", by="reactor:ai-review",
        at=now, review=FitReview(
            fit_score=42, recommendation="poor_fit", confidence_level=60, strengths=["Python"],
            concerns=["no Kubernetes"], matched_skills=["Python"], missing_skills=["Kubernetes"],
            skills_match_percentage=50, matched_requirements=[], missing_requirements=[], required_years=None,
            candidate_years=None, meets_experience_requirement=True, location_compatibility="good",
            overall_summary="Half the skills.")), SEEDER)
    completed = (await w.store.read_stream(result.stream_id))[-1]
    assert completed.type == "AIReviewCompleted"
    await w.projected()
    await notifications_reactor.handler(_reaction(w, completed))
    [to_candidate] = w.resend.sent_to(f"cami_{w.run}@example.com")
    [to_rex] = w.resend.sent_to(w.email("rex"))
    assert to_candidate["subject"] == "AI review: Staff Engineer · fit 42"
    assert "Improving the profile before submitting is recommended" in to_candidate["text"]
    assert "Cami Candidate's application" in to_rex["text"]
    assert w.resend.sent_to(w.email("cora")) == []  # the company does not see a draft's review


async def test_fraud_signals_alert_platform_admins_and_tier_changes_tell_the_recruiter(world: World) -> None:
    w, now = world, datetime.now(UTC)
    await seed_user(w.store, w.clerk_id("root"), roles=[("platform_admin", None)])
    rex = w.recruiters["rex"]
    signal_id = fraud.signal_id_for(uuid4(), "rapid_submission")
    raised = await handle(w.store, fraud.fraud_signal, signal_id, fraud.RaiseSignal(
        signal_id=signal_id, signal_type="rapid_submission", severity="medium", confidence_score=65,
        recruiter_id=rex, trigger_event_id=uuid4(), signal_data={"submission_count": 11}, by="reactor:fraud-signals",
        at=now), SEEDER)
    promoted = await handle(w.store, reputation.reputation, reputation.subject_stream("recruiter", rex),
                            reputation.RecordScore(kind="recruiter", subject_id=rex, score=74.5, at=now), SEEDER)
    await w.projected()
    for result in (raised, promoted):
        recorded = (await w.store.read_stream(result.stream_id))[-1]
        await notifications_reactor.handler(_reaction(w, recorded))
    [alert] = w.resend.sent_to(w.email("root"))
    assert alert["subject"] == "Fraud signal (medium): rapid submission"
    assert f"https://portal.example/admin/fraud-signals/{signal_id}" in alert["text"]
    [tier] = w.resend.sent_to(w.email("rex"))
    assert tier["subject"] == "Promoted to pro on Splits" and "score 74.5" in tier["text"]
