"""Fraud signals end to end on the real PostgreSQL: application events run through the `fraud-signals` reactor
(with its inbox, and once more without it), the fraud projection built from the signals it records, and the
platform admins' routes over it."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import httpx
import pytest

from infra.app import create_app
from commands.ats.application_events import ApplicationCreated, ApplicationSubmitted, ApplicationWithdrawn
from commands.automation.fraud import signal_id_for
from commands.core import Event
from consumers.runtime.projector import Projector
from consumers.automation.fraud import fraud_signals
from consumers.runtime.reactor import Reaction, ReactorRunner
from eventstore import EventStore, RecordedEvent
from infra.bootstrap import System, system_for
from adapters.settings import Settings
from projections.fraud import fraud
from tests.api import dev_auth, running_consumers, seed_user
from tests.helpers import feed_settled, wait_until

T0 = datetime.now(UTC) - timedelta(hours=2)


@contextlib.asynccontextmanager
async def serving(store: EventStore, settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, System]]:
    """The app with the fraud router mounted (the app wires it once this feature is registered)."""
    system = system_for(settings, store)

    @contextlib.asynccontextmanager
    async def existing() -> AsyncIterator[System]:
        yield system

    app = create_app(existing)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://splits") as client:
            yield client, system


def created(application_id: UUID, candidate_id: UUID, job_id: UUID, recruiter_id: UUID | None,
            at: datetime) -> ApplicationCreated:
    return ApplicationCreated(
        application_id=application_id, job_id=job_id, candidate_id=candidate_id, company_id=uuid4(),
        source="recruiter" if recruiter_id else "direct", candidate_recruiter_id=recruiter_id,
        company_recruiter_id=None, cover_letter=None, stage="draft", created_by="user_seed", at=at)


def submitted(application_id: UUID, at: datetime, by_role: str = "candidate_recruiter") -> ApplicationSubmitted:
    return ApplicationSubmitted(application_id=application_id, from_stage="ai_reviewed", to_stage="submitted",
                                submitted_at=at, by="user_rex", by_role=by_role, at=at)  # type: ignore[arg-type]


@dataclass
class World:
    store: EventStore
    runner: ReactorRunner
    projector: Projector
    recruiter: UUID
    duplicate_trigger: UUID | None = None
    rapid_trigger: UUID | None = None

    async def append(self, application_id: UUID, *events: Event) -> list[RecordedEvent]:
        assert self.store.registry is not None
        stream = f"application-{application_id}"
        await self.store.append(stream, [self.store.registry.encode(e) for e in events], None)
        return await self.store.read_stream(stream)

    async def project(self) -> None:
        await feed_settled(self.store)
        await self.projector.catch_up()
        assert self.projector.stats.bad_events == 0

    async def signals(self) -> list[RecordedEvent]:
        """Every event of every fraud signal stream."""
        async with self.store.pool.connection() as db:
            cur = await db.execute("SELECT DISTINCT stream_id FROM eventstore.events WHERE stream_type = 'fraudsignal'")
            streams = sorted(r[0] for r in await cur.fetchall())
        return [e for stream in streams for e in await self.store.read_stream(stream)]


async def _story(w: World) -> None:
    """A duplicate application (and two that are not), then one recruiter's 11 submissions in 11 minutes."""
    candidate, job, later = uuid4(), uuid4(), uuid4()
    first, second = uuid4(), uuid4()
    events = await w.append(first, created(first, candidate, job, w.recruiter, T0), submitted(first, T0))
    events += await w.append(second, created(second, candidate, job, w.recruiter, T0 + timedelta(minutes=1)))
    w.duplicate_trigger = events[-1].event_id
    # The same job for another candidate; and a candidate whose earlier application was withdrawn.
    stranger, gone, again = uuid4(), uuid4(), uuid4()
    events += await w.append(stranger, created(stranger, uuid4(), job, None, T0 + timedelta(minutes=2)))
    events += await w.append(gone, created(gone, later, job, None, T0), ApplicationWithdrawn(
        application_id=gone, from_stage="draft", to_stage="withdrawn", reason=None, by="c", by_role="candidate",
        at=T0 + timedelta(minutes=1)))
    events += await w.append(again, created(again, later, job, None, T0 + timedelta(minutes=3)))

    # The candidate's own submission to their recruiter is not the recruiter's: it does not count.
    start = T0 + timedelta(minutes=30)
    own = uuid4()
    events += await w.append(own, created(own, uuid4(), uuid4(), w.recruiter, start),
                             submitted(own, start, by_role="candidate"))
    for i in range(11):
        app = uuid4()
        at = start + timedelta(minutes=i)
        events += await w.append(app, created(app, uuid4(), uuid4(), w.recruiter, at), submitted(app, at))
    w.rapid_trigger = events[-1].event_id
    # The ats read schema must have these before the reactor looks (it waits, bounded, if not).
    for event in events:
        await w.runner.react(event)
    # Delivered again: the inbox answers, and nothing is decided twice.
    for event in events:
        await w.runner.react(event)
    reacted = [e for e in events if e.type != "ApplicationWithdrawn"]
    assert (w.runner.stats.handled, w.runner.stats.duplicates) == (len(reacted), len(reacted))


@pytest.fixture
async def world(fresh_store: EventStore, tmp_path) -> AsyncIterator[tuple[World, httpx.AsyncClient, str]]:
    run = secrets.token_hex(4)
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True, consistency_wait_s=10,
                        splits_data_dir=tmp_path)
    async with serving(fresh_store, settings) as (client, system), running_consumers(
            system, only={"identity", "ats"}):
        assert fresh_store.registry is not None
        projector = Projector(fresh_store.pool, fraud, fresh_store.registry)
        await projector.ensure_schema()
        w = World(fresh_store, ReactorRunner(fraud_signals, fresh_store.pool, fresh_store, fresh_store.registry),
                  projector, recruiter=uuid4())
        await seed_user(fresh_store, f"user_root_{run}", roles=[("platform_admin", None)])
        await seed_user(fresh_store, f"user_rex_{run}", roles=[("recruiter", w.recruiter)])
        for name, role in (("root", "platform_admin"), ("rex", "recruiter")):
            await _known(client, f"user_{name}_{run}", role)
        await _story(w)
        await w.project()
        yield w, client, run


async def _known(client: httpx.AsyncClient, clerk_id: str, role: str) -> None:
    async def ready() -> bool:
        me = await client.get("/v1/users/me", headers=dev_auth(clerk_id))
        return me.status_code == 200 and role in me.json()["data"]["roles"]

    await wait_until(ready)


async def test_one_duplicate_and_one_rapid_signal_are_raised_once_each(world) -> None:
    w, _, _ = world
    raised = await w.signals()
    assert sorted(e.type for e in raised) == ["FraudSignalRaised", "FraudSignalRaised"]
    by_type = {e.data["signal_type"]: e for e in raised}
    duplicate, rapid = by_type["duplicate_application"], by_type["rapid_submission"]
    assert (duplicate.data["severity"], duplicate.data["confidence_score"]) == ("low", 85)
    assert duplicate.stream_id == f"fraudsignal-{signal_id_for(w.duplicate_trigger, 'duplicate_application')}"
    assert (rapid.data["severity"], rapid.data["confidence_score"]) == ("medium", 65)
    assert rapid.data["recruiter_id"] == str(w.recruiter) and rapid.data["signal_data"]["submission_count"] == 11
    assert rapid.stream_id == f"fraudsignal-{signal_id_for(w.rapid_trigger, 'rapid_submission')}"
    assert duplicate.metadata["causation_id"] == str(w.duplicate_trigger)


async def test_a_delivery_past_the_inbox_raises_no_second_signal(world) -> None:
    """A crash after recording the signal but before the inbox row: the event comes back and is handled again."""
    w, _, _ = world
    assert w.store.registry is not None
    for trigger in (w.duplicate_trigger, w.rapid_trigger):
        async with w.store.pool.connection() as db:
            cur = await db.execute("SELECT stream_id FROM eventstore.events WHERE event_id = %s", (trigger,))
            row = await cur.fetchone()
        assert row is not None
        recorded = next(e for e in await w.store.read_stream(row[0]) if e.event_id == trigger)
        event = w.store.registry.decode(recorded)
        await fraud_signals.handler(Reaction(event, recorded, fraud_signals.name, w.store))
    assert len(await w.signals()) == 2


async def test_admins_list_resolve_and_dismiss_signals(world) -> None:
    w, client, run = world
    root, rex = dev_auth(f"user_root_{run}"), dev_auth(f"user_rex_{run}")

    listed = await client.get("/v1/admin/fraud-signals", headers=root)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["pagination"]["total"] == 2
    assert {s["status"] for s in body["data"]} == {"active"}
    rapid = (await client.get("/v1/admin/fraud-signals", params={"signal_type": "rapid_submission"},
                              headers=root)).json()["data"]
    assert [(s["severity"], s["confidence_score"]) for s in rapid] == [("medium", 65)]
    duplicate_id = signal_id_for(w.duplicate_trigger, "duplicate_application")
    one = await client.get(f"/v1/admin/fraud-signals/{duplicate_id}", headers=root)
    assert one.status_code == 200 and one.json()["data"]["signal_type"] == "duplicate_application"

    resolved = await client.post(f"/v1/admin/fraud-signals/{duplicate_id}/resolve",
                                 json={"notes": "asked the recruiter to withdraw one"}, headers=root)
    assert resolved.status_code == 200, resolved.text
    dismissed = await client.post(f"/v1/admin/fraud-signals/{rapid[0]['id']}/false-positive",
                                  json={"notes": "a bulk import agreed with support"}, headers=root)
    assert dismissed.status_code == 200, dismissed.text
    await w.project()
    after = await client.get(f"/v1/admin/fraud-signals/{duplicate_id}",
                             params={"after": resolved.json()["consistency_token"]}, headers=root)
    data = after.json()["data"]
    assert (data["status"], data["review_notes"]) == ("resolved", "asked the recruiter to withdraw one")
    assert data["reviewed_by"] and data["reviewed_at"]
    only_dismissed = (await client.get("/v1/admin/fraud-signals", params={"status": "false_positive"},
                                       headers=root)).json()
    assert [s["id"] for s in only_dismissed["data"]] == [rapid[0]["id"]]
    assert (await client.get("/v1/admin/fraud-signals", params={"status": "active"},
                             headers=root)).json()["pagination"]["total"] == 0

    # Only an active signal moves; notes are required; an unknown signal is 404.
    again = await client.post(f"/v1/admin/fraud-signals/{duplicate_id}/false-positive", json={"notes": "no"},
                              headers=root)
    assert again.status_code == 422 and again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "fraud_signal_not_active"
    blank = await client.post(f"/v1/admin/fraud-signals/{duplicate_id}/resolve", json={"notes": "  "},
                              headers=root)
    assert blank.status_code == 422
    unknown = uuid4()
    for path in (f"/v1/admin/fraud-signals/{unknown}", f"/v1/admin/fraud-signals/{unknown}/resolve"):
        answer = await (client.get(path, headers=root) if path.endswith(str(unknown))
                        else client.post(path, json={"notes": "x"}, headers=root))
        assert answer.status_code == 404, answer.text
    bad_filter = await client.get("/v1/admin/fraud-signals", params={"status": "open"}, headers=root)
    assert bad_filter.status_code == 422

    # Platform admins only.
    for method, path, payload in (("GET", "/v1/admin/fraud-signals", None),
                                  ("GET", f"/v1/admin/fraud-signals/{duplicate_id}", None),
                                  ("POST", f"/v1/admin/fraud-signals/{rapid[0]['id']}/resolve", {"notes": "x"}),
                                  ("POST", f"/v1/admin/fraud-signals/{duplicate_id}/false-positive",
                                   {"notes": "x"})):
        refused = await client.request(method, path, json=payload, headers=rex)
        assert refused.status_code == 403, (path, refused.text)
        anonymous = await client.request(method, path, json=payload)
        assert anonymous.status_code == 401
    assert len(await w.signals()) == 4  # two raised, one resolved, one dismissed: nothing from the refusals
