"""The billing account routes through HTTP with payments simulated (no `STRIPE_SECRET_KEY`, as in `splits dev`):
plans and rates, subscriptions and entitlements, billing profiles, Connect accounts; who may do what, and bad
input refused with a problem that writes nothing. The same routes against the fake Stripe are in
`test_billing_story.py`."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from commands.ats import company as companies
from commands.ats import placement as placements
from commands.identity.user import user_id_for
from eventstore import EventStore, handle
from adapters.settings import Settings
from tests.api import SEEDER, dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.conftest import RABBITMQ_URL
from tests.helpers import feed_settled, settled_head, wait_until

PROBLEM = "application/problem+json"


class Billing:
    def __init__(self, client: httpx.AsyncClient, store: EventStore) -> None:
        self.client, self.store, self.run = client, store, secrets.token_hex(4)

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    async def call(self, who: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dev_auth(self.clerk_id(who)) if who else {}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def ok(self, who: str | None, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        answer = await self.call(who, method, path, **kwargs)
        assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    async def refused(self, who: str | None, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
        """A problem with `status` that wrote nothing."""
        await feed_settled(self.store)
        head = await settled_head(self.store)
        answer = await self.call(who, method, path, **kwargs)
        assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text}"
        assert answer.headers["content-type"] == PROBLEM
        await feed_settled(self.store)
        assert await settled_head(self.store) == head, f"{method} {path} wrote events although refused"
        return answer.json()

    async def known(self, name: str) -> None:
        """Seeded, and known to the API (the identity read schema has caught up)."""
        await seed_user(self.store, self.clerk_id(name))

        async def registered() -> bool:
            return (await self.call(name, "GET", "/v1/users/me")).status_code == 200

        await wait_until(registered)

    async def recruiter(self, name: str) -> UUID:
        await self.known(name)
        created = await self.ok(name, "POST", "/v1/recruiters", 201, json={})

        async def granted() -> bool:
            me = await self.call(name, "GET", "/v1/users/me")
            return me.status_code == 200 and "recruiter" in me.json()["data"]["roles"]

        await wait_until(granted)
        return UUID(created["id"])

    async def company(self, admin: str) -> UUID:
        company_id = uuid4()
        await seed_user(self.store, self.clerk_id(admin))
        org_id = await seed_organization(self.store, company_id, [(self.clerk_id(admin), "company_admin", False)])

        async def admin_of_it() -> bool:
            me = await self.call(admin, "GET", "/v1/users/me")
            return me.status_code == 200 and "company_admin" in me.json()["data"]["roles"]

        await wait_until(admin_of_it)
        await handle(self.store, companies.company, company_id, companies.CreateCompany(
            company_id=company_id, identity_organization_id=org_id, name="Acme", slug=f"acme-{secrets.token_hex(3)}",
            by="seed", at=datetime.now(UTC)), SEEDER)
        return company_id


@pytest.fixture
async def billing(fresh_store: EventStore, topology) -> AsyncIterator[Billing]:
    settings = Settings(database_url=fresh_store.pool.conninfo, rabbitmq_url=RABBITMQ_URL,
                        rabbitmq_prefix=topology.prefix, splits_dev_auth=True, consistency_wait_s=10)
    async with serving(fresh_store, settings) as (client, system), running_consumers(
            system, only={"relay", "identity", "network", "billing", "recruiter-roles", "billing-snapshots",
                         "invoicing"}):
        b = Billing(client, fresh_store)
        await seed_user(fresh_store, b.clerk_id("root"), roles=[("platform_admin", None)])
        yield b


async def test_plans_and_rates_are_public_and_only_platform_admins_change_them(billing: Billing) -> None:
    b = billing
    await feed_settled(b.store)
    head = str(await b.store.head())
    plans = (await b.ok(None, "GET", "/v1/plans", params={"after": head}))["data"]
    assert [(p["tier"], p["price_monthly_cents"], p["entitlements"]["firm_creation"]) for p in plans] == [
        ("starter", 0, False), ("pro", 9900, False), ("partner", 24900, True)]
    rates = (await b.ok(None, "GET", "/v1/splits-rates"))["data"]
    assert {r["tier"]: (r["candidate_recruiter_bps"], r["platform_remainder_bps"]) for r in rates} == {
        "starter": (2000, 4800), "pro": (3000, 2400), "partner": (4000, 0)}

    new = {"candidate_recruiter_rate": 35, "job_owner_rate": 15, "company_recruiter_rate": 15,
           "candidate_sourcer_rate": 7.5, "company_sourcer_rate": 7.5}
    await b.recruiter("rex")
    await b.refused(None, "PUT", "/v1/splits-rates/pro", 401, json=new)
    await b.refused("rex", "PUT", "/v1/splits-rates/pro", 403, json=new)
    over = await b.refused("root", "PUT", "/v1/splits-rates/pro", 422, json=new | {"candidate_recruiter_rate": 60})
    assert "100%" in over["detail"]
    await b.refused("root", "PUT", "/v1/splits-rates/pro", 422, json=new | {"job_owner_rate": 101})
    await b.refused("root", "PUT", "/v1/splits-rates/pro", 422, json=new | {"job_owner_rate": 1.234})
    await b.refused("root", "PUT", "/v1/splits-rates/gold", 404, json=new)  # no such tier: no such resource
    changed = await b.ok("root", "PUT", "/v1/splits-rates/pro", json=new)
    history = (await b.ok(None, "GET", "/v1/splits-rates/pro", params={"history": "true",
                                                                        "after": changed["consistency_token"]}))
    versions = sorted(history["data"], key=lambda r: r["version"])
    assert [(v["version"], v["candidate_recruiter_bps"], v["candidate_sourcer_bps"]) for v in versions] == [
        (1, 3000, 800), (2, 3500, 750)]
    assert versions[0]["effective_to"] == versions[1]["effective_from"] and versions[1]["effective_to"] is None

    await b.refused("rex", "PATCH", "/v1/plans/pro", 403, json={"name": "Professional"})
    await b.refused("root", "PATCH", "/v1/plans/pro", 422, json={"price_monthly_cents": -1})
    renamed = await b.ok("root", "PATCH", "/v1/plans/pro", json={"name": "Professional"})
    plan = await b.ok(None, "GET", "/v1/plans/pro", params={"after": renamed["consistency_token"]})
    assert plan["data"]["name"] == "Professional"


async def test_a_recruiter_subscribes_changes_plan_and_cancels(billing: Billing) -> None:
    b = billing
    await b.recruiter("rex")
    assert (await b.ok("rex", "GET", "/v1/entitlements/me"))["tier"] == "starter"
    await b.known("plain")
    await b.refused("plain", "POST", "/v1/subscriptions", 403, json={"tier": "pro"})
    await b.refused("rex", "POST", "/v1/subscriptions", 422, json={"tier": "gold"})

    sub = (await b.ok("rex", "POST", "/v1/subscriptions", 201, json={"tier": "pro"}))["data"]
    assert (sub["tier"], sub["effective_tier"], sub["status"], sub["simulated"]) == ("pro", "pro", "active", True)
    assert sub["stripe_subscription_id"].startswith("sim_sub_")
    assert (await b.ok("rex", "GET", "/v1/entitlements/me"))["entitlements"]["data_export"] is True
    await b.refused("rex", "POST", "/v1/subscriptions", 422, json={"tier": "partner"})  # change it instead

    changed = (await b.ok("rex", "PATCH", "/v1/subscriptions/me", json={"tier": "partner"}))["data"]
    assert changed["tier"] == "partner"
    assert (await b.ok("rex", "GET", "/v1/entitlements/me"))["entitlements"]["firm_creation"] is True

    cancelled = (await b.ok("rex", "DELETE", "/v1/subscriptions/me"))["data"]
    assert cancelled["status"] == "canceled"
    assert datetime.fromisoformat(cancelled["cancel_at"]) > datetime.now(UTC)
    assert cancelled["effective_tier"] == "partner"  # until the period it paid for ends
    await b.refused("rex", "PATCH", "/v1/subscriptions/me", 404, json={"tier": "pro"})


async def test_a_card_form_for_the_subscription_answers_the_command_shape_with_the_customer_write(
        billing: Billing) -> None:
    """The first setup intent creates the recruiter's Stripe customer (a write): the answer is the command shape,
    `{id, version, consistency_token, data}`, and its token reads that write; a second one writes nothing."""
    b = billing
    await b.recruiter("rex")
    rex_user = (await b.ok("rex", "GET", "/v1/users/me"))["data"]["id"]
    first = await b.ok("rex", "POST", "/v1/subscriptions/setup-intent")
    assert (first["id"], first["version"]) == (rex_user, 1)  # the subscription's stream is the user's
    assert first["consistency_token"] is not None
    assert first["data"]["client_secret"].startswith("sim_seti_")
    mine = (await b.ok("rex", "GET", "/v1/subscriptions/me"))["data"]
    assert mine["stripe_customer_id"] == first["data"]["stripe_customer_id"]
    again = await b.ok("rex", "POST", "/v1/subscriptions/setup-intent")
    assert (again["version"], again["consistency_token"]) == (1, first["consistency_token"])
    assert again["data"]["setup_intent_id"] != first["data"]["setup_intent_id"]


async def test_billing_profiles_are_their_owners_and_readiness_follows_them(billing: Billing) -> None:
    b = billing
    acme, other = await b.company("cora"), await b.company("olaf")
    path = f"/v1/companies/{acme}/billing-profile"
    await b.refused("cora", "GET", path, 404)
    await b.refused("cora", "PUT", path, 422, json={"billing_email": "not-an-email"})
    await b.refused("cora", "PUT", path, 422, json={"billing_email": "ap@acme.example", "billing_terms": "net_45"})
    await b.refused("olaf", "PUT", path, 403, json={"billing_email": "ap@acme.example"})
    await b.refused("cora", "PUT", f"/v1/companies/{uuid4()}/billing-profile", 404,
                    json={"billing_email": "ap@acme.example"})

    saved = (await b.ok("cora", "PUT", path, json={"billing_email": "AP@Acme.example", "billing_terms": "net_60"}))
    assert (saved["data"]["billing_email"], saved["data"]["billing_terms"]) == ("ap@acme.example", "net_60")
    assert saved["data"]["stripe_customer_id"].startswith("sim_cus_")
    assert (await b.ok("cora", "GET", f"/v1/companies/{acme}/billing-readiness")) == {"data": {
        "ready": False, "missing": ["payment_method"]}}
    intent = await b.ok("cora", "POST", f"{path}/setup-intent")
    assert intent["data"]["client_secret"].startswith("sim_seti_")
    assert (intent["id"], intent["version"]) == (str(acme), saved["version"])
    assert intent["consistency_token"] == saved["consistency_token"]  # asking for a card form writes nothing
    await b.ok("cora", "PUT", f"{path}/payment-method", json={"payment_method_id": "pm_card_visa"})
    assert (await b.ok("cora", "GET", f"/v1/companies/{acme}/billing-readiness"))["data"]["ready"] is True
    await b.refused("olaf", "GET", path, 403)
    assert (await b.ok("root", "GET", path))["data"]["payment_method_id"] == "pm_card_visa"
    await b.refused("olaf", "GET", f"/v1/companies/{other}/billing-profile", 404)  # none saved yet


async def test_connect_accounts_belong_to_recruiters_and_firm_admins(billing: Billing) -> None:
    b = billing
    await b.known("plain")
    await b.refused("plain", "POST", "/v1/connect/account", 403)
    rex = await b.recruiter("rex")
    await b.refused("rex", "GET", "/v1/connect/account", 404)
    await b.refused("rex", "POST", "/v1/connect/onboarding-link", 422)
    account = (await b.ok("rex", "POST", "/v1/connect/account", 201))["data"]
    assert (account["payee_id"], account["onboarded"], account["simulated"]) == (str(rex), True, True)
    again = (await b.ok("rex", "POST", "/v1/connect/account", 201))["data"]
    assert again["stripe_account_id"] == account["stripe_account_id"]  # one account per payee
    link = await b.ok("rex", "POST", "/v1/connect/onboarding-link")
    assert account["stripe_account_id"] in link["url"]

    await b.refused("rex", "POST", f"/v1/firms/{uuid4()}/connect/account", 404)
    user = user_id_for(b.clerk_id("rex"))
    assert (await b.ok("rex", "GET", "/v1/subscriptions/me"))["data"]["user_id"] == str(user)


async def test_a_platform_admin_asks_for_the_invoice_and_the_invoicing_process_issues_it(billing: Billing) -> None:
    b = billing
    acme = await b.company("cora")
    await b.ok("cora", "PUT", f"/v1/companies/{acme}/billing-profile", json={"billing_email": "ap@acme.example"})
    await b.ok("cora", "PUT", f"/v1/companies/{acme}/billing-profile/payment-method",
               json={"payment_method_id": "pm_card_visa"})
    rex, placement_id, now = await b.recruiter("rex"), uuid4(), datetime.now(UTC)
    await handle(b.store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), candidate_id=uuid4(), company_id=acme,
        salary_cents=10_000_000, fee_bps=2000, guarantee_days=90, hired_at=now, start_date=now.date(),
        candidate_recruiter_id=rex, by="reactor:placements", at=now), SEEDER)
    money = f"/v1/placements/{placement_id}/money"

    async def frozen() -> bool:
        return (await b.call("root", "GET", money)).status_code == 200

    await wait_until(frozen)
    await b.refused("cora", "POST", f"/v1/placements/{placement_id}/invoices", 403)
    await b.refused("root", "POST", f"/v1/placements/{uuid4()}/invoices", 404)
    await b.ok("root", "POST", f"/v1/placements/{placement_id}/invoices", 202)

    async def invoiced() -> bool:
        answer = await b.call("cora", "GET", money)
        return answer.status_code == 200 and (answer.json()["data"]["invoice"] or {}).get("status") == "paid"

    await wait_until(invoiced)  # immediate terms, simulated payments: charged at once
    invoice = (await b.ok("cora", "GET", money))["data"]["invoice"]
    assert invoice["stripe_invoice_id"].startswith("sim_in_")
    assert (invoice["fee_cents"], invoice["processing_fee_cents"], invoice["amount_due_cents"]) == (
        2_000_000, 60_000, 2_060_000)
    await feed_settled(b.store)
    head = await settled_head(b.store)
    await b.ok("root", "POST", f"/v1/placements/{placement_id}/invoices", 202)  # invoiced already: nothing recorded
    await feed_settled(b.store)
    assert await settled_head(b.store) == head
