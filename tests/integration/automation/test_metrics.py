"""Marketplace metrics on the real PostgreSQL: two days of generated activity, projected, equal the figures
counted straight from the events.

The activity is appended as encoded events to their real streams (the deciders that emit them are tested on
their own): jobs going active (some twice, some never), applications created, proposed, pre-screened,
submitted (some twice), hired; placements with their fees and credited recruiters; payout transfers;
disputes. Times fall anywhere in the day, some just before midnight and some written in other time zones, so
the UTC day is what counts. The expected figures are computed from the events list in Python.
"""

from __future__ import annotations

import contextlib
import random
import statistics
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from prometheus_client import CollectorRegistry

from infra.app import create_app
from api.automation.metrics import export_marketplace_gauges
from commands.ats import application, job, placement
from commands.ats.application_events import (
    ApplicationCreated,
    ApplicationHired,
    ApplicationPrescreenRequested,
    ApplicationProposed,
    ApplicationSubmitted,
)
from commands.ats.events import JobStatusChanged
from commands.ats.placement_events import PlacementCreated
from commands.billing import placement_billing
from commands.billing.placement_events import DisputeOpened, PayoutTransferred
from commands.core import Event
from consumers.runtime.projector import Projector
from consumers.runtime.replay import replay
from eventstore import EventStore, stream_id_for
from infra.bootstrap import System, system_for
from adapters.settings import Settings
from projections.identity import identity
from projections.metrics import metrics
from projections.metrics.queries import COUNTS, FIGURES, daily_metrics
from projections.network import network
from tests.api import dev_auth, seed_user
from tests.helpers import dump_schema, feed_settled, job_created

TABLES = {"jobs_posted", "applications", "recruiter_days", "placements", "payouts", "disputes"}
RECRUITER_ROLES = ("candidate_recruiter", "company_recruiter")
ZONES = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]


@dataclass
class Activity:
    """The generated events by stream, and the days they are about."""

    days: tuple[date, date]
    rnd: random.Random
    streams: dict[str, list[Event]] = field(default_factory=dict)

    def add(self, stream: str, *events: Event) -> None:
        self.streams.setdefault(stream, []).extend(events)

    @property
    def events(self) -> list[Event]:
        return [e for events in self.streams.values() for e in events]

    def moment(self, day: date) -> datetime:
        """A time on `day` (UTC): one in ten a second before midnight; written in one of three time zones."""
        seconds = 86_399.5 if self.rnd.random() < 0.1 else self.rnd.uniform(0, 86_399)
        at = datetime.combine(day, time.min, UTC) + timedelta(seconds=seconds)
        return at.astimezone(self.rnd.choice(ZONES))

    def later(self, at: datetime, max_hours: float = 8) -> datetime:
        return at + timedelta(hours=self.rnd.uniform(0.01, max_hours))

    async def append_to(self, store: EventStore) -> None:
        assert store.registry is not None
        for stream, events in self.streams.items():
            await store.append(stream, [store.registry.encode(e) for e in events], None)


def generate(days: tuple[date, date], seed: int = 7) -> Activity:
    """A few hundred events over `days` (and the day before, where some applications start)."""
    a = Activity(days, random.Random(seed))
    rnd, d1, d2 = a.rnd, days[0], days[1]
    recruiters = [uuid4() for _ in range(14)]

    def status(job_id: UUID, from_status: str, to_status: str, at: datetime) -> JobStatusChanged:
        return JobStatusChanged(job_id=job_id, from_status=from_status, to_status=to_status, reason=None, by="u", at=at)

    jobs = [uuid4() for _ in range(12)]
    for i, job_id in enumerate(jobs):
        stream = stream_id_for(job.job, job_id)
        created = a.moment(d1 - timedelta(days=1))
        a.add(stream, job_created(job_id).model_copy(update={"at": created}))
        first = a.moment(rnd.choice(days))
        match i % 4:
            case 0:  # active, paused, active again: posted once, on its first move
                again = a.later(first, 30)
                a.add(stream, status(job_id, "draft", "active", first), status(job_id, "active", "paused", first),
                      status(job_id, "paused", "active", again))
            case 1:
                a.add(stream, status(job_id, "draft", "pending", first),
                      status(job_id, "pending", "active", a.later(first)))
            case 2:
                a.add(stream, status(job_id, "draft", "active", first))
            case _:  # never posted
                a.add(stream, status(job_id, "draft", "closed", first))

    for _ in range(90):
        app_id, job_id, candidate_id = uuid4(), rnd.choice(jobs), uuid4()
        stream = stream_id_for(application.application, app_id)
        created = a.moment(rnd.choice((d1 - timedelta(days=1), d1 - timedelta(days=1), d1, d1, d2)))
        kind = rnd.choice(("direct", "recruiter", "proposed", "company"))
        candidate_recruiter = rnd.choice(recruiters) if kind in ("recruiter", "proposed") else None
        company_recruiter = rnd.choice(recruiters) if kind == "company" else None
        if kind == "proposed":
            a.add(stream, ApplicationProposed(
                application_id=app_id, job_id=job_id, candidate_id=candidate_id, company_id=uuid4(),
                candidate_recruiter_id=candidate_recruiter, pitch="A fit", notes=None, stage="recruiter_proposed",
                proposed_by="r", at=created))
        else:
            a.add(stream, ApplicationCreated(
                application_id=app_id, job_id=job_id, candidate_id=candidate_id, company_id=uuid4(),
                source="direct" if kind == "direct" else "recruiter" if kind == "recruiter" else "company_recruiter",
                candidate_recruiter_id=candidate_recruiter, company_recruiter_id=company_recruiter, cover_letter=None,
                stage="draft", created_by="u", at=created))
        if rnd.random() < 0.2:
            continue  # never submitted
        at = a.later(created)
        common = {"application_id": app_id, "by": "u"}
        if kind == "direct" and rnd.random() < 0.5:  # the company asks one of its recruiters to screen
            company_recruiter = rnd.choice(recruiters)
            a.add(stream, ApplicationPrescreenRequested(**common, from_stage="ai_reviewed", to_stage="screen",
                                                        company_recruiter_id=company_recruiter, message=None,
                                                        by_role="company", at=at))
            at = a.later(at)
            a.add(stream, ApplicationSubmitted(**common, from_stage="screen", to_stage="submitted", submitted_at=at,
                                               by_role="company_recruiter", at=at))
        elif candidate_recruiter is not None:  # the candidate, then their recruiter after review
            first = at
            a.add(stream, ApplicationSubmitted(**common, from_stage="ai_reviewed", to_stage="recruiter_review",
                                               submitted_at=first, by_role="candidate", at=first))
            if rnd.random() < 0.8:
                at = a.later(first)
                a.add(stream, ApplicationSubmitted(**common, from_stage="recruiter_review", to_stage="submitted",
                                                   submitted_at=first, by_role="candidate_recruiter", at=at))
        else:
            by_role = "company_recruiter" if company_recruiter is not None else "candidate"
            a.add(stream, ApplicationSubmitted(**common, from_stage="ai_reviewed", to_stage="submitted",
                                               submitted_at=at, by_role=by_role, at=at))
        if rnd.random() < 0.5:
            continue
        hired_at, placement_id = a.later(at, 16), uuid4()
        a.add(stream, ApplicationHired(**common, from_stage="offer", to_stage="hired", placement_id=placement_id,
                                       salary_cents=rnd.randrange(80_000, 200_000) * 100,
                                       start_date=d2 + timedelta(days=30), by_role="company", at=hired_at))
        fee = rnd.randrange(10_000, 40_000) * 100
        placed_at = hired_at + timedelta(seconds=rnd.choice((1, 3600)))
        a.add(stream_id_for(placement.placement, placement_id), PlacementCreated(
            placement_id=placement_id, application_id=app_id, job_id=job_id, candidate_id=candidate_id,
            company_id=uuid4(), state="hired", salary_cents=10_000_000, fee_bps=2000, fee_cents=fee, guarantee_days=90,
            guarantee_expires_at=placed_at + timedelta(days=90), hired_at=hired_at, start_date=d2,
            candidate_recruiter_id=candidate_recruiter, company_recruiter_id=company_recruiter,
            job_owner_recruiter_id=rnd.choice((None, *recruiters)),
            candidate_sourcer_recruiter_id=rnd.choice((None, None, *recruiters)),
            company_sourcer_recruiter_id=None, created_by="system", at=placed_at))
        money = stream_id_for(placement_billing.placement_billing, placement_id)
        for n in range(rnd.randrange(0, 4)):
            a.add(money, PayoutTransferred(placement_id=placement_id, transaction_id=uuid4(),
                                           stripe_transfer_id=f"tr_{placement_id.hex[:8]}_{n}",
                                           stripe_account_id="acct_x", amount_cents=rnd.randrange(1_000, 500_000),
                                           at=a.later(placed_at, 6)))
        if rnd.random() < 0.3:
            a.add(money, DisputeOpened(placement_id=placement_id, dispute_id=uuid4(), dispute_type="fee_amount",
                                       reason="too much", raised_by="c", raised_by_role="company_admin",
                                       at=a.later(placed_at, 6)))
    return a


def expected(events: list[Event], first: date, last: date) -> list[dict[str, Any]]:
    """The daily figures counted straight from the events (in stream order), one dict per day."""

    def day(at: datetime) -> date:
        return at.astimezone(UTC).date()

    posted: dict[UUID, datetime] = {}
    created: dict[UUID, datetime] = {}
    submitted: dict[UUID, datetime] = {}
    hired: dict[UUID, datetime] = {}
    on: dict[UUID, dict[str, UUID | None]] = {}
    counts: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    active: dict[date, set[UUID]] = defaultdict(set)
    for e in events:
        match e:
            case JobStatusChanged(to_status="active"):
                posted[e.job_id] = min(posted.get(e.job_id, e.at), e.at)
            case ApplicationCreated() | ApplicationProposed():
                created[e.application_id] = e.at
                on[e.application_id] = {"candidate_recruiter": e.candidate_recruiter_id,
                                        "company_recruiter": getattr(e, "company_recruiter_id", None)}
                active[day(e.at)].update(r for r in on[e.application_id].values() if r is not None)
            case ApplicationPrescreenRequested():
                on[e.application_id]["company_recruiter"] = (on[e.application_id]["company_recruiter"]
                                                             or e.company_recruiter_id)
            case ApplicationSubmitted():
                submitted[e.application_id] = min(submitted.get(e.application_id, e.submitted_at), e.submitted_at)
                if e.by_role in RECRUITER_ROLES and (r := on[e.application_id][e.by_role]) is not None:
                    active[day(e.at)].add(r)
            case ApplicationHired():
                hired[e.application_id] = e.at
            case PlacementCreated():
                counts[day(e.at)]["placements"] += 1
                counts[day(e.at)]["fees_cents"] += e.fee_cents
                active[day(e.at)].update(r for r in (e.candidate_recruiter_id, e.company_recruiter_id,
                                                     e.job_owner_recruiter_id, e.candidate_sourcer_recruiter_id,
                                                     e.company_sourcer_recruiter_id) if r is not None)
            case PayoutTransferred():
                counts[day(e.at)]["payouts"] += 1
                counts[day(e.at)]["payouts_cents"] += e.amount_cents
            case DisputeOpened():
                counts[day(e.at)]["disputes_opened"] += 1
    for figure, times in (("jobs_posted", posted), ("applications", created), ("submissions", submitted),
                          ("hires", hired)):
        for at in times.values():
            counts[day(at)][figure] += 1
    hours: dict[date, list[float]] = defaultdict(list)
    for app_id, at in hired.items():
        hours[day(at)].append((at - created[app_id]).total_seconds() / 3600)
    rows = []
    for n in range((last - first).days + 1):
        d = first + timedelta(days=n)
        rows.append({"date": d, **counts[d], "active_recruiters": len(active[d]),
                     "time_to_hire_hours_avg": statistics.mean(hours[d]) if hours[d] else None,
                     "time_to_hire_hours_median": statistics.median(hours[d]) if hours[d] else None})
    return rows


def same(found: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> None:
    assert [r["date"] for r in found] == [r["date"] for r in wanted]
    for got, want in zip(found, wanted, strict=True):
        assert {k: got[k] for k in ("date", *COUNTS)} == {k: want[k] for k in ("date", *COUNTS)}
        for k in ("time_to_hire_hours_avg", "time_to_hire_hours_median"):
            assert got[k] == (None if want[k] is None else pytest.approx(want[k], abs=1e-6)), (got["date"], k)


async def project(store: EventStore, projection: Any = metrics, schema: str | None = None,
                  checkpoint: str | None = None) -> None:
    assert store.registry is not None
    projector = Projector(store.pool, projection, store.registry, schema=schema, checkpoint=checkpoint)
    await projector.ensure_schema()
    await projector.catch_up()


@pytest.fixture
async def built(fresh_store: EventStore) -> tuple[EventStore, Activity, datetime]:
    now = datetime.now(UTC)
    activity = generate((now.date() - timedelta(days=1), now.date()))
    await activity.append_to(fresh_store)
    await feed_settled(fresh_store)
    await project(fresh_store)
    return fresh_store, activity, now


def span(activity: Activity) -> tuple[date, date]:
    """From two days before the activity to three after: empty days on either side."""
    return activity.days[0] - timedelta(days=2), activity.days[1] + timedelta(days=3)


async def test_daily_figures_equal_the_counts_from_the_events(built) -> None:
    store, activity, _ = built
    events = activity.events
    assert 300 <= len(events) <= 600
    first, last = span(activity)
    wanted = expected(events, first, last)
    for row in wanted:  # the activity is rich enough for every figure to be tested on both days
        if row["date"] in activity.days:
            assert all(row[k] for k in FIGURES), row
    assert wanted[0] == {"date": first, **dict.fromkeys(FIGURES, 0), "time_to_hire_hours_avg": None,
                         "time_to_hire_hours_median": None}
    async with store.pool.connection() as db:
        same(await daily_metrics(db, first, last), wanted)
        same(await daily_metrics(db, activity.days[1], activity.days[1]), [r for r in wanted
                                                                             if r["date"] == activity.days[1]])
        assert await daily_metrics(db, last, first) == []


async def test_replaying_or_reapplying_the_events_gives_the_same_rows(built) -> None:
    store, activity, _ = built
    live = await dump_schema(store, "metrics")
    assert set(live) == TABLES and all(live.values())

    await project(store, checkpoint="projection:metrics_again")  # every event again, over the rows
    assert await dump_schema(store, "metrics") == live

    assert store.registry is not None
    result = await replay(store.pool, metrics, store.registry)  # from scratch, swapped in
    assert result.events == len(activity.events)
    assert await dump_schema(store, "metrics") == live


async def test_gauges_show_todays_figures(built) -> None:
    store, activity, now = built
    first, last = span(activity)
    todays = next(r for r in expected(activity.events, first, last) if r["date"] == now.date())
    registry = CollectorRegistry()
    async with store.pool.connection() as db:
        await export_marketplace_gauges(db, registry, now=now)
        await export_marketplace_gauges(db, registry, now=now)  # a second export on the same registry is fine
        for name in FIGURES:
            value = registry.get_sample_value(f"splits_marketplace_{name}")
            assert value == pytest.approx(todays[name]), name

        empty = CollectorRegistry()
        await export_marketplace_gauges(db, empty, now=now + timedelta(days=10))
        assert empty.get_sample_value("splits_marketplace_hires") == 0
        assert empty.get_sample_value("splits_marketplace_time_to_hire_hours_avg") != \
            empty.get_sample_value("splits_marketplace_time_to_hire_hours_avg")  # NaN: no hires that day


@contextlib.asynccontextmanager
async def serving_metrics(store: EventStore) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the metrics router mounted, on the test's store."""
    system = system_for(Settings(database_url=store.pool.conninfo, splits_dev_auth=True), store)

    @contextlib.asynccontextmanager
    async def existing() -> AsyncIterator[System]:
        yield system

    app = create_app(existing)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://splits") as client:
            yield client


async def test_only_platform_admins_read_the_daily_figures(built) -> None:
    store, activity, _ = built
    run = uuid4().hex[:8]
    admin, someone = f"user_admin_{run}", f"user_someone_{run}"
    await seed_user(store, admin, roles=[("platform_admin", None)])
    await seed_user(store, someone)
    await feed_settled(store)
    for projection in (identity, network):
        await project(store, projection)
    first, last = span(activity)
    url = f"/v1/admin/metrics/daily?from={first.isoformat()}&to={last.isoformat()}"

    async with serving_metrics(store) as client:
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers=dev_auth(someone))).status_code == 403
        answer = await client.get(url, headers=dev_auth(admin))
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        wanted = expected(activity.events, first, last)
        same([{**r, "date": date.fromisoformat(r["date"])} for r in data], wanted)

        too_long = await client.get(f"/v1/admin/metrics/daily?from={first.isoformat()}"
                                    f"&to={(first + timedelta(days=366)).isoformat()}", headers=dev_auth(admin))
        assert too_long.status_code == 422 and too_long.headers["content-type"] == "application/problem+json"
        year = await client.get(f"/v1/admin/metrics/daily?from={first.isoformat()}"
                                f"&to={(first + timedelta(days=365)).isoformat()}", headers=dev_auth(admin))
        assert year.status_code == 200 and len(year.json()["data"]) == 366
        backwards = await client.get(f"/v1/admin/metrics/daily?from={last.isoformat()}&to={first.isoformat()}",
                                     headers=dev_auth(admin))
        assert backwards.status_code == 422
        assert (await client.get("/v1/admin/metrics/daily?from=yesterday", headers=dev_auth(admin))).status_code == 422
        default = await client.get("/v1/admin/metrics/daily", headers=dev_auth(admin))
        assert default.status_code == 200 and len(default.json()["data"]) == 30
