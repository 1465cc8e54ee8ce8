"""Bounded input through HTTP (issue 15): what the request schemas refuse is a clear 422 problem that writes
nothing, where it used to be a 500 or, worse, an event no read model can store.

- a page number past any table (`?page=9223372036854775807`) on every list route the document names;
- NUL (`%00`, `\\u0000`) in a query filter or in a JSON text;
- an integer of 2⁶⁴ in a body, a JSON 0 where a boolean belongs;
- an escrow hold of 2⁶³ cents, which the store kept and the billing projector then failed on for good.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from api.bounds import MAX_CENTS, MAX_PAGE
from commands.billing import placement_billing as money
from commands.billing.placement_events import ROLES, RoleSnapshot
from eventstore import EventStore, handle
from tests.api import SEEDER
from tests.helpers import settled_head, wait_until
from tests.integration.ats_people import People, ats_people, token
from tests.integration.test_applications_api import World, world_fixture  # noqa: F401  (the `world` fixture)


@pytest.fixture
async def people(fresh_store: EventStore):
    async with ats_people(fresh_store) as world:
        yield world


def assert_refused(answer: httpx.Response, status: int = 422) -> None:
    assert answer.status_code == status, (answer.request.url, answer.text)
    assert answer.headers["content-type"] == "application/problem+json", answer.headers


def assert_refused_by_schema(answer: httpx.Response) -> None:
    """A 422 from the request model, naming the body field: refused before any command or append is tried."""
    assert_refused(answer)
    assert any(error["loc"][0] == "body" for error in answer.json()["errors"]), answer.text


async def list_routes(client: httpx.AsyncClient) -> list[str]:
    """The paths of every GET operation the document says takes `page`, each path parameter filled with a value
    of its schema (the first of a choice, else a random id)."""
    document = (await client.get("/openapi.json")).json()
    found = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        parameters = get.get("parameters", []) if get else []
        if any(p["name"] == "page" and p["in"] == "query" for p in parameters):
            for p in parameters:
                if p["in"] == "path":
                    choices = p.get("schema", {}).get("enum")
                    path = path.replace("{" + p["name"] + "}", choices[0] if choices else str(uuid4()))
            found.append(path)
    return found


async def test_a_page_past_any_table_is_a_422_on_every_list_route(people: People) -> None:
    routes = await list_routes(people.client)
    assert len(routes) >= 18, routes
    for path in routes:
        for page in (2**63 - 1, MAX_PAGE + 1, 0):
            assert_refused(await people.client.get(path, params={"page": page}, headers=people.headers("admin")))
        # The last page the document allows is an ordinary (empty) page, not an error.
        last = await people.client.get(path, params={"page": MAX_PAGE, "limit": 100}, headers=people.headers("admin"))
        assert last.status_code < 500, (path, last.text)


@pytest.mark.parametrize(("path", "name"), [
    ("/v1/jobs", "search"), ("/v1/companies", "search"), ("/v1/companies", "industry"), ("/v1/candidates", "search"),
    ("/v1/recruiters", "search"), ("/v1/recruiters", "industry"), ("/v1/recruiters", "specialty"),
    ("/v1/recruiters", "location"), ("/dev/mailbox", "to"), ("/v1/stripe/webhook-events", "event_type"),
])
async def test_nul_in_a_query_filter_is_a_422(people: People, path: str, name: str) -> None:
    assert_refused(await people.client.get(path, params={name: "a\x00b"}, headers=people.headers("admin")))
    assert (await people.client.get(path, params={name: "ab"}, headers=people.headers("admin"))).status_code == 200


async def test_nul_in_any_json_text_is_a_422_that_writes_nothing(people: People, fresh_store: EventStore) -> None:
    head = await settled_head(fresh_store)
    admin = people.headers("admin")
    for path, body in [
        ("/v1/candidates", {"full_name": "Ada\x00", "email": "ada@example.com"}),
        ("/v1/candidates", {"full_name": "Ada", "email": "ada@example.com", "bio": "x\x00y"}),
        ("/v1/companies", {"identity_organization_id": str(people.org_a), "name": "Acme", "slug": "acme",
                           "description": "\x00"}),
        ("/v1/companies", {"identity_organization_id": str(people.org_a), "name": "Acme", "slug": "acme",
                           "tech_stack": ["Py\x00thon"]}),
        ("/v1/jobs", {"company_id": str(people.company_a), "title": "Engineer", "fee_percentage": 20,
                      "recruiter_description": "nul \x00 here"}),
        ("/v1/firms", {"name": "Firm\x00", "slug": "firm"}),
        ("/v1/organizations", {"name": "Org\x00", "slug": "org"}),
    ]:
        assert_refused_by_schema(await people.client.post(path, json=body, headers=admin))
    assert_refused_by_schema(await people.client.put("/v1/users/me/onboarding", headers=admin,
                                           json={"status": "in_progress", "step": 2, "metadata": {"k": "v\x00"}}))
    assert await settled_head(fresh_store) == head


async def test_an_integer_of_2_64_or_a_number_for_a_boolean_is_a_422_that_writes_nothing(
        people: People, fresh_store: EventStore) -> None:
    head = await settled_head(fresh_store)
    admin = people.headers("admin")
    job = {"company_id": str(people.company_a), "title": "Engineer", "fee_percentage": 20}
    for body in ({**job, "salary_min_cents": 2**64}, {**job, "salary_max_cents": MAX_CENTS + 1},
                 {**job, "guarantee_days": 2**64}, {**job, "is_priority": 0}, {**job, "open_to_relocation": "yes"}):
        assert_refused(await people.client.post("/v1/jobs", json=body, headers=admin))
    assert_refused(await people.client.put("/v1/users/me/onboarding", headers=admin,
                                           json={"status": "in_progress", "step": 2, "metadata": {"k": 2**64}}))
    assert_refused(await people.client.post("/v1/companies", headers=admin, json={
        "identity_organization_id": str(people.org_a), "name": "Acme", "slug": "acme", "employee_count": 2**64}))
    for flags in ({"email_enabled": True, "in_app_enabled": 0}, {"email_enabled": 1, "in_app_enabled": True}):
        assert_refused(await people.client.put("/v1/notification-preferences/applications", json=flags,
                                               headers=admin))
    assert_refused(await people.client.post("/v1/recruiters", headers=people.headers("recruiter"),
                                            json={"years_experience": 81}))
    assert_refused(await people.client.post("/v1/recruiters", headers=people.headers("recruiter"),
                                            json={"slug": "Not A Slug"}))
    assert await settled_head(fresh_store) == head


async def test_a_number_for_a_date_or_a_text_for_a_percentage_is_a_422_that_writes_nothing(
        people: People, fresh_store: EventStore) -> None:
    """pydantic alone reads 0 as 1970-01-01 and "20" as 20: the schema says neither, so neither is taken."""
    head = await settled_head(fresh_store)
    admin = people.headers("admin")
    for to in ("0", "1700000000", "2026-1-2"):
        answer = await people.client.get("/v1/admin/metrics/daily", params={"to": to}, headers=admin)
        assert_refused(answer)
        assert answer.json()["errors"][0]["loc"] == ["query", "to"], answer.text
    for owner in ("candidates", "companies"):
        assert_refused_by_schema(await people.client.post(f"/v1/{owner}/{uuid4()}/sourcer", headers=admin, json={
            "sourcer_type": "tsn", "sourced_at": 0, "protection_window_days": 30}))
    job = {"company_id": str(people.company_a), "title": "Engineer"}
    for fee in ("", "20", 20.125):
        assert_refused_by_schema(await people.client.post("/v1/jobs", json={**job, "fee_percentage": fee},
                                                          headers=admin))
    assert_refused_by_schema(await people.client.patch("/v1/users/me", json={"name": ""}, headers=admin))
    assert await settled_head(fresh_store) == head


async def seed_billed_placement(store: EventStore) -> Any:
    """A placement's billing stream with its snapshot frozen: what an escrow hold is placed on."""
    placement_id, now = uuid4(), datetime.now(UTC)
    roles = [RoleSnapshot(role=r, recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                          firm_take_bps=None) for r in ROLES if r != "candidate_recruiter"]
    roles.append(RoleSnapshot(role="candidate_recruiter", recruiter_id=uuid4(), user_id=uuid4(), tier="pro",
                              rate_bps=3000, firm_id=None, firm_take_bps=None))
    await handle(store, money.placement_billing, placement_id, money.FreezeSnapshot(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), company_id=uuid4(), fee_cents=2_000_000,
        hired_at=now - timedelta(days=100), roles=roles, at=now - timedelta(days=10)), SEEDER)
    return placement_id


async def test_an_escrow_hold_of_2_63_cents_is_refused_and_the_billing_read_model_keeps_up(
        people: People, fresh_store: EventStore) -> None:
    """The poison event of issue 15: a hold of 2⁶³..2⁶⁴−1 cents was accepted (201) and stored, and the billing
    projector failed on it forever (bigint out of range). Now the schema stops it, and holds go on projecting."""
    placement_id = await seed_billed_placement(fresh_store)
    admin = people.headers("admin")
    head = await settled_head(fresh_store)
    for amount in (2**63, 2**64 - 1, 2**64, MAX_CENTS + 1):
        assert_refused(await people.client.post("/v1/escrow-holds", headers=admin, json={
            "placement_id": str(placement_id), "reason": "Disputed start date", "amount_cents": amount}))
    assert await settled_head(fresh_store) == head

    placed = await people.client.post("/v1/escrow-holds", headers=admin, json={
        "placement_id": str(placement_id), "reason": "Disputed start date", "amount_cents": MAX_CENTS})
    assert placed.status_code == 201, placed.text
    holds = await people.client.get("/v1/escrow-holds", headers=admin,
                                     params={"placement_id": str(placement_id), **token(placed)})
    assert holds.status_code == 200, holds.text
    assert [h["amount_cents"] for h in holds.json()["data"]] == [MAX_CENTS]
    view = await people.client.get(f"/v1/placements/{placement_id}/money", headers=admin, params=token(placed))
    assert view.status_code == 200, view.text
    assert [h["amount_cents"] for h in view.json()["data"]["escrow_holds"]] == [MAX_CENTS]


# --- the extremes every schema allows, stored and replayed ---------------------------------------------------------

def big(n: int, salt: str = "") -> str:
    """`n` characters (code points) of mixed scripts and an emoji: what a length limit counts."""
    return (salt + "é漢🙂Ωa" * n)[:n]


def url(n: int = 500) -> str:
    head = "https://example.com/"
    return head + "a" * (n - len(head))


def tags(count: int, length: int) -> list[str]:
    return [f"{i:03d}" + big(length - 3) for i in range(count)]


async def test_every_body_at_the_limits_of_its_schema_is_stored_and_every_projection_replays_it(
        people: People, fresh_store: EventStore) -> None:
    """Each body at the extremes its schema allows (largest numbers, longest texts in several scripts, fullest
    lists) is accepted, and every read model, live and rebuilt from the first event, stores the result."""
    from api.bounds import MAX_COUNT
    from consumers.projector import Projector
    from projections.registry import all_projections

    c, admin = people.client, people.headers("admin")
    sent: list[httpx.Response] = []

    async def ok(answer: Any) -> httpx.Response:
        answer = await answer
        assert answer.status_code in (200, 201, 202), (answer.request.method, answer.request.url, answer.text)
        sent.append(answer)
        return answer

    company_profile = {
        "website": url(), "industry": big(100), "company_size": big(100), "headquarters_location": big(255),
        "description": big(5000), "logo_url": url(), "stage": big(100), "founded_year": 2100, "tagline": big(500),
        "mission_statement": big(5000), "benefits_summary": big(5000), "employee_count": 10_000_000,
        "hiring_process": big(5000), "tech_stack": tags(50, 100),
        "social_links": {f"l{i:02d}_" + "x" * 26: url() for i in range(20)},
    }
    await ok(c.post("/v1/companies", headers=people.headers("a_admin"), json={
        "identity_organization_id": str(people.org_a), "name": big(255), "slug": "a" * 100, **company_profile,
        "marketplace_visible": True}))
    await ok(c.patch(f"/v1/companies/{people.company_a}", headers=people.headers("a_admin"),
                     json={**company_profile, "founded_year": 1800, "employee_count": 0, "name": big(255, "z")}))
    await ok(c.post(f"/v1/companies/{people.company_a}/sourcer", headers=admin, json={
        "sourcer_type": "recruiter", "sourcer_recruiter_id": str(people.recruiter_id), "source_method": big(100),
        "protection_window_days": 3650, "notes": big(2000)}))

    candidate = {
        "full_name": big(255), "email": "c" * 300 + "@example.com", "phone": "+1 (555) 123-4567 890 12",
        "location": big(255), "linkedin_url": url(), "github_url": url(), "portfolio_url": url(),
        "current_title": big(255), "current_company": big(255), "bio": big(5000),
        "desired_salary_min_cents": MAX_CENTS, "desired_salary_max_cents": MAX_CENTS, "availability": big(50),
    }
    created = await ok(c.post("/v1/candidates", headers=people.headers("recruiter"), json=candidate))
    candidate_id = created.json()["id"]
    await ok(c.patch(f"/v1/candidates/{candidate_id}", headers=people.headers("recruiter"),
                     json={**candidate, "desired_salary_min_cents": 0, "bio": big(5000, "b")}))
    await ok(c.post(f"/v1/candidates/{candidate_id}/verification", headers=admin,
                    json={"to_status": "pending", "reason": big(500)}))

    job = {"title": big(200), "department": big(255), "location": big(255), "recruiter_description": big(20_000),
           "candidate_description": big(20_000), "salary_min_cents": MAX_CENTS, "salary_max_cents": MAX_CENTS,
           "fee_percentage": 100, "guarantee_days": 365,
           "commute_types": ["remote", "hybrid_1", "hybrid_2", "hybrid_3", "hybrid_4", "in_office"]}
    made = await ok(c.post("/v1/jobs", headers=people.headers("a_admin"),
                           json={"company_id": str(people.company_a), **job}))
    job_id = made.json()["id"]
    await ok(c.patch(f"/v1/jobs/{job_id}", headers={**people.headers("a_admin"), "If-Match": "1"},
                     json={**job, "salary_min_cents": 0, "guarantee_days": 0, "fee_percentage": 0}))
    await ok(c.put(f"/v1/jobs/{job_id}/requirements", headers=people.headers("a_admin"), json={"requirements": [
        {"requirement_type": "mandatory", "description": big(2000, str(i)), "sort_order": 10_000 - i}
        for i in range(50)]}))
    await ok(c.put(f"/v1/jobs/{job_id}/skills", headers=people.headers("a_admin"), json={"skills": [
        {"name": n, "slug": f"s{i:03d}-" + "a" * 95, "is_required": True} for i, n in enumerate(tags(50, 100))]}))
    await ok(c.put(f"/v1/jobs/{job_id}/pre-screen-questions", headers=people.headers("a_admin"), json={"questions": [
        {"question": big(2000, str(i)), "question_type": "multi_select", "options": tags(50, 200),
         "is_required": True, "disclaimer": big(2000)} for i in range(25)]}))

    recruiter = {"slug": "r" * 100, "bio": big(5000), "tagline": big(200), "location": big(200),
                 "years_experience": 80, "phone": "+" + "1" * 39, "industries": tags(50, 100),
                 "specialties": tags(50, 100)}
    await ok(c.post("/v1/recruiters", headers=people.headers("recruiter"), json=recruiter))
    await ok(c.patch("/v1/recruiters/me", headers=people.headers("recruiter"),
                     json={**recruiter, "years_experience": 0, "bio": big(5000, "u")}))
    await ok(c.post("/v1/firms", headers=admin, json={
        "name": big(200), "slug": "f" * 100, "admin_take_rate": 100}))
    await ok(c.put("/v1/users/me/onboarding", headers=admin, json={"status": "in_progress", "step": 4, "metadata": {
        f"k{i:02d}" + big(97): [2**53, -(2**53), big(500), True, None] * 4 for i in range(20)}}))
    await ok(c.patch("/v1/plans/pro", headers=admin, json={
        "name": big(500), "price_monthly_cents": MAX_CENTS, "price_annual_cents": MAX_CENTS, "trial_days": 365,
        "features": tags(50, 500), "entitlements": {"max_saved_jobs": MAX_COUNT, "messaging_initiations_per_month": None}}))

    placement_id = await seed_billed_placement(fresh_store)
    await ok(c.post("/v1/escrow-holds", headers=admin, json={
        "placement_id": str(placement_id), "reason": big(5000), "amount_cents": MAX_CENTS,
        "release_on": (datetime.now(UTC) + timedelta(days=3650)).isoformat()}))
    await ok(c.post("/v1/disputes", headers=admin, json={
        "placement_id": str(placement_id), "dispute_type": "fee_amount", "reason": big(5000)}))

    # The live read models take every one of them (reading each write after its token)...
    last = sent[-1]
    for path in (f"/v1/placements/{placement_id}/money", f"/v1/jobs/{job_id}", f"/v1/candidates/{candidate_id}",
                 f"/v1/companies/{people.company_a}", "/v1/recruiters/me"):
        read = await c.get(path, headers=admin if "recruiters" not in path else people.headers("recruiter"),
                           params={"after": last.json()["consistency_token"]} if "money" in path else None)
        assert read.status_code == 200, (path, read.text)
    # ... and so does every projection rebuilt from the first event into a schema of its own.
    for name, projection in all_projections().items():
        rebuilt = Projector(fresh_store.pool, projection, fresh_store.registry, schema=f"{name}_extremes",
                            checkpoint=f"projection:{name}_extremes")
        await rebuilt.ensure_schema()
        await rebuilt.catch_up()


async def test_an_application_at_the_limits_of_its_schemas_through_to_its_placement_is_stored_and_replayed(
        world: World, fresh_store: EventStore) -> None:
    """The application routes' bodies at their extremes (the longest cover letter, pitch, note and reasons, the
    largest salary), taken through a hire to a failed placement: every read model, rebuilt, stores them."""
    from api.ats.applications import placement_id_for
    from consumers.projector import Projector
    from projections.registry import all_projections

    async def ok(answer: httpx.Response) -> httpx.Response:
        assert answer.status_code in (200, 201), (answer.request.url, answer.text)
        return answer

    proposed = await ok(await world.post("rtr", "/v1/applications/propose", {
        "job_id": str(world.jobs["a"]), "candidate_id": str(world.candidate["cand"]), "pitch": big(5000),
        "notes": big(5000, "n")}))
    await ok(await world.post("cand", f"/v1/applications/{proposed.json()['id']}/decline-proposal",
                              {"reason": big(2000)}))
    application_id = await world.apply("rtr", "a2", "cand", cover_letter=big(20_000))
    await world.submitted("rtr", application_id)
    note = await ok(await world.post("a_admin", f"/v1/applications/{application_id}/notes", {
        "visibility": "shared", "message": big(10_000)}))
    await ok(await world.patch("a_admin", f"/v1/applications/{application_id}/notes/{note.json()['id']}",
                               {"message": big(10_000, "e")}))
    for to in ("company_review", "offer"):
        await ok(await world.post("a_admin", f"/v1/applications/{application_id}/stage",
                                  {"to": to, "reason": big(2000, to)}))
    await ok(await world.post("rtr", f"/v1/applications/{application_id}/accept-offer"))
    await ok(await world.post("a_manager", f"/v1/applications/{application_id}/hire", {
        "salary_cents": 10_000_000_000, "start_date": (datetime.now(UTC) + timedelta(days=30)).date().isoformat()}))
    placement_id = placement_id_for(application_id)

    async def placed() -> bool:
        answer = await world.client.get(f"/v1/placements/{placement_id}", headers=world.headers("admin"))
        return answer.status_code == 200

    await wait_until(placed)
    await ok(await world.post("admin", f"/v1/placements/{placement_id}/fail", {"reason": big(2000)}))
    read = await world.get("admin", f"/v1/placements/{placement_id}")
    assert read.status_code == 200 and read.json()["data"]["salary_cents"] == 10_000_000_000, read.text

    for name, projection in all_projections().items():
        rebuilt = Projector(fresh_store.pool, projection, fresh_store.registry, schema=f"{name}_extremes",
                            checkpoint=f"projection:{name}_extremes")
        await rebuilt.ensure_schema()
        await rebuilt.catch_up()
