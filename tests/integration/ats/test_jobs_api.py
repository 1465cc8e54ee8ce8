"""Jobs through HTTP: command → relay → RabbitMQ → projector → query, read-your-writes with the token."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from commands.billing import billing_profile as profiles
from commands.identity.user import user_id_for
from eventstore import EventStore, handle
from adapters.settings import Settings
from tests.api import SEEDER, dev_auth, running_consumers, scrape, seed_user, serving
from tests.conftest import RABBITMQ_URL
from tests.helpers import feed_settled, notifier_settled, settled_head, wait_until

ADMIN = "user_jobs_admin"


@pytest.fixture
async def api_with_consumers(fresh_store, topology):
    """The API and the consumers; the client is signed in (development sign-in) as a platform admin."""
    settings = Settings(
        database_url=fresh_store.pool.conninfo, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix,
        consistency_wait_s=10, splits_dev_auth=True,
    )
    await seed_user(fresh_store, ADMIN, roles=[("platform_admin", None)])
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        client.headers.update(dev_auth(ADMIN))
        await admin_known(client)
        await notifier_settled(fresh_store)  # the admin's welcome, recorded before a test compares heads
        yield client


async def admin_known(client) -> None:
    """Until the identity projection has the seeded admin, the API knows the caller as nobody in particular: a
    job for a company they have no part in then answers 404. The tests start once it is a platform admin."""

    async def known() -> bool:
        me = await client.get("/v1/users/me")
        return me.status_code == 200 and "platform_admin" in me.json()["data"]["roles"]

    await wait_until(known, timeout=60)


async def make_ready(store: EventStore, company_id) -> str:
    """A complete billing profile for the company (what its admins' billing routes record): publishing reads it."""
    key, at = profiles.billing_profile_key("company", company_id), datetime.now(UTC)
    owner = {"owner_kind": "company", "owner_id": company_id, "by": "seed", "at": at}
    for command in (profiles.SaveBillingProfile(**owner, billing_terms="immediate", billing_email="ap@acme.example"),
                    profiles.AttachBillingCustomer(**owner, stripe_customer_id="cus_ready"),
                    profiles.SetDefaultPaymentMethod(**owner, payment_method_id="pm_card_visa")):
        result = await handle(store, profiles.billing_profile, key, command, SEEDER)
    return result.token


async def test_created_job_is_readable_with_its_token(api_with_consumers, fresh_store) -> None:
    client = api_with_consumers
    company_id = uuid4()
    created = await client.post("/v1/jobs", json={"company_id": str(company_id), "title": "Data Engineer", "fee_percentage": 22.5})
    assert created.status_code == 201, created.text
    token, job_id = created.json()["consistency_token"], created.json()["id"]

    detail = await client.get(f"/v1/jobs/{job_id}", params={"after": token})
    assert detail.status_code == 200, detail.text
    job = detail.json()["data"]
    assert (job["title"], job["status"], job["fee_percentage"]) == ("Data Engineer", "draft", 22.5)

    token = await make_ready(fresh_store, company_id)
    await client.get("/v1/jobs", headers={"X-Consistency-Token": token})  # the readiness is projected
    published = await client.post(f"/v1/jobs/{job_id}/publish")
    assert published.status_code == 200, published.text
    listed = await client.get("/v1/jobs", params={"after": published.json()["consistency_token"], "status": "active"})
    assert [j["id"] for j in listed.json()["data"]] == [job_id]
    assert listed.json()["pagination"] == {"total": 1, "page": 1, "limit": 25, "total_pages": 1}


async def test_publish_without_billing_readiness_is_refused(api_with_consumers) -> None:
    client = api_with_consumers
    created = await client.post("/v1/jobs", json={"company_id": str(uuid4()), "title": "SRE", "fee_percentage": 20})
    job_id = created.json()["id"]
    refused = await client.post(f"/v1/jobs/{job_id}/publish")
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "billing profile" in refused.json()["detail"]
    detail = await client.get(f"/v1/jobs/{job_id}", params={"after": created.json()["consistency_token"]})
    assert detail.json()["data"]["status"] == "draft"


@pytest.mark.parametrize(
    "body",
    [
        {"title": "No company or firm", "fee_percentage": 20},
        {"company_id": "not-a-uuid", "title": "x", "fee_percentage": 20},
        {"company_id": "00000000-0000-0000-0000-000000000001", "title": "", "fee_percentage": 20},
        {"company_id": "00000000-0000-0000-0000-000000000001", "title": "x", "fee_percentage": 120},
        {"company_id": "00000000-0000-0000-0000-000000000001", "title": "x", "fee_percentage": 20, "salary_min_cents": 9, "salary_max_cents": 1},
        {"company_id": "00000000-0000-0000-0000-000000000001", "title": "x", "fee_percentage": 20, "bogus": 1},
    ],
    ids=["no-owner", "bad-uuid", "empty-title", "fee-over-100", "salary-inverted", "unknown-field"],
)
async def test_bad_job_is_refused_with_a_problem_and_writes_nothing(api_with_consumers, fresh_store, body) -> None:
    await feed_settled(fresh_store)  # the seeded admin's events are in the head before we take it
    before = await fresh_store.head()
    answer = await api_with_consumers.post("/v1/jobs", json=body)
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == answer.status_code
    assert await fresh_store.head() == before


async def test_unknown_job_and_bad_token_are_problems(api_with_consumers) -> None:
    client = api_with_consumers
    missing = await client.get(f"/v1/jobs/{uuid4()}")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    bad = await client.get("/v1/jobs", params={"after": "yesterday"})
    assert bad.status_code == 400
    action = await client.post(f"/v1/jobs/{uuid4()}/publish")
    assert action.status_code == 404
    unknown_move = await client.post(f"/v1/jobs/{uuid4()}/explode")
    # Not one of a job's moves: no such path (a move is matched by its route's path, api/paths.py).
    assert unknown_move.status_code == 404 and unknown_move.headers["content-type"] == "application/problem+json"


async def test_token_not_reached_answers_503_with_retry_after(fresh_store) -> None:
    settings = Settings(database_url=fresh_store.pool.conninfo, consistency_wait_s=0.2, splits_dev_auth=True)
    await seed_user(fresh_store, ADMIN, roles=[("platform_admin", None)])
    # Only identity is projected (so the admin is known); the ats projection is not running.
    async with serving(fresh_store, settings) as (client, system), running_consumers(system, only={"identity"}):
        client.headers.update(dev_auth(ADMIN))
        await admin_known(client)
        created = await client.post("/v1/jobs", json={"company_id": str(uuid4()), "title": "QA", "fee_percentage": 15})
        waited = await client.get(f"/v1/jobs/{created.json()['id']}", params={"after": created.json()["consistency_token"]})
    assert waited.status_code == 503
    assert waited.headers["retry-after"] == "1" and waited.headers["content-type"] == "application/problem+json"


async def test_retried_create_with_idempotency_key_creates_one_job(api_with_consumers) -> None:
    client = api_with_consumers
    body = {"company_id": str(uuid4()), "title": "Once", "fee_percentage": 20}
    first = await client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "create-once"})
    again = await client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "create-once"})
    assert first.json() == again.json()
    listed = await client.get("/v1/jobs", params={"after": again.json()["consistency_token"], "search": "Once"})
    assert listed.json()["pagination"]["total"] == 1


async def test_admin_status_and_metrics_show_each_consumer(api_with_consumers) -> None:
    client = api_with_consumers
    created = await client.post("/v1/jobs", json={"company_id": str(uuid4()), "title": "Ops", "fee_percentage": 20})
    await client.get(f"/v1/jobs/{created.json()['id']}", params={"after": created.json()["consistency_token"]})
    for _ in range(100):  # the heartbeat reports every 2 s
        status = (await client.get("/admin/status")).json()
        consumers = {c["name"]: c for c in status["consumers"]}
        if all(consumers.get(name, {}).get("reported_state") == "live" for name in ("relay", "projection:ats")):
            break
        await asyncio.sleep(0.1)
    assert consumers["projection:ats"]["state"] == "live" and consumers["projection:ats"]["lag_events"] == 0
    assert consumers["relay"]["state"] == "live"
    assert status["dead_letters"] and set(status["dead_letters"].values()) == {0}
    metrics = await scrape(client)
    assert 'splits_consumer_lag_events{consumer="projection:ats"} 0.0' in metrics


async def test_edit_based_on_a_stale_version_is_refused_with_409_and_current_version(api_with_consumers, fresh_store) -> None:
    """DESIGN.md §5 invariant 2 over HTTP: the client's If-Match names the version it saw."""
    client = api_with_consumers
    created = await client.post("/v1/jobs", json={"company_id": str(uuid4()), "title": "v1", "fee_percentage": 20})
    job_id = created.json()["id"]
    first = await client.patch(f"/v1/jobs/{job_id}", json={"title": "v2"}, headers={"If-Match": '"1"'})
    assert first.status_code == 200 and first.json()["version"] == 2
    head = await settled_head(fresh_store)

    stale = await client.patch(f"/v1/jobs/{job_id}", json={"title": "lost update"}, headers={"If-Match": "1"})
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"
    assert (stale.json()["expected_version"], stale.json()["current_version"]) == (1, 2)
    assert await settled_head(fresh_store) == head
    bad = await client.post(f"/v1/jobs/{job_id}/close", headers={"If-Match": "latest"})
    assert bad.status_code == 400
    detail = await client.get(f"/v1/jobs/{job_id}", params={"after": first.json()["consistency_token"]})
    assert detail.json()["data"]["title"] == "v2"


async def test_correlation_id_travels_from_the_request_into_the_events_and_back(api_with_consumers, fresh_store) -> None:
    client = api_with_consumers
    given = await client.post("/v1/jobs", json={"company_id": str(uuid4()), "title": "Traced", "fee_percentage": 20},
                              headers={"X-Correlation-Id": "req-abc-123"})
    assert given.headers["x-correlation-id"] == "req-abc-123"
    made_up = await client.post("/v1/jobs", json={"company_id": str(uuid4()), "title": "Untraced", "fee_percentage": 20},
                                headers={"X-Correlation-Id": "bad id with spaces"})
    generated = made_up.headers["x-correlation-id"]
    assert generated != "bad id with spaces" and len(generated) == 36
    events = await fresh_store.read_stream(f"job-{given.json()['id']}")
    assert events[0].metadata["correlation_id"] == "req-abc-123"
    assert events[0].metadata["actor"] == str(user_id_for(ADMIN))
    assert (await fresh_store.read_stream(f"job-{made_up.json()['id']}"))[0].metadata["correlation_id"] == generated
    metrics = await scrape(client)
    posted = [line for line in metrics.splitlines() if line.startswith("splits_http_requests_total{")
              and 'route="/v1/jobs"' in line and 'method="POST"' in line and 'status="201"' in line]
    assert posted and posted[0].endswith(" 2.0")
