"""The fake Stripe, driven through the real `stripe` SDK on both its sync (requests) and async (httpx) paths."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from tests.fakes import stripe as fake_stripe
from tests.fakes.stripe import FakeStripe, decode_form

stripe_fake = fake_stripe.stripe_fake

# The SDK's own use of httpx (`data=` with raw bytes) warns on every async call.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


class Api:
    """Calls `client.v1.<service>.<method>` either synchronously or as `<method>_async`, so one test covers both."""

    def __init__(self, client: stripe.StripeClient, is_async: bool) -> None:
        self.client = client
        self.is_async = is_async

    async def __call__(self, service: str, method: str, *args: Any) -> Any:
        target: Any = self.client.v1
        for part in service.split("."):
            target = getattr(target, part)
        if self.is_async:
            return await getattr(target, f"{method}_async")(*args)
        return getattr(target, method)(*args)


@pytest.fixture(params=["sync", "async"])
async def api(request: pytest.FixtureRequest, stripe_fake: FakeStripe) -> AsyncIterator[Api]:
    if request.param == "sync":
        yield Api(stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_fake.url}, max_network_retries=0),
                  is_async=False)
        return
    http_client = stripe.HTTPXClient()
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_fake.url}, http_client=http_client,
                                 max_network_retries=0)
    yield Api(client, is_async=True)
    await http_client.close_async()


class Receiver:
    """A webhook endpoint: records each delivery; verifies signatures with the SDK when given the secret."""

    def __init__(self, secret: str | None = None, delay: float = 0.0) -> None:
        self.secret = secret
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(delay)
                receiver.received.append((dict(self.headers), body))
                status = 200
                if receiver.secret is not None:
                    try:
                        stripe.Webhook.construct_event(body.decode(), self.headers["Stripe-Signature"],
                                                       receiver.secret)
                    except stripe.SignatureVerificationError:
                        status = 400
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def types(self) -> list[str]:
        return [json.loads(body)["type"] for _, body in self.received]

    def close(self) -> None:
        if not self.thread.is_alive():
            return
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_decode_form_nests_dicts_and_lists() -> None:
    assert decode_form("a=1&metadata[transaction_id]=t&metadata[0]=z&items[0][price]=p1&items[1][price]=p2"
                       "&expand[0]=customer&capabilities[transfers][requested]=true&empty=") == {
        "a": "1", "metadata": {"transaction_id": "t", "0": "z"},
        "items": [{"price": "p1"}, {"price": "p2"}], "expand": ["customer"],
        "capabilities": {"transfers": {"requested": "true"}}, "empty": "",
    }


async def test_customers(api: Api, stripe_fake: FakeStripe) -> None:
    cus = await api("customers", "create", {"email": "a@example.com", "name": "Ada",
                                             "metadata": {"transaction_id": "t1"}})
    assert cus.id.startswith("cus_") and cus.object == "customer" and cus.livemode is False
    assert cus.metadata.to_dict() == {"transaction_id": "t1"}
    assert (await api("customers", "retrieve", cus.id)).email == "a@example.com"

    with pytest.raises(stripe.InvalidRequestError) as missing_pm:
        await api("customers", "update", cus.id, {"invoice_settings": {"default_payment_method": "pm_nope"}})
    assert missing_pm.value.code == "resource_missing"
    pm_id = stripe_fake.attach_payment_method(cus.id, card_last4="4444")
    updated = await api("customers", "update", cus.id, {"name": "Ada L.", "metadata": {"k": "v"},
                                                         "invoice_settings": {"default_payment_method": pm_id}})
    assert updated.invoice_settings.default_payment_method == pm_id
    assert updated.metadata.to_dict() == {"transaction_id": "t1", "k": "v"}

    deleted = await api("customers", "delete", cus.id)
    assert deleted.deleted is True and deleted.id == cus.id
    assert (await api("customers", "retrieve", cus.id)).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        await api("customers", "retrieve", "cus_unknown")
    assert unknown.value.http_status == 404 and unknown.value.code == "resource_missing"


async def test_setup_intents_and_payment_methods(api: Api, stripe_fake: FakeStripe) -> None:
    cus = await api("customers", "create", {"email": "b@example.com"})
    seti = await api("setup_intents", "create", {"customer": cus.id, "usage": "off_session",
                                                 "payment_method_types": ["card"], "metadata": {"m": "1"}})
    assert seti.id.startswith("seti_") and seti.client_secret.startswith(f"{seti.id}_secret_")
    assert seti.status == "requires_payment_method"
    assert (await api("setup_intents", "retrieve", seti.id)).customer == cus.id

    pm_id = stripe_fake.complete_setup_intent(seti.id)
    assert (await api("setup_intents", "retrieve", seti.id)).payment_method == pm_id
    pm = await api("payment_methods", "retrieve", pm_id)
    assert (pm.object, pm.type, pm.customer, pm.card.last4, pm.card.brand) == (
        "payment_method", "card", cus.id, "4242", "visa")

    other = stripe_fake.attach_payment_method(cus.id, set_default=True)
    assert (await api("customers", "retrieve", cus.id)).invoice_settings.default_payment_method == other
    assert (await api("payment_methods", "detach", other)).customer is None
    assert (await api("customers", "retrieve", cus.id)).invoice_settings.default_payment_method is None
    with pytest.raises(stripe.InvalidRequestError):
        await api("payment_methods", "detach", other)


async def test_subscriptions(api: Api, stripe_fake: FakeStripe) -> None:
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        await api("subscriptions", "create", {"customer": "cus_nope", "items": [{"price": "price_a"}]})
    assert unknown.value.http_status == 404 and unknown.value.param == "customer"
    cus = await api("customers", "create", {"email": "c@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as no_items:
        await api("subscriptions", "create", {"customer": cus.id})
    assert no_items.value.code == "parameter_missing"

    assert (await api("subscriptions", "create", {"customer": cus.id, "items": [{"price": "price_a"}]})
            ).status == "incomplete"
    pm_id = stripe_fake.attach_payment_method(cus.id)
    sub = await api("subscriptions", "create", {
        "customer": cus.id, "items": [{"price": "price_a"}], "default_payment_method": pm_id,
        "payment_behavior": "allow_incomplete", "metadata": {"company_id": "co1"}})
    assert sub.id.startswith("sub_") and sub.status == "active" and sub.cancel_at_period_end is False
    assert sub.current_period_end - sub.current_period_start == 30 * 86_400
    item = sub["items"].data[0]
    assert item.id.startswith("si_") and item.price.id == "price_a"
    assert item.current_period_end == sub.current_period_end

    changed = await api("subscriptions", "update", sub.id, {
        "items": [{"id": item.id, "price": "price_b"}], "proration_behavior": "create_prorations"})
    assert [i.price.id for i in changed["items"].data] == ["price_b"]
    with pytest.raises(stripe.InvalidRequestError):
        await api("subscriptions", "update", sub.id, {"metadata": {"company_id": "co2"},
                                                      "items": [{"id": item.id, "deleted": True}]})
    assert stripe_fake.get(sub.id)["metadata"] == {"company_id": "co1"}  # a refused call changes nothing
    ending = await api("subscriptions", "update", sub.id, {"cancel_at_period_end": True})
    assert ending.cancel_at_period_end is True and ending.cancel_at == sub.current_period_end

    canceled = await api("subscriptions", "cancel", sub.id)
    assert canceled.status == "canceled" and canceled.canceled_at is not None
    assert (await api("subscriptions", "retrieve", sub.id)).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        await api("subscriptions", "update", sub.id, {"cancel_at_period_end": False})


async def test_invoice_lifecycle(api: Api, stripe_fake: FakeStripe) -> None:
    cus = await api("customers", "create", {"email": "d@example.com"})
    pending = await api("invoice_items", "create", {"customer": cus.id, "amount": 1500, "currency": "usd",
                                                    "description": "Placement fee", "metadata": {"p": "1"}})
    assert pending.id.startswith("ii_") and pending.invoice is None

    excluded = await api("invoices", "create", {"customer": cus.id, "collection_method": "send_invoice",
                                                "days_until_due": 30})
    assert excluded.status == "draft" and excluded.lines.data == [] and excluded.amount_due == 0
    own = await api("invoice_items", "create", {"customer": cus.id, "amount": 700, "currency": "usd",
                                                "invoice": excluded.id})
    assert own.invoice == excluded.id
    assert (await api("invoices", "retrieve", excluded.id)).amount_due == 700

    inv = await api("invoices", "create", {
        "customer": cus.id, "collection_method": "send_invoice", "days_until_due": 14, "auto_advance": False,
        "pending_invoice_items_behavior": "include", "description": "Fees", "metadata": {"placement": "pl1"}})
    assert [line.amount for line in inv.lines.data] == [1500]
    assert (inv.amount_due, inv.amount_paid, inv.amount_remaining) == (1500, 0, 1500)
    with pytest.raises(stripe.InvalidRequestError):
        await api("invoices", "send_invoice", inv.id)

    opened = await api("invoices", "finalize_invoice", inv.id)
    assert opened.status == "open" and opened.number.startswith("FAKE-")
    assert opened.hosted_invoice_url and opened.invoice_pdf
    assert opened.due_date == opened.created + 14 * 86_400 and opened.status_transitions.finalized_at
    with pytest.raises(stripe.InvalidRequestError):
        await api("invoices", "finalize_invoice", inv.id)
    with pytest.raises(stripe.InvalidRequestError):
        await api("invoice_items", "create", {"customer": cus.id, "amount": 1, "currency": "usd", "invoice": inv.id})
    assert (await api("invoices", "send_invoice", inv.id)).status == "open"

    with pytest.raises(stripe.InvalidRequestError):
        await api("invoices", "pay", inv.id)
    stripe_fake.attach_payment_method(cus.id, set_default=True)
    stripe_fake.decline_payments = True
    with pytest.raises(stripe.CardError) as declined:
        await api("invoices", "pay", inv.id)
    assert declined.value.http_status == 402 and declined.value.code == "card_declined"
    stripe_fake.decline_payments = False
    paid = await api("invoices", "pay", inv.id)
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 1500, 0)
    assert paid.status_transitions.paid_at is not None
    for refused in ("void_invoice", "mark_uncollectible", "pay"):
        with pytest.raises(stripe.InvalidRequestError):
            await api("invoices", refused, inv.id)

    auto = await api("invoices", "create", {"customer": cus.id, "collection_method": "charge_automatically"})
    with pytest.raises(stripe.InvalidRequestError) as refused_days:
        await api("invoices", "create", {"customer": cus.id, "days_until_due": 3})
    assert refused_days.value.param == "days_until_due"
    with pytest.raises(stripe.InvalidRequestError) as missing_days:
        await api("invoices", "create", {"customer": cus.id, "collection_method": "send_invoice"})
    assert missing_days.value.param == "days_until_due"
    with pytest.raises(stripe.InvalidRequestError):
        await api("invoices", "void_invoice", auto.id)
    await api("invoice_items", "create", {"customer": cus.id, "amount": 900, "currency": "usd", "invoice": auto.id})
    assert (await api("invoices", "finalize_invoice", auto.id)).due_date is None
    assert (await api("invoices", "mark_uncollectible", auto.id)).status == "uncollectible"
    voided = await api("invoices", "void_invoice", auto.id)
    assert voided.status == "void" and voided.status_transitions.voided_at is not None


async def test_connect_accounts_and_transfers(api: Api, stripe_fake: FakeStripe) -> None:
    acct = await api("accounts", "create", {
        "type": "express", "country": "US", "email": "r@example.com", "business_type": "individual",
        "capabilities": {"transfers": {"requested": True}}, "metadata": {"recruiter_id": "r1"}})
    assert acct.id.startswith("acct_")
    assert (acct.charges_enabled, acct.payouts_enabled, acct.details_submitted) == (False, False, False)
    link = await api("account_links", "create", {"account": acct.id, "refresh_url": "https://x/r",
                                                 "return_url": "https://x/ok", "type": "account_onboarding"})
    assert link.object == "account_link" and link.url.startswith(f"{stripe_fake.url}/connect/onboarding/{acct.id}?")
    assert link.expires_at > time.time()

    params = {"amount": 50_000, "currency": "usd", "destination": acct.id, "metadata": {"payout": "po1"},
              "transfer_group": "pl1", "description": "Split"}
    with pytest.raises(stripe.InvalidRequestError) as not_onboarded:
        await api("transfers", "create", params)
    assert not_onboarded.value.code == "insufficient_capabilities_for_transfer"
    stripe_fake.complete_onboarding(acct.id)
    onboarded = await api("accounts", "retrieve", acct.id)
    assert (onboarded.charges_enabled, onboarded.payouts_enabled, onboarded.details_submitted) == (True, True, True)

    with pytest.raises(stripe.InvalidRequestError) as zero:
        await api("transfers", "create", params | {"amount": 0})
    assert zero.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as nowhere:
        await api("transfers", "create", params | {"destination": "acct_nope"})
    assert nowhere.value.http_status == 404 and nowhere.value.param == "destination"

    tr = await api("transfers", "create", params)
    assert tr.id.startswith("tr_") and (tr.reversed, tr.amount_reversed, tr.destination) == (False, 0, acct.id)
    assert (await api("transfers", "retrieve", tr.id)).metadata.to_dict() == {"payout": "po1"}
    partial = await api("transfers.reversals", "create", tr.id, {"amount": 20_000})
    assert partial.object == "transfer_reversal" and partial.amount == 20_000
    with pytest.raises(stripe.InvalidRequestError):
        await api("transfers.reversals", "create", tr.id, {"amount": 40_000})
    assert (await api("transfers.reversals", "create", tr.id)).amount == 30_000
    done = await api("transfers", "retrieve", tr.id)
    assert (done.reversed, done.amount_reversed, done.reversals.total_count) == (True, 50_000, 2)


async def test_idempotent_replay_and_mismatch(api: Api, stripe_fake: FakeStripe) -> None:
    first = await api("customers", "create", {"email": "e@example.com"}, {"idempotency_key": "signup-u1"})
    again = await api("customers", "create", {"email": "e@example.com"}, {"idempotency_key": "signup-u1"})
    assert again.id == first.id and len(stripe_fake.objects("customer")) == 1
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    with pytest.raises(stripe.IdempotencyError):
        await api("customers", "create", {"email": "other@example.com"}, {"idempotency_key": "signup-u1"})
    with pytest.raises(stripe.IdempotencyError):
        await api("setup_intents", "create", {"customer": first.id}, {"idempotency_key": "signup-u1"})
    assert [c.idempotency_key for c in stripe_fake.requests][:2] == ["signup-u1", "signup-u1"]

    # A validation error is not stored: the same key works once the request is right.
    with pytest.raises(stripe.InvalidRequestError):
        await api("invoice_items", "create", {"customer": first.id, "amount": "x"}, {"idempotency_key": "fee-1"})
    with pytest.raises(stripe.InvalidRequestError):
        await api("invoice_items", "create", {"customer": first.id, "amount": 5}, {"idempotency_key": "fee-1"})
    item = await api("invoice_items", "create", {"customer": first.id, "amount": 5, "currency": "usd"},
                     {"idempotency_key": "fee-1"})
    assert item.amount == 5


async def test_fail_next_answers_without_acting(api: Api, stripe_fake: FakeStripe) -> None:
    stripe_fake.fail_next("POST", "/v1/customers", times=2)
    for _ in range(2):
        with pytest.raises(stripe.APIError):
            await api("customers", "create", {"email": "f@example.com"}, {"idempotency_key": "k"})
    assert stripe_fake.objects("customer") == []
    stripe_fake.fail_next("post", "/v1/customers", status=429, error_type="rate_limit_error")
    with pytest.raises(stripe.RateLimitError):
        await api("customers", "create", {"email": "f@example.com"}, {"idempotency_key": "k"})
    stripe_fake.fail_next("POST", "/v1/customers", status=400, error_type="invalid_request_error",
                          code="balance_insufficient", message="Insufficient funds")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await api("customers", "create", {"email": "f@example.com"}, {"idempotency_key": "k"})
    assert refused.value.code == "balance_insufficient"
    cus = await api("customers", "create", {"email": "f@example.com"}, {"idempotency_key": "k"})
    assert [c["id"] for c in stripe_fake.objects("customer")] == [cus.id]
    assert [c.status for c in stripe_fake.requests] == [500, 500, 429, 400, 200]


async def test_drop_after_acting_then_retry_with_the_same_key(api: Api, stripe_fake: FakeStripe) -> None:
    acct = await api("accounts", "create", {"type": "express"})
    stripe_fake.complete_onboarding(acct.id)
    params = {"amount": 1234, "currency": "usd", "destination": acct.id, "metadata": {"payout": "po9"}}
    stripe_fake.drop_after_acting("POST", "/v1/transfers")
    with pytest.raises(stripe.APIConnectionError):
        await api("transfers", "create", params, {"idempotency_key": "payout-po9"})
    [stored] = stripe_fake.objects("transfer")
    retried = await api("transfers", "create", params, {"idempotency_key": "payout-po9"})
    assert retried.id == stored["id"] and retried.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_fake.objects("transfer")) == 1


async def test_unknown_parameters_authentication_and_expand(api: Api, stripe_fake: FakeStripe) -> None:
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        await api("customers", "create", {"emial": "typo@example.com"})
    assert unknown.value.code == "parameter_unknown" and unknown.value.param == "emial"
    cus = await api("customers", "create", {"email": "g@example.com"})
    stripe_fake.attach_payment_method(cus.id, set_default=True)
    sub = await api("subscriptions", "create", {"customer": cus.id, "items": [{"price": "price_a"}],
                                                "expand": ["customer", "customer.invoice_settings"]})
    assert sub.customer.email == "g@example.com"
    with pytest.raises(stripe.InvalidRequestError):
        await api("subscriptions", "retrieve", sub.id, {"expand": ["nonsense"]})
    publishable = stripe.StripeClient("pk_test_x", base_addresses={"api": stripe_fake.url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError):
        publishable.v1.customers.retrieve(cus.id)


def test_signature_is_what_the_sdk_verifies(stripe_fake: FakeStripe) -> None:
    secret = stripe_fake.set_webhook_target("http://127.0.0.1:9/unused")
    event = stripe_fake.event("transfer.created", {"id": "tr_1", "object": "transfer"}, account="acct_1")
    assert event["id"].startswith("evt_") and event["account"] == "acct_1" and event["data"]["object"]["id"] == "tr_1"
    payload = json.dumps(event)
    header = stripe_fake.sign(payload.encode())
    assert header == stripe.WebhookSignature.generate_signature_header(payload, secret,
                                                                       timestamp=int(header[2:header.index(",")]))
    verified = stripe.Webhook.construct_event(payload, header, secret)
    assert verified.type == "transfer.created" and verified.data.object.id == "tr_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace("tr_1", "tr_2"), header, secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stripe_fake.sign(payload, timestamp=int(time.time()) - 3600), secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stripe_fake.sign(payload, secret="whsec_other"), secret)


async def test_api_calls_send_webhooks_in_order_after_answering(stripe_fake: FakeStripe) -> None:
    slow = Receiver(delay=0.1)
    try:
        slow.secret = stripe_fake.set_webhook_target(slow.url)
        stripe_fake.auto_webhooks = True
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_fake.url}, max_network_retries=0)
        started = time.monotonic()
        cus = client.v1.customers.create({"email": "h@example.com"}, {"idempotency_key": "cus-h"})
        stripe_fake.attach_payment_method(cus.id, set_default=True)
        client.v1.customers.create({"email": "h@example.com"}, {"idempotency_key": "cus-h"})
        sub = client.v1.subscriptions.create({"customer": cus.id, "items": [{"price": "price_a"}]})
        client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
        inv = client.v1.invoices.create({"customer": cus.id})
        client.v1.invoice_items.create({"customer": cus.id, "amount": 100, "currency": "usd", "invoice": inv.id})
        client.v1.invoices.pay(inv.id)
        client.v1.subscriptions.cancel(sub.id)
        assert time.monotonic() - started < 0.5  # eleven events at 0.1 s each are still being delivered
        stripe_fake.wait_webhooks_sent(timeout=5)
    finally:
        slow.close()
    assert slow.types == [
        "customer.created", "payment_method.attached", "customer.updated", "customer.subscription.created",
        "customer.subscription.updated", "invoice.created", "invoiceitem.created", "invoice.finalized",
        "invoice.payment_succeeded", "invoice.paid", "customer.subscription.deleted"]
    assert [d.status for d in stripe_fake.webhook_deliveries] == [200] * 11
    first = stripe_fake.webhook_deliveries[0].event
    assert first["request"]["idempotency_key"] == "cus-h" and first["data"]["object"]["id"] == cus.id
    headers, _ = slow.received[0]
    assert headers["Content-Type"].startswith("application/json")


async def test_world_changes_send_their_webhooks(stripe_fake: FakeStripe, receiver: Receiver) -> None:
    receiver.secret = stripe_fake.set_webhook_target(receiver.url)
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_fake.url}, max_network_retries=0)
    cus = client.v1.customers.create({"email": "i@example.com"})
    acct = client.v1.accounts.create({"type": "express"})
    sub = client.v1.subscriptions.create({"customer": cus.id, "items": [{"price": "price_a"}]})
    other_sub = client.v1.subscriptions.create({"customer": cus.id, "items": [{"price": "price_b"}]})
    invoices = [client.v1.invoices.create({"customer": cus.id}) for _ in range(2)]
    for inv in invoices:
        client.v1.invoice_items.create({"customer": cus.id, "amount": 100, "currency": "usd", "invoice": inv.id})
        client.v1.invoices.finalize_invoice(inv.id)
    assert stripe_fake.events() == []  # auto_webhooks is off: API calls send nothing

    stripe_fake.complete_onboarding(acct.id)
    tr = client.v1.transfers.create({"amount": 500, "currency": "usd", "destination": acct.id})
    pm_id = stripe_fake.attach_payment_method(cus.id)
    stripe_fake.pay_invoice(invoices[0].id)
    stripe_fake.fail_invoice_payment(invoices[1].id, "Insufficient funds")
    stripe_fake.reverse_transfer(tr.id)
    stripe_fake.payout(acct.id, status="failed", failure_message="Account closed")
    stripe_fake.balance_available()
    stripe_fake.set_subscription_status(sub.id, "past_due")
    stripe_fake.cancel_subscription_now(sub.id)
    stripe_fake.detach_payment_method(pm_id)
    stripe_fake.disable_account(acct.id)
    stripe_fake.delete_customer(cus.id)
    stripe_fake.wait_webhooks_sent(timeout=5)

    assert receiver.types == [
        "account.updated", "payment_method.attached", "invoice.payment_succeeded", "invoice.paid",
        "invoice.payment_failed", "transfer.reversed", "payout.failed", "balance.available",
        "customer.subscription.updated", "customer.subscription.deleted", "payment_method.detached",
        "account.updated", "customer.subscription.deleted", "customer.deleted"]
    assert {d.status for d in stripe_fake.webhook_deliveries} == {200}
    events = [json.loads(body) for _, body in receiver.received]
    assert events[0]["data"]["object"]["charges_enabled"] is True
    assert events[0]["data"]["previous_attributes"]["charges_enabled"] is False
    assert events[4]["data"]["object"]["last_payment_error"]["message"] == "Insufficient funds"
    assert events[6]["account"] == acct.id and events[6]["data"]["object"]["failure_message"] == "Account closed"
    assert "account" not in events[7]
    assert events[8]["data"]["previous_attributes"] == {"status": "incomplete"}
    assert events[12]["data"]["object"]["id"] == other_sub.id
    assert stripe_fake.get(tr.id)["reversed"] is True
    assert stripe_fake.get(cus.id) == {"id": cus.id, "object": "customer", "deleted": True}
    assert stripe_fake.get(acct.id)["payouts_enabled"] is False


def test_deliver_sends_one_event_now(stripe_fake: FakeStripe, receiver: Receiver) -> None:
    receiver.secret = stripe_fake.set_webhook_target(receiver.url)
    event = stripe_fake.event("invoice.paid", {"id": "in_1", "object": "invoice", "status": "paid"})
    assert stripe_fake.deliver(event) == (200, "ok")
    assert stripe_fake.deliver(event) == (200, "ok")
    assert stripe_fake.deliver(event, secret="whsec_forged")[0] == 400
    assert stripe_fake.deliver(event, signature="t=1,v1=deadbeef")[0] == 400
    assert [json.loads(body)["id"] for _, body in receiver.received] == [event["id"]] * 4
    assert [d.status for d in stripe_fake.webhook_deliveries] == [200, 200, 400, 400]
    receiver.close()
    assert stripe_fake.deliver(event)[0] == 0


async def test_a_connected_accounts_payouts_carry_its_balance_as_stripe_lists_it(stripe_fake: FakeStripe) -> None:
    """A transfer makes a payment on the connected account; a payout carries the unpaid balance transactions; a
    failed one gives its money back (`payout_failure`) for the next payout to carry; what a payout carried is
    listed, paginated and expanded, through the real SDK, under the account's `Stripe-Account` header only."""
    http_client = stripe.HTTPXClient()
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_fake.url}, http_client=http_client,
                                 max_network_retries=0)
    try:
        acct = await client.v1.accounts.create_async({"type": "express",
                                                      "capabilities": {"transfers": {"requested": True}}})
        stripe_fake.complete_onboarding(acct.id)
        trs = [await client.v1.transfers.create_async({"amount": 100 * n, "currency": "usd", "destination": acct.id,
                                                       "metadata": {"n": str(n)}}) for n in (1, 2, 3)]
        payment = stripe_fake.get(trs[0].destination_payment)
        assert (payment["object"], payment["source_transfer"]) == ("charge", trs[0].id)

        failed = stripe_fake.payout(acct.id, status="failed", transfers=[trs[0].id])
        paid = stripe_fake.payout(acct.id)  # the other two transfers, and the first one's money back
        assert (failed["amount"], paid["amount"]) == (100, 600)
        returned = stripe_fake.fail_payout(paid["id"])
        assert returned["status"] == "failed" and stripe_fake.events("payout.failed")[-1]["account"] == acct.id

        on_account: Any = {"stripe_account": acct.id}
        page = await client.v1.balance_transactions.list_async(
            {"payout": paid["id"], "type": "payment", "limit": 1, "expand": ["data.source.source_transfer"]},
            on_account)
        assert page.has_more and len(page.data) == 1
        carried = [bt async for bt in page.auto_paging_iter()]
        assert [bt.source.source_transfer.metadata["n"] for bt in carried] == ["3", "2"]  # newest first
        everything = await client.v1.balance_transactions.list_async({"payout": paid["id"]}, on_account)
        assert sorted((bt.type, bt.source, bt.amount) for bt in everything.data) == sorted([
            ("payout", paid["id"], -600), ("payout_failure", failed["id"], 100),
            ("payment", trs[2].destination_payment, 300), ("payment", trs[1].destination_payment, 200)])
        returned_money = await client.v1.balance_transactions.list_async({"type": "payout_failure"}, on_account)
        assert sorted(bt.source for bt in returned_money.data) == sorted([failed["id"], paid["id"]])

        for call in (client.v1.balance_transactions.list_async({"payout": paid["id"]}),
                     client.v1.payouts.retrieve_async(paid["id"])):
            with pytest.raises(stripe.InvalidRequestError, match="No such payout"):
                await call  # the platform's own view has no such payout
        assert (await client.v1.payouts.retrieve_async(paid["id"], options=on_account)).status == "failed"
    finally:
        await http_client.close_async()
