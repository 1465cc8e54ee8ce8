"""A transaction's bank outcome through the real webhook route: the transfers made by our payout reactor with the
real `stripe` SDK against the fake Stripe, the connected account's payouts made by the fake (which carry what
is on the account's balance, as Stripe's automatic payouts do), and Stripe's `transfer.*` / `payout.*` events
delivered signed to `POST /webhooks/stripe` — in order, out of order, and more than once — each applied by the
`stripe-webhooks` reactor once the route has recorded it.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from adapters.payments import PaymentsUnavailable
from consumers.runtime.reactor import ReactorContext
from tests.api import serving
from tests.integration.billing.test_stripe_webhooks import process_webhook
from tests.integration.billing.test_payouts import Money, onboard, seed_placement, start_by_hand, stripe_fake, world

__all__ = ["stripe_fake", "world"]  # the fixtures these tests use, from test_payouts

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

CLOSED = "The bank account has been closed."


@dataclass
class Bank:
    w: Money
    client: httpx.AsyncClient
    account: str
    recruiter: UUID

    async def deliver(self, event: dict[str, Any]) -> Any:
        """The event as Stripe sends it (JSON, signed now with the endpoint's secret), then applied by the reactor:
        the webhook's outcome."""
        await self.post(event)
        return await process_webhook(self.w.store, self.context(), event)

    def context(self) -> ReactorContext:
        context = self.w.runner().context
        assert context is not None
        return context

    async def post(self, event: dict[str, Any]) -> httpx.Response:
        body = json.dumps(event, indent=2).encode()
        assert self.w.settings.stripe_webhook_secret is not None
        secret = self.w.settings.stripe_webhook_secret.get_secret_value()
        answer = await self.client.post("/webhooks/stripe", content=body, headers={
            "Content-Type": "application/json", "Stripe-Signature": self.w.fake.sign(body, secret)})
        assert answer.status_code == 200, answer.text
        return answer

    async def paid_placement(self) -> tuple[UUID, UUID, str]:
        """A placement of the recruiter whose one transaction our payout reactor transferred to their account:
        (placement, transaction, transfer)."""
        p = await seed_placement(self.w, firm=False, recruiter_id=self.recruiter)
        await self.w.runner().react(await start_by_hand(self.w, p.id))
        [txn] = p.transactions
        transfer = (await self.w.state(p.id)).transactions[txn].stripe_transfer_id
        assert transfer is not None
        return p.id, txn, transfer

    async def outcome(self, placement_id: UUID, txn: UUID) -> tuple[str, str | None, str | None]:
        t = (await self.w.state(placement_id)).transactions[txn]
        return t.status, t.stripe_payout_id, t.failure_reason

    def events(self) -> list[dict[str, Any]]:
        return [e for e in self.w.fake.events() if e["type"].startswith(("transfer.", "payout."))]


@pytest.fixture
async def bank(world: Money) -> AsyncIterator[Bank]:
    world.fake.auto_webhooks = True  # the transfers' own events are made (and kept: no target, nothing sent)
    recruiter = uuid4()
    accounts = await onboard(world, [("recruiter", recruiter)])
    async with serving(world.store, world.settings) as (client, _):
        yield Bank(world, client, accounts[recruiter], recruiter)


async def test_a_failed_payout_of_the_same_account_leaves_a_settled_transaction_paid(bank: Bank) -> None:
    """Issue 15, reproduction 1: `payout.paid` for po_X settles the transaction; `payout.failed` for po_Y, another
    payout of the same Connect account, right after, fails only what po_Y carried."""
    p1, t1, _ = await bank.paid_placement()
    po_x = bank.w.fake.payout(bank.account)  # carries the first transfer
    p2, t2, _ = await bank.paid_placement()
    po_y = bank.w.fake.payout(bank.account, status="failed", failure_message=CLOSED)  # carries the second
    await bank.w.project()  # the billing read model knows both transfers, neither payout

    paid, failed = (next(e for e in bank.events() if e["data"]["object"]["id"] == po["id"]) for po in (po_x, po_y))
    assert (await bank.deliver(paid)).outcome == "processed"
    assert (await bank.deliver(failed)).outcome == "processed"

    assert await bank.outcome(p1, t1) == ("paid", po_x["id"], None)
    assert await bank.outcome(p2, t2) == ("failed", po_y["id"], CLOSED)
    await bank.w.project()
    rows = await bank.w.execute("SELECT id, status, stripe_payout_id FROM billing.payout_transactions"
                                " WHERE id = ANY(%s) ORDER BY status DESC", [t1, t2])
    assert rows == [(t1, "paid", po_x["id"]), (t2, "failed", po_y["id"])]
    # Stripe was asked what each payout carried, under the connected account.
    asked = [c.params.get("payout") for c in bank.w.fake.requests if c.path == "/v1/balance_transactions"]
    assert set(asked) == {po_x["id"], po_y["id"]}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_any_order_and_repetition_of_transfer_and_payout_events_ends_in_the_correct_states(
        bank: Bank, seed: int) -> None:
    """Four placements paid to one Connect account; its payouts: po_1 carries the first two transfers and is paid
    (then returned by the bank); po_2 carries the third and fails; po_3 carries the fourth and po_2's returned
    money, and is paid; the second transfer is reversed. Every `transfer.*` / `payout.*` event is delivered in a
    shuffled order, some twice, some re-sent by Stripe under a new event id."""
    fake = bank.w.fake
    p1, t1, _ = await bank.paid_placement()
    p2, t2, tr2 = await bank.paid_placement()
    po_1 = fake.payout(bank.account)
    p3, t3, _ = await bank.paid_placement()
    po_2 = fake.payout(bank.account, status="canceled" if seed == 3 else "failed", failure_message=CLOSED)
    p4, t4, _ = await bank.paid_placement()
    po_3 = fake.payout(bank.account)
    fake.reverse_transfer(tr2)
    fake.fail_payout(po_1["id"], failure_message=CLOSED)
    assert po_3["amount"] == sum(t["amount"] for t in fake.objects("transfer")[2:])  # po_2's money came back

    events = bank.events()
    assert sorted(e["type"] for e in events) == sorted(
        ["transfer.created"] * 4 + ["payout.paid", "payout.paid", "payout.failed", "transfer.reversed",
                                    "payout.canceled" if seed == 3 else "payout.failed"])
    rng = random.Random(seed)
    resent = [fake.event(e["type"], e["data"]["object"], e.get("account")) for e in rng.sample(events, 3)]
    deliveries = [*events, *rng.sample(events, 3), *resent]
    rng.shuffle(deliveries)
    for event in deliveries:
        await bank.deliver(event)

    assert await bank.outcome(p1, t1) == ("failed", po_1["id"], CLOSED)  # paid, then returned by the bank
    assert await bank.outcome(p2, t2) == ("reversed", po_1["id"], CLOSED)
    assert await bank.outcome(p3, t3) == ("paid", po_3["id"], None)  # carried again after po_2 failed
    assert await bank.outcome(p4, t4) == ("paid", po_3["id"], None)
    await bank.w.project()
    rows = await bank.w.execute("SELECT id, status, stripe_payout_id FROM billing.payout_transactions"
                                " WHERE id = ANY(%s)", [t1, t2, t3, t4])
    assert sorted(rows) == sorted([(t1, "failed", po_1["id"]), (t2, "reversed", po_1["id"]),
                                   (t3, "paid", po_3["id"]), (t4, "paid", po_3["id"])])


async def test_a_payout_stripe_cannot_describe_now_is_retried_and_recorded_when_stripe_answers(
        bank: Bank) -> None:
    """Which transfers the payout carried is asked of Stripe while the recorded webhook is applied: when Stripe
    cannot answer, nothing is decided and the reactor fails, so that the runtime tries it again later."""
    p1, t1, _ = await bank.paid_placement()
    po = bank.w.fake.payout(bank.account, status="failed", failure_message=CLOSED)
    [event] = [e for e in bank.events() if e["type"] == "payout.failed"]
    bank.w.fake.fail_next("GET", "/v1/balance_transactions", status=500, times=3)  # the SDK's retries too
    assert (await bank.post(event)).json()["status"] == "recorded"
    with pytest.raises(PaymentsUnavailable):
        await process_webhook(bank.w.store, bank.context(), event)
    assert await bank.outcome(p1, t1) == ("paid", None, None)
    assert [e.type for e in await bank.w.store.read_stream(f"stripewebhook-{event['id']}")] == [
        "StripeWebhookReceived"]

    assert (await process_webhook(bank.w.store, bank.context(), event)).outcome == "processed"  # the retry
    assert await bank.outcome(p1, t1) == ("failed", po["id"], CLOSED)
