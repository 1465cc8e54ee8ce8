"""Money movement through Stripe: the few calls billing makes, each with a caller-chosen idempotency key.

`payments_for(settings)` gives the Stripe-backed `StripePayments` when `STRIPE_SECRET_KEY` is set (pointed
at `STRIPE_API_BASE` when that is set, as the tests do with their fake Stripe), and otherwise, or when
`SPLITS_PAYMENTS=simulated` asks for it (the only way production starts without Stripe: adapters/startup.py),
`SimulatedPayments`: nothing leaves the machine, every id it hands out starts with `sim_`, so a simulated
customer, invoice or transfer is labelled as such wherever it is recorded (DESIGN §6, `splits dev`).

Every mutating call takes `key`: the same key means the same effect (Stripe's `Idempotency-Key`), which is
what makes a retried reactor or a replayed request safe. Failures Stripe decided (a refused card, a bad
request) raise `PaymentRefused`; failures of the wire (timeouts, 5xx, rate limits) raise
`PaymentsUnavailable`, after which the same call with the same key may be tried again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, Literal, Protocol

import stripe
import structlog

from adapters.clock import SYSTEM_CLOCK, Clock
from adapters.settings import Settings
from adapters.startup import payments_simulated
from adapters.tracing import traced

log = structlog.get_logger(__name__)

CollectionMethod = Literal["charge_automatically", "send_invoice"]


class PaymentRefused(Exception):
    """Stripe answered and said no: retrying the same request cannot help."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class PaymentsUnavailable(Exception):
    """Stripe could not be reached or failed on its side: the same call may be retried with the same key."""


class PaymentMethodUnusable(Exception):
    """The payment method offered for a billing profile is not one we may charge: Stripe does not know it, it
    belongs to another customer (or to none), it is no card, or the card has expired. `reason` is stable."""

    def __init__(self, payment_method: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.payment_method = payment_method
        self.reason = reason


def payment_method_problem(pm: dict[str, Any], customer: str, today: date) -> tuple[str, str] | None:
    """Why Stripe's payment method `pm` cannot be `customer`'s default on `today` (reason, message), or None.

    Only the customer's own cards count: a payment method id is no secret (it shows in the portal and in
    webhooks), so one that belongs to someone else, or to nobody yet, must not make a profile ready. A card
    is good through the last day of its expiry month."""
    if pm.get("customer") != customer:
        return "customer_mismatch", f"payment method {pm.get('id')} is not attached to this billing profile's customer"
    if pm.get("type") != "card" or not isinstance(pm.get("card"), dict):
        return "not_a_card", f"payment method {pm.get('id')} is a {pm.get('type')}, not a card"
    card = pm["card"]
    year, month = card.get("exp_year"), card.get("exp_month")
    if not isinstance(year, int) or not isinstance(month, int) or (year, month) < (today.year, today.month):
        return "expired", f"the card {pm.get('id')} expired ({month}/{year})"
    return None


@dataclass(frozen=True)
class SubscriptionView:
    id: str
    item_id: str | None
    price_id: str | None
    status: str
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at: datetime | None


@dataclass(frozen=True)
class InvoiceView:
    id: str
    status: str
    number: str | None
    amount_due_cents: int
    hosted_invoice_url: str | None
    invoice_pdf_url: str | None
    due_date: date | None


@dataclass(frozen=True)
class InvoiceLine:
    amount_cents: int
    description: str


@dataclass(frozen=True)
class CarriedTransfer:
    """A transfer to a connected account that one of the account's payouts carried to its bank.

    `supersedes`: when the money came back from earlier payouts that failed or were canceled and this payout
    carried it again, those payouts, newest first (empty when this payout was the first to carry it)."""

    transfer_id: str
    destination: str
    amount_cents: int
    metadata: dict[str, str]
    supersedes: tuple[str, ...] = ()


class Payments(Protocol):
    simulated: bool

    async def create_customer(self, *, email: str, name: str | None, metadata: dict[str, str], key: str) -> str: ...

    async def create_setup_intent(self, *, customer: str, key: str) -> tuple[str, str]: ...

    async def create_subscription(self, *, customer: str, price: str, payment_method: str | None,
                                  metadata: dict[str, str], key: str) -> SubscriptionView: ...

    async def change_subscription_price(self, *, subscription: str, item: str, price: str,
                                        key: str) -> SubscriptionView: ...

    async def cancel_subscription_at_period_end(self, *, subscription: str, key: str) -> SubscriptionView: ...

    async def invoice(self, *, customer: str, lines: list[InvoiceLine], collection_method: CollectionMethod,
                      days_until_due: int | None, payment_method: str | None, metadata: dict[str, str],
                      key: str) -> InvoiceView: ...

    async def invoice_status(self, stripe_invoice_id: str) -> str: ...

    async def transfer(self, *, amount_cents: int, destination: str, metadata: dict[str, str],
                       transfer_group: str, key: str) -> str: ...

    async def create_account(self, *, email: str | None, metadata: dict[str, str], key: str) -> str: ...

    async def onboarding_link(self, *, account: str, refresh_url: str, return_url: str) -> str: ...

    async def make_default_payment_method(self, *, customer: str, payment_method: str, today: date,
                                          key: str) -> None: ...

    async def payout_transfers(self, *, account: str, payout: str) -> list[CarriedTransfer]: ...


def _at(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


class StripePayments:
    """The real Stripe API through the official SDK's async client."""

    simulated = False

    def __init__(self, secret_key: str, api_base: str | None = None) -> None:
        self._client = stripe.StripeClient(
            secret_key, base_addresses={"api": api_base} if api_base else {},
            http_client=stripe.HTTPXClient(), max_network_retries=2,
        )
        self._v1 = self._client.v1

    async def _call(self, what: str, method: Any, *args: Any, key: str | None = None, **params: Any) -> Any:
        options: dict[str, Any] = {"idempotency_key": key} if key else {}
        try:
            return (await method(*args, params=params or None, options=options or None)).to_dict()
        except stripe.StripeError as exc:
            raise _failure(what, exc) from exc

    async def _list_all(self, what: str, method: Any, account: str | None, **params: Any) -> list[dict[str, Any]]:
        """Every item of a Stripe list, page after page (under the connected `account`'s header when given)."""
        options: dict[str, Any] = {"stripe_account": account} if account else {}
        try:
            page = await method(params={"limit": 100, **params}, options=options or None)
            return [item.to_dict() async for item in page.auto_paging_iter()]
        except stripe.StripeError as exc:
            raise _failure(what, exc) from exc

    async def payout_transfers(self, *, account: str, payout: str) -> list[CarriedTransfer]:
        """The transfers that the connected `account`'s `payout` carried to its bank.

        Stripe links a payout to what it paid out through the payout's balance transactions on the account: a
        transfer to the account made a payment there (the transfer's `destination_payment`, `py_…`), whose
        balance transaction (type `payment`, `source` the payment) the payout carried; the payment's
        `source_transfer` is our transfer, with the metadata we gave it. Money an earlier payout gave back when it
        failed or was canceled comes back as a `payout_failure` / `payout_cancel` balance transaction whose
        `source` is that payout: its transfers are followed too, and name it in `supersedes`."""
        carried: list[CarriedTransfer] = []
        seen = {payout}
        chain: list[tuple[str, tuple[str, ...]]] = [(payout, ())]
        while chain:
            current, supersedes = chain.pop(0)
            what = f"list the balance transactions of payout {current}"
            payments = await self._list_all(what, self._v1.balance_transactions.list_async, account,
                                            payout=current, type="payment", expand=["data.source.source_transfer"])
            for bt in payments:
                transfer = (bt.get("source") or {}).get("source_transfer") if isinstance(bt.get("source"), dict) \
                    else None
                if isinstance(transfer, dict):
                    carried.append(CarriedTransfer(
                        transfer_id=transfer["id"], destination=str(transfer.get("destination") or account),
                        amount_cents=int(transfer["amount"]), metadata=dict(transfer.get("metadata") or {}),
                        supersedes=supersedes))
            for bt in await self._list_all(what, self._v1.balance_transactions.list_async, account, payout=current):
                earlier = bt.get("source")
                if bt.get("type") in ("payout_failure", "payout_cancel") and isinstance(earlier, str) \
                        and earlier not in seen:
                    seen.add(earlier)
                    chain.append((earlier, (*supersedes, earlier)))
        return carried

    async def create_customer(self, *, email: str, name: str | None, metadata: dict[str, str], key: str) -> str:
        params = {"email": email, "metadata": metadata, **({"name": name} if name else {})}
        customer = await self._call("create a customer", self._v1.customers.create_async, key=key, **params)
        return customer["id"]

    async def create_setup_intent(self, *, customer: str, key: str) -> tuple[str, str]:
        intent = await self._call("create a setup intent", self._v1.setup_intents.create_async, key=key,
                                  customer=customer, usage="off_session", payment_method_types=["card"])
        return intent["id"], intent["client_secret"]

    def _subscription(self, sub: Any) -> SubscriptionView:
        item = sub["items"]["data"][0] if sub["items"]["data"] else None
        start = sub.get("current_period_start") or (item and item.get("current_period_start"))
        end = sub.get("current_period_end") or (item and item.get("current_period_end"))
        return SubscriptionView(id=sub["id"], item_id=item["id"] if item else None,
                                price_id=item["price"]["id"] if item else None, status=sub["status"],
                                current_period_start=_at(start), current_period_end=_at(end),
                                cancel_at=_at(sub.get("cancel_at")))

    async def create_subscription(self, *, customer: str, price: str, payment_method: str | None,
                                  metadata: dict[str, str], key: str) -> SubscriptionView:
        params: dict[str, Any] = {"customer": customer, "items": [{"price": price}], "metadata": metadata}
        if payment_method:
            params["default_payment_method"] = payment_method
        sub = await self._call("create a subscription", self._v1.subscriptions.create_async, key=key, **params)
        return self._subscription(sub)

    async def change_subscription_price(self, *, subscription: str, item: str, price: str,
                                        key: str) -> SubscriptionView:
        sub = await self._call("change the subscription", self._v1.subscriptions.update_async, subscription,
                               key=key, items=[{"id": item, "price": price}], proration_behavior="create_prorations")
        return self._subscription(sub)

    async def cancel_subscription_at_period_end(self, *, subscription: str, key: str) -> SubscriptionView:
        sub = await self._call("cancel the subscription", self._v1.subscriptions.update_async, subscription,
                               key=key, cancel_at_period_end=True)
        view = self._subscription(sub)
        return view if view.cancel_at else replace(view, cancel_at=view.current_period_end)

    async def invoice(self, *, customer: str, lines: list[InvoiceLine], collection_method: CollectionMethod,
                      days_until_due: int | None, payment_method: str | None, metadata: dict[str, str],
                      key: str) -> InvoiceView:
        """Create the invoice, its lines, finalize it, then charge it (automatic collection) or send it.

        Each step has its own key derived from `key`, so a retry after a crash resumes where it stopped."""
        params: dict[str, Any] = {"customer": customer, "collection_method": collection_method, "metadata": metadata,
                                  "auto_advance": False, "pending_invoice_items_behavior": "exclude"}
        if collection_method == "send_invoice":
            params["days_until_due"] = days_until_due
        draft = await self._call("create an invoice", self._v1.invoices.create_async, key=f"{key}:invoice", **params)
        for n, line in enumerate(lines):
            await self._call("add an invoice line", self._v1.invoice_items.create_async, key=f"{key}:line-{n}",
                             customer=customer, invoice=draft["id"], amount=line.amount_cents, currency="usd",
                             description=line.description, metadata=metadata)
        invoice = await self._call("finalize the invoice", self._v1.invoices.finalize_invoice_async, draft["id"],
                                   key=f"{key}:finalize")
        try:
            if collection_method == "charge_automatically":
                charge = {"payment_method": payment_method} if payment_method else {}
                invoice = await self._call("charge the invoice", self._v1.invoices.pay_async, invoice["id"],
                                           key=f"{key}:pay", **charge)
            else:
                invoice = await self._call("send the invoice", self._v1.invoices.send_invoice_async, invoice["id"],
                                           key=f"{key}:send")
        except PaymentRefused as exc:  # a declined card leaves the invoice open; its webhook records the failure
            log.info("invoice issued but not collected", stripe_invoice_id=invoice["id"], reason=str(exc))
        due = invoice.get("due_date")
        return InvoiceView(id=invoice["id"], status=invoice["status"], number=invoice.get("number"),
                           amount_due_cents=invoice["amount_due"], hosted_invoice_url=invoice.get("hosted_invoice_url"),
                           invoice_pdf_url=invoice.get("invoice_pdf"), due_date=_at(due).date() if due else None)

    async def invoice_status(self, stripe_invoice_id: str) -> str:
        """The invoice's status in Stripe now (draft, open, paid, void, uncollectible): a read, safe to repeat."""
        invoice = await self._call("read the invoice", self._v1.invoices.retrieve_async, stripe_invoice_id)
        return invoice["status"]

    async def transfer(self, *, amount_cents: int, destination: str, metadata: dict[str, str],
                       transfer_group: str, key: str) -> str:
        transfer = await self._call("make a transfer", self._v1.transfers.create_async, key=key, amount=amount_cents,
                                    currency="usd", destination=destination, metadata=metadata,
                                    transfer_group=transfer_group)
        return transfer["id"]

    async def create_account(self, *, email: str | None, metadata: dict[str, str], key: str) -> str:
        params: dict[str, Any] = {"type": "express", "country": "US", "business_type": "individual",
                                  "capabilities": {"transfers": {"requested": True}}, "metadata": metadata}
        if email:
            params["email"] = email
        account = await self._call("create a Connect account", self._v1.accounts.create_async, key=key, **params)
        return account["id"]

    async def make_default_payment_method(self, *, customer: str, payment_method: str, today: date,
                                          key: str) -> None:
        """Check the payment method with Stripe, then make it the customer's default for invoices.

        Raises `PaymentMethodUnusable` (nothing changed in Stripe) when Stripe does not know it or when
        `payment_method_problem` finds it unfit; the default is set only after every check passed."""
        try:
            pm = await self._call("read the payment method", self._v1.payment_methods.retrieve_async, payment_method)
        except PaymentRefused as exc:
            if exc.code != "resource_missing":
                raise
            raise PaymentMethodUnusable(payment_method, "not_found",
                                        f"Stripe has no payment method {payment_method}") from exc
        if (problem := payment_method_problem(pm, customer, today)) is not None:
            raise PaymentMethodUnusable(payment_method, *problem)
        await self._call("set the default payment method", self._v1.customers.update_async, customer, key=key,
                         invoice_settings={"default_payment_method": payment_method})

    async def onboarding_link(self, *, account: str, refresh_url: str, return_url: str) -> str:
        link = await self._call("create an onboarding link", self._v1.account_links.create_async, account=account,
                                refresh_url=refresh_url, return_url=return_url, type="account_onboarding")
        return link["url"]


def _failure(what: str, exc: stripe.StripeError) -> PaymentRefused | PaymentsUnavailable:
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)) or (
            exc.http_status is not None and exc.http_status >= 500):
        return PaymentsUnavailable(f"Stripe could not {what}: {exc.user_message or exc}")
    return PaymentRefused(f"Stripe refused to {what}: {exc.user_message or exc}", exc.code)


def _sim_id(prefix: str, key: str) -> str:
    return f"sim_{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:20]}"


class SimulatedPayments:
    """No Stripe: deterministic `sim_` ids from the keys (the same key gives the same id, as Stripe would),
    subscriptions active at once, invoices open, transfers made. Nothing is charged or paid. Its periods and due
    dates start at `clock`'s now (the system's clock, so a moved clock moves them too)."""

    simulated = True

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock

    async def create_customer(self, *, email: str, name: str | None, metadata: dict[str, str], key: str) -> str:
        return _sim_id("cus", key)

    async def create_setup_intent(self, *, customer: str, key: str) -> tuple[str, str]:
        intent = _sim_id("seti", key)
        return intent, f"{intent}_secret_simulated"

    async def create_subscription(self, *, customer: str, price: str, payment_method: str | None,
                                  metadata: dict[str, str], key: str) -> SubscriptionView:
        now = self.clock.now()
        return SubscriptionView(id=_sim_id("sub", key), item_id=_sim_id("si", key), price_id=price, status="active",
                                current_period_start=now, current_period_end=now + timedelta(days=30), cancel_at=None)

    async def change_subscription_price(self, *, subscription: str, item: str, price: str,
                                        key: str) -> SubscriptionView:
        now = self.clock.now()
        return SubscriptionView(id=subscription, item_id=item, price_id=price, status="active",
                                current_period_start=now, current_period_end=now + timedelta(days=30), cancel_at=None)

    async def cancel_subscription_at_period_end(self, *, subscription: str, key: str) -> SubscriptionView:
        now = self.clock.now()
        end = now + timedelta(days=30)
        return SubscriptionView(id=subscription, item_id=None, price_id=None, status="active",
                                current_period_start=now, current_period_end=end, cancel_at=end)

    async def invoice(self, *, customer: str, lines: list[InvoiceLine], collection_method: CollectionMethod,
                      days_until_due: int | None, payment_method: str | None, metadata: dict[str, str],
                      key: str) -> InvoiceView:
        invoice = _sim_id("in", key)
        due = (self.clock.now() + timedelta(days=days_until_due)).date() if days_until_due else None
        return InvoiceView(id=invoice, status="open", number=f"SIM-{invoice[-8:].upper()}",
                           amount_due_cents=sum(line.amount_cents for line in lines), hosted_invoice_url=None,
                           invoice_pdf_url=None, due_date=due)

    async def invoice_status(self, stripe_invoice_id: str) -> str:
        """Nothing keeps a simulated invoice: it reads as issued. (The invoicing reactor records an invoice on
        immediate terms as paid at once itself.)"""
        return "open"

    async def transfer(self, *, amount_cents: int, destination: str, metadata: dict[str, str],
                       transfer_group: str, key: str) -> str:
        return _sim_id("tr", key)

    async def create_account(self, *, email: str | None, metadata: dict[str, str], key: str) -> str:
        return _sim_id("acct", key)

    async def make_default_payment_method(self, *, customer: str, payment_method: str, today: date,
                                          key: str) -> None:
        """No card exists to be checked: any payment method id is taken (the profile's `sim_` customer says so)."""

    async def onboarding_link(self, *, account: str, refresh_url: str, return_url: str) -> str:
        return f"{return_url}?simulated_account={account}"

    async def payout_transfers(self, *, account: str, payout: str) -> list[CarriedTransfer]:
        """No simulated account is ever paid out: no payout carries anything."""
        return []


@cache
def _stripe_payments(secret_key: str, api_base: str | None) -> StripePayments:
    return StripePayments(secret_key, api_base)


def payments_for(settings: Settings, clock: Clock = SYSTEM_CLOCK) -> Payments:
    """Stripe or the stand-in (on `clock`), each call in a client span when tracing is on (adapters/tracing.py)."""
    if payments_simulated(settings) or settings.stripe_secret_key is None:
        return traced("payments-simulated", SimulatedPayments(clock))
    return traced("stripe", _stripe_payments(settings.stripe_secret_key.get_secret_value(), settings.stripe_api_base))
