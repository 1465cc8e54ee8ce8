"""Applications through HTTP (domain §2.3, §2.4, §4.1): who applies, who sees which application, who makes
which move, and what a refusal writes (nothing).

The world: a platform admin; company A with an organization-wide admin and a hiring manager scoped to it;
company B with its admin; a recruiter representing candidate C (consented), a recruiter working with A who
may submit and advance candidates, the owner of A's first job who may view its applications, a recruiter
with no ties; candidates C and D. Identity, candidates, jobs and relationships are seeded with commands and
projected by the running consumers, as in production. The notes and placements tests reuse this world.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.identity.user import user_id_for
from commands.network import recruiter as recruiters
from commands.network import recruiter_candidate as rtr
from commands.network import recruiter_company as rc
from eventstore import EventStore, handle, load_checkpoint
from adapters.settings import Settings
from tests.api import SEEDER, dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.helpers import feed_settled, settled_head, wait_until

CALLERS = ("admin", "a_admin", "a_manager", "b_admin", "rtr", "co", "owner", "stranger", "cand", "cand2", "anonymous")
CO_PERMISSIONS = {"can_view_jobs", "can_submit_candidates", "can_advance_candidates"}
OWNER_PERMISSIONS = {"can_view_jobs", "can_view_applications"}


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class World:
    client: httpx.AsyncClient
    store: EventStore
    ids: dict[str, str]  # caller → Clerk user id
    company_a: UUID
    company_b: UUID
    jobs: dict[str, UUID]
    recruiter: dict[str, UUID]  # recruiter caller → recruiter id
    candidate: dict[str, UUID]  # candidate caller → candidate id
    token: str | None = None  # the latest consistency token: reads wait for it
    extra: dict[str, Any] = field(default_factory=dict)

    def headers(self, caller: str) -> dict[str, str]:
        return {} if caller == "anonymous" else dev_auth(self.ids[caller])

    async def post(self, caller: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        answer = await self.client.post(path, json=body, headers=self.headers(caller))
        if answer.status_code < 300:
            self.token = answer.json()["consistency_token"] or self.token
        return answer

    async def patch(self, caller: str, path: str, body: dict[str, Any]) -> httpx.Response:
        answer = await self.client.patch(path, json=body, headers=self.headers(caller))
        if answer.status_code < 300:
            self.token = answer.json()["consistency_token"] or self.token
        return answer

    async def delete(self, caller: str, path: str) -> httpx.Response:
        answer = await self.client.delete(path, headers=self.headers(caller))
        if answer.status_code < 300:
            self.token = answer.json()["consistency_token"] or self.token
        return answer

    async def get(self, caller: str, path: str, **params: Any) -> httpx.Response:
        if self.token:
            params["after"] = self.token
        return await self.client.get(path, params=params, headers=self.headers(caller))

    async def command(self, decider: Any, entity_id: UUID, command: Any) -> None:
        """A command sent straight to the store (what a reactor or the scheduler would send)."""
        result = await handle(self.store, decider, entity_id, command, SEEDER)
        self.token = result.token or self.token

    async def apply(self, caller: str, job: str, candidate: str | None = None, **body: Any) -> UUID:
        payload = {"job_id": str(self.jobs[job]), **body}
        if candidate is not None:
            payload["candidate_id"] = str(self.candidate[candidate])
        answer = await self.post(caller, "/v1/applications", payload)
        assert answer.status_code == 201, answer.text
        return UUID(answer.json()["id"])

    async def ai_reviewed(self, caller: str, application_id: UUID) -> None:
        """draft → ai_review (by `caller`) → ai_reviewed (the AI review reactor's outcome)."""
        answer = await self.post(caller, f"/v1/applications/{application_id}/trigger-ai-review")
        assert answer.status_code == 200, answer.text
        await self.command(applications.application, application_id, applications.RecordAIReviewCompleted(
            application_id=application_id, review_id=uuid4(), by="reactor:ai-review", at=now()))

    async def submitted(self, caller: str, application_id: UUID) -> None:
        await self.ai_reviewed(caller, application_id)
        answer = await self.post(caller, f"/v1/applications/{application_id}/submit")
        assert answer.status_code == 200, answer.text

    async def stage(self, application_id: UUID) -> str:
        answer = await self.get("admin", f"/v1/applications/{application_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["stage"]


# --- seeding ---------------------------------------------------------------------------------------------

async def seed_recruiter(store: EventStore, clerk_id: str) -> UUID:
    """A recruiter account (active) for a new user, who holds the recruiter role for it."""
    user_id = user_id_for(clerk_id)
    recruiter_id = recruiters.recruiter_id_for(user_id)
    await seed_user(store, clerk_id, roles=[("recruiter", recruiter_id)])
    await handle(store, recruiters.recruiter, recruiter_id,
                 recruiters.CreateRecruiter(user_id=user_id, by="test", at=now()), SEEDER)
    return recruiter_id


async def seed_candidate(store: EventStore, clerk_id: str) -> UUID:
    """A candidate with their own account."""
    candidate_id = uuid4()
    await seed_user(store, clerk_id, roles=[("candidate", candidate_id)])
    await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, user_id=user_id_for(clerk_id), full_name=f"Candidate {clerk_id}",
        email=f"{clerk_id}@example.com", by="test", at=now()), SEEDER)
    return candidate_id


async def represent(store: EventStore, recruiter_id: UUID, candidate_id: UUID) -> None:
    """The candidate consents to the recruiter representing them."""
    token, relationship_id = secrets.token_hex(32), rtr.recruiter_candidate_id_for(recruiter_id, candidate_id)
    await handle(store, rtr.recruiter_candidate, relationship_id, rtr.InviteCandidate(
        recruiter_id=recruiter_id, candidate_id=candidate_id, invitation_id=uuid4(), token=token, by="test",
        at=now()), SEEDER)
    await handle(store, rtr.recruiter_candidate, relationship_id, rtr.GiveConsent(
        relationship_id=relationship_id, token=token, ip_address=None, user_agent=None, by="test", at=now()), SEEDER)


async def work_with(store: EventStore, recruiter_id: UUID, company_id: UUID, permissions: set[str]) -> None:
    """The company invites the recruiter with these permissions; the recruiter accepts."""
    relationship_id = rc.recruiter_company_id_for(recruiter_id, company_id)
    await handle(store, rc.recruiter_company, relationship_id, rc.InviteRecruiterToCompany(
        recruiter_id=recruiter_id, company_id=company_id, permissions=frozenset(permissions), by="test", at=now()),
        SEEDER)
    await handle(store, rc.recruiter_company, relationship_id, rc.AcceptRecruiterCompany(
        relationship_id=relationship_id, side="recruiter", party_id=recruiter_id, terms_acknowledged=True,
        by="test", at=now()), SEEDER)


async def seed_job(store: EventStore, company_id: UUID, title: str, *, owner: UUID | None = None,
                   fee_bps: int = 2250, guarantee_days: int = 60, active: bool = True) -> UUID:
    job_id = uuid4()
    await handle(store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=company_id, title=title, fee_bps=fee_bps, guarantee_days=guarantee_days,
        job_owner_recruiter_id=owner, by="test", at=now()), SEEDER)
    if active:
        await handle(store, jobs.job, job_id, jobs.PublishJob(job_id=job_id, billing_ready=True, by="test", at=now()),
                     SEEDER)
    return job_id


async def stored(store: EventStore) -> int:
    """How many events the store holds: unlike the feed's head, never held back by open transactions elsewhere
    in the cluster, so "a refusal writes nothing" is an exact comparison. The records of the notifier, the fraud
    analyzers and the reputation tiers are left out: they react to earlier writes whenever they get to them."""
    async with store.pool.connection() as conn:
        row = await (await conn.execute(
            "SELECT count(*) FROM eventstore.events WHERE stream_id NOT LIKE 'notification-%'"
            " AND stream_id NOT LIKE 'fraudsignal-%' AND stream_id NOT LIKE 'reputation-%'")).fetchone()
    assert row is not None
    return row[0]


async def settled(store: EventStore) -> int:
    """How many events are stored once the processes reacting to earlier writes (the seeding's included) have
    stopped writing: a count taken while they still write would blame a refused request for their events."""
    last, still = await stored(store), 0
    while still < 3:
        await asyncio.sleep(0.3)
        now = await stored(store)
        last, still = now, (still + 1 if now == last else 0)
    return last


async def all_projected(store: EventStore) -> None:
    """Every read schema has applied everything stored so far."""
    await feed_settled(store)
    head = await settled_head(store)

    async def caught_up() -> bool:
        async with store.pool.connection() as conn:
            for name in ("ats", "identity", "network"):
                checkpoint = await load_checkpoint(conn, f"projection:{name}")
                if checkpoint is None or checkpoint.position < head:
                    return False
        return True

    await wait_until(caught_up, timeout=30)


@pytest.fixture(name="world")
async def world_fixture(fresh_store: EventStore):
    run = secrets.token_hex(4)  # Clerk ids unique per test: the access cache in Redis outlives the database
    ids = {caller: f"user_{caller}_{run}" for caller in CALLERS if caller != "anonymous"}
    store = fresh_store
    company_a, company_b = uuid4(), uuid4()
    await seed_user(store, ids["admin"], roles=[("platform_admin", None)])
    for caller in ("a_admin", "a_manager", "b_admin"):
        await seed_user(store, ids[caller])
    await seed_organization(store, company_a, [(ids["a_admin"], "company_admin", False),
                                               (ids["a_manager"], "hiring_manager", True)])
    await seed_organization(store, company_b, [(ids["b_admin"], "company_admin", False)])
    recruiter = {name: await seed_recruiter(store, ids[name]) for name in ("rtr", "co", "owner", "stranger")}
    candidate = {name: await seed_candidate(store, ids[name]) for name in ("cand", "cand2")}
    await represent(store, recruiter["rtr"], candidate["cand"])
    await work_with(store, recruiter["co"], company_a, CO_PERMISSIONS)
    await work_with(store, recruiter["owner"], company_a, OWNER_PERMISSIONS)
    seeded_jobs = {
        "a": await seed_job(store, company_a, "A owned", owner=recruiter["owner"]),
        "a2": await seed_job(store, company_a, "A second"),
        "a_draft": await seed_job(store, company_a, "A draft", active=False),
        "b": await seed_job(store, company_b, "B open"),
    }
    # Limits far above what a test sends: walking every route as every caller must not meet a 429.
    settings = Settings(database_url=store.pool.conninfo, splits_dev_auth=True, redis_url="redis://127.0.0.1:6379/15",
                        consistency_wait_s=10, rate_limit_per_ip=100_000, rate_limit_per_user=100_000)
    async with serving(store, settings) as (client, system), running_consumers(system):
        await all_projected(store)
        yield World(client, store, ids, company_a, company_b, seeded_jobs, recruiter, candidate)


async def assert_refused(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


# --- who sees what ---------------------------------------------------------------------------------------

# Domain §2.3 for three applications: C's own draft on A's owned job; C's, submitted by their recruiter on B's
# job; D's, submitted by A's recruiter on A's owned job.
VISIBLE = {
    "admin": {"own_draft", "by_rtr", "by_co"},
    "a_admin": {"by_co"},
    "a_manager": {"by_co"},
    "b_admin": {"by_rtr"},
    "rtr": {"by_rtr"},
    "co": {"by_co"},
    "owner": {"own_draft", "by_co"},
    "stranger": set(),
    "cand": {"own_draft", "by_rtr"},
    "cand2": {"by_co"},
}


async def test_each_caller_lists_and_reads_exactly_the_applications_they_may_see(world: World) -> None:
    apps = {
        "own_draft": await world.apply("cand", "a"),
        "by_rtr": await world.apply("rtr", "b", "cand"),
        "by_co": await world.apply("co", "a", "cand2"),
    }
    await world.submitted("rtr", apps["by_rtr"])
    await world.submitted("co", apps["by_co"])
    names = {application_id: name for name, application_id in apps.items()}
    for caller, expected in VISIBLE.items():
        listed = await world.get(caller, "/v1/applications", limit=100)
        assert listed.status_code == 200, (caller, listed.text)
        assert {names[UUID(a["id"])] for a in listed.json()["data"]} == expected, caller
        assert listed.json()["pagination"]["total"] == len(expected), caller
        for name, application_id in apps.items():
            detail = await world.get(caller, f"/v1/applications/{application_id}")
            assert detail.status_code == (200 if name in expected else 404), (caller, name, detail.text)
    await assert_refused(await world.get("anonymous", "/v1/applications"), 401)
    await assert_refused(await world.get("anonymous", f"/v1/applications/{apps['by_co']}"), 401)


async def test_application_records_who_brought_it_and_its_stage_history(world: World) -> None:
    by_rtr = await world.apply("rtr", "b", "cand", cover_letter="Strong fit")
    by_co = await world.apply("co", "a", "cand2")
    await world.submitted("cand", by_rtr)  # represented: the candidate's submission goes to their recruiter
    assert await world.stage(by_rtr) == "recruiter_review"
    assert (await world.post("rtr", f"/v1/applications/{by_rtr}/submit")).status_code == 200
    detail = (await world.get("cand", f"/v1/applications/{by_rtr}")).json()["data"]
    assert (detail["source"], detail["candidate_recruiter_id"], detail["company_recruiter_id"]) == (
        "recruiter", str(world.recruiter["rtr"]), None)
    assert (detail["stage"], detail["cover_letter"], detail["job_title"]) == ("submitted", "Strong fit", "B open")
    assert detail["submitted_at"] is not None and detail["ai_reviewed"] is True
    moves = [(m["from_stage"], m["to_stage"], m["by_role"]) for m in detail["stage_history"]]
    assert moves == [("draft", "ai_review", "candidate"), ("ai_review", "ai_reviewed", "system"),
                     ("ai_reviewed", "recruiter_review", "candidate"),
                     ("recruiter_review", "submitted", "candidate_recruiter")]
    other = (await world.get("co", f"/v1/applications/{by_co}")).json()["data"]
    assert (other["source"], other["company_recruiter_id"], other["candidate_recruiter_id"]) == (
        "company_recruiter", str(world.recruiter["co"]), None)


async def test_list_filters_sorts_and_paginates(world: World) -> None:
    first = await world.apply("cand", "a")
    second = await world.apply("cand", "a2")
    third = await world.apply("rtr", "b", "cand")
    await world.submitted("rtr", third)
    page = await world.get("cand", "/v1/applications", sort="created_at", limit=2, page=1)
    assert [a["id"] for a in page.json()["data"]] == [str(first), str(second)]
    assert page.json()["pagination"] == {"total": 3, "page": 1, "limit": 2, "total_pages": 2}
    page2 = await world.get("cand", "/v1/applications", sort="created_at", limit=2, page=2)
    assert [a["id"] for a in page2.json()["data"]] == [str(third)]
    by_stage = await world.get("cand", "/v1/applications", stage="submitted")
    assert [a["id"] for a in by_stage.json()["data"]] == [str(third)]
    by_job = await world.get("admin", "/v1/applications", job_id=str(world.jobs["a2"]))
    assert [a["id"] for a in by_job.json()["data"]] == [str(second)]
    by_candidate = await world.get("admin", "/v1/applications", candidate_id=str(world.candidate["cand2"]))
    assert by_candidate.json()["data"] == []
    for bad in ({"sort": "salary"}, {"stage": "nowhere"}, {"limit": 101}, {"page": 0}, {"job_id": "x"}):
        await assert_refused(await world.get("admin", "/v1/applications", **bad), 422)


async def test_expired_applications_stay_visible_to_the_company_only_from_a_stage_it_saw(world: World) -> None:
    submitted = await world.apply("rtr", "b", "cand")
    await world.submitted("rtr", submitted)
    proposed = await world.post("rtr", "/v1/applications/propose", {
        "job_id": str(world.jobs["a2"]), "candidate_id": str(world.candidate["cand"]), "pitch": "Great team"})
    assert proposed.status_code == 201, proposed.text
    proposal = UUID(proposed.json()["id"])
    later = now() + timedelta(days=15)
    for application_id in (submitted, proposal):
        await world.command(applications.application, application_id, applications.ExpireApplication(
            application_id=application_id, by="scheduler", at=later))
    assert await world.stage(submitted) == "expired" and await world.stage(proposal) == "expired"
    assert (await world.get("b_admin", f"/v1/applications/{submitted}")).json()["data"]["stage_before_expiry"] == (
        "submitted")
    assert (await world.get("a_admin", f"/v1/applications/{proposal}")).status_code == 404
    listed = await world.get("a_admin", "/v1/applications")
    assert listed.json()["data"] == []
    reactivated = await world.post("cand", f"/v1/applications/{submitted}/reactivate")
    assert reactivated.status_code == 200, reactivated.text
    assert await world.stage(submitted) == "submitted"


# --- applying --------------------------------------------------------------------------------------------

async def test_who_may_apply_for_whom(world: World) -> None:
    store = world.store
    cases = [
        ("anonymous", "a2", None, 401),
        ("a_admin", "a2", "cand", 403),      # companies do not apply
        ("a_manager", "a2", None, 422),      # nobody to apply for
        ("stranger", "a2", "cand", 403),     # no consent, no company
        ("rtr", "a2", "cand2", 403),         # D has not consented to them
        ("co", "b", "cand", 403),            # works with A, not B, and does not represent C
        ("owner", "a", "cand2", 403),        # works with A but may not submit candidates
        ("cand", "a2", "cand2", 403),        # a candidate applies only for themself
        ("cand", "a_draft", None, 404),      # a draft job is not on the marketplace
        ("admin", "a_draft", "cand", 422),   # and takes no applications
    ]
    for caller, job, candidate, status in cases:
        head = await stored(store)
        body = {"job_id": str(world.jobs[job])}
        if candidate:
            body["candidate_id"] = str(world.candidate[candidate])
        await assert_refused(await world.post(caller, "/v1/applications", body), status)
        assert await stored(store) == head, (caller, job)
    unknown_job = await world.post("cand", "/v1/applications", {"job_id": str(uuid4())})
    await assert_refused(unknown_job, 404)
    hidden_job = await world.post("b_admin", "/v1/applications",
                                  {"job_id": str(world.jobs["a_draft"]), "candidate_id": str(world.candidate["cand"])})
    await assert_refused(hidden_job, 404)
    unknown_candidate = await world.post("admin", "/v1/applications",
                                         {"job_id": str(world.jobs["a2"]), "candidate_id": str(uuid4())})
    await assert_refused(unknown_candidate, 404)
    for bad in ({}, {"job_id": "nope"}, {"job_id": str(world.jobs["a2"]), "extra": 1}):
        await assert_refused(await world.post("cand", "/v1/applications", bad), 422)

    assert await world.apply("admin", "a2", "cand2")
    assert await world.apply("cand", "a2")
    again = await world.post("rtr", "/v1/applications", {"job_id": str(world.jobs["a2"]),
                                                         "candidate_id": str(world.candidate["cand"])})
    await assert_refused(again, 409)  # one application per candidate and job, whoever brings it
    keyed = {"job_id": str(world.jobs["b"]), "candidate_id": str(world.candidate["cand"])}
    keyed_headers = world.headers("rtr") | {"Idempotency-Key": "k1"}
    first = await world.client.post("/v1/applications", json=keyed, headers=keyed_headers)
    retried = await world.client.post("/v1/applications", json=keyed, headers=keyed_headers)
    assert first.status_code == 201 and retried.status_code == 201 and first.json() == retried.json()


async def test_a_proposal_is_answered_by_the_candidate_only(world: World) -> None:
    await assert_refused(await world.post("stranger", "/v1/applications/propose", {
        "job_id": str(world.jobs["a2"]), "candidate_id": str(world.candidate["cand"]), "pitch": "x"}), 403)
    await assert_refused(await world.post("rtr", "/v1/applications/propose", {
        "job_id": str(world.jobs["a2"]), "candidate_id": str(world.candidate["cand"]), "pitch": ""}), 422)
    proposed = await world.post("rtr", "/v1/applications/propose", {
        "job_id": str(world.jobs["a2"]), "candidate_id": str(world.candidate["cand"]), "pitch": "Great team",
        "notes": "remote friendly"})
    assert proposed.status_code == 201, proposed.text
    proposal = UUID(proposed.json()["id"])
    detail = (await world.get("cand", f"/v1/applications/{proposal}")).json()["data"]
    assert (detail["stage"], detail["proposal"], detail["pitch"]) == ("recruiter_proposed", "pending", "Great team")
    head = await stored(world.store)
    await assert_refused(await world.post("rtr", f"/v1/applications/{proposal}/accept-proposal"), 403)
    await assert_refused(await world.post("a_admin", f"/v1/applications/{proposal}/accept-proposal"), 404)
    await assert_refused(await world.post("cand2", f"/v1/applications/{proposal}/accept-proposal"), 404)
    await assert_refused(await world.post("cand", f"/v1/applications/{proposal}/decline-proposal", {}), 422)
    assert await stored(world.store) == head
    assert (await world.post("cand", f"/v1/applications/{proposal}/accept-proposal")).status_code == 200
    detail = (await world.get("cand", f"/v1/applications/{proposal}")).json()["data"]
    assert (detail["stage"], detail["proposal"]) == ("draft", "accepted")

    declined = await world.post("rtr", "/v1/applications/propose", {
        "job_id": str(world.jobs["b"]), "candidate_id": str(world.candidate["cand"]), "pitch": "Also good"})
    answer = await world.post("cand", f"/v1/applications/{declined.json()['id']}/decline-proposal",
                              {"reason": "not now"})
    assert answer.status_code == 200, answer.text
    detail = (await world.get("rtr", f"/v1/applications/{declined.json()['id']}")).json()["data"]
    assert (detail["stage"], detail["proposal"], detail["stage_history"][-1]["reason"]) == (
        "rejected", "declined", "not now")


# --- moves -----------------------------------------------------------------------------------------------

# Moving A's submitted application (D's, brought by A's recruiter) to company_review: 404 where it is
# invisible, 403 where the caller sees it but their role may not make the move.
MOVE = {"admin": 200, "a_admin": 200, "a_manager": 200, "b_admin": 404, "rtr": 404, "co": 200, "owner": 403,
        "stranger": 404, "cand": 404, "cand2": 403, "anonymous": 401}


async def test_each_caller_may_move_stages_only_as_their_role_allows(world: World) -> None:
    by_co = await world.apply("co", "a", "cand2")
    await world.submitted("co", by_co)
    for caller, expected in MOVE.items():
        head = await stored(world.store)
        answer = await world.post(caller, f"/v1/applications/{by_co}/stage", {"to": "company_review"})
        assert answer.status_code == expected, (caller, answer.text)
        if expected != 200:
            assert answer.headers["content-type"] == "application/problem+json"
            assert await stored(world.store) == head, caller
    detail = (await world.get("a_manager", f"/v1/applications/{by_co}")).json()["data"]
    assert detail["stage"] == "company_review"
    assert [m["by_role"] for m in detail["stage_history"] if m["to_stage"] == "company_review"] == ["platform_admin"]
    # Recruiters never make the offer on a company job; the company does.
    await assert_refused(await world.post("co", f"/v1/applications/{by_co}/stage", {"to": "offer"}), 403)
    assert (await world.post("a_manager", f"/v1/applications/{by_co}/stage", {"to": "offer"})).status_code == 200
    await assert_refused(await world.post("co", f"/v1/applications/{by_co}/stage",
                                          {"to": "rejected", "reason": "no"}), 403)


async def test_bad_moves_are_problems_that_write_nothing(world: World) -> None:
    own = await world.apply("cand", "a")
    await world.submitted("cand", own)
    head = await stored(world.store)
    bad = [
        (f"/v1/applications/{own}/stage", {"to": "hired"}, 422),              # hired has its own command
        (f"/v1/applications/{own}/stage", {"to": "rejected"}, 422),           # a rejection needs a reason
        (f"/v1/applications/{own}/stage", {"to": "interview", "x": 1}, 422),
        (f"/v1/applications/{own}/hire", {"salary_cents": 0, "start_date": "2027-01-04"}, 422),
        (f"/v1/applications/{own}/hire", {"salary_cents": 10, "start_date": "soon"}, 422),
        (f"/v1/applications/{own}/hire", {"salary_cents": 1000000, "start_date": "2027-01-04"}, 422),  # no offer yet
        (f"/v1/applications/{own}/accept-offer", None, 422),                  # no offer open
        (f"/v1/applications/{own}/return-to-draft", {"reason": ""}, 422),
        (f"/v1/applications/{uuid4()}/withdraw", None, 404),
        ("/v1/applications/not-an-id/withdraw", None, 404),
    ]
    for path, body, status in bad:
        await assert_refused(await world.post("admin", path, body), status)
    await assert_refused(await world.post("cand", f"/v1/applications/{own}/stage", {"to": "interview"}), 403)
    await assert_refused(await world.post("a_admin", f"/v1/applications/{own}/reactivate"), 403)
    stale = await world.client.post(f"/v1/applications/{own}/stage", json={"to": "company_review"},
                                    headers=world.headers("a_admin") | {"If-Match": "1"})
    await assert_refused(stale, 409)
    assert await stored(world.store) == head


async def test_only_the_company_names_the_recruiter_who_screens(world: World) -> None:
    by_rtr = await world.apply("rtr", "a2", "cand")
    await world.submitted("rtr", by_rtr)
    head = await settled(world.store)  # the reactions to the submission have written what they write
    await assert_refused(await world.post("rtr", f"/v1/applications/{by_rtr}/request-prescreen",
                                          {"company_recruiter_id": str(world.recruiter["rtr"])}), 403)
    await assert_refused(await world.post("a_admin", f"/v1/applications/{by_rtr}/request-prescreen",
                                          {"company_recruiter_id": str(world.recruiter["stranger"])}), 422)
    assert await stored(world.store) == head
    answer = await world.post("a_admin", f"/v1/applications/{by_rtr}/request-prescreen",
                              {"company_recruiter_id": str(world.recruiter["co"]), "message": "please screen"})
    assert answer.status_code == 200, answer.text
    detail = (await world.get("co", f"/v1/applications/{by_rtr}")).json()["data"]
    assert (detail["stage"], detail["company_recruiter_id"]) == ("screen", str(world.recruiter["co"]))
    assert detail["stage_history"][-1]["reason"] == "please screen"
    assert (await world.post("co", f"/v1/applications/{by_rtr}/submit")).status_code == 200
    assert await world.stage(by_rtr) == "submitted"


async def test_withdrawal_and_offer_belong_to_the_candidate_side(world: World) -> None:
    by_rtr = await world.apply("rtr", "a2", "cand")
    await world.submitted("rtr", by_rtr)
    for to in ("company_review", "offer"):
        assert (await world.post("a_admin", f"/v1/applications/{by_rtr}/stage", {"to": to})).status_code == 200
    await assert_refused(await world.post("a_admin", f"/v1/applications/{by_rtr}/accept-offer"), 403)
    await assert_refused(await world.post("a_admin", f"/v1/applications/{by_rtr}/withdraw"), 403)
    assert (await world.post("rtr", f"/v1/applications/{by_rtr}/accept-offer")).status_code == 200
    withdrawn = await world.post("cand", f"/v1/applications/{by_rtr}/withdraw", {"reason": "took another job"})
    assert withdrawn.status_code == 200, withdrawn.text
    detail = (await world.get("rtr", f"/v1/applications/{by_rtr}")).json()["data"]
    assert (detail["stage"], detail["accepted_by_candidate"]) == ("withdrawn", True)
    # A company does not see withdrawn applications (domain §2.3); for an admin the hire is out of order.
    hire = {"salary_cents": 100, "start_date": "2027-01-04"}
    await assert_refused(await world.post("a_admin", f"/v1/applications/{by_rtr}/hire", hire), 404)
    await assert_refused(await world.post("admin", f"/v1/applications/{by_rtr}/hire", hire), 422)
