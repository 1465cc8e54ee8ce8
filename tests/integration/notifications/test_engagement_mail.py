"""The scheduled engagement mail end to end: the engagement schedules (two schedulers, a clock moved by hand)
record each person's email once per period on their engagement stream; the notifications reactor sends it through
the fake Resend (the real SDK) with its unsubscribe link and `List-Unsubscribe` headers, gated by plan and
preference, and not at all when there is nothing to say; the link works without signing in (GET shows, POST
applies) and stops that category; a tampered or expired token is refused with nothing written."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

import httpx
import pytest

from adapters.clock import FixedClock
from adapters.mail import mailer_for
from adapters.payments import payments_for
from adapters.settings import Settings
from adapters.tokens import TokenSigner, unsubscribe_token
from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import company as companies
from commands.ats import job as jobs
from commands.ats import placement as placements
from commands.billing import subscription as subscriptions
from commands.identity import user as users
from commands.network import recruiter as recruiters
from commands.notifications import engagement as engagements
from consumers.notifications.reactions import notifications_reactor
from consumers.notifications.schedules import MONDAY, digest_week, last_weekly
from consumers.runtime.reactor import ReactorContext, ReactorRunner
from consumers.runtime.scheduler import RunReport, Scheduler
from consumers.schedules import all_schedules
from eventstore import EventStore, RecordedEvent, handle
from tests.api import SEEDER, dev_auth, seed_organization, seed_user, serving
from tests.fakes.resend import FakeResend
from tests.fakes.resend import resend_fake as resend_fake  # noqa: F401  (the fixture)
from tests.integration.runtime.test_scheduler import project

SECRET = b"engagement-test-secret-" + b"x" * 16
API = "https://api.splits.example"
# A Monday 08:00 UTC a few weeks ahead of the machine's clock: every user seeded today is older by then.
DIGEST_AT = last_weekly(datetime.now(UTC), MONDAY, 8) + timedelta(weeks=4)


@dataclass
class World:
    client: httpx.AsyncClient
    store: EventStore
    resend: FakeResend
    runner: ReactorRunner
    run: str
    users: dict[str, UUID]
    company_id: UUID
    job_id: UUID
    candidate_id: UUID

    def email(self, name: str) -> str:
        return f"user_{name}_{self.run}@example.com"

    def recruiter(self, name: str) -> UUID:
        return recruiters.recruiter_id_for(self.users[name])

    async def application(self, at: datetime, stage: str = "screen") -> UUID:
        """An application Rex makes (Sam its company recruiter) at `at`, moved to screening an hour later (left in
        draft, or proposed to the candidate, by `stage`)."""
        application_id = uuid4()
        if stage == "recruiter_proposed":
            await handle(self.store, applications.application, application_id, applications.ProposeApplication(
                application_id=application_id, job_id=self.job_id, candidate_id=self.candidate_id,
                company_id=self.company_id, candidate_recruiter_id=self.recruiter("rex"), pitch="A great fit",
                by="rex", at=at), SEEDER)
            return application_id
        await handle(self.store, applications.application, application_id, applications.CreateApplication(
            application_id=application_id, job_id=self.job_id, candidate_id=self.candidate_id,
            company_id=self.company_id, source="recruiter", candidate_recruiter_id=self.recruiter("rex"),
            company_recruiter_id=self.recruiter("sam"), by="rex", at=at), SEEDER)
        if stage == "draft":
            return application_id
        await handle(self.store, applications.application, application_id, applications.RequestPrescreen(
            application_id=application_id, by="rex", by_role="candidate_recruiter", at=at + timedelta(hours=1)),
            SEEDER)
        return application_id

    async def schedule(self, at: datetime, schedulers: int = 1) -> RunReport:
        """Project everything, then run `schedulers` schedulers at once at `at`; their reports summed."""
        await project(self.store)
        clock = FixedClock(at)
        reports = await asyncio.gather(*(Scheduler(self.store.pool, self.store, all_schedules(), clock).run_once()
                                         for _ in range(schedulers)))
        total = RunReport()
        for report in reports:
            for name, count in report.sent.items():
                total.sent[name] = total.sent.get(name, 0) + count
        return total

    async def due(self, name: str) -> list[RecordedEvent]:
        return await self.store.read_stream(f"engagement-{self.users[name]}")

    async def deliver(self, name: str, times: int = 1, kind: str | None = None) -> None:
        """Hand the person's recorded engagement events (of `kind`) to the notifications reactor, `times` over."""
        for event in await self.due(name):
            for _ in range(times if kind in (None, event.data["kind"]) else 0):
                await self.runner.react(event)


@pytest.fixture
async def world(fresh_store: EventStore, resend_fake: FakeResend) -> AsyncIterator[World]:  # noqa: F811
    run, now = secrets.token_hex(4), datetime.now(UTC)
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True, consistency_wait_s=10,
                        resend_api_key="re_test", resend_api_url=resend_fake.url, public_api_url=API,
                        splits_token_secret=SECRET.decode(), candidate_app_url="https://app.example",
                        portal_url="https://portal.example")
    async with serving(fresh_store, settings) as (client, _system):
        users = {name: await seed_user(fresh_store, f"user_{name}_{run}") for name in ("cora", "rex", "sam", "cami")}
        company_id, job_id, candidate_id = uuid4(), uuid4(), uuid4()
        org = await seed_organization(fresh_store, company_id, [(f"user_cora_{run}", "company_admin", False)])
        await handle(fresh_store, companies.company, company_id, companies.CreateCompany(
            company_id=company_id, identity_organization_id=org, name="Acme", slug=f"acme-{run}", by="cora",
            at=now), SEEDER)
        for name in ("rex", "sam"):
            await handle(fresh_store, recruiters.recruiter, recruiters.recruiter_id_for(users[name]),
                         recruiters.CreateRecruiter(recruiter_id=recruiters.recruiter_id_for(users[name]),
                                                    user_id=users[name], by=name, at=now), SEEDER)
        # Rex is on Pro (email_notifications); Sam on Starter (no email).
        await handle(fresh_store, subscriptions.subscription, users["rex"], subscriptions.ActivateSubscription(
            user_id=users["rex"], tier="pro", stripe_subscription_id=f"sub_rex_{run}", by="rex", at=now), SEEDER)
        await handle(fresh_store, candidates.candidate, candidate_id, candidates.CreateCandidate(
            candidate_id=candidate_id, user_id=users["cami"], full_name="Cami Candidate",
            email=f"user_cami_{run}@example.com", by="cami", at=now), SEEDER)
        await handle(fresh_store, jobs.job, job_id, jobs.CreateJob(
            job_id=job_id, company_id=company_id, title="Staff Engineer", fee_bps=2000, by="cora", at=now), SEEDER)
        context = ReactorContext(settings, payments_for(settings), mailer_for(settings),
                                 tokens=TokenSigner.of(SECRET))
        runner = ReactorRunner(notifications_reactor, fresh_store.pool, fresh_store, fresh_store.registry, context)
        await project(fresh_store)
        yield World(client, fresh_store, resend_fake, runner, run, users, company_id, job_id, candidate_id)


def _token(email: dict) -> str:
    return parse_qs(urlsplit(email["headers"]["List-Unsubscribe"].strip("<>")).query)["token"][0]


async def test_the_weekly_digest_is_sent_once_per_period_across_schedulers_and_a_moved_clock(world: World) -> None:
    w = world
    await w.application(DIGEST_AT - timedelta(days=5))

    assert (await w.schedule(DIGEST_AT - timedelta(minutes=1))).sent.get("engagement-weekly-digest") is None
    # Two schedulers at the moment it is due: Rex, Sam (the application's recruiters) and Cora (the company's).
    assert (await w.schedule(DIGEST_AT, schedulers=2)).sent["engagement-weekly-digest"] == 3
    # The clock moved on within the week, before and after the read models caught up: nothing more.
    for later in (timedelta(minutes=5), timedelta(days=1), timedelta(days=6, hours=23)):
        assert (await w.schedule(DIGEST_AT + later, schedulers=2)).sent.get("engagement-weekly-digest") is None
    for name in ("rex", "sam", "cora"):
        assert [(e.type, e.data["kind"]) for e in await w.due(name)] == [("EngagementMailDue", "weekly_digest")]

    for name in ("rex", "sam", "cora"):
        await w.deliver(name, times=3)
    [rex] = w.resend.sent_to(w.email("rex"))
    [cora] = w.resend.sent_to(w.email("cora"))
    assert w.resend.sent_to(w.email("sam")) == []  # Starter: no email_notifications
    for email in (rex, cora):
        assert "Cami Candidate" in email["text"] and "Staff Engineer" in email["text"], email["text"]
        assert email["subject"].startswith("Your week on Splits: 1 new, 1 moved")
        url = email["headers"]["List-Unsubscribe"]
        assert url.startswith(f"<{API}/v1/notification-preferences/unsubscribe?token=") and url.endswith(">")
        assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert url.strip("<>") in email["text"] and url.strip("<>").replace("&", "&amp;") in email["html"]
    # By email only: no in-app notice.
    inbox = await w.client.get("/v1/notifications", headers=dev_auth(f"user_rex_{w.run}"))
    assert inbox.status_code == 200 and inbox.json()["data"] == []

    # The next week had nothing in it: no digest recorded, none sent.
    assert (await w.schedule(DIGEST_AT + timedelta(weeks=1), schedulers=2)).sent.get(
        "engagement-weekly-digest") is None


async def test_a_company_is_not_told_of_an_application_it_does_not_see_yet(world: World) -> None:
    w = world
    await w.application(DIGEST_AT - timedelta(days=2), stage="draft")
    assert (await w.schedule(DIGEST_AT)).sent["engagement-weekly-digest"] == 2  # the recruiters, not Cora
    assert await w.due("cora") == []


async def test_engagement_email_turned_off_is_not_proposed_nor_sent(world: World) -> None:
    w = world
    turned_off = await w.client.put("/v1/notification-preferences/engagement",
                                    json={"email_enabled": False, "in_app_enabled": True},
                                    headers=dev_auth(f"user_cora_{w.run}"))
    assert turned_off.status_code == 200, turned_off.text
    await w.application(DIGEST_AT - timedelta(days=2))
    assert (await w.schedule(DIGEST_AT)).sent["engagement-weekly-digest"] == 2  # Rex and Sam
    assert await w.due("cora") == []
    # Had the schedule proposed her from a read model behind the change, the reactor's gate still holds.
    await handle(w.store, engagements.engagement, w.users["cora"], engagements.RecordEngagementMailDue(
        user_id=w.users["cora"], kind="weekly_digest", period=digest_week(DIGEST_AT)[0], at=DIGEST_AT), SEEDER)
    await w.deliver("cora")
    assert w.resend.sent_to(w.email("cora")) == []


async def test_the_unsubscribe_link_works_without_signing_in_and_stops_the_next_digest(world: World) -> None:
    w = world
    await w.application(DIGEST_AT - timedelta(days=3))
    await w.schedule(DIGEST_AT)
    await w.deliver("rex")
    [email] = w.resend.sent_to(w.email("rex"))
    token = _token(email)
    url = "/v1/notification-preferences/unsubscribe"

    shown = await w.client.get(url, params={"token": token})
    assert shown.status_code == 200 and "engagement" in shown.text and 'method="post"' in shown.text
    prefs = await w.client.get("/v1/notification-preferences", headers=dev_auth(f"user_rex_{w.run}"))
    assert prefs.json()["data"]["engagement"]["email_enabled"] is True  # GET changes nothing

    applied = await w.client.post(url, params={"token": token}, data={"List-Unsubscribe": "One-Click"})
    assert applied.status_code == 200, applied.text
    assert applied.json()["id"] == str(w.users["rex"]) and applied.json()["consistency_token"]
    again = await w.client.post(url, params={"token": token}, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and again.json()["version"] == applied.json()["version"]
    prefs = await w.client.get("/v1/notification-preferences", headers=dev_auth(f"user_rex_{w.run}"))
    assert prefs.json()["data"]["engagement"] == {"email_enabled": False, "in_app_enabled": True}
    assert prefs.json()["data"]["applications"]["email_enabled"] is True  # that category only

    # The next week has news, but Rex asked for no more: Sam and Cora's digests only.
    await w.application(DIGEST_AT + timedelta(days=2))
    next_week = DIGEST_AT + timedelta(weeks=1)
    assert (await w.schedule(next_week)).sent["engagement-weekly-digest"] == 2
    await w.deliver("rex")
    assert len(w.resend.sent_to(w.email("rex"))) == 1


async def test_a_tampered_or_expired_unsubscribe_token_is_refused_with_nothing_written(world: World) -> None:
    w = world
    rex, url = w.users["rex"], "/v1/notification-preferences/unsubscribe"
    good = unsubscribe_token(SECRET, rex, "engagement", int((datetime.now(UTC) + timedelta(days=30)).timestamp()))
    refused = {
        "unsubscribe_token_invalid": [good.replace("engagement", "billing"), good[:-1] + ("0" if good[-1] != "0"
                                                                                          else "1"),
                                      unsubscribe_token(b"another secret", rex, "engagement", 4_000_000_000)],
        "unsubscribe_token_expired": [unsubscribe_token(SECRET, rex, "engagement",
                                                        int((datetime.now(UTC) - timedelta(days=1)).timestamp()))],
        "unsubscribe_token_malformed": ["nonsense", f"{rex}.engagement", f"{rex}.engagement.\u00b2." + "a" * 64,
                                        f"{rex}.engagement.9." + "\u00e9" * 64],
    }
    for code, tokens in refused.items():
        for token in tokens:
            for answer in (await w.client.get(url, params={"token": token}),
                           await w.client.post(url, params={"token": token})):
                assert answer.status_code == 422 and answer.json()["code"] == code, (token, answer.text)
    assert (await w.client.post(url, params={"token": "t" * 201})).status_code == 422
    assert (await w.client.post(url)).status_code == 422
    assert await w.store.read_stream(f"notificationprefs-{rex}") == []


async def test_candidate_reminders_go_on_wednesday_to_candidates_with_something_waiting(world: World) -> None:
    w = world
    wednesday = DIGEST_AT + timedelta(days=2, hours=2)  # 10:00
    assert (await w.schedule(wednesday)).sent.get("engagement-candidate-reminder") is None  # nothing waits yet
    await w.application(wednesday - timedelta(days=1), stage="recruiter_proposed")
    assert (await w.schedule(wednesday - timedelta(minutes=1))).sent.get("engagement-candidate-reminder") is None
    assert (await w.schedule(wednesday, schedulers=2)).sent["engagement-candidate-reminder"] == 1
    assert (await w.schedule(wednesday + timedelta(hours=3))).sent.get("engagement-candidate-reminder") is None
    # A proposal still waiting a day later is not reminded on Thursday: the next Wednesday's reminder will.
    assert (await w.schedule(wednesday + timedelta(days=1))).sent.get("engagement-candidate-reminder") is None
    await w.deliver("cami", times=2)
    [email] = w.resend.sent_to(w.email("cami"))
    assert "proposes you for Staff Engineer" in email["text"] and email["headers"]["List-Unsubscribe"]
    assert email["from"] == "Splits <notifications@updates.applicant.network>"
    assert (await w.schedule(wednesday + timedelta(weeks=1))).sent["engagement-candidate-reminder"] == 1


async def test_inactive_recruiters_are_reminded_on_thursday_once_a_week(world: World) -> None:
    w = world
    thursday = DIGEST_AT + timedelta(days=3, hours=1)  # 09:00, weeks after they registered
    assert (await w.schedule(thursday, schedulers=2)).sent["engagement-recruiter-inactivity"] == 2
    assert (await w.schedule(thursday + timedelta(hours=5))).sent.get("engagement-recruiter-inactivity") is None
    await w.deliver("rex")
    await w.deliver("sam")
    [email] = w.resend.sent_to(w.email("rex"))
    assert "have not been on Splits" in email["text"]
    assert w.resend.sent_to(w.email("sam")) == []  # Starter

    # Next week Rex is proposed again, but signs in before the email goes: nothing left to say, nothing sent.
    next_thursday = thursday + timedelta(weeks=1)
    assert (await w.schedule(next_thursday)).sent["engagement-recruiter-inactivity"] == 2
    await handle(w.store, users.user, w.users["rex"], users.RecordSignIn(
        user_id=w.users["rex"], by="rex", at=next_thursday + timedelta(minutes=1)), SEEDER)
    await project(w.store)
    assert len(await w.due("rex")) == 2
    await w.deliver("rex")
    assert len(w.resend.sent_to(w.email("rex"))) == 1


async def test_the_monthly_report_tells_company_admins_of_the_month_before(world: World) -> None:
    w = world
    later = DIGEST_AT + timedelta(days=40)
    first = datetime(later.year, later.month, 1, 9, tzinfo=UTC)
    month_before = (first - timedelta(days=1)).replace(day=1, hour=12)
    assert (await w.schedule(first)).sent.get("engagement-monthly-hiring-report") is None  # a month of nothing
    application_id = await w.application(month_before + timedelta(days=3))
    for stage in ("company_review", "interview"):
        await handle(w.store, applications.application, application_id, applications.MoveStage(
            application_id=application_id, to=stage, by="cora", by_role="company",
            at=month_before + timedelta(days=4)), SEEDER)
    assert (await w.schedule(first - timedelta(minutes=1))).sent.get("engagement-monthly-hiring-report") is None
    # A scheduler that first runs more than a day after the moment does not send the report late.
    assert (await w.schedule(first + timedelta(days=1))).sent.get("engagement-monthly-hiring-report") is None
    assert (await w.schedule(first, schedulers=2)).sent["engagement-monthly-hiring-report"] == 1  # Cora
    assert (await w.schedule(first + timedelta(days=10))).sent.get("engagement-monthly-hiring-report") is None
    await w.deliver("cora")
    [email] = w.resend.sent_to(w.email("cora"))
    assert email["subject"] == f"Your hiring report for {month_before.strftime('%B %Y')}"
    assert "Acme: 0 applications submitted, 1 interviewed, 0 hired, 0 placements." in email["text"], email["text"]


async def test_aftercare_follows_a_hire_to_its_milestones_once_each(world: World) -> None:
    w = world
    application_id, placement_id = await w.application(DIGEST_AT - timedelta(days=20)), uuid4()
    hired = datetime(DIGEST_AT.year, DIGEST_AT.month, DIGEST_AT.day, 15, tzinfo=UTC)
    await handle(w.store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=application_id, job_id=w.job_id, candidate_id=w.candidate_id,
        company_id=w.company_id, salary_cents=10_000_000, fee_bps=2000, guarantee_days=90, hired_at=hired,
        start_date=date(hired.year, hired.month, hired.day), candidate_recruiter_id=w.recruiter("rex"),
        company_recruiter_id=w.recruiter("sam"), by="cora", at=hired), SEEDER)
    day3 = datetime(hired.year, hired.month, hired.day, 8, tzinfo=UTC) + timedelta(days=3)

    assert (await w.schedule(day3 - timedelta(minutes=1))).sent.get("engagement-aftercare") is None
    assert (await w.schedule(day3, schedulers=2)).sent["engagement-aftercare"] == 4  # Cora, Rex, Sam, Cami
    assert (await w.schedule(day3 + timedelta(hours=20))).sent.get("engagement-aftercare") is None
    assert (await w.schedule(day3 + timedelta(days=11))).sent["engagement-aftercare"] == 3  # day 14: not Cami
    for name in ("cora", "rex", "cami"):
        await w.deliver(name, times=2, kind="aftercare")
    assert len(w.resend.sent_to(w.email("cora"))) == 2 and len(w.resend.sent_to(w.email("rex"))) == 2
    [cami] = w.resend.sent_to(w.email("cami"))
    assert cami["subject"] == "3 days at Acme" and cami["headers"]["List-Unsubscribe"]
    first_rex = w.resend.sent_to(w.email("rex"))[0]
    assert "Cami Candidate started at Acme as Staff Engineer 3 days ago" in first_rex["text"]
    assert f"https://portal.example/placements/{placement_id}" in first_rex["text"]
    # Seven days before the guarantee ends (90 days after the hire, as day 90): company and recruiters.
    ending = datetime(hired.year, hired.month, hired.day, 8, tzinfo=UTC) + timedelta(days=83)
    assert (await w.schedule(ending)).sent["engagement-aftercare"] == 3
    periods = [e.data["period"] for e in await w.due("cora") if e.data["kind"] == "aftercare"]
    assert periods == [f"{placement_id}/day-3", f"{placement_id}/day-14", f"{placement_id}/guarantee-ending"]
