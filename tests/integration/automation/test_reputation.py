"""Reputation on the real PostgreSQL: a hand-computed history projected into scores and tiers, the tier change
recorded once however often the reactor runs, a replay that rebuilds the same rows, and the SQL rendering of
the formula equal to the pure function.

The story, appended straight to the event store (the deciders that emit these events are tested on their own):
recruiter A represents six candidates at company X. Each is submitted to A for review, A sends it on two hours
later, X moves it on a day after that. Two are hired (placements P1, P2; P1 shared with recruiter B), one is
withdrawn by the candidate, one expires at X, two are rejected. A also proposes three jobs: one accepted, one
declined, one left to time out. A third placement, P3, of A's at X fails; P1 and P2 complete.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from commands.ats import application_events as ae
from commands.ats import placement_events as pe
from commands.automation import reputation as rep
from commands.automation.reputation_events import CompanyTierChanged, RecruiterTierChanged
from commands.core import Event
from consumers.runtime.projector import Projector
from consumers.automation.reputation import on_score_moved, reputation_tiers
from consumers.runtime.reactor import Reaction, ReactorRunner
from consumers.runtime.replay import replay
from eventstore import EventStore, read_feed
from projections.reputation import queries, reputation
from projections.reputation.schema import company_score_sql, recruiter_score_sql, tier_sql
from tests.helpers import dump_schema, feed_settled

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@dataclass
class Story:
    a: UUID = field(default_factory=uuid4)
    b: UUID = field(default_factory=uuid4)
    x: UUID = field(default_factory=uuid4)
    job: UUID = field(default_factory=uuid4)
    streams: dict[str, list[Event]] = field(default_factory=dict)

    def add(self, stream: str, *events: Event) -> None:
        self.streams.setdefault(stream, []).extend(events)

    async def append_to(self, store: EventStore) -> None:
        assert store.registry is not None
        for stream, events in self.streams.items():
            await store.append(stream, [store.registry.encode(e) for e in events], None)


def move(app: UUID, cls: type, frm: str, to: str, role: str, hours: float, **extra: Any) -> Event:
    return cls(application_id=app, from_stage=frm, to_stage=to, by="someone", by_role=role, at=at(hours), **extra)


def placement(s: Story, pid: UUID, app: UUID, recruiters: tuple[UUID | None, ...], hours: float) -> pe.PlacementCreated:
    return pe.PlacementCreated(
        placement_id=pid, application_id=app, job_id=s.job, candidate_id=uuid4(), company_id=s.x, state="hired",
        salary_cents=10_000_000, fee_bps=2000, fee_cents=2_000_000, guarantee_days=90,
        guarantee_expires_at=at(hours + 90 * 24), hired_at=at(hours), start_date=date(2026, 12, 1),
        candidate_recruiter_id=recruiters[0], company_recruiter_id=recruiters[1], job_owner_recruiter_id=recruiters[0],
        candidate_sourcer_recruiter_id=None, company_sourcer_recruiter_id=None, created_by="system", at=at(hours))


def story() -> Story:
    s = Story()
    apps = [uuid4() for _ in range(6)]
    placements = [uuid4() for _ in range(3)]
    for i, app in enumerate(apps):
        h = 10 * i
        events: list[Event] = [
            ae.ApplicationCreated(application_id=app, job_id=s.job, candidate_id=uuid4(), company_id=s.x,
                                  source="recruiter", candidate_recruiter_id=s.a, company_recruiter_id=None,
                                  cover_letter=None, stage="draft", created_by="candidate", at=at(h)),
            move(app, ae.ApplicationSubmitted, "draft", "recruiter_review", "candidate", h + 1, submitted_at=at(h + 1)),
            move(app, ae.ApplicationStageChanged, "recruiter_review", "submitted", "candidate_recruiter", h + 3,
                 reason=None),
            move(app, ae.ApplicationStageChanged, "submitted", "company_review", "company", h + 27, reason=None),
        ]
        if i < 2:
            events += [move(app, ae.ApplicationStageChanged, "company_review", "interview", "company", h + 50,
                            reason=None),
                       move(app, ae.ApplicationStageChanged, "interview", "offer", "company", h + 60, reason=None),
                       move(app, ae.ApplicationHired, "offer", "hired", "company", h + 70, placement_id=placements[i],
                            salary_cents=10_000_000, start_date=date(2026, 12, 1))]
        elif i == 2:
            events.append(move(app, ae.ApplicationWithdrawn, "company_review", "withdrawn", "candidate", h + 40,
                               reason="took another offer"))
        elif i == 3:
            events.append(ae.ApplicationExpired(application_id=app, from_stage="company_review", to_stage="expired",
                                                idle_since=at(h + 27), by="system", at=at(h + 27 + 14 * 24)))
        else:
            events.append(move(app, ae.ApplicationStageChanged, "company_review", "rejected", "company", h + 45,
                               reason="not a fit"))
        s.add(f"application-{app}", *events)
    for outcome in ("accepted", "declined", "timed_out"):
        app = uuid4()
        proposed = ae.ApplicationProposed(application_id=app, job_id=s.job, candidate_id=uuid4(), company_id=s.x,
                                          candidate_recruiter_id=s.a, pitch="a fine role", notes=None,
                                          stage="recruiter_proposed", proposed_by="a", at=at(100))
        answer: Event
        if outcome == "accepted":
            answer = move(app, ae.ApplicationProposalAccepted, "recruiter_proposed", "draft", "candidate", 110)
        elif outcome == "declined":
            answer = move(app, ae.ApplicationProposalDeclined, "recruiter_proposed", "rejected", "candidate", 110,
                          reason="not now")
        else:
            answer = ae.ApplicationExpired(application_id=app, from_stage="recruiter_proposed", to_stage="expired",
                                           idle_since=at(100), by="system", at=at(100 + 7 * 24))
        s.add(f"application-{app}", proposed, answer)
    s.add(f"placement-{placements[0]}", placement(s, placements[0], apps[0], (s.a, s.b), 70),
          pe.PlacementStateChanged(placement_id=placements[0], from_state="hired", to_state="completed", reason=None,
                                   by="system", at=at(3000)))
    s.add(f"placement-{placements[1]}", placement(s, placements[1], apps[1], (s.a, None), 80),
          pe.PlacementStateChanged(placement_id=placements[1], from_state="hired", to_state="completed", reason=None,
                                   by="system", at=at(3010)))
    s.add(f"placement-{placements[2]}", placement(s, placements[2], uuid4(), (s.a, None), 90),
          pe.PlacementStateChanged(placement_id=placements[2], from_state="hired", to_state="failed",
                                   reason="left in week two", by="system", at=at(400)))
    return s


async def projected(store: EventStore) -> Story:
    s = story()
    await s.append_to(store)
    await feed_settled(store)
    projector = Projector(store.pool, reputation, store.registry)
    await projector.ensure_schema()
    await projector.catch_up()
    return s


async def test_a_history_gives_the_hand_computed_scores_and_tiers(fresh_store) -> None:
    store = fresh_store
    s = await projected(store)
    async with store.pool.connection() as db:
        a = await queries.get_recruiter_reputation(db, s.a)
        b = await queries.get_recruiter_reputation(db, s.b)
        x = await queries.get_company_reputation(db, s.x)
        pros, total = await queries.list_recruiter_reputations(db, tier="pro")
        unseen = await queries.get_recruiter_reputation(db, uuid4())

    assert {k: a[k] for k in ("submissions", "hires", "placements", "placements_completed", "placements_failed",
                              "collaborations", "proposals", "proposals_accepted", "proposals_declined",
                              "proposals_timed_out", "responses", "response_hours", "pipeline_entered",
                              "pipeline_dropped")} == {
        "submissions": 6, "hires": 2, "placements": 3, "placements_completed": 2, "placements_failed": 1,
        "collaborations": 1, "proposals": 3, "proposals_accepted": 1, "proposals_declined": 1,
        "proposals_timed_out": 1, "responses": 6, "response_hours": 2.0, "pipeline_entered": 6,
        "pipeline_dropped": 2}
    # completion 2/3·100 − 5 = 61.67; hire 2/6 → capped 100; collaboration 50 + 1/3·100 = 83.33;
    # responsiveness 2 h → 100; pipeline (1 − 2/6)·100 = 66.67
    # (18.5 + 25 + 12.5 + 15 + 6.667) / .95 = 81.75… → 81.8, pro
    assert (a["score"], a["tier"]) == (81.8, "pro")
    assert a["hire_rate"] == 2 / 6 and a["proposal_acceptance_rate"] == 1 / 3
    # B: one shared, completed placement: only collaboration has data → 55 / .95 = 57.9, active
    assert (b["placements"], b["collaborations"], b["score"], b["tier"]) == (1, 1, 57.9, "active")
    # X: 6 received, 2 hired, feedback a day each, 1 expired waiting on X, placements 2 completed 1 failed:
    # 61.67·.35 + 100·.30 + 100·.25 + 83.33·.10 = 84.92 → 84.9, pro
    assert {k: x[k] for k in ("received", "hires", "feedbacks", "feedback_hours", "pipeline_entered",
                              "pipeline_dropped", "placements_completed", "placements_failed")} == {
        "received": 6, "hires": 2, "feedbacks": 6, "feedback_hours": 24.0, "pipeline_entered": 6,
        "pipeline_dropped": 1, "placements_completed": 2, "placements_failed": 1}
    assert (x["score"], x["tier"]) == (84.9, "pro")
    # the stored score is the pure function's
    assert a["score"] == rep.recruiter_score(queries.recruiter_counts(a))
    assert x["score"] == rep.company_score(queries.company_counts(x))
    assert total == 1 and pros[0]["recruiter_id"] == s.a
    assert (unseen["score"], unseen["tier"], unseen["submissions"]) == (50.0, "active", 0)


async def _tier_events(store: EventStore, kind: str, subject: UUID) -> list[Event]:
    assert store.registry is not None
    return [store.registry.decode(e) for e in await store.read_stream(f"reputation-{kind}-{subject}")]


async def test_a_tier_change_is_recorded_once_however_often_the_reactor_runs(fresh_store) -> None:
    store = fresh_store
    s = await projected(store)
    assert store.registry is not None
    async with store.pool.connection() as db:
        feed = await read_feed(db, limit=1000)
    last_placement_event = [e for e in feed if e.type == "PlacementStateChanged"][-1]
    event = store.registry.decode(last_placement_event)
    for _ in range(2):  # the same delivery twice, past the inbox: the idempotency key and the decider hold
        await on_score_moved(Reaction(event, last_placement_event, reputation_tiers.name, store))
    runner = ReactorRunner(reputation_tiers, store.pool, store, store.registry)
    for recorded in feed:  # then every event of the story, as the reactor's queue would bring them
        await runner.react(recorded)
        await runner.react(recorded)

    promoted = await _tier_events(store, "recruiter", s.a)
    assert promoted == [RecruiterTierChanged(recruiter_id=s.a, from_tier="active", to_tier="pro", score=81.8,
                                             at=event.at)]
    assert await _tier_events(store, "company", s.x) == [
        CompanyTierChanged(company_id=s.x, from_tier="active", to_tier="pro", score=84.9, at=event.at)]
    assert await _tier_events(store, "recruiter", s.b) == []  # still active: nothing to record
    assert runner.stats.duplicates >= runner.stats.handled > 0


async def test_a_replay_rebuilds_the_same_rows(fresh_store) -> None:
    store = fresh_store
    await projected(store)
    before = await dump_schema(store, "reputation")
    assert before["recruiters"] and before["companies"] and before["waits"]
    async with store.pool.connection() as db:  # drift, as a buggy handler would leave it
        await db.execute("UPDATE reputation.recruiters SET score = 0, tier = 'new'")
        await db.execute("DELETE FROM reputation.waits")
    assert store.registry is not None
    await replay(store.pool, reputation, store.registry)
    assert await dump_schema(store, "reputation") == before


async def test_the_sql_formula_is_the_pure_function(fresh_store) -> None:
    store = fresh_store
    rng = random.Random(20261127)
    hours = [None, 0.0, 2.0, 4.0, 4.000001, 7.3, 12.0, 18.5, 24.0, 30.25, 48.0, 60.0, 107.9, 500.0, 1000.0]
    company_hours = [None, 3.0, 24.0, 24.5, 50.0, 72.0, 100.1, 168.0, 200.0, 336.0, 400.0, 700.0, 2000.0]

    def n(top: int) -> int:
        return rng.choice([0, 1, 2, 3, 4, 5, rng.randint(0, top)])

    async with store.pool.connection() as db:
        for _ in range(400):
            placements = n(70)
            completed = rng.randint(0, placements)
            failed = rng.randint(0, placements - completed)
            submissions = n(60)
            entered = n(40)
            r = rep.RecruiterCounts(
                submissions=submissions, hires=rng.randint(0, submissions), placements=placements,
                placements_completed=completed, placements_failed=failed,
                collaborations=rng.randint(0, placements), responses=n(5), response_hours=rng.choice(hours),
                pipeline_entered=entered, pipeline_dropped=rng.randint(0, entered))
            c = rep.CompanyCounts(
                received=submissions, hires=r.hires, placements=placements, placements_completed=completed,
                placements_failed=failed, feedbacks=r.responses, feedback_hours=rng.choice(company_hours),
                pipeline_entered=entered, pipeline_dropped=r.pipeline_dropped)
            score, tier = await _sql(db, recruiter_score_sql, r)
            assert (score, tier) == (rep.recruiter_score(r), rep.tier_for(rep.recruiter_score(r))), r
            score, tier = await _sql(db, company_score_sql, c)
            assert (score, tier) == (rep.company_score(c), rep.tier_for(rep.company_score(c))), c


async def _sql(db: Any, render: Any, counts: Any) -> tuple[float, str]:
    columns = ", ".join(f"%s::{'float8' if f.name.endswith('_hours') else 'bigint'} AS {f.name}"
                        for f in fields(counts))
    cur = await db.execute(
        f"SELECT s.score, {tier_sql('s.score')} FROM (SELECT {columns}) counts,"
        f" LATERAL (SELECT {render('counts.')} AS score) s",
        [getattr(counts, f.name) for f in fields(counts)])
    row = await cur.fetchone()
    return row[0], row[1]
