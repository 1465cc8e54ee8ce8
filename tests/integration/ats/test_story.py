"""The marketplace end to end, through HTTP only, signed by the two fake Clerk instances.

A company posts and publishes a job; a recruiter invites a candidate, who signs up and consents; the
recruiter proposes the job; the candidate accepts, goes through review and submits; the company moves
the application to interview and offer; the candidate accepts; the company hires. A placement then
exists with the right fee and attribution, visible to the right people and to no one else. Finally every
read schema rebuilt from the events equals the live one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from consumers.runtime.replay import replay
from eventstore import EventStore
from adapters.settings import Settings
from projections.registry import all_projections
from tests.api import bearer, running_consumers, serving
from tests.conftest import RABBITMQ_URL
from tests.fakes.clerk import FakeClerk, FakeClerkBackend
from tests.helpers import dump_schema, feed_settled, wait_until

CANDIDATE_APP_USERS = {"cami"}  # who signs in through the candidate app; everyone else through the portal


@dataclass
class People:
    client: httpx.AsyncClient
    portal: FakeClerk
    app: FakeClerk
    run: str
    backend: FakeClerkBackend

    def as_(self, who: str) -> dict[str, str]:
        fake = self.app if who in CANDIDATE_APP_USERS else self.portal
        return bearer(fake.mint(user_id=f"user_{who}_{self.run}", lifetime_s=600))

    def email(self, who: str) -> str:
        return f"{who}.{self.run}@example.com"

    async def register(self, who: str, name: str) -> Any:
        """Sign up at Clerk (a verified `email(who)`), then register: the email is read from Clerk."""
        self.backend.put(f"user_{who}_{self.run}", self.email(who))
        registered = await self.call(who, "POST", "/v1/users/register", json={"name": name})
        # Known to the API before they act: under load the identity projection can lag the registration.
        await self.eventually(who, "/v1/users/me", lambda _: True)
        return registered

    async def call(self, who: str | None, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        headers = self.as_(who) if who else {}
        answer = await self.client.request(method, path, headers=headers, **kwargs)
        assert answer.status_code == expect, f"{who} {method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    async def eventually(self, who: str, path: str, check, **params: Any) -> Any:
        seen: list[Any] = []

        async def holds() -> bool:
            answer = await self.client.get(path, headers=self.as_(who), params=params)
            seen.append((answer.status_code, answer.text[:500]))
            return answer.status_code == 200 and check(answer.json())

        try:
            await wait_until(holds, timeout=30)
        except AssertionError:
            raise AssertionError(f"{who} GET {path} never satisfied the check; last answer: {seen[-1]}") from None
        return __import__("json").loads(seen[-1][1]) if len(seen[-1][1]) < 500 else (
            await self.client.get(path, headers=self.as_(who), params=params)).json()


@pytest.fixture
async def people(fresh_store, topology, clerk, candidate_clerk, clerk_backend):
    settings = Settings(
        clerk_api_url=clerk_backend.base_url, splits_clerk_secret_key=clerk_backend.secret_key,
        app_clerk_secret_key=clerk_backend.secret_key,
        database_url=fresh_store.pool.conninfo, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix,
        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        app_clerk_jwks_url=candidate_clerk.jwks_url, app_clerk_issuer=candidate_clerk.issuer,
        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=15, rate_limit_per_user=100_000,
    )
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        yield People(client, clerk, candidate_clerk, secrets.token_hex(4), clerk_backend)


@dataclass(frozen=True)
class Story:
    """The ids the story made, for tests that carry on from it."""

    organization: str
    company: str
    job: str
    recruiter: str
    candidate: str
    representations: tuple[str, str]
    application: str
    placement: str


async def placement_story(p: People) -> Story:
    """A company posts a job, a recruiter brings a candidate who signs up and consents, and the company hires
    them: the placement exists with the right fee and attribution, seen by its parties."""
    # The company: its admin signs up, creates the organization and its company, and posts a job.
    await p.register("cora", "Cora")
    org = await p.call("cora", "POST", "/v1/organizations", 201, json={"name": "Acme", "slug": f"acme-{p.run}"})
    company_id = (await p.call("cora", "GET", f"/v1/organizations/{org['id']}",
                               params={"after": org["consistency_token"]}))["data"]["company_id"]
    await p.call("cora", "POST", "/v1/companies", 201, json={
        "identity_organization_id": org["id"], "name": "Acme", "slug": f"acme-{p.run}"})
    # Its billing profile (payments simulated: no Stripe key) lets its jobs leave draft.
    await p.call("cora", "PUT", f"/v1/companies/{company_id}/billing-profile",
                 json={"billing_email": p.email("cora"), "billing_terms": "net_30"})
    await p.call("cora", "PUT", f"/v1/companies/{company_id}/billing-profile/payment-method",
                 json={"payment_method_id": "pm_card_visa"})
    assert (await p.call("cora", "GET", f"/v1/companies/{company_id}/billing-readiness"))["data"]["ready"]
    job = await p.call("cora", "POST", "/v1/jobs", 201, json={
        "company_id": company_id, "title": "Staff Python Engineer", "fee_percentage": 22.5, "guarantee_days": 90})
    await p.call("cora", "PUT", f"/v1/jobs/{job['id']}/skills", json={"skills": [{"name": "Python", "is_required": True}]})

    async def published() -> bool:  # once the billing process has told the company it is ready
        answer = await p.client.post(f"/v1/jobs/{job['id']}/publish", headers=p.as_("cora"))
        return answer.status_code == 200

    await wait_until(published, timeout=30)

    # The recruiter signs up, becomes a recruiter, adds the candidate and invites them.
    await p.register("rex", "Rex")
    recruiter = await p.call("rex", "POST", "/v1/recruiters", 201, json={})
    await p.eventually("rex", "/v1/users/me", lambda b: "recruiter" in b["data"]["roles"])
    candidate = await p.call("rex", "POST", "/v1/candidates", 201, json={
        "full_name": "Cami Candidate", "email": p.email("cami"), "current_title": "Senior Python developer"})
    await p.call("rex", "GET", f"/v1/candidates/{candidate['id']}", params={"after": candidate["consistency_token"]})
    invited = await p.call("rex", "POST", "/v1/recruiter-candidates", 201, json={"candidate_id": candidate["id"]})

    # The candidate signs up through the candidate app: the record the recruiter made becomes theirs.
    await p.register("cami", "Cami")
    await p.eventually("cami", "/v1/users/me", lambda b: b["data"]["candidate_id"] == candidate["id"])
    await p.call("cami", "POST", f"/v1/recruiter-candidates/{invited['id']}/consent",
                 json={"token": invited["data"]["invitation_token"]})
    await p.eventually("rex", f"/v1/recruiter-candidates/{invited['id']}", lambda b: b["data"]["status"] == "active")
    # Another recruiter sees the candidate in their `mine` list only once they represent them.
    await p.register("ray", "Ray")
    await p.call("ray", "POST", "/v1/recruiters", 201, json={})
    await p.eventually("ray", "/v1/users/me", lambda b: "recruiter" in b["data"]["roles"])
    assert (await p.call("ray", "GET", "/v1/candidates", params={"scope": "mine"}))["data"] == []
    ray_invite = await p.call("ray", "POST", "/v1/recruiter-candidates", 201, json={"candidate_id": candidate["id"]})
    await p.call("cami", "POST", f"/v1/recruiter-candidates/{ray_invite['id']}/consent",
                 json={"token": ray_invite["data"]["invitation_token"]})
    await p.eventually("ray", "/v1/candidates", lambda b: [c["id"] for c in b["data"]] == [candidate["id"]],
                       scope="mine")

    # The recruiter proposes the job; the candidate accepts, is reviewed and submits; the recruiter submits.
    proposed = await p.call("rex", "POST", "/v1/applications/propose", 201, json={
        "job_id": job["id"], "candidate_id": candidate["id"], "pitch": "A great fit for your Python skills"})
    application = proposed["id"]
    await p.call("cami", "POST", f"/v1/applications/{application}/accept-proposal")
    await p.call("cami", "POST", f"/v1/applications/{application}/trigger-ai-review")
    await p.eventually("cami", f"/v1/applications/{application}", lambda b: b["data"]["stage"] == "ai_reviewed")
    await p.call("cami", "POST", f"/v1/applications/{application}/submit")
    submitted = await p.call("rex", "POST", f"/v1/applications/{application}/submit")

    # The company interviews and offers; the candidate accepts; the company hires.
    await p.call("cora", "GET", f"/v1/applications/{application}", params={"after": submitted["consistency_token"]})
    await p.call("cora", "POST", f"/v1/applications/{application}/stage", json={"to": "interview"})
    await p.call("cora", "POST", f"/v1/applications/{application}/stage", json={"to": "offer"})
    await p.call("cami", "POST", f"/v1/applications/{application}/accept-offer")
    await p.call("cora", "POST", f"/v1/applications/{application}/hire",
                 json={"salary_cents": 18_750_050, "start_date": "2027-01-04"})

    # The placement: fee in integer cents, attribution frozen, seen by its parties only.
    placements = await p.eventually("cora", "/v1/placements", lambda b: len(b["data"]) == 1)
    placement = placements["data"][0]
    assert placement["fee_cents"] == (18_750_050 * 2250 + 5000) // 10000 == 4_218_761
    assert placement["candidate_recruiter_id"] == recruiter["id"]
    assert placement["company_recruiter_id"] is None and placement["job_owner_recruiter_id"] is None
    assert placement["state"] == "hired" and placement["guarantee_expires_at"].startswith("2027-04-04")
    for party in ("rex", "cami"):
        seen = await p.call(party, "GET", "/v1/placements")
        assert [x["id"] for x in seen["data"]] == [placement["id"]], party
    return Story(org["id"], company_id, job["id"], recruiter["id"], candidate["id"], (invited["id"], ray_invite["id"]),
                 application, placement["id"])


@pytest.mark.slow
async def test_from_a_posted_job_to_a_placement(people: People, fresh_store: EventStore) -> None:
    p = people
    story = await placement_story(p)

    await p.register("other", "Other")
    await p.call("other", "POST", "/v1/organizations", 201, json={"name": "Other Co", "slug": f"other-{p.run}"})
    await p.call("other", "POST", "/v1/recruiters", 201, json={})
    assert (await p.call("other", "GET", "/v1/placements"))["data"] == []
    await p.call("other", "GET", f"/v1/placements/{story.placement}", 404)
    await p.call("other", "GET", f"/v1/applications/{story.application}", 404)
    await p.call(None, "GET", "/v1/placements", 401)

    # Every read schema rebuilt from the events equals the live one.
    await feed_settled(fresh_store)
    for name, projection in all_projections().items():
        live = await dump_schema(fresh_store, name)
        await replay(fresh_store.pool, projection, fresh_store.registry)
        assert await dump_schema(fresh_store, name) == live, name
