"""Forging a candidate's consent to be represented (right to represent).

A recruiter makes a record for Victoria, who has never signed up, and invites her. The link reaches
someone else: Mallory, a candidate with a record of her own, and Eve, whose verified email is not
Victoria's. Neither may consent in Victoria's name: each attempt is refused with a stable code and
recorded, the relationship stays pending, and a second recruiter who gets the same kind of "consent"
cannot propose Victoria to a job. Victoria herself, signed in with her verified email, can. And the
token goes to Victoria by email only: no response of ours hands it to the recruiter.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from commands.ats import job as jobs
from commands.identity.user import user_id_for
from commands.network import recruiter_candidate as rtr
from eventstore import EventStore, handle, stream_id_for
from adapters.settings import Settings
from adapters.tokens import invitation_token
from tests.api import SEEDER, bearer, running_consumers, seed_user, serving
from tests.fakes.clerk import FakeClerk
from tests.helpers import feed_settled, wait_until

SECRET = "security-test-token-secret-" + "x" * 16
CANDIDATE_APP = {"mallory"}


@dataclass
class World:
    client: httpx.AsyncClient
    store: EventStore
    portal: FakeClerk
    app: FakeClerk
    run: str

    def clerk_id(self, who: str) -> str:
        return f"user_{who}_{self.run}"

    def as_(self, who: str) -> dict[str, str]:
        fake = self.app if who in CANDIDATE_APP else self.portal
        return bearer(fake.mint(user_id=self.clerk_id(who), lifetime_s=600))

    async def call(self, who: str, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        answer = await self.client.request(method, path, headers=self.as_(who), **kwargs)
        assert answer.status_code == expect, f"{who} {method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    async def person(self, who: str, email: str, *, source: str = "portal", until=lambda me: True) -> dict[str, Any]:
        """Someone Clerk knows with a verified `email`, once our read side knows them too."""
        await seed_user(self.store, self.clerk_id(who), source=source, email=email, verified=True)
        seen: dict[str, Any] = {}

        async def known() -> bool:
            answer = await self.client.get("/v1/users/me", headers=self.as_(who))
            seen.update(answer.json() if answer.status_code == 200 else {})
            return answer.status_code == 200 and until(answer.json()["data"])

        await wait_until(known, timeout=30)
        return seen["data"]

    async def recruiter(self, who: str) -> str:
        await self.person(who, f"{who}.{self.run}@agency.example")
        created = await self.call(who, "POST", "/v1/recruiters", 201, json={})

        async def has_role() -> bool:
            answer = await self.client.get("/v1/users/me", headers=self.as_(who))
            return "recruiter" in answer.json()["data"]["roles"]

        await wait_until(has_role, timeout=30)
        return created["id"]


@pytest.fixture
async def world(fresh_store: EventStore, topology, clerk: FakeClerk, candidate_clerk: FakeClerk
                ) -> AsyncIterator[World]:
    settings = Settings(
        environment="test", splits_token_secret=SECRET,
        database_url=fresh_store.pool.conninfo, rabbitmq_prefix=topology.prefix,
        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        app_clerk_jwks_url=candidate_clerk.jwks_url, app_clerk_issuer=candidate_clerk.issuer,
        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=15, rate_limit_per_user=100_000,
    )
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        yield World(client, fresh_store, clerk, candidate_clerk, secrets.token_hex(4))


async def _open_job(store: EventStore) -> UUID:
    """A published marketplace job, as its company would have made it."""
    job_id, now = uuid4(), datetime.now(UTC)
    await handle(store, jobs.job, job_id, jobs.CreateJob(job_id=job_id, company_id=uuid4(), title="Data Engineer",
                                                         fee_bps=2000, by="test", at=now), SEEDER)
    await handle(store, jobs.job, job_id, jobs.PublishJob(job_id=job_id, billing_ready=True, by="test", at=now), SEEDER)
    return job_id


def _token(answer: dict[str, Any]) -> str:
    """The link in the email the candidate receives (rebuilt from the secret, as the email reactor does)."""
    return invitation_token(SECRET.encode(), UUID(answer["data"]["invitation_id"]))


async def _refusals(store: EventStore, relationship_id: str) -> list[dict[str, Any]]:
    events = await store.read_stream(stream_id_for(rtr.recruiter_candidate, UUID(relationship_id)))
    return [e.data for e in events if e.type == "RecruiterCandidateConsentRefused"]


@pytest.mark.slow
async def test_one_candidate_cannot_consent_to_another_persons_invitation(world: World) -> None:
    w = world
    victoria = f"victoria.{w.run}@victim.example"
    await w.recruiter("rex")
    candidate = await w.call("rex", "POST", "/v1/candidates", 201, json={"full_name": "Victoria Victim",
                                                                          "email": victoria})
    invited = await w.call("rex", "POST", "/v1/recruiter-candidates", 201, json={"candidate_id": candidate["id"]})
    assert invited["data"]["invitation_token"] is None

    # Mallory, a candidate with her own record, holds the link.
    mallory = await w.person("mallory", f"mallory.{w.run}@example.com", source="candidate",
                             until=lambda me: me["candidate_id"] is not None)
    forged = await w.call("mallory", "POST", f"/v1/recruiter-candidates/{invited['id']}/consent", 403,
                          json={"token": _token(invited)})
    assert (forged["code"], forged["reason"]) == ("consent_not_from_candidate", "consenter_has_another_record")
    # Eve has no candidate record, but her verified email is not the invited one.
    await w.person("eve", f"eve.{w.run}@example.com")
    forged = await w.call("eve", "POST", f"/v1/recruiter-candidates/{invited['id']}/consent", 403,
                          json={"token": _token(invited)})
    assert (forged["code"], forged["reason"]) == ("consent_not_from_candidate", "email_mismatch")

    refusals = await _refusals(w.store, invited["id"])
    assert [(r["user_id"], r["reason"]) for r in refusals] == [
        (mallory["id"], "consenter_has_another_record"), (str(user_id_for(w.clerk_id("eve"))), "email_mismatch")]
    await feed_settled(w.store)
    seen = await w.call("rex", "GET", f"/v1/recruiter-candidates/{invited['id']}")
    assert seen["data"]["status"] == "pending"

    # A second recruiter tries the same with their own invitation, then proposes Victoria to a job.
    await w.recruiter("ray")
    job_id = await _open_job(w.store)
    ray_invite = await w.call("ray", "POST", "/v1/recruiter-candidates", 201, json={"candidate_id": candidate["id"]})
    assert ray_invite["data"]["invitation_token"] is None
    await w.call("mallory", "POST", f"/v1/recruiter-candidates/{ray_invite['id']}/consent", 403,
                 json={"token": _token(ray_invite)})
    await feed_settled(w.store)
    proposed = await w.client.post("/v1/applications/propose", headers=w.as_("ray"), json={
        "job_id": str(job_id), "candidate_id": candidate["id"], "pitch": "Trust me"})
    assert proposed.status_code == 403, proposed.text

    # Victoria herself, signed in with the invited address verified by Clerk, consents; her record becomes hers.
    me = await w.person("victoria", victoria)
    await w.call("victoria", "POST", f"/v1/recruiter-candidates/{invited['id']}/consent",
                 json={"token": _token(invited)})

    async def linked() -> bool:
        answer = await w.client.get("/v1/users/me", headers=w.as_("victoria"))
        return answer.json()["data"]["candidate_id"] == candidate["id"]

    await wait_until(linked, timeout=30)
    assert me["id"] == str(user_id_for(w.clerk_id("victoria")))
    seen = await w.call("rex", "GET", f"/v1/recruiter-candidates/{invited['id']}")
    assert seen["data"]["status"] == "active"


async def test_no_response_hands_the_invitation_token_to_the_recruiter(world: World) -> None:
    w = world
    await w.recruiter("rex")
    candidate = await w.call("rex", "POST", "/v1/candidates", 201, json={
        "full_name": "Tom Token", "email": f"tom.{w.run}@example.com"})
    invited = await w.call("rex", "POST", "/v1/recruiter-candidates", 201, json={"candidate_id": candidate["id"]})
    resent = await w.call("rex", "POST", f"/v1/recruiter-candidates/{invited['id']}/resend")
    await feed_settled(w.store)
    listed = await w.call("rex", "GET", "/v1/recruiter-candidates")
    one = await w.call("rex", "GET", f"/v1/recruiter-candidates/{invited['id']}")
    for answer in (invited, resent, listed, one):
        assert (answer["data"] if isinstance(answer["data"], dict) else {}).get("invitation_token") is None
        for token in (_token(invited), _token(resent)):
            assert token not in str(answer)
