"""A payment method makes a billing profile ready only once Stripe vouches for it.

The attack: `PUT …/billing-profile/payment-method` with any `pm_…` string (made up, another company's card, an
expired card) used to be recorded as the default at once, so the company counted as ready to bill and its jobs
could be published with nothing to charge. Now Stripe (the fake, through the real SDK) is asked first: the
payment method must exist, be attached to the profile's own customer, be a card that has not expired, and it is
made that customer's invoice default there before anything is recorded.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from commands.ats import company as companies
from commands.billing import billing_profile as profiles
from eventstore import EventStore, handle, load, stream_id_for
from adapters.payments import payment_method_problem
from adapters.settings import Settings
from tests.api import SEEDER, dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.conftest import RABBITMQ_URL
from tests.fakes.stripe import FakeStripe
from tests.helpers import wait_until


@dataclass
class Billing:
    client: httpx.AsyncClient
    store: EventStore
    stripe: FakeStripe
    run: str

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=dev_auth(self.clerk_id(who)), **kwargs)

    async def company(self, admin: str) -> tuple[UUID, str]:
        """A company administered by `admin`, with a saved billing profile: (company id, Stripe customer id)."""
        company_id, now = uuid4(), datetime.now(UTC)
        await seed_user(self.store, self.clerk_id(admin))
        org_id = await seed_organization(self.store, company_id, [(self.clerk_id(admin), "company_admin", False)])
        await handle(self.store, companies.company, company_id, companies.CreateCompany(
            company_id=company_id, identity_organization_id=org_id, name=admin.title(),
            slug=f"{admin}-{self.run}", by=admin, at=now), SEEDER)

        async def admin_now() -> bool:
            me = await self.call(admin, "GET", "/v1/users/me")
            return me.status_code == 200 and "company_admin" in me.json()["data"]["roles"]

        await wait_until(admin_now, timeout=30)
        saved = await self.call(admin, "PUT", f"/v1/companies/{company_id}/billing-profile",
                                json={"billing_email": f"ap@{admin}.example"})
        assert saved.status_code == 200, saved.text
        customer = saved.json()["data"]["stripe_customer_id"]
        assert customer.startswith("cus_") and saved.json()["data"]["missing"] == ["payment_method"]
        return company_id, customer

    async def offer(self, who: str, company_id: UUID, pm: str) -> httpx.Response:
        return await self.call(who, "PUT", f"/v1/companies/{company_id}/billing-profile/payment-method",
                               json={"payment_method_id": pm})

    async def readiness(self, who: str, company_id: UUID) -> dict[str, Any]:
        answer = await self.call(who, "GET", f"/v1/companies/{company_id}/billing-readiness")
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    async def profile_version(self, company_id: UUID) -> int:
        key = profiles.billing_profile_key("company", company_id)
        _, version, _ = await load(self.store, profiles.billing_profile, stream_id_for(profiles.billing_profile, key))
        return version

    async def draft_job(self, who: str, company_id: UUID) -> str:
        created = await self.call(who, "POST", "/v1/jobs", json={"company_id": str(company_id), "title": "Engineer",
                                                                  "fee_percentage": 20})
        assert created.status_code == 201, created.text
        return created.json()["id"]

    def default_of(self, customer: str) -> str | None:
        return self.stripe.get(customer)["invoice_settings"]["default_payment_method"]


@pytest.fixture
async def billing(fresh_store: EventStore, topology) -> AsyncIterator[Billing]:
    stripe = FakeStripe().start()
    settings = Settings(
        database_url=fresh_store.pool.conninfo, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix,
        splits_dev_auth=True, consistency_wait_s=15, rate_limit_per_user=100_000, rate_limit_per_ip=100_000,
        stripe_secret_key="sk_test_payment_methods", stripe_api_base=stripe.url,
        stripe_webhook_secret="whsec_" + secrets.token_hex(16),
    )
    try:
        async with serving(fresh_store, settings) as (client, system), running_consumers(system):
            yield Billing(client, fresh_store, stripe, secrets.token_hex(4))
    finally:
        stripe.stop()


def _refusal(answer: httpx.Response, reason: str) -> None:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert (body["code"], body["reason"]) == ("payment_method_unusable", reason), body


async def test_only_the_customers_own_live_card_makes_a_profile_ready(billing: Billing) -> None:
    b = billing
    (acme, acme_customer), (beta, beta_customer) = await b.company("cora"), await b.company("bea")
    acme_job, beta_job = await b.draft_job("cora", acme), await b.draft_job("bea", beta)
    before = await b.profile_version(acme)
    stripe_calls = len(b.stripe.requests)

    # Made-up ids, one of them Stripe's famous test card: Stripe has no such payment method.
    for made_up in ("pm_card_visa", f"pm_{secrets.token_hex(12)}"):
        _refusal(await b.offer("cora", acme, made_up), "not_found")
    # Beta's real card, its id seen somewhere: it is not Acme's customer's.
    beta_card = await asyncio.to_thread(b.stripe.attach_payment_method, beta_customer)
    _refusal(await b.offer("cora", acme, beta_card), "customer_mismatch")
    # Acme's own, but expired last year, or no card at all.
    year = date.today().year
    expired = await asyncio.to_thread(b.stripe.attach_payment_method, acme_customer, exp=(12, year - 1))
    _refusal(await b.offer("cora", acme, expired), "expired")
    debit = await asyncio.to_thread(b.stripe.attach_payment_method, acme_customer, type="us_bank_account")
    _refusal(await b.offer("cora", acme, debit), "not_a_card")

    # Nothing recorded, nothing changed in Stripe (every call since was a read).
    assert await b.profile_version(acme) == before
    assert {call.method for call in b.stripe.requests[stripe_calls:]} == {"GET"}
    assert (b.default_of(acme_customer), b.default_of(beta_customer)) == (None, None)
    profile = (await b.call("cora", "GET", f"/v1/companies/{acme}/billing-profile")).json()["data"]
    assert (profile["payment_method_id"], profile["ready"]) == (None, False)

    # Beta offers its own live card (one expiring this very month still is): Stripe's default, and ready.
    live = await asyncio.to_thread(b.stripe.attach_payment_method, beta_customer, exp=(date.today().month, year))
    accepted = await b.offer("bea", beta, live)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["data"]["payment_method_id"] == live
    assert b.default_of(beta_customer) == live
    assert await b.readiness("bea", beta) == {"ready": True, "missing": []}

    async def published() -> bool:  # once the billing process has told the company it is ready
        answer = await b.call("bea", "POST", f"/v1/jobs/{beta_job}/publish")
        return answer.status_code == 200

    await wait_until(published, timeout=30)

    # Readiness and publishing agree for Acme too: the billing process has seen everything before Beta's card.
    assert await b.readiness("cora", acme) == {"ready": False, "missing": ["payment_method"]}
    refused = await b.call("cora", "POST", f"/v1/jobs/{acme_job}/publish")
    assert refused.status_code == 422 and "billing profile" in refused.json()["detail"], refused.text


async def test_a_refused_payment_method_leaves_the_previous_default_in_place(billing: Billing) -> None:
    b = billing
    acme, customer = await b.company("cora")
    first = await asyncio.to_thread(b.stripe.attach_payment_method, customer)
    assert (await b.offer("cora", acme, first)).status_code == 200
    _refusal(await b.offer("cora", acme, "pm_card_chargeDeclined"), "not_found")
    assert b.default_of(customer) == first
    assert (await b.call("cora", "GET", f"/v1/companies/{acme}/billing-profile")).json()["data"][
        "payment_method_id"] == first
    # Choosing the first card again after another is set again in Stripe (not replayed from a stale key).
    second = await asyncio.to_thread(b.stripe.attach_payment_method, customer, "4444")
    assert (await b.offer("cora", acme, second)).status_code == 200
    assert (await b.offer("cora", acme, first)).status_code == 200
    assert b.default_of(customer) == first


def test_a_card_is_good_through_its_expiry_month() -> None:
    card = {"id": "pm_1", "customer": "cus_1", "type": "card", "card": {"exp_month": 3, "exp_year": 2027}}
    assert payment_method_problem(card, "cus_1", date(2027, 3, 31)) is None
    assert payment_method_problem(card, "cus_1", date(2027, 4, 1))[0] == "expired"
    assert payment_method_problem(card, "cus_2", date(2027, 3, 1))[0] == "customer_mismatch"
    assert payment_method_problem(card | {"customer": None}, "cus_1", date(2027, 3, 1))[0] == "customer_mismatch"
    assert payment_method_problem({**card, "card": {"exp_month": None, "exp_year": 2027}}, "cus_1",
                                  date(2026, 1, 1))[0] == "expired"
