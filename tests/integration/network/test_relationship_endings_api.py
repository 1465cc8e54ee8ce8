"""Ending a recruiter relationship through HTTP decides what becomes of the work it covered (domain §4.3, §4.4):
`GET …/termination-impact` lists exactly the open applications the recruiter made for the candidate, or the open
jobs the recruiter owns at the company; the terminate request decides each (keep by default); the
relationship-endings process withdraws, pauses and closes exactly those, and leaves the rest alone. An item
the relationship does not cover is refused with 422 and nothing is written."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from commands.ats import application as applications
from commands.ats import job as jobs
from commands.billing import billing_profile as profiles
from commands.network import recruiter_candidate as rtr
from commands.network.events import RecruiterCandidateTerminated, RecruiterCandidateTerminationDecided
from commands.network.recruiter import recruiter_id_for
from eventstore import EventStore, handle, load, load_checkpoint, stream_id_for
from adapters.settings import Settings
from tests.api import SEEDER, running_consumers, serving
from tests.helpers import feed_settled, settled_head, wait_until
from tests.integration.network.test_network_candidates_api import invited, managed_candidate
from tests.integration.network.test_network_companies_api import invite
from tests.integration.network.test_network_fixtures import CONSUMERS, Net, problem

CONSUMERS_HERE = CONSUMERS | {"ats", "relationship-endings"}


@pytest.fixture
async def net(fresh_store: EventStore):
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True,
                        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10)
    async with serving(fresh_store, settings) as (client, system), running_consumers(system, only=CONSUMERS_HERE):
        yield Net(client, fresh_store, secrets.token_hex(4))


def _now() -> datetime:
    return datetime.now(UTC)


async def ats_settled(net: Net) -> None:
    """Every event so far projected into the identity, network and ats schemas."""
    await net.settled()
    head = await settled_head(net.store)

    async def projected() -> bool:
        async with net.store.pool.connection() as conn:
            checkpoint = await load_checkpoint(conn, "projection:ats")
        return checkpoint is not None and checkpoint.position >= head

    await wait_until(projected)


async def job(net: Net, company_id: UUID, owner: UUID | None = None, status: str = "active") -> UUID:
    job_id = uuid4()
    await handle(net.store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=company_id, title=f"Role {job_id.hex[:6]}", fee_bps=2000,
        job_owner_recruiter_id=owner, by="seed", at=_now()), SEEDER)
    if status in ("active", "closed"):
        await handle(net.store, jobs.job, job_id, jobs.PublishJob(job_id=job_id, billing_ready=True, by="seed",
                                                                   at=_now()), SEEDER)
    if status == "closed":
        await handle(net.store, jobs.job, job_id, jobs.CloseJob(job_id=job_id, by="seed", at=_now()), SEEDER)
    return job_id


async def application(net: Net, job_id: UUID, company_id: UUID, candidate_id: UUID, recruiter_id: UUID,
                      withdrawn: bool = False) -> UUID:
    application_id = uuid4()
    await handle(net.store, applications.application, application_id, applications.CreateApplication(
        application_id=application_id, job_id=job_id, candidate_id=candidate_id, company_id=company_id,
        source="recruiter", candidate_recruiter_id=recruiter_id, by="seed", at=_now()), SEEDER)
    if withdrawn:
        await handle(net.store, applications.application, application_id, applications.WithdrawApplication(
            application_id=application_id, by_role="candidate", by="seed", at=_now()), SEEDER)
    return application_id


async def stage(net: Net, application_id: UUID) -> str:
    state, _, _ = await load(net.store, applications.application,
                             stream_id_for(applications.application, application_id))
    return state.stage


async def status(net: Net, job_id: UUID) -> str:
    state, _, _ = await load(net.store, jobs.job, stream_id_for(jobs.job, job_id))
    return state.status


async def until(check: Any) -> None:
    await wait_until(check, timeout=30)


# --- recruiter ↔ candidate ----------------------------------------------------------------------------------

async def represented(net: Net) -> tuple[str, UUID, dict[str, UUID]]:
    """`rec` represents `cand`; applications: two open ones `rec` made for `cand` (covered), one withdrawn, one
    `rival` made for `cand`, one `rec` made for another candidate (none of those covered)."""
    await net.recruiter("rec")
    await net.recruiter("rival")
    await net.person("cand")
    candidate_id = await managed_candidate(net.store, net.user_id("rec"), email=net.email("cand"))
    other_candidate = await managed_candidate(net.store, net.user_id("rec"))
    await net.settled()
    relationship_id, token = await invited(net, "rec", candidate_id)
    rid = f"/v1/recruiter-candidates/{relationship_id}"
    assert (await net.post(f"{rid}/consent", "cand", {"token": token})).status_code == 200
    rec, rival, company = recruiter_id_for(net.user_id("rec")), recruiter_id_for(net.user_id("rival")), uuid4()
    job_id = await job(net, company)
    apps = {
        "kept": await application(net, job_id, company, candidate_id, rec),
        "covered": await application(net, job_id, company, candidate_id, rec),
        "withdrawn": await application(net, job_id, company, candidate_id, rec, withdrawn=True),
        "rivals": await application(net, job_id, company, candidate_id, rival),
        "other_candidate": await application(net, job_id, company, other_candidate, rec),
    }
    await ats_settled(net)
    return rid, candidate_id, apps


async def test_termination_impact_lists_exactly_the_open_applications_covered(net: Net) -> None:
    rid, _, apps = await represented(net)
    for who in ("rec", "cand"):
        answer = await net.get(f"{rid}/termination-impact", who)
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        assert [a["application_id"] for a in data["applications"]] == [str(apps["kept"]), str(apps["covered"])], who
        assert data["applications"][0]["stage"] == "draft" and data["default_decision"] == "keep"
    problem(await net.get(f"{rid}/termination-impact", "rival"), 404)
    problem(await net.get(f"{rid}/termination-impact", "anonymous"), 401)


async def test_ending_with_withdraw_withdraws_exactly_the_applications_decided(net: Net) -> None:
    rid, _, apps = await represented(net)
    head = await settled_head(net.store)
    for stranger in ("withdrawn", "rivals", "other_candidate"):
        refused = await net.post(f"{rid}/terminate", "cand", {"reason": "found a job", "applications": [
            {"application_id": str(apps[stranger]), "decision": "withdraw"}]})
        problem(refused, 422)
        assert refused.json()["code"] == "not_affected_by_termination", stranger
    problem(await net.post(f"{rid}/terminate", "cand", {"reason": "found a job", "applications": [
        {"application_id": str(apps["covered"]), "decision": "withdraw"},
        {"application_id": str(apps["covered"]), "decision": "keep"}]}), 422)
    problem(await net.post(f"{rid}/terminate", "cand", {"reason": "found a job", "applications": [
        {"application_id": str(apps["covered"]), "decision": "pause"}]}), 422)
    assert await settled_head(net.store) == head  # nothing written
    assert (await net.get(rid, "cand")).json()["data"]["status"] == "active"

    body = {"reason": "found a job", "applications": [
        {"application_id": str(apps["covered"]), "decision": "withdraw"}]}  # "kept" is left to the default
    ended = await net.post(f"{rid}/terminate", "cand", body)
    assert ended.status_code == 200, ended.text
    assert (await net.get(rid, "rec", ended)).json()["data"]["status"] == "terminated"

    async def withdrawn() -> bool:
        return await stage(net, apps["covered"]) == "withdrawn"

    await until(withdrawn)
    assert await stage(net, apps["kept"]) == "draft"  # decided before the withdrawn one, and kept
    assert await stage(net, apps["rivals"]) == "draft"
    assert await stage(net, apps["other_candidate"]) == "draft"
    again = await net.post(f"{rid}/terminate", "cand", body)
    assert again.status_code == 200, again.text  # a retried termination records nothing more
    assert again.json()["version"] == ended.json()["version"]


async def test_ending_with_keep_records_keep_for_every_covered_application(net: Net) -> None:
    rid, _, apps = await represented(net)
    ended = await net.post(f"{rid}/terminate", "rec", {"reason": "retiring", "applications": [
        {"application_id": str(apps["covered"]), "decision": "keep"}]})
    assert ended.status_code == 200, ended.text
    relationship_id = UUID(ended.json()["id"])
    recorded = await net.store.read_stream(stream_id_for(rtr.recruiter_candidate, relationship_id))
    assert [r.type for r in recorded][-2:] == [RecruiterCandidateTerminated.type_name(),
                                                RecruiterCandidateTerminationDecided.type_name()]
    decided = recorded[-1].data
    assert decided["decided_by"] == "recruiter"
    assert decided["applications"] == [{"application_id": str(apps["kept"]), "decision": "keep"},
                                       {"application_id": str(apps["covered"]), "decision": "keep"}]
    await ats_settled(net)
    assert [await stage(net, apps[name]) for name in ("kept", "covered")] == ["draft", "draft"]


# --- recruiter ↔ company --------------------------------------------------------------------------------------

async def working(net: Net) -> tuple[str, dict[str, UUID]]:
    """`rec` works with company A (admin `boss`, hiring manager `hm`); jobs at A: three active ones `rec` owns
    (covered), a draft and a closed one `rec` owns and an active one `rival` owns (not covered), and one `rec`
    owns at company B. A's billing is ready, as a paused job needs."""
    company_a, company_b = uuid4(), uuid4()
    for name in ("boss", "hm", "other"):
        await net.person(name)
    await net.company(company_a, boss="company_admin", hm="hiring_manager")
    await net.company(company_b, other="company_admin")
    await net.recruiter("rec")
    await net.recruiter("rival")
    await net.settled()
    relationship_id = await invite(net, company_a, "rec")
    rid = f"/v1/recruiter-companies/{relationship_id}"
    assert (await net.post(f"{rid}/accept", "rec", {"terms_acknowledged": True})).status_code == 200
    owner = {"owner_kind": "company", "owner_id": company_a, "by": "seed", "at": _now()}
    key = profiles.billing_profile_key("company", company_a)
    for command in (profiles.SaveBillingProfile(**owner, billing_terms="net_30", billing_email="ap@example.com"),
                    profiles.AttachBillingCustomer(**owner, stripe_customer_id="cus_1"),
                    profiles.SetDefaultPaymentMethod(**owner, payment_method_id="pm_1")):
        await handle(net.store, profiles.billing_profile, key, command, SEEDER)
    rec, rival = recruiter_id_for(net.user_id("rec")), recruiter_id_for(net.user_id("rival"))
    jobs_at = {
        "paused": await job(net, company_a, rec),
        "closed": await job(net, company_a, rec),
        "kept": await job(net, company_a, rec),
        "draft": await job(net, company_a, rec, status="draft"),
        "already_closed": await job(net, company_a, rec, status="closed"),
        "rivals": await job(net, company_a, rival),
        "elsewhere": await job(net, company_b, rec),
    }
    await ats_settled(net)
    return rid, jobs_at


async def test_termination_impact_lists_exactly_the_open_jobs_owned_there(net: Net) -> None:
    rid, jobs_at = await working(net)
    for who in ("boss", "hm", "rec"):
        answer = await net.get(f"{rid}/termination-impact", who)
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        assert [j["job_id"] for j in data["jobs"]] == [str(jobs_at[n]) for n in ("paused", "closed", "kept")], who
        assert {j["status"] for j in data["jobs"]} == {"active"} and data["decisions"] == ["keep", "pause", "close"]
    problem(await net.get(f"{rid}/termination-impact", "other"), 404)
    problem(await net.get(f"{rid}/termination-impact", "rival"), 404)


async def test_ending_with_pause_and_close_pauses_and_closes_exactly_those_jobs(net: Net) -> None:
    rid, jobs_at = await working(net)
    head = await settled_head(net.store)
    for stranger in ("draft", "already_closed", "rivals", "elsewhere"):
        refused = await net.post(f"{rid}/terminate", "boss", {"reason": "hiring freeze", "jobs": [
            {"job_id": str(jobs_at[stranger]), "decision": "close"}]})
        problem(refused, 422)
        assert refused.json()["code"] == "not_affected_by_termination", stranger
    problem(await net.post(f"{rid}/terminate", "boss", {"reason": "hiring freeze", "jobs": [
        {"job_id": str(jobs_at["paused"]), "decision": "withdraw"}]}), 422)
    problem(await net.post(f"{rid}/terminate", "hm", {"reason": "hiring freeze"}), 403)
    assert await settled_head(net.store) == head  # nothing written

    ended = await net.post(f"{rid}/terminate", "boss", {"reason": "hiring freeze", "jobs": [
        {"job_id": str(jobs_at["paused"]), "decision": "pause"},
        {"job_id": str(jobs_at["closed"]), "decision": "close"}]})
    assert ended.status_code == 200, ended.text

    async def carried_out() -> bool:
        return (await status(net, jobs_at["paused"]), await status(net, jobs_at["closed"])) == ("paused", "closed")

    await until(carried_out)
    expected = {"kept": "active", "draft": "draft", "already_closed": "closed", "rivals": "active",
                "elsewhere": "active"}
    assert {name: await status(net, jobs_at[name]) for name in expected} == expected
