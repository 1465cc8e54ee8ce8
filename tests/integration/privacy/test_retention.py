"""Retention through the scheduler with a clock moved by hand: each rule removes what is older than its period
and nothing else, once per due row however many schedulers run it, and the read models rebuilt from the log
equal the live ones afterwards.

Applications: one withdrawn and one rejected past the period (erased: keys, documents, read models), one
hired as long ago and one rejected recently (untouched). Notifications and mailbox emails: old ones removed,
recent ones and emails sent through Resend kept. Dead letters: dropped from the reactors' dead-letter queues
once older than their period, never before.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import pytest

from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.ats import note as notes
from commands.documents import document as documents
from commands.notifications import notification as notifications
from consumers.runtime.dead_letter_errors import dead_letter_errors, record_dead_letter_error
from consumers.runtime.dead_letter_retention import DeadLetterQueues
from consumers.reactors import all_reactors
from consumers.runtime.replay import replay
from consumers.privacy.schedules import RetentionPeriods, retention_schedules
from consumers.runtime.scheduler import Scheduler
from consumers.runtime.topology import Topology
from eventstore import EventStore, handle
from adapters.clock import FixedClock
from adapters.storage import LocalStorage
from projections.registry import all_projections
from tests.api import SEEDER
from tests.conftest import RABBITMQ_URL
from tests.helpers import NOW, dump_schema, wait_until
from tests.integration.runtime.test_scheduler import project

ONLY_APPLICATIONS = RetentionPeriods(applications=12, notifications=0, mailbox=0, dead_letters=0)
NO_APPLICATIONS = RetentionPeriods(applications=0, notifications=6, mailbox=14, dead_letters=30)
ADMIN = {"by": "admin", "by_role": "platform_admin"}


async def _application(store: EventStore, job_id: UUID, company_id: UUID, candidate_id: UUID, at: datetime,
                       cover: str) -> UUID:
    application_id = uuid4()
    await handle(store, applications.application, application_id, applications.CreateApplication(
        application_id=application_id, job_id=job_id, candidate_id=candidate_id, company_id=company_id,
        cover_letter=cover, by="admin", at=at), SEEDER)
    note_id = uuid4()
    await handle(store, notes.application_note, note_id, notes.AddApplicationNote(
        note_id=note_id, application_id=application_id, created_by_user_id=uuid4(), created_by_type="company_admin",
        visibility="company_only", message=f"note on {cover}", by="admin", at=at), SEEDER)
    return application_id


async def _move(store: EventStore, application_id: UUID, command: Any) -> None:
    await handle(store, applications.application, application_id, command, SEEDER)


async def _hire(store: EventStore, application_id: UUID, at: datetime) -> None:
    a = {"application_id": application_id, "at": at}
    await _move(store, application_id, applications.TriggerAIReview(**a, **ADMIN))
    await _move(store, application_id, applications.RecordAIReviewCompleted(**a, review_id=uuid4(), by="ai"))
    await _move(store, application_id, applications.SubmitApplication(**a, **ADMIN))
    await _move(store, application_id, applications.MoveStage(**a, to="interview", **ADMIN))
    await _move(store, application_id, applications.MoveStage(**a, to="offer", **ADMIN))
    await _move(store, application_id, applications.AcceptOffer(**a, **ADMIN))
    await _move(store, application_id, applications.HireCandidate(
        **a, placement_id=uuid4(), salary_cents=9_000_000, start_date=date(2027, 1, 4), guarantee_days=90, **ADMIN))


async def _document(store: EventStore, storage: LocalStorage, application_id: UUID, at: datetime) -> tuple[UUID, str]:
    document_id, content = uuid4(), b"a cover letter, in a file"
    key = documents.storage_key_for("application", application_id, document_id, "ab" * 32)
    await storage.put(key, content, "text/plain")
    await handle(store, documents.document, document_id, documents.UploadDocument(
        document_id=document_id, entity_type="application", entity_id=application_id, document_type="cover_letter",
        filename="Jane Doe cover letter.txt", content_type="text/plain", size_bytes=len(content), sha256="ab" * 32,
        storage_key=key, uploaded_by=uuid4(), text_status="extracted", text="a cover letter", by="admin", at=at),
        SEEDER)
    return document_id, key


async def _rows(store: EventStore, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async with store.pool.connection() as conn:
        return await (await conn.execute(sql, params)).fetchall()


async def _erased(store: EventStore, subjects: list[str]) -> set[str]:
    return await store.keyring.erased(subjects)


async def _types(store: EventStore, stream: str) -> list[str]:
    return [e.type for e in await store.read_stream(stream)]


async def test_applications_past_their_period_are_erased_and_nothing_else(fresh_store: EventStore, tmp_path: Path):
    store, storage = fresh_store, LocalStorage(tmp_path / "documents")
    company_id, job_id, candidate_id = uuid4(), uuid4(), uuid4()
    await handle(store, jobs.job, job_id, jobs.CreateJob(job_id=job_id, company_id=company_id, title="Engineer",
                                                         fee_bps=2000, by="admin", at=NOW), SEEDER)
    await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, full_name="Jane Doe", email="jane@example.com", created_by_user_id=uuid4(),
        by="admin", at=NOW), SEEDER)
    later = NOW + timedelta(days=330)
    withdrawn = await _application(store, job_id, company_id, candidate_id, NOW, "withdrawn-cover")
    await _move(store, withdrawn, applications.WithdrawApplication(application_id=withdrawn, reason="took another",
                                                                  at=NOW, by="jane", by_role="candidate"))
    document_id, key = await _document(store, storage, withdrawn, NOW)
    rejected = await _application(store, job_id, company_id, candidate_id, NOW, "rejected-cover")
    await _move(store, rejected, applications.MoveStage(application_id=rejected, to="rejected", reason="too junior",
                                                        at=NOW, **ADMIN))
    hired = await _application(store, job_id, company_id, candidate_id, NOW, "hired-cover")
    await _hire(store, hired, NOW)
    recent = await _application(store, job_id, company_id, candidate_id, later, "recent-cover")
    await _move(store, recent, applications.MoveStage(application_id=recent, to="rejected", reason="not now",
                                                      at=later, **ADMIN))
    await project(store)
    clock = FixedClock(NOW)
    schedulers = [Scheduler(store.pool, store, retention_schedules(ONLY_APPLICATIONS, store.keyring, storage), clock)
                  for _ in range(2)]

    clock.at = NOW + timedelta(days=364)  # within the 12 months: nothing is due
    assert (await schedulers[0].run_once()).sent == {}
    clock.at = NOW + timedelta(days=367)
    reports = await asyncio.gather(*(s.run_once() for s in schedulers))
    assert sum(r.sent.get("retention-applications", 0) for r in reports) == 2  # each application once
    # Later passes find nothing due, even before the read models have seen the runs.
    clock.at = NOW + timedelta(days=400)
    assert all(r.sent == {} for r in await asyncio.gather(*(s.run_once() for s in schedulers)))

    gone = [f"application:{withdrawn}", f"application:{rejected}", f"document:{document_id}"]
    kept = [f"application:{hired}", f"application:{recent}", f"candidate:{candidate_id}"]
    assert await _erased(store, gone + kept) == set(gone)
    assert not await storage.exists(key)
    assert await _types(store, f"retention-application-{withdrawn}") == ["RetentionApplied", "RetentionErased"]
    for untouched in (hired, recent):
        assert await _types(store, f"retention-application-{untouched}") == []
    # The events of an erased application read as erased, its cover letter too (sealed under the application);
    # a kept application's stays readable.
    [created, *_, withdrawal] = await store.read_stream(f"application-{withdrawn}")
    assert store.registry.decode(withdrawal).reason is None
    assert store.registry.decode(created).cover_letter is None
    assert store.registry.decode((await store.read_stream(f"application-{hired}"))[0]).cover_letter == "hired-cover"

    await project(store)
    covers = dict(await _rows(store, "SELECT id, cover_letter FROM ats.applications"))
    assert covers == {withdrawn: None, rejected: None, hired: "hired-cover", recent: "recent-cover"}
    reasons = dict(await _rows(store, "SELECT application_id, reason FROM ats.application_stage_history"
                                      " WHERE to_stage IN ('withdrawn', 'rejected')"))
    assert reasons == {withdrawn: None, rejected: None, recent: "not now"}
    messages = dict(await _rows(store, "SELECT application_id, message FROM ats.application_notes"))
    assert messages == {withdrawn: "[erased]", rejected: "[erased]", hired: "note on hired-cover",
                        recent: "note on recent-cover"}
    [(filename, deleted_at)] = await _rows(store, "SELECT filename, deleted_at FROM documents.documents")
    assert filename == "[erased]" and deleted_at is not None
    assert (await _rows(store, "SELECT full_name FROM ats.candidates")) == [("Jane Doe",)]

    assert all(r.sent == {} for r in await asyncio.gather(*(s.run_once() for s in schedulers)))
    for name in ("ats", "documents", "ai"):
        live = await dump_schema(store, name)
        await replay(store.pool, all_projections()[name], store.registry)
        assert await dump_schema(store, name) == live, name


async def test_old_notifications_and_mailbox_emails_are_removed_once_a_day(fresh_store: EventStore, tmp_path: Path):
    store = fresh_store
    user_id, recent = uuid4(), NOW + timedelta(days=200)
    made: dict[str, UUID] = {}
    for name, at in (("old", NOW), ("recent", recent)):
        made[f"inbox-{name}"] = notification_id = uuid4()
        await handle(store, notifications.notification, notification_id, notifications.RecordInApp(
            notification_id=notification_id, user_id=user_id, category="applications", template="t",
            title=f"{name} title", body="b", source_event_id=uuid4(), at=at), SEEDER)
        for provider in ("mailbox", "resend"):
            made[f"{provider}-{name}"] = email_id = uuid4()
            await handle(store, notifications.notification, email_id, notifications.RecordEmailSent(
                notification_id=email_id, user_id=user_id, recipient_email="jane@example.com",
                category="applications", template="t", subject=f"{name} subject", text="t", html="<p>t</p>",
                provider=provider, provider_message_id=f"m-{email_id}", idempotency_key=str(email_id),
                source_event_id=uuid4(), at=at), SEEDER)
    await project(store)
    clock = FixedClock(NOW)
    schedulers = [Scheduler(store.pool, store, retention_schedules(
        NO_APPLICATIONS, store.keyring, LocalStorage(tmp_path)), clock) for _ in range(2)]

    clock.at = NOW + timedelta(days=20)  # the old mailbox email is past 14 days; no notification is past 6 months
    reports = await asyncio.gather(*(s.run_once() for s in schedulers))
    assert _sent(reports) == {"retention-mailbox": 1, "retention-notifications": 1}  # each rule runs once a day
    clock.at += timedelta(hours=5)  # the same day, before the read model removed anything: the same run
    assert (await schedulers[0].run_once()).sent == {}
    await project(store)
    emails = {r[0] for r in await _rows(store, "SELECT notification_id FROM notifications.emails")}
    assert emails == {made["resend-old"], made["mailbox-recent"], made["resend-recent"]}

    clock.at = datetime(2027, 6, 1, 12, tzinfo=UTC)  # notifications' cutoff 2026-12-01: after NOW, before `recent`
    reports = await asyncio.gather(*(s.run_once() for s in schedulers))
    assert _sent(reports) == {"retention-mailbox": 1, "retention-notifications": 1}
    await project(store)
    inbox = {r[0] for r in await _rows(store, "SELECT id FROM notifications.inbox")}
    assert inbox == {made["inbox-recent"]}
    emails = {r[0] for r in await _rows(store, "SELECT notification_id FROM notifications.emails")}
    assert emails == {made["resend-old"], made["mailbox-recent"], made["resend-recent"]}
    runs = await store.read_stream("retention-notifications")
    assert [(e.data["removed"], e.data["cutoff"]) for e in runs] == [
        (0, "2026-06-17T00:00:00Z"), (1, "2026-12-01T00:00:00Z")]
    assert [e.data["removed"] for e in await store.read_stream("retention-mailbox")] == [1, 0]
    live = await dump_schema(store, "notifications")
    await replay(store.pool, all_projections()["notifications"], store.registry)
    assert await dump_schema(store, "notifications") == live


@pytest.fixture
async def dead_letters(topology: Topology) -> DeadLetterQueues:
    reactors = [r.name for r in all_reactors()[:2]]
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        for reactor in reactors:
            queue = await topology.declare_reactor(channel, reactor, [f"test.{reactor}"], [])
            for i in range(2):
                await channel.default_exchange.publish(aio_pika.Message(f"{reactor}-{i}".encode()),
                                                       routing_key=topology.reactor_queue(reactor))
                message = None
                for _ in range(100):  # until the broker has queued it
                    if (message := await queue.get(no_ack=False, fail=False)) is not None:
                        break
                    await asyncio.sleep(0.05)
                assert message is not None
                await message.reject(requeue=False)  # what a reactor does when it gives up on an event
    return DeadLetterQueues(RABBITMQ_URL, topology, reactors)


async def test_dead_letters_are_dropped_once_older_than_their_period(fresh_store: EventStore, tmp_path: Path,
                                                                     dead_letters: DeadLetterQueues) -> None:
    store, today = fresh_store, datetime.now(UTC)
    # The broker dead-letters asynchronously.
    await wait_until(lambda: _counted(dead_letters, today + timedelta(days=1), 4))
    clock = FixedClock(NOW)
    noted = uuid4()  # the error a reactor kept of a letter goes with the letters of its day
    assert await record_dead_letter_error(store.pool, "audit", noted, "RuntimeError: refused", 5, today)
    only_dead_letters = RetentionPeriods(applications=0, notifications=0, mailbox=0, dead_letters=30)
    schedulers = [Scheduler(store.pool, store, retention_schedules(
        only_dead_letters, store.keyring, LocalStorage(tmp_path), dead_letters), clock) for _ in range(2)]

    clock.at = today + timedelta(days=29)  # cutoff: yesterday; they were dead-lettered today
    assert _sent(await asyncio.gather(*(s.run_once() for s in schedulers))) == {"retention-dead-letters": 1}
    assert await dead_letters.count_before(today + timedelta(days=1)) == 4
    assert list(await dead_letter_errors(store.pool, "audit", [str(noted)])) == [str(noted)]
    clock.at = today + timedelta(days=31)
    assert _sent(await asyncio.gather(*(s.run_once() for s in schedulers))) == {"retention-dead-letters": 1}
    assert await dead_letters.count_before(today + timedelta(days=365)) == 0
    assert await dead_letter_errors(store.pool, "audit", [str(noted)]) == {}
    assert (await schedulers[0].run_once()).sent == {}  # the day's run is done
    runs = await store.read_stream("retention-dead-letters")
    assert [(e.data["rule"], e.data["removed"]) for e in runs] == [("dead-letters", 0), ("dead-letters", 4)]


async def _counted(queues: DeadLetterQueues, before: datetime, expected: int) -> bool:
    return await queues.count_before(before) == expected


def _sent(reports: list[Any]) -> dict[str, int]:
    """What several schedulers' passes recorded, together."""
    total: dict[str, int] = {}
    for report in reports:
        for name, count in report.sent.items():
            total[name] = total.get(name, 0) + count
    return total
