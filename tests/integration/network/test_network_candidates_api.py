"""Recruiter–candidate relationships through HTTP: a recruiter invites, the candidate consents (signed
in) or declines (with the token alone), either side ends it; who sees and does what; and in production
the token leaves only by email (it is HMAC(secret, invitation id), rebuilt from the event)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from adapters.tokens import invitation_token
from commands.ats import candidate as candidates
from commands.identity.user import user_id_for
from commands.network.recruiter import recruiter_id_for
from eventstore import EventStore, handle, load, stream_id_for
from adapters.settings import Settings
from tests.api import SEEDER, bearer, running_consumers, seed_user, serving
from tests.fakes.clerk import FakeClerk
from tests.helpers import settled_head, wait_until
from tests.integration.network.test_network_fixtures import Net, net, problem

__all__ = ["net"]


async def managed_candidate(store: EventStore, created_by: UUID, user_id: UUID | None = None,
                            candidate_id: UUID | None = None, email: str | None = None) -> UUID:
    """A candidate record: recruiter-managed (no user) unless `user_id` is given; `email` is the address the
    recruiter typed in (the invitation's), by default nobody's."""
    candidate_id = candidate_id or uuid4()
    await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, user_id=user_id, created_by_user_id=created_by, full_name="Casey Candidate",
        email=email or f"casey-{candidate_id}@example.com", by="seed", at=datetime.now(UTC)), SEEDER)
    return candidate_id


def net_recruiter(net: Net, name: str) -> UUID:
    return recruiter_id_for(net.user_id(name))


async def invited(net: Net, recruiter: str, candidate_id: UUID) -> tuple[UUID, str]:
    answer = await net.post("/v1/recruiter-candidates", recruiter, {"candidate_id": str(candidate_id)})
    assert answer.status_code == 201, answer.text
    await net.settled()
    return UUID(answer.json()["id"]), answer.json()["data"]["invitation_token"]


async def status_of(net: Net, relationship_id: UUID, who: str, answer=None) -> str:
    got = await net.get(f"/v1/recruiter-candidates/{relationship_id}", who, answer)
    assert got.status_code == 200, got.text
    return got.json()["data"]["status"]


async def test_a_candidate_consents_and_their_record_becomes_theirs(net: Net) -> None:
    await net.recruiter("rec")
    cand = await net.person("cand")
    candidate_id = await managed_candidate(net.store, net.user_id("rec"), email=net.email("cand"))
    await net.settled()
    relationship_id, token = await invited(net, "rec", candidate_id)
    assert len(token) == 64

    preview = await net.get(f"/v1/recruiter-candidates/invitations/{token}", "anonymous")
    assert preview.status_code == 200, preview.text
    assert preview.json()["data"] | {"invitation_expires_at": None} == {
        "id": str(relationship_id), "recruiter_id": str(net_recruiter(net, "rec")), "recruiter_name": net.clerk_id("rec"),
        "status": "pending", "invitation_expires_at": None}
    problem(await net.get(f"/v1/recruiter-candidates/invitations/{'0' * 64}", "anonymous"), 404)

    consented = await net.post(f"/v1/recruiter-candidates/{relationship_id}/consent", "cand", {"token": token})
    assert consented.status_code == 200, consented.text

    async def linked() -> bool:
        record, _, _ = await load(net.store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
        return record.user_id == cand

    await wait_until(linked)  # the process manager's step, before the head is taken
    head = await settled_head(net.store)
    again = await net.post(f"/v1/recruiter-candidates/{relationship_id}/consent", "cand", {"token": token})
    assert again.status_code == 200 and await settled_head(net.store) == head

    row = (await net.get(f"/v1/recruiter-candidates/{relationship_id}", "cand", consented)).json()["data"]
    assert row["status"] == "active" and row["candidate_id"] == str(candidate_id)
    start, end = datetime.fromisoformat(row["relationship_start_date"]), datetime.fromisoformat(row["relationship_end_date"])
    assert timedelta(days=365) <= end - start <= timedelta(days=366)
    assert [r["id"] for r in (await net.get("/v1/recruiter-candidates", "cand")).json()["data"]] == [str(relationship_id)]


async def test_who_may_see_and_act_on_a_relationship(net: Net) -> None:
    await net.person("root", ("platform_admin", None))
    await net.recruiter("rec")
    await net.recruiter("rival")
    await net.person("cand")
    await net.person("boss")
    await net.company(uuid4(), boss="company_admin")
    candidate_id = await managed_candidate(net.store, net.user_id("rec"))
    await net.settled()
    relationship_id, token = await invited(net, "rec", candidate_id)
    rid = f"/v1/recruiter-candidates/{relationship_id}"
    head = await settled_head(net.store)

    # Not a party: the relationship does not exist for them.
    for caller in ("rival", "boss", "cand"):
        problem(await net.get(rid, caller), 404)
        for action in ("resend", "cancel"):
            problem(await net.post(f"{rid}/{action}", caller), 404)
        problem(await net.post(f"{rid}/terminate", caller, {"reason": "mine now"}), 404)
    problem(await net.get(rid, "anonymous"), 401)
    assert (await net.get(rid, "root")).status_code == 200
    problem(await net.post(f"{rid}/resend", "root"), 403)  # seen, but only the recruiter acts
    # The token is the candidate's proof, checked before anything else: without the right one the relationship
    # does not exist for whoever is not a party to it.
    for who in ("cand", "rival"):
        problem(await net.post(f"{rid}/consent", who, {"token": "f" * 64}), 404)
    problem(await net.post(f"{rid}/decline", "anonymous", {"token": "f" * 64}), 404)
    problem(await net.post(f"{rid}/decline", "rec", {"token": "f" * 64}), 403)  # a party: seen, but not theirs
    problem(await net.post(f"{rid}/consent", "anonymous", {"token": token}), 401)
    problem(await net.post(f"{rid}/consent", "rec", {"token": token}), 403)  # not on the candidate's behalf
    problem(await net.post(f"{rid}/consent", "cand", {"token": "short"}), 422)
    problem(await net.post(f"/v1/recruiter-candidates/{uuid4()}/consent", "cand", {"token": token}), 404)
    # Inviting: the caller must be an active recruiter, the candidate must exist.
    problem(await net.post("/v1/recruiter-candidates", "boss", {"candidate_id": str(candidate_id)}), 403)
    problem(await net.post("/v1/recruiter-candidates", "anonymous", {"candidate_id": str(candidate_id)}), 401)
    problem(await net.post("/v1/recruiter-candidates", "rival", {"candidate_id": str(uuid4())}), 404)
    # A candidate hidden from the marketplace, whom the rival did not bring: not there for them either.
    hidden = await managed_candidate(net.store, net.user_id("rec"))
    await handle(net.store, candidates.candidate, hidden, candidates.SetCandidateMarketplaceVisibility(
        candidate_id=hidden, visibility="hidden", by="seed", at=datetime.now(UTC)), SEEDER)
    head = await settled_head(net.store)
    problem(await net.post("/v1/recruiter-candidates", "rival", {"candidate_id": str(hidden)}), 404)
    problem(await net.post("/v1/recruiter-candidates", "rival", {"candidate_id": "nope"}), 422)
    problem(await net.post("/v1/recruiter-candidates", "rec", {"candidate_id": str(candidate_id)}), 409)  # pending
    assert await settled_head(net.store) == head

    suspended = await net.client.put(f"/v1/recruiters/{net_recruiter(net, 'rival')}/status",
                                     json={"status": "suspended"}, headers=net.as_("root"))
    assert suspended.status_code == 200
    problem(await net.post("/v1/recruiter-candidates", "rival", {"candidate_id": str(candidate_id)}), 403)

    # Lists: a recruiter their own, an admin all, others nothing.
    rival_candidate = await managed_candidate(net.store, net.user_id("rival"))
    reactivated = await net.client.put(f"/v1/recruiters/{net_recruiter(net, 'rival')}/status",
                                       json={"status": "active"}, headers=net.as_("root"))
    assert reactivated.status_code == 200
    other_id, _ = await invited(net, "rival", rival_candidate)
    await net.settled()
    assert [r["id"] for r in (await net.get("/v1/recruiter-candidates", "rec")).json()["data"]] == [str(relationship_id)]
    everything = (await net.get("/v1/recruiter-candidates", "root")).json()
    assert {r["id"] for r in everything["data"]} == {str(relationship_id), str(other_id)}
    assert everything["pagination"]["total"] == 2
    for caller in ("boss", "cand"):
        assert (await net.get("/v1/recruiter-candidates", caller)).json()["data"] == []
    assert (await net.get("/v1/recruiter-candidates", "root", status="active")).json()["data"] == []
    problem(await net.get("/v1/recruiter-candidates", "root", status="unknown"), 422)


async def test_declining_needs_only_the_token_and_a_new_invitation_starts_over(net: Net) -> None:
    await net.recruiter("rec")
    candidate_id = await managed_candidate(net.store, net.user_id("rec"))
    await net.settled()
    relationship_id, token = await invited(net, "rec", candidate_id)
    declined = await net.post(f"/v1/recruiter-candidates/{relationship_id}/decline", "anonymous",
                              {"token": token, "reason": "happy where I am"})
    assert declined.status_code == 200, declined.text
    row = (await net.get(f"/v1/recruiter-candidates/{relationship_id}", "rec", declined)).json()["data"]
    assert (row["status"], row["decline_reason"]) == ("declined", "happy where I am")

    again_id, new_token = await invited(net, "rec", candidate_id)
    assert again_id == relationship_id and new_token != token
    problem(await net.post(f"/v1/recruiter-candidates/{relationship_id}/decline", "anonymous", {"token": token}), 404)
    assert (await net.get(f"/v1/recruiter-candidates/invitations/{new_token}", "anonymous")).json()["data"]["status"] == "pending"


async def test_resending_replaces_the_token_and_cancelling_ends_the_invitation(net: Net) -> None:
    await net.recruiter("rec")
    await net.person("cand")
    candidate_id = await managed_candidate(net.store, net.user_id("rec"), email=net.email("cand"))
    await net.settled()
    relationship_id, first = await invited(net, "rec", candidate_id)
    resent = await net.post(f"/v1/recruiter-candidates/{relationship_id}/resend", "rec")
    assert resent.status_code == 200, resent.text
    second = resent.json()["data"]["invitation_token"]
    assert second != first
    # The old link leads nowhere: to someone not yet a party, the relationship behind it does not exist.
    problem(await net.post(f"/v1/recruiter-candidates/{relationship_id}/consent", "cand", {"token": first}), 404)
    cancelled = await net.post(f"/v1/recruiter-candidates/{relationship_id}/cancel", "rec")
    assert cancelled.status_code == 200
    assert await status_of(net, relationship_id, "rec", cancelled) == "cancelled"
    problem(await net.post(f"/v1/recruiter-candidates/{relationship_id}/consent", "cand", {"token": second}), 422)
    problem(await net.post(f"/v1/recruiter-candidates/{relationship_id}/terminate", "rec", {"reason": "x"}), 422)


async def test_either_side_ends_an_active_relationship(net: Net) -> None:
    await net.recruiter("rec")
    await net.person("cand")
    await net.person("kim")
    candidate_id = await managed_candidate(net.store, net.user_id("rec"), email=net.email("cand"))
    await net.settled()
    relationship_id, token = await invited(net, "rec", candidate_id)
    consented = await net.post(f"/v1/recruiter-candidates/{relationship_id}/consent", "cand", {"token": token})
    assert consented.status_code == 200
    problem(await net.post(f"/v1/recruiter-candidates/{relationship_id}/terminate", "cand", {"reason": ""}), 422)
    ended = await net.post(f"/v1/recruiter-candidates/{relationship_id}/terminate", "cand", {"reason": "found a job"})
    assert ended.status_code == 200, ended.text
    row = (await net.get(f"/v1/recruiter-candidates/{relationship_id}", "rec", ended)).json()["data"]
    assert (row["status"], row["terminated_by"], row["termination_reason"]) == ("terminated", "candidate", "found a job")

    second_id = await managed_candidate(net.store, net.user_id("rec"), email=net.email("kim"))
    await net.settled()
    other, other_token = await invited(net, "rec", second_id)
    assert (await net.post(f"/v1/recruiter-candidates/{other}/consent", "kim", {"token": other_token})).status_code == 200
    by_recruiter = await net.post(f"/v1/recruiter-candidates/{other}/terminate", "rec", {"reason": "retiring"})
    assert by_recruiter.status_code == 200
    assert (await net.get(f"/v1/recruiter-candidates/{other}", "kim", by_recruiter)).json()["data"]["terminated_by"] == "recruiter"


async def test_a_candidate_record_owned_by_an_account_is_answered_by_that_account_only(net: Net) -> None:
    await net.recruiter("rec")
    candidate_id = uuid4()
    # As the ats context leaves it: the account owns the record and holds the candidate role for it.
    owner = await net.person("own", ("candidate", candidate_id))
    await net.person("imp")
    await managed_candidate(net.store, net.user_id("rec"), user_id=owner, candidate_id=candidate_id)
    await net.settled()
    relationship_id, token = await invited(net, "rec", candidate_id)
    problem(await net.post(f"/v1/recruiter-candidates/{relationship_id}/consent", "imp", {"token": token}), 403)
    # The owner sees it as theirs before answering (their account owns the record).
    assert await status_of(net, relationship_id, "own") == "pending"
    consented = await net.post(f"/v1/recruiter-candidates/{relationship_id}/consent", "own", {"token": token})
    assert consented.status_code == 200, consented.text


async def test_in_production_the_token_is_not_returned_and_is_rebuilt_from_the_secret(fresh_store: EventStore,
                                                                                   clerk: FakeClerk) -> None:
    secret = secrets.token_urlsafe(32)
    run = secrets.token_hex(4)
    settings = Settings(database_url=fresh_store.pool.conninfo, environment="production", splits_token_secret=secret,
                        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
                        clerk_authorized_parties=clerk.azp, redis_url="redis://127.0.0.1:6379/15",
                        consistency_wait_s=10)
    recruiter_clerk = f"user_prodrec_{run}"
    who = bearer(clerk.mint(user_id=recruiter_clerk))
    await seed_user(fresh_store, recruiter_clerk)
    candidate_id = await managed_candidate(fresh_store, user_id_for(recruiter_clerk))
    async with serving(fresh_store, settings) as (client, system), running_consumers(system, only={"identity", "network"}):
        async def known() -> bool:
            return (await client.get("/v1/users/me", headers=who)).status_code == 200

        await wait_until(known)
        assert (await client.post("/v1/recruiters", json={}, headers=who)).status_code == 201
        answer = await client.post("/v1/recruiter-candidates", json={"candidate_id": str(candidate_id)}, headers=who)
        assert answer.status_code == 201, answer.text
        assert answer.json()["data"]["invitation_token"] is None
    invited_event = (await fresh_store.read_stream(f"recruiter_candidate-{answer.json()['id']}"))[-1]
    rebuilt = invitation_token(secret.encode(), UUID(answer.json()["data"]["invitation_id"]))
    assert invited_event.data["token_digest"] == hashlib.sha256(rebuilt.encode()).hexdigest()
    expected = hmac.new(secret.encode(), answer.json()["data"]["invitation_id"].encode(), hashlib.sha256).hexdigest()
    assert rebuilt == expected


async def test_production_refuses_to_start_without_a_token_secret(fresh_store: EventStore, clerk: FakeClerk) -> None:
    settings = Settings(database_url=fresh_store.pool.conninfo, environment="production",
                        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
                        clerk_authorized_parties=clerk.azp)
    with pytest.raises(RuntimeError, match="SPLITS_TOKEN_SECRET"):
        async with serving(fresh_store, settings):
            pass
