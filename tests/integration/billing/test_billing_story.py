"""The money path end to end, through HTTP and the fake Stripe, with the real `stripe` SDK and a clock moved by
hand: a hire → the guarantee ends → the company is invoiced → Stripe says it is paid → 7 days later the payouts
run → transfers to each payee's Connect account (one payee onboards late) → transfer webhooks → every cent of
the fee accounted for in the billing read model and in Stripe.

The API listens on a real socket so that the fake Stripe can deliver its signed webhooks to it, in order, as
Stripe would. The hire itself is recorded as the placements process records it (the HTTP path to a hire is
the marketplace story's, `test_story.py`).
"""

from __future__ import annotations

import asyncio
import io
import secrets
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.ats import company as companies
from commands.ats import placement as placements
from commands.identity.user import user_id_for
from commands.network import firm as firms
from consumers.runtime.scheduler import Scheduler
from consumers.schedules import all_schedules
from eventstore import EventStore, handle
from adapters.audit_keys import encode_key
from adapters.clock import FixedClock
from adapters.settings import Settings
from projections.audit.bundle import public_key_hex, verify_bundle
from projections.audit.report import money_table
from tests.api import SEEDER, dev_auth, running_consumers, seed_organization, seed_user, serving_http
from tests.conftest import RABBITMQ_URL
from tests.fakes.stripe import FakeStripe
from tests.helpers import wait_until

AUDIT_KEY = Ed25519PrivateKey.generate()
SALARY_CENTS = 15_000_000  # $150,000.00
FEE_BPS = 2000  # 20% → a fee of $30,000.00


@dataclass
class World:
    client: httpx.AsyncClient
    store: EventStore
    stripe: FakeStripe
    run: str

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    def user_id(self, name: str) -> UUID:
        return user_id_for(self.clerk_id(name))

    async def call(self, who: str, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        answer = await self.client.request(method, path, headers=dev_auth(self.clerk_id(who)), **kwargs)
        assert answer.status_code == expect, f"{who} {method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    async def eventually(self, who: str, path: str, check: Any, timeout: float = 30) -> Any:
        seen: list[Any] = []

        async def holds() -> bool:
            answer = await self.client.get(path, headers=dev_auth(self.clerk_id(who)))
            seen.append(answer)
            return answer.status_code == 200 and bool(check(answer.json()))

        try:
            await wait_until(holds, timeout=timeout)
        except AssertionError:
            last = seen[-1] if seen else None
            raise AssertionError(f"{who} GET {path} never satisfied the check; last: "
                                 f"{last.status_code if last else None} {last.text[:800] if last else ''}") from None
        return seen[-1].json()

    async def webhooks_delivered(self) -> None:
        await asyncio.to_thread(self.stripe.wait_webhooks_sent, 20)

    async def recruiter(self, name: str) -> UUID:
        await seed_user(self.store, self.clerk_id(name))
        await self.eventually(name, "/v1/users/me", lambda b: True)  # the identity projection has them
        created = await self.call(name, "POST", "/v1/recruiters", 201, json={})
        await self.eventually(name, "/v1/users/me", lambda b: "recruiter" in b["data"]["roles"])
        return UUID(created["id"])

    async def subscribe(self, name: str, tier: str) -> dict[str, Any]:
        """Through Stripe, as the portal does it: a setup intent, the card confirmed, then the subscription."""
        intent = await self.call(name, "POST", "/v1/subscriptions/setup-intent")
        card = await asyncio.to_thread(self.stripe.complete_setup_intent, intent["data"]["setup_intent_id"])
        return (await self.call(name, "POST", "/v1/subscriptions", 201,
                                json={"tier": tier, "payment_method_id": card}))["data"]

    async def connect(self, name: str, path: str = "/v1/connect") -> str:
        """The payee's Connect account, onboarded in Stripe; Stripe's `account.updated` tells us so."""
        account = (await self.call(name, "POST", f"{path}/account", 201))["data"]
        link = await self.call(name, "POST", f"{path}/onboarding-link")
        assert link["url"].startswith(self.stripe.url)
        await asyncio.to_thread(self.stripe.complete_onboarding, account["stripe_account_id"])
        await self.eventually(name, f"{path}/account", lambda b: b["data"]["onboarded"])
        return account["stripe_account_id"]


@pytest.fixture
async def world(fresh_store: EventStore, topology) -> AsyncIterator[World]:
    stripe = FakeStripe(auto_webhooks=True).start()
    secret = "whsec_" + secrets.token_hex(16)
    settings = Settings(
        database_url=fresh_store.pool.conninfo, rabbitmq_url=RABBITMQ_URL, rabbitmq_prefix=topology.prefix,
        splits_dev_auth=True, consistency_wait_s=15, rate_limit_per_user=100_000, rate_limit_per_ip=100_000,
        stripe_secret_key="sk_test_story", stripe_api_base=stripe.url, stripe_webhook_secret=secret,
        audit_signing_key=encode_key(AUDIT_KEY),
    )
    try:
        async with serving_http(fresh_store, settings) as (base_url, client, system), running_consumers(system):
            stripe.set_webhook_target(f"{base_url}/webhooks/stripe", secret)
            yield World(client, fresh_store, stripe, secrets.token_hex(4))
    finally:
        stripe.stop()


@pytest.mark.slow
async def test_a_placement_fee_from_hire_to_the_last_transfer(world: World) -> None:
    w, store, now = world, world.store, datetime.now(UTC)

    # The people: a platform admin; the company's admin; Rex (Partner) represents the candidate; Sam (Starter)
    # works for the company and belongs to Olga's firm, which takes 10% of its members' splits.
    await seed_user(store, w.clerk_id("root"), roles=[("platform_admin", None)])
    await w.eventually("root", "/v1/users/me", lambda b: "platform_admin" in b["data"]["roles"])
    rex = await w.recruiter("rex")
    sam = await w.recruiter("sam")
    await w.recruiter("olga")
    assert (await w.subscribe("rex", "partner"))["effective_tier"] == "partner"
    await w.subscribe("olga", "partner")
    assert (await w.call("olga", "GET", "/v1/entitlements/me"))["entitlements"]["firm_creation"] is True
    assert (await w.call("sam", "GET", "/v1/entitlements/me"))["tier"] == "starter"
    firm = await w.call("olga", "POST", "/v1/firms", 201,
                        json={"name": "Northwind", "slug": f"northwind-{w.run}", "admin_take_rate": 10})
    firm_id, invitation = UUID(firm["id"]), uuid4()
    await handle(store, firms.firm, firm_id, firms.InviteToFirm(
        firm_id=firm_id, invitation_id=invitation, email=f"{w.clerk_id('sam')}@example.com",
        by_user_id=w.user_id("olga"), by="olga", at=now), SEEDER)
    await handle(store, firms.firm, firm_id, firms.AcceptFirmInvitation(
        firm_id=firm_id, invitation_id=invitation, user_id=w.user_id("sam"),
        user_email=f"{w.clerk_id('sam')}@example.com", by="sam", at=now), SEEDER)

    company_id = uuid4()
    await seed_user(store, w.clerk_id("cora"))
    org_id = await seed_organization(store, company_id, [(w.clerk_id("cora"), "company_admin", False)])
    await handle(store, companies.company, company_id, companies.CreateCompany(
        company_id=company_id, identity_organization_id=org_id, name="Acme", slug=f"acme-{w.run}", by="cora",
        at=now), SEEDER)

    await w.eventually("cora", "/v1/users/me", lambda b: "company_admin" in b["data"]["roles"])

    # The company's billing profile: a Stripe customer, a card through a setup intent; net 30 terms.
    profile = await w.call("cora", "PUT", f"/v1/companies/{company_id}/billing-profile",
                           json={"billing_email": "ap@acme.example", "billing_terms": "net_30"})
    assert profile["data"]["stripe_customer_id"].startswith("cus_")
    assert profile["data"]["missing"] == ["payment_method"]
    intent = await w.call("cora", "POST", f"/v1/companies/{company_id}/billing-profile/setup-intent")
    card = await asyncio.to_thread(w.stripe.complete_setup_intent, intent["data"]["setup_intent_id"])
    await w.call("cora", "PUT", f"/v1/companies/{company_id}/billing-profile/payment-method",
                 json={"payment_method_id": card})
    assert (await w.call("cora", "GET", f"/v1/companies/{company_id}/billing-readiness"))["data"] == {
        "ready": True, "missing": []}

    # The hire: Rex closed the candidate, Sam facilitated for the company; nobody owns the job or sourced.
    placement_id, start = uuid4(), date.today()
    await handle(store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), candidate_id=uuid4(),
        company_id=company_id, salary_cents=SALARY_CENTS, fee_bps=FEE_BPS, guarantee_days=30, hired_at=now,
        start_date=start, candidate_recruiter_id=rex, company_recruiter_id=sam, by="reactor:placements",
        at=now), SEEDER)
    money_path = f"/v1/placements/{placement_id}/money"
    money = (await w.eventually("root", money_path, lambda b: b["data"]["transactions"]))["data"]
    fee = 3_000_000
    assert {(s["role"], s["tier"], s["rate_bps"], s["amount_cents"], s["firm_take_cents"], s["net_cents"])
            for s in money["splits"]} == {
        ("candidate_recruiter", "partner", 4000, 1_200_000, 0, 1_200_000),
        ("company_recruiter", "starter", 1000, 300_000, 30_000, 270_000),
    }
    assert money["totals"] | {} == {"fee_cents": fee, "splits_cents": 1_500_000, "platform_remainder_cents": 1_500_000,
                                    "paid_out_cents": 0, "pending_cents": 1_500_000, "on_hold_cents": 0}
    # Each party sees its own part; someone with none sees nothing.
    rex_view = (await w.call("rex", "GET", money_path))["data"]
    assert [(t["payee_id"], t["amount_cents"]) for t in rex_view["transactions"]] == [(str(rex), 1_200_000)]
    await w.recruiter("stranger")
    await w.call("stranger", "GET", money_path, 404)

    # Rex and the firm onboard to Connect now; Sam only later.
    rex_account = await w.connect("rex")
    firm_account = await w.connect("olga", f"/v1/firms/{firm_id}/connect")

    # The guarantee runs out (clock moved past start + 30 days): the placement completes and is invoiced.
    clock = FixedClock(datetime.combine(start + timedelta(days=31), datetime.min.time(), tzinfo=UTC))
    scheduler = Scheduler(store.pool, store, all_schedules(), clock=clock)

    async def tick(at: datetime) -> None:
        clock.at = at
        await scheduler.run_once()

    await tick(clock.at)
    invoice = (await w.eventually("cora", money_path, lambda b: (b["data"]["invoice"] or {}).get("number")))["data"][
        "invoice"]
    assert (invoice["status"], invoice["collection_method"], invoice["billing_terms"]) == (
        "open", "send_invoice", "net_30")
    assert (invoice["fee_cents"], invoice["processing_fee_cents"], invoice["amount_due_cents"]) == (
        fee, 90_000, 3_090_000)
    stripe_invoice = w.stripe.get(invoice["stripe_invoice_id"])
    assert [line["amount"] for line in stripe_invoice["lines"]["data"]] == [fee, 90_000]

    # The company pays: Stripe's webhooks mark it paid; the payouts wait 7 days.
    await asyncio.to_thread(w.stripe.pay_invoice, invoice["stripe_invoice_id"])
    paid = (await w.eventually("root", money_path, lambda b: b["data"]["invoice"]["status"] == "paid"
                               and b["data"]["schedules"]))["data"]
    assert paid["invoice"]["amount_paid_cents"] == 3_090_000
    collectible_at = datetime.fromisoformat(paid["invoice"]["collectible_at"])
    assert [s["status"] for s in paid["schedules"]] == ["scheduled"]
    await tick(collectible_at - timedelta(days=1))
    await w.webhooks_delivered()
    assert w.stripe.objects("transfer") == []

    # Seven days on, the payouts run: Rex and the firm are paid; Sam has no Connect account yet.
    await tick(collectible_at + timedelta(hours=1))
    await w.eventually("root", money_path, lambda b: sorted(t["status"] for t in b["data"]["transactions"]) == [
        "paid", "paid", "pending"] and any(t["connect_required"] for t in b["data"]["transactions"]))
    sam_account = await w.connect("sam")  # onboarding releases what waited for it

    final = (await w.eventually("root", money_path, lambda b: all(
        t["status"] == "paid" for t in b["data"]["transactions"])))["data"]
    await w.webhooks_delivered()
    transfers = {t["id"]: t for t in w.stripe.objects("transfer")}
    destinations = {str(rex): rex_account, str(sam): sam_account, str(firm_id): firm_account}
    assert len(transfers) == 3
    for t in final["transactions"]:
        transfer = transfers[t["stripe_transfer_id"]]
        assert (transfer["amount"], transfer["destination"], transfer["metadata"]["transaction_id"]) == (
            t["amount_cents"], destinations[t["payee_id"]], t["id"])
    # Every cent: fee = splits + platform remainder; what Stripe transferred = the splits; invoice = fee + 3%.
    totals = final["totals"]
    assert totals["fee_cents"] == totals["splits_cents"] + totals["platform_remainder_cents"] == fee
    assert totals["paid_out_cents"] == sum(t["amount"] for t in transfers.values()) == totals["splits_cents"]
    assert totals["pending_cents"] == 0
    assert final["invoice"]["amount_paid_cents"] == fee + 90_000
    assert [s["status"] for s in final["schedules"]] == ["processed"]
    # Stripe's transfer webhooks came back and were taken as confirmations (by the `stripe-webhooks` reactor, once
    # recorded), changing nothing.
    await w.eventually("root", "/v1/stripe/webhook-events?event_type=transfer.created", lambda b: (
        {e["status"] for e in b["data"]} == {"processed"} and b["pagination"]["total"] == 3))

    # The dispute-ready record: the audit bundle verifies, and its money table is the read model's, to the cent.
    bundle = await w.client.get(f"/v1/audit/placements/{placement_id}/export", headers=dev_auth(w.clerk_id("cora")))
    assert bundle.status_code == 200, bundle.text
    verdict = verify_bundle(bundle.content, public_key_hex(AUDIT_KEY.public_key()))
    assert verdict.intact, verdict.problems
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as zf:
        lines = [orjson.loads(line) for line in zf.read("events.jsonl").splitlines()]
    table = money_table(lines)
    assert table.reconciles, table.checks
    assert (table.fee_cents, table.splits_cents, table.platform_remainder_cents, table.paid_out_cents) == (
        totals["fee_cents"], totals["splits_cents"], totals["platform_remainder_cents"], totals["paid_out_cents"])
    assert table.invoice is not None and table.invoice.amount_paid_cents == final["invoice"]["amount_paid_cents"]
    assert {t.stripe_transfer_id for t in table.transactions} == set(transfers)
    assert any(line["type"] == "StripeWebhookReceived" for line in lines)  # what Stripe said is in the trail
