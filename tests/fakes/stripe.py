"""A local stand-in for the Stripe API (v1), served over real HTTP for the real `stripe` SDK, plus its webhooks.

What it fakes: customers, setup intents, payment methods (created by the test driver, of any type and
expiry, attached to one customer or to none; retrievable and detachable through the API, and made a
customer's invoice default with `invoice_settings[default_payment_method]`, which only a payment method
attached to that customer may be), subscriptions, invoice items, invoices and their lifecycle (draft → open →
paid | void | uncollectible), transfers and their reversals, Connect accounts and account links, and the money
of a connected account (see "Connected accounts' money" below). Requests are
form-encoded and decoded into nested dicts and lists; answers are Stripe-shaped JSON; errors carry Stripe's
`{"error": {...}}` shape and status, so the SDK raises its usual exceptions. Like Stripe it:

- honours `Idempotency-Key` on POSTs (replays the stored answer with `Idempotent-Replayed: true`; a reused key
  with other parameters gets `idempotency_error`). Successful answers and card declines are stored, validation
  errors are not;
- refuses unknown top-level parameters (`parameter_unknown`; set `strict_params = False` to relax) and supports
  `expand[]` of fields holding ids of stored objects;
- refuses transfers to an account whose `transfers` capability is not active, i.e. before
  `complete_onboarding()` (set `require_transfer_capability = False` to relax);
- marks an invoice paid when it is finalized with nothing due, and finalizes a draft before paying it;
- charges only a payment method that is attached to the customer and set as its default (or passed explicitly);
  `attach_payment_method()` does not make it the default unless asked (`set_default=True`).

Webhooks: with `auto_webhooks` on, API calls emit the events Stripe would; the driver's "world changes" (what
Stripe does on its own) always emit theirs. Events go to the target set with `set_webhook_target()`, signed
like Stripe, from one background thread, in order, after the HTTP answer that caused them has been written.

Connected accounts' money, as Stripe keeps it: a transfer to a connected account creates a payment there (a
charge `py_…`, the transfer's `destination_payment`, whose `source_transfer` is the transfer) and a balance
transaction of type `payment` whose `source` is that payment; a reversal adds a `payment_refund`. A payout of
the account (`payout(account, …)`, Stripe's automatic payout) carries every balance transaction not yet paid
out (or the ones of the `transfers` named), and its own of type `payout`; a payout that fails or is canceled, at
once or later (`fail_payout`, a bank's return of a payout it marked paid), gives the money back to the balance
with a `payout_failure` / `payout_cancel` balance transaction (source: the payout), which the next payout carries.
`GET /v1/balance_transactions?payout=…` lists what a payout carried, newest first, paginated (`limit`,
`starting_after`), filtered by `type` and `source`, under the `Stripe-Account` header of the account (the
platform's own without it); payouts, balance transactions and payments are read only under their account's
header (another answers 404, as Stripe does).

What it does not fake: prices, products, charges of customers, payment intents, refunds, the platform's
balance, fees, list endpoints other than balance transactions, search, test clocks, automatic collection
(`auto_advance` is stored, never acted on), subscription invoices and renewals, prorations
(`proration_behavior` is validated only), webhook retries, `Stripe-Account` scoping of the other objects, API
versions. The account link, hosted invoice and PDF URLs point at paths it does not serve.

Use it with `stripe.StripeClient("sk_test_x", base_addresses={"api": fake.url}, max_network_retries=0)`
(add `http_client=stripe.HTTPXClient()` for the `*_async` methods). In tests: `from tests.fakes.stripe import
stripe_fake`. Driver methods raise `FakeStripeError` where the API would refuse (unknown id, wrong state).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qsl, urlencode

import pytest
import stripe

from tests.fakes.http import FakeServer, Request, Response

API_VERSION: str = stripe.api_version
DAY = 86_400
Obj = dict[str, Any]


# --- wire helpers ---------------------------------------------------------------------------------------

_ID_CHARS = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ID_CHARS) for _ in range(14))}"


def _now() -> int:
    return int(time.time())


_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")


def decode_form(text: str) -> Obj:
    """Stripe's form encoding to nested data: `a[b]=1` → {"a": {"b": "1"}}, `x[0]=…&x[1]=…` → {"x": […, …]}."""
    root: Obj = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        m = _KEY.fullmatch(key)
        parts = [m[1], *re.findall(r"\[([^\[\]]*)\]", m[2])] if m else [key]
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part or str(len(node)), {})
            if not isinstance(child, dict):
                raise FakeStripeError(400, f"Invalid parameter: {key}", code="parameter_invalid", param=parts[0])
            node = child
        node[parts[-1] or str(len(node))] = value
    return _listify(root)


def _listify(node: Any, key: str | None = None) -> Any:
    if not isinstance(node, dict):
        return node
    children = {k: _listify(v, k) for k, v in node.items()}
    if key != "metadata" and children and all(k.isdigit() for k in children):
        return [children[k] for k in sorted(children, key=int)]
    return children


class FakeStripeError(Exception):
    """A refusal in Stripe's shape; answered as `{"error": {...}}` with `status`."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error: Obj = {"type": type, "message": message, "code": code, "param": param, **extra}

    @property
    def type(self) -> str:
        return self.error["type"]

    def body(self) -> Obj:
        return {"error": {k: v for k, v in self.error.items() if v is not None}}


def _missing(name: str) -> FakeStripeError:
    return FakeStripeError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)


def _no_such(label: str, id_: str, param: str | None = None) -> FakeStripeError:
    return FakeStripeError(404, f"No such {label}: '{id_}'", code="resource_missing", param=param)


def _state(message: str, code: str | None = None) -> FakeStripeError:
    return FakeStripeError(400, message, code=code)


def _str(p: Obj, name: str, *, required: bool = False) -> str | None:
    value = p.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    if not isinstance(value, str):
        raise FakeStripeError(400, f"Invalid string: {value!r}", code="parameter_invalid_string", param=name)
    if value == "" and required:
        raise FakeStripeError(400, f"You passed an empty string for '{name}'. We assume empty values are an attempt "
                              f"to unset a parameter; however '{name}' cannot be unset.",
                              code="parameter_invalid_empty", param=name)
    return value


def _int(p: Obj, name: str, *, required: bool = False, minimum: int | None = None) -> int | None:
    raw = _str(p, name, required=required)
    if raw is None:
        return None
    if not re.fullmatch(r"-?\d+", raw):
        raise FakeStripeError(400, f"Invalid integer: {raw}", code="parameter_invalid_integer", param=name)
    if minimum is not None and int(raw) < minimum:
        raise FakeStripeError(400, f"This value must be greater than or equal to {minimum}.",
                              code="parameter_invalid_integer", param=name)
    return int(raw)


def _bool(p: Obj, name: str, default: bool | None = None) -> bool | None:
    raw = _str(p, name)
    if raw is None:
        return default
    if raw not in ("true", "false"):
        raise FakeStripeError(400, f"Invalid boolean: {raw}", code="parameter_invalid_boolean", param=name)
    return raw == "true"


def _enum(p: Obj, name: str, choices: tuple[str, ...], default: str | None = None,
          required: bool = False) -> str | None:
    value = _str(p, name, required=required)
    if value is None:
        return default
    if value not in choices:
        raise FakeStripeError(400, f"Invalid {name}: must be one of {', '.join(choices)}", code="parameter_invalid",
                              param=name)
    return value


def _metadata(p: Obj, current: Mapping[str, str] | None = None) -> dict[str, str]:
    """Stripe's metadata update: keys merge, an empty value removes a key, `metadata=""` clears all."""
    result = dict(current or {})
    value = p.get("metadata")
    if value is None:
        return result
    if value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise FakeStripeError(400, "Invalid metadata: must be a hash of strings", code="parameter_invalid",
                              param="metadata")
    for k, v in value.items():
        if v == "":
            result.pop(k, None)
        else:
            result[k] = v
    return result


def _unset(value: str | None, keep: Any) -> Any:
    """An update's value for a nullable field: absent keeps, "" unsets."""
    return keep if value is None else (value or None)


def _list(url: str, data: list[Obj]) -> Obj:
    return {"object": "list", "data": data, "has_more": False, "total_count": len(data), "url": url}


def _changes(before: Obj, after: Obj) -> Obj:
    return {k: before.get(k) for k in after if before.get(k) != after[k]}


# --- records --------------------------------------------------------------------------------------------

class Call(NamedTuple):
    method: str
    path: str
    params: Obj
    idempotency_key: str | None
    status: int


class Delivery(NamedTuple):
    event: Obj
    status: int  # 0 when the target could not be reached
    body: str


@dataclass
class _Fault:
    kind: str  # "fail" | "drop"
    method: str
    path_prefix: str
    times: int
    status: int = 500
    error_type: str = "api_error"
    code: str | None = None
    message: str | None = None


@dataclass
class _Stored:
    method: str
    path: str
    params: Obj
    status: int
    body: Obj


@dataclass
class _Response:
    status: int
    body: Obj
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    ready: threading.Event | None = None


@dataclass
class _Ctx:
    """One API call (or one driver action): its parameters and the events it causes."""

    params: Obj
    emitting: bool
    idempotency_key: str | None = None
    request_id: str | None = None
    account: str | None = None  # the `Stripe-Account` header: whose objects the call acts on
    events: list[tuple[str, Obj, Obj | None, str | None]] = field(default_factory=list)

    def emit(self, type: str, obj: Obj, previous: Obj | None = None, account: str | None = None) -> None:
        if self.emitting:
            self.events.append((type, copy.deepcopy(obj), previous, account))


_BRANDS = {"4444": "mastercard", "5556": "mastercard", "8431": "amex", "0005": "amex", "1117": "discover"}
_LABELS = {"customer": "customer", "setup_intent": "setupintent", "payment_method": "PaymentMethod",
           "subscription": "subscription", "invoiceitem": "invoiceitem", "invoice": "invoice",
           "transfer": "transfer", "account": "account"}
_SUB_STATUSES = ("incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid",
                 "paused")


class FakeStripe(FakeServer):
    """One fake Stripe. Start with `start()` (or as a context manager), stop with `stop()`."""

    name = "fake-stripe"

    def __init__(self, *, auto_webhooks: bool = False) -> None:
        super().__init__()
        self.auto_webhooks = auto_webhooks
        self.decline_payments = False
        self.strict_params = True
        self.require_transfer_capability = True
        self.webhook_secret: str | None = None
        self._webhook_url: str | None = None
        self._lock = threading.RLock()
        self._objects: dict[str, Obj] = {}
        self._idempotent: dict[str, _Stored] = {}
        self._requests: list[Call] = []
        self._faults: list[_Fault] = []
        self._events: list[Obj] = []
        self._deliveries: list[Delivery] = []
        self._invoice_numbers = 0
        self._account_of: dict[str, str] = {}  # id of an object kept on a connected account → the account
        self._paid_out_by: dict[str, str] = {}  # balance transaction id → the payout that carried it
        self._outbox: deque[tuple[Obj, threading.Event]] = deque()
        self._outbox_cv = threading.Condition()
        self._stopping = False
        self._sender: threading.Thread | None = None

    # --- server ---------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen on 127.0.0.1 on a free port; serve, and send webhooks, from background threads."""
        super().start()
        self._stopping = False
        self._sender = threading.Thread(target=self._send_loop, name=f"fake-stripe-webhooks-{self.port}", daemon=True)
        self._sender.start()
        return self

    def stop(self) -> None:
        """Stop serving (later calls get "connection refused") and stop sending webhooks (unsent ones are lost)."""
        super().stop()
        with self._outbox_cv:
            self._stopping = True
            self._outbox_cv.notify_all()
        if self._sender is not None:
            self._sender.join(timeout=5)
            self._sender = None

    # --- inspection and failure injection -------------------------------------------------------------

    @property
    def requests(self) -> list[Call]:
        """Every API call received, in order (replays and injected failures included)."""
        with self._lock:
            return list(self._requests)

    def objects(self, kind: str) -> list[Obj]:
        """Stored objects whose `object` is `kind` ("customer", "invoice", "transfer", …), oldest first."""
        with self._lock:
            return [copy.deepcopy(o) for o in self._objects.values() if o["object"] == kind]

    def get(self, id_: str) -> Obj:
        """A copy of the stored object with this id (a deleted customer is its `deleted: true` stub)."""
        with self._lock:
            return copy.deepcopy(self._objects[id_])

    def events(self, type: str | None = None) -> list[Obj]:
        """Every event built by API calls or world changes, delivered or not, oldest first."""
        with self._lock:
            return [e for e in self._events if type is None or e["type"] == type]

    def fail_next(self, method: str, path_prefix: str, status: int = 500, times: int = 1,
                  error_type: str = "api_error", *, code: str | None = None, message: str | None = None) -> None:
        """Answer the next `times` matching calls with this error, without acting (and without storing it)."""
        with self._lock:
            self._faults.append(_Fault("fail", method.upper(), path_prefix, times, status, error_type, code, message))

    def drop_after_acting(self, method: str, path_prefix: str, times: int = 1) -> None:
        """Act on the next `times` matching calls (store results and idempotent answers), then hang up unanswered.

        Only calls that act count: replays of stored answers are answered normally.
        """
        with self._lock:
            self._faults.append(_Fault("drop", method.upper(), path_prefix, times))

    def _take_fault(self, kind: str, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.kind == kind and fault.method == method and path.startswith(fault.path_prefix):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # --- request pipeline -----------------------------------------------------------------------------

    def answer(self, request: Request) -> Response:
        response = self._handle(request.method, request.path, request.query, request.body.decode(), request.headers)
        ready = response.ready.set if response.ready is not None else None
        return Response(response.status, json.dumps(response.body, indent=2).encode(),
                        response.headers | {"Content-Type": "application/json"}, drop=response.drop, after=ready)

    def _handle(self, method: str, path: str, query: str, body: str, headers: Mapping[str, str]) -> _Response:
        key = headers.get("Idempotency-Key") if method == "POST" else None
        request_id = new_id("req")
        params: Obj = {}
        with self._lock:
            try:
                params = decode_form(body if method == "POST" else query)
                response = self._dispatch(method, path, params, key, headers.get("Authorization") or "", request_id,
                                          headers.get("Stripe-Account"))
            except FakeStripeError as e:
                response = _Response(e.status, e.body())
            except Exception as e:  # noqa: BLE001 (a bug in the fake: answer it loudly rather than hang up)
                response = _Response(500, FakeStripeError(500, f"fake Stripe crashed: {e!r}",
                                                          type="api_error").body())
            self._requests.append(Call(method, path, params, key, response.status))
        response.headers["Request-Id"] = request_id
        response.headers["Stripe-Version"] = API_VERSION
        if key is not None:
            response.headers["Idempotency-Key"] = key
        return response

    def _dispatch(self, method: str, path: str, params: Obj, key: str | None, auth: str,
                  request_id: str, account: str | None = None) -> _Response:
        if not re.fullmatch(r"Bearer (sk|rk)_\w+", auth):
            return _Response(401, FakeStripeError(401, "Invalid API Key provided.").body())
        if (fault := self._take_fault("fail", method, path)) is not None:
            error = FakeStripeError(fault.status, fault.message or f"Injected failure ({fault.status}) from the fake",
                                    type=fault.error_type, code=fault.code)
            return _Response(fault.status, error.body())
        if key is not None and (stored := self._idempotent.get(key)) is not None:
            if (stored.method, stored.path, stored.params) != (method, path, params):
                return _Response(400, FakeStripeError(
                    400, "Keys for idempotent requests can only be used with the same parameters they were first "
                    f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                    type="idempotency_error").body())
            return _Response(stored.status, copy.deepcopy(stored.body), {"Idempotent-Replayed": "true"})

        for route_method, pattern, handler, allowed in ROUTES:
            if route_method == method and (m := pattern.fullmatch(path)):
                break
        else:
            return _Response(404, FakeStripeError(
                404, f"Unrecognized request URL ({method}: {path}).", code="resource_missing").body())

        ctx = _Ctx(params, self.auto_webhooks, key, request_id, account)
        saved = (copy.deepcopy(self._objects), self._invoice_numbers, dict(self._account_of),
                 dict(self._paid_out_by))  # a refused call changes nothing
        try:
            unknown = sorted(set(params) - allowed - {"expand"})
            if unknown and self.strict_params:
                raise FakeStripeError(400, f"Received unknown parameter: {unknown[0]}", code="parameter_unknown",
                                      param=unknown[0])
            status, body = 200, self._expand(handler(self, ctx, *m.groups()), params.get("expand"))
        except FakeStripeError as e:
            status, body = e.status, e.body()
            if e.type != "card_error":
                self._objects, self._invoice_numbers, self._account_of, self._paid_out_by = saved
                return _Response(status, body)
        if key is not None:
            self._idempotent[key] = _Stored(method, path, params, status, copy.deepcopy(body))
        ready = threading.Event()
        self._publish(ctx, ready)
        return _Response(status, body, drop=self._take_fault("drop", method, path) is not None, ready=ready)

    def _expand(self, obj: Obj, paths: Any) -> Obj:
        if paths is None:
            return obj
        if not isinstance(paths, list):
            raise FakeStripeError(400, "Invalid array", code="parameter_invalid", param="expand")
        for path in paths:
            self._expand_path(obj, str(path).split("."), path)
        return obj

    def _expand_path(self, node: Any, parts: list[str], path: str) -> None:
        if not parts or node is None:
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and isinstance(node.get("data"), list):
            for item in node["data"]:
                self._expand_path(item, rest, path)
            return
        if not isinstance(node, dict) or head not in node:
            raise FakeStripeError(400, f"This property cannot be expanded ({path}).", param="expand")
        if isinstance(node[head], str) and node[head] in self._objects:
            node[head] = copy.deepcopy(self._objects[node[head]])
        self._expand_path(node[head], rest, path)

    # --- store ----------------------------------------------------------------------------------------

    def _put(self, obj: Obj) -> Obj:
        self._objects[obj["id"]] = obj
        return obj

    def _find(self, kind: str, id_: str, param: str | None = None) -> Obj:
        obj = self._objects.get(id_)
        if obj is None or obj["object"] != kind or obj.get("deleted"):
            raise _no_such(_LABELS.get(kind, kind), id_, param)
        return obj

    def _driver(self) -> _Ctx:
        return _Ctx({}, emitting=True)

    # --- customers ------------------------------------------------------------------------------------

    def _create_customer(self, ctx: _Ctx) -> Obj:
        p = ctx.params
        cus = {"id": new_id("cus"), "object": "customer", "created": _now(), "livemode": False,
               "email": _str(p, "email"), "name": _str(p, "name"), "description": _str(p, "description"),
               "phone": _str(p, "phone"), "metadata": _metadata(p), "balance": 0, "currency": None,
               "delinquent": False, "default_source": None,
               "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                                    "rendering_options": None}}
        self._apply_invoice_settings(cus, p)
        self._put(cus)
        ctx.emit("customer.created", cus)
        return copy.deepcopy(cus)

    def _get_customer(self, ctx: _Ctx, cus_id: str) -> Obj:
        obj = self._objects.get(cus_id)
        if obj is None or obj["object"] != "customer":
            raise _no_such("customer", cus_id)
        return copy.deepcopy(obj)

    def _update_customer(self, ctx: _Ctx, cus_id: str) -> Obj:
        p, cus = ctx.params, self._find("customer", cus_id)
        before = copy.deepcopy(cus)
        for name in ("email", "name", "description", "phone"):
            cus[name] = _unset(_str(p, name), cus[name])
        cus["metadata"] = _metadata(p, cus["metadata"])
        self._apply_invoice_settings(cus, p)
        if changes := _changes(before, cus):
            ctx.emit("customer.updated", cus, changes)
        return copy.deepcopy(cus)

    def _apply_invoice_settings(self, cus: Obj, p: Obj) -> None:
        settings = p.get("invoice_settings")
        if settings is None:
            return
        if not isinstance(settings, dict):
            raise FakeStripeError(400, "Invalid object", code="parameter_invalid", param="invoice_settings")
        pm_id = _str(settings, "default_payment_method")
        if pm_id:
            self._customer_payment_method(cus, pm_id, "invoice_settings[default_payment_method]")
        cus["invoice_settings"]["default_payment_method"] = _unset(
            pm_id, cus["invoice_settings"]["default_payment_method"])

    def _delete_customer_api(self, ctx: _Ctx, cus_id: str) -> Obj:
        return self._delete_customer(ctx, self._find("customer", cus_id))

    def _delete_customer(self, ctx: _Ctx, cus: Obj) -> Obj:
        for sub in self._objects.values():
            if sub["object"] == "subscription" and sub["customer"] == cus["id"] and sub["status"] != "canceled":
                self._cancel_subscription(ctx, sub)
        stub = {"id": cus["id"], "object": "customer", "deleted": True}
        self._objects[cus["id"]] = stub
        ctx.emit("customer.deleted", cus)
        return dict(stub)

    def delete_customer(self, customer_id: str) -> None:
        """The customer is deleted in the dashboard (its subscriptions are cancelled): `customer.deleted`."""
        with self._lock:
            ctx = self._driver()
            self._delete_customer(ctx, self._find("customer", customer_id))
            self._publish(ctx)

    # --- setup intents and payment methods ------------------------------------------------------------

    def _create_setup_intent(self, ctx: _Ctx) -> Obj:
        p = ctx.params
        cus_id = _str(p, "customer")
        if cus_id:
            self._find("customer", cus_id, "customer")
        types = p.get("payment_method_types", ["card"])
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise FakeStripeError(400, "Invalid array", code="parameter_invalid", param="payment_method_types")
        seti_id = new_id("seti")
        seti = {"id": seti_id, "object": "setup_intent", "created": _now(), "livemode": False,
                "client_secret": f"{seti_id}_secret_{secrets.token_urlsafe(18)}", "customer": cus_id,
                "usage": _enum(p, "usage", ("on_session", "off_session"), "off_session"),
                "payment_method_types": types, "status": "requires_payment_method", "payment_method": None,
                "description": _str(p, "description"), "metadata": _metadata(p), "last_setup_error": None,
                "next_action": None, "cancellation_reason": None}
        self._put(seti)
        ctx.emit("setup_intent.created", seti)
        return copy.deepcopy(seti)

    def complete_setup_intent(self, setup_intent_id: str, card_last4: str = "4242") -> str:
        """The customer confirms the setup intent with a card: `payment_method.attached` (when it has a
        customer), then `setup_intent.succeeded`. Returns the payment method id."""
        with self._lock:
            ctx = self._driver()
            seti = self._find("setup_intent", setup_intent_id)
            if seti["status"] != "requires_payment_method":
                raise _state(f"This SetupIntent's status is {seti['status']}.", "setup_intent_unexpected_state")
            pm = self._new_payment_method(ctx, seti["customer"], card_last4)
            seti.update(status="succeeded", payment_method=pm["id"])
            ctx.emit("setup_intent.succeeded", seti)
            self._publish(ctx)
            return pm["id"]

    def _new_payment_method(self, ctx: _Ctx, cus_id: str | None, last4: str, *, exp: tuple[int, int] | None = None,
                            type: str = "card") -> Obj:
        month, year = exp or (12, time.gmtime().tm_year + 3)
        pm = {"id": new_id("pm"), "object": "payment_method", "type": type, "created": _now(),
              "livemode": False, "customer": cus_id, "metadata": {},
              "billing_details": {"address": None, "email": None, "name": None, "phone": None}}
        if type == "card":
            pm["card"] = {"brand": _BRANDS.get(last4, "visa"), "last4": last4, "exp_month": month, "exp_year": year,
                          "funding": "credit", "country": "US"}
        else:  # a bank debit and the like: Stripe keeps its details under the type's name
            pm[type] = {"last4": last4}
        self._put(pm)
        if cus_id:
            ctx.emit("payment_method.attached", pm)
        return pm

    def attach_payment_method(self, customer_id: str, card_last4: str = "4242", *, set_default: bool = False,
                              exp: tuple[int, int] | None = None, type: str = "card") -> str:
        """A card attached to the customer (`payment_method.attached`); with `set_default`, also made the
        customer's `invoice_settings.default_payment_method` (`customer.updated`). `exp` is the card's
        (month, year), three years ahead unless given; `type` other than "card" makes another kind of payment
        method (`us_bank_account`, `sepa_debit`, …). Returns its id."""
        with self._lock:
            ctx = self._driver()
            cus = self._find("customer", customer_id)
            pm = self._new_payment_method(ctx, customer_id, card_last4, exp=exp, type=type)
            if set_default:
                before = copy.deepcopy(cus)
                cus["invoice_settings"]["default_payment_method"] = pm["id"]
                ctx.emit("customer.updated", cus, _changes(before, cus))
            self._publish(ctx)
            return pm["id"]

    def _customer_payment_method(self, cus: Obj, pm_id: str, param: str) -> Obj:
        pm = self._find("payment_method", pm_id, param)
        if pm["customer"] != cus["id"]:
            raise FakeStripeError(400, f"The customer does not have a payment method with the ID {pm_id}. The "
                                  "payment method must be attached to the customer.", code="resource_missing",
                                  param=param)
        return pm

    def _detach(self, ctx: _Ctx, pm: Obj) -> Obj:
        if pm["customer"] is None:
            raise _state("The payment method you provided is not attached to a customer so detachment is "
                         "impossible.", "payment_method_unexpected_state")
        cus_id, pm["customer"] = pm["customer"], None
        cus = self._objects.get(cus_id, {})
        if cus.get("invoice_settings", {}).get("default_payment_method") == pm["id"]:
            cus["invoice_settings"]["default_payment_method"] = None
        ctx.emit("payment_method.detached", pm, {"customer": cus_id})
        return copy.deepcopy(pm)

    def _detach_api(self, ctx: _Ctx, pm_id: str) -> Obj:
        return self._detach(ctx, self._find("payment_method", pm_id))

    def detach_payment_method(self, pm_id: str) -> None:
        """The card is removed (it is no longer the customer's default either): `payment_method.detached`."""
        with self._lock:
            ctx = self._driver()
            self._detach(ctx, self._find("payment_method", pm_id))
            self._publish(ctx)

    # --- subscriptions --------------------------------------------------------------------------------

    def _sub_item(self, spec: Any, index: int, sub: Obj) -> Obj:
        if not isinstance(spec, dict):
            raise FakeStripeError(400, "Invalid object", code="parameter_invalid", param=f"items[{index}]")
        price = _str(spec, "price")
        if not price:
            raise _missing(f"items[{index}][price]")
        return {"id": new_id("si"), "object": "subscription_item", "created": _now(), "metadata": {},
                "price": {"id": price, "object": "price"},
                "quantity": _int(spec, "quantity", minimum=1) or 1, "subscription": sub["id"],
                "current_period_start": sub["current_period_start"],
                "current_period_end": sub["current_period_end"]}

    def _create_subscription(self, ctx: _Ctx) -> Obj:
        p = ctx.params
        cus = self._find("customer", _str(p, "customer", required=True), "customer")
        items = p.get("items")
        if not isinstance(items, list) or not items:
            raise _missing("items")
        behavior = _enum(p, "payment_behavior", ("allow_incomplete", "default_incomplete", "error_if_incomplete",
                                                 "pending_if_incomplete"), "allow_incomplete")
        pm_id = _str(p, "default_payment_method") or None
        if pm_id:
            self._customer_payment_method(cus, pm_id, "default_payment_method")
        now = _now()
        sub: Obj = {"id": new_id("sub"), "object": "subscription", "created": now, "start_date": now,
                    "livemode": False, "customer": cus["id"], "status": "active", "current_period_start": now,
                    "current_period_end": now + 30 * DAY, "cancel_at_period_end": False, "cancel_at": None,
                    "canceled_at": None, "ended_at": None, "collection_method": "charge_automatically",
                    "currency": "usd", "default_payment_method": pm_id, "description": _str(p, "description"),
                    "latest_invoice": None, "metadata": _metadata(p), "trial_start": None, "trial_end": None}
        sub["items"] = _list(f"/v1/subscription_items?subscription={sub['id']}",
                             [self._sub_item(spec, i, sub) for i, spec in enumerate(items)])
        self._set_cancel_at_period_end(sub, _bool(p, "cancel_at_period_end", False))
        if behavior == "default_incomplete":
            sub["status"] = "incomplete"
        elif not (pm_id or cus["invoice_settings"]["default_payment_method"]):
            if behavior == "error_if_incomplete":
                raise _state("This customer has no attached payment source or default payment method. Please "
                             "consider adding a default payment method.")
            sub["status"] = "incomplete"
        elif self.decline_payments:
            if behavior == "error_if_incomplete":
                raise _decline()
            sub["status"] = "incomplete"
        self._put(sub)
        ctx.emit("customer.subscription.created", sub)
        return copy.deepcopy(sub)

    @staticmethod
    def _set_cancel_at_period_end(sub: Obj, value: bool | None) -> None:
        if value is not None:
            sub["cancel_at_period_end"] = value
            sub["cancel_at"] = sub["current_period_end"] if value else None

    def _update_subscription(self, ctx: _Ctx, sub_id: str) -> Obj:
        p, sub = ctx.params, self._find("subscription", sub_id)
        if sub["status"] in ("canceled", "incomplete_expired") and set(p) - {"metadata", "cancellation_details",
                                                                             "expand"}:
            raise _state("A canceled subscription can only update its cancellation_details and metadata.")
        before = copy.deepcopy(sub)
        _enum(p, "proration_behavior", ("create_prorations", "none", "always_invoice"))
        _enum(p, "payment_behavior", ("allow_incomplete", "default_incomplete", "error_if_incomplete",
                                      "pending_if_incomplete"))
        pm_id = _str(p, "default_payment_method")
        if pm_id:
            self._customer_payment_method(self._find("customer", sub["customer"]), pm_id, "default_payment_method")
        sub["default_payment_method"] = _unset(pm_id, sub["default_payment_method"])
        items = p.get("items")
        if items is not None:
            if not isinstance(items, list):
                raise FakeStripeError(400, "Invalid array", code="parameter_invalid", param="items")
            current = sub["items"]["data"]
            for i, spec in enumerate(items):
                item_id = _str(spec, "id") if isinstance(spec, dict) else None
                if item_id is None:
                    current.append(self._sub_item(spec, i, sub))
                    continue
                item = next((it for it in current if it["id"] == item_id), None)
                if item is None:
                    raise FakeStripeError(400, f"Invalid subscription_item: {item_id}", code="resource_missing",
                                          param=f"items[{i}][id]")
                if _bool(spec, "deleted", False):
                    current.remove(item)
                    continue
                if price := _str(spec, "price"):
                    item["price"] = {"id": price, "object": "price"}
                item["quantity"] = _int(spec, "quantity", minimum=1) or item["quantity"]
            if not current:
                raise _state("A subscription must have at least one active plan.")
            sub["items"]["total_count"] = len(current)
        self._set_cancel_at_period_end(sub, _bool(p, "cancel_at_period_end"))
        sub["description"] = _unset(_str(p, "description"), sub["description"])
        sub["metadata"] = _metadata(p, sub["metadata"])
        if changes := _changes(before, sub):
            ctx.emit("customer.subscription.updated", sub, changes)
        return copy.deepcopy(sub)

    def _cancel_subscription(self, ctx: _Ctx, sub: Obj) -> Obj:
        if sub["status"] == "canceled":
            raise _state(f"The subscription {sub['id']} has already been canceled.")
        now = _now()
        sub.update(status="canceled", canceled_at=now, ended_at=now)
        ctx.emit("customer.subscription.deleted", sub)
        return copy.deepcopy(sub)

    def _cancel_subscription_api(self, ctx: _Ctx, sub_id: str) -> Obj:
        return self._cancel_subscription(ctx, self._find("subscription", sub_id))

    def set_subscription_status(self, sub_id: str, status: str) -> None:
        """Stripe moves the subscription to `status` (past_due, unpaid, …): `customer.subscription.updated`."""
        if status not in _SUB_STATUSES:
            raise ValueError(f"not a subscription status: {status}")
        with self._lock:
            ctx = self._driver()
            sub = self._find("subscription", sub_id)
            previous = sub["status"]
            sub["status"] = status
            ctx.emit("customer.subscription.updated", sub, {"status": previous})
            self._publish(ctx)

    def cancel_subscription_now(self, sub_id: str) -> None:
        """Stripe ends the subscription (period end reached, dunning exhausted): `customer.subscription.deleted`."""
        with self._lock:
            ctx = self._driver()
            self._cancel_subscription(ctx, self._find("subscription", sub_id))
            self._publish(ctx)

    # --- invoice items and invoices -------------------------------------------------------------------

    def _create_invoice_item(self, ctx: _Ctx) -> Obj:
        p = ctx.params
        cus = self._find("customer", _str(p, "customer", required=True), "customer")
        amount = _int(p, "amount", required=True)
        currency = _str(p, "currency", required=True).lower()
        inv_id = _str(p, "invoice") or None
        inv = self._find("invoice", inv_id, "invoice") if inv_id else None
        if inv is not None:
            if inv["customer"] != cus["id"]:
                raise FakeStripeError(400, f"The invoice {inv_id} belongs to another customer.", param="invoice")
            if inv["status"] != "draft":
                raise _state("You can only add invoice items to draft invoices.", "invoice_not_editable")
        now = _now()
        item = self._put({"id": new_id("ii"), "object": "invoiceitem", "date": now, "livemode": False,
                          "customer": cus["id"], "amount": amount, "currency": currency, "quantity": 1,
                          "description": _str(p, "description"), "metadata": _metadata(p), "invoice": None,
                          "proration": False, "period": {"start": now, "end": now}})
        if inv is not None:
            self._add_line(inv, item)
        ctx.emit("invoiceitem.created", item)
        return copy.deepcopy(item)

    def _add_line(self, inv: Obj, item: Obj) -> None:
        item["invoice"] = inv["id"]
        inv["lines"]["data"].append({
            "id": new_id("il"), "object": "line_item", "invoice": inv["id"], "amount": item["amount"],
            "currency": item["currency"], "description": item["description"], "metadata": dict(item["metadata"]),
            "quantity": item["quantity"], "period": dict(item["period"]),
            "parent": {"type": "invoice_item_details", "subscription_item_details": None,
                       "invoice_item_details": {"invoice_item": item["id"]}}})
        self._recompute(inv)

    @staticmethod
    def _recompute(inv: Obj) -> None:
        lines = inv["lines"]
        lines["total_count"] = len(lines["data"])
        total = sum(line["amount"] for line in lines["data"])
        inv.update(subtotal=total, total=total, amount_due=total,
                   amount_remaining=max(total - inv["amount_paid"], 0))

    def _create_invoice(self, ctx: _Ctx) -> Obj:
        p = ctx.params
        cus = self._find("customer", _str(p, "customer", required=True), "customer")
        method = _enum(p, "collection_method", ("charge_automatically", "send_invoice"), "charge_automatically")
        days = _int(p, "days_until_due", minimum=0)
        due_date = _int(p, "due_date")
        if method == "send_invoice" and days is None and due_date is None:
            raise FakeStripeError(400, "Invoices with `collection_method=send_invoice` must have either a "
                                  "`due_date` or `days_until_due`.", param="days_until_due")
        if method == "charge_automatically" and (days is not None or due_date is not None):
            raise FakeStripeError(400, "You may only specify `days_until_due` or `due_date` for invoices with "
                                  "`collection_method=send_invoice`.",
                                  param="days_until_due" if days is not None else "due_date")
        include = _enum(p, "pending_invoice_items_behavior", ("include", "exclude"), "exclude") == "include"
        pm_id = _str(p, "default_payment_method") or None
        if pm_id:
            self._customer_payment_method(cus, pm_id, "default_payment_method")
        now = _now()
        inv_id = new_id("in")
        if days is not None:
            due_date = now + days * DAY
        inv = self._put({
            "id": inv_id, "object": "invoice", "created": now, "livemode": False, "customer": cus["id"],
            "customer_email": cus["email"], "customer_name": cus["name"], "collection_method": method,
            "status": "draft", "auto_advance": _bool(p, "auto_advance", False), "currency": "usd",
            "description": _str(p, "description"), "metadata": _metadata(p), "days_until_due": days,
            "due_date": due_date, "default_payment_method": pm_id, "number": None, "hosted_invoice_url": None,
            "invoice_pdf": None, "subtotal": 0, "total": 0, "amount_due": 0, "amount_paid": 0,
            "amount_remaining": 0, "attempted": False, "attempt_count": 0, "paid_out_of_band": False,
            "period_start": now, "period_end": now, "lines": _list(f"/v1/invoices/{inv_id}/lines", []),
            "status_transitions": {"finalized_at": None, "paid_at": None, "voided_at": None,
                                   "marked_uncollectible_at": None}})
        if include:
            for item in list(self._objects.values()):
                if item["object"] == "invoiceitem" and item["customer"] == cus["id"] and item["invoice"] is None:
                    self._add_line(inv, item)
        ctx.emit("invoice.created", inv)
        return copy.deepcopy(inv)

    def _finalize(self, ctx: _Ctx, inv: Obj) -> None:
        if inv["status"] != "draft":
            raise _state("This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                         "invoice_not_editable")
        self._invoice_numbers += 1
        now = _now()
        inv.update(status="open", number=f"FAKE-{self._invoice_numbers:04d}",
                   hosted_invoice_url=f"{self.url}/hosted/invoices/{inv['id']}",
                   invoice_pdf=f"{self.url}/hosted/invoices/{inv['id']}/pdf")
        inv["status_transitions"]["finalized_at"] = now
        ctx.emit("invoice.finalized", inv)
        if inv["amount_due"] == 0:
            self._mark_paid(ctx, inv, out_of_band=False)

    def _finalize_api(self, ctx: _Ctx, inv_id: str) -> Obj:
        inv = self._find("invoice", inv_id)
        auto_advance = _bool(ctx.params, "auto_advance")
        self._finalize(ctx, inv)
        if auto_advance is not None:
            inv["auto_advance"] = auto_advance
        return copy.deepcopy(inv)

    def _send_invoice(self, ctx: _Ctx, inv_id: str) -> Obj:
        inv = self._find("invoice", inv_id)
        if inv["collection_method"] != "send_invoice":
            raise _state("You can only manually send an invoice if its collection method is 'send_invoice'.")
        if inv["status"] != "open":
            raise _state(f"You can only send open invoices; this invoice is {inv['status']}.")
        ctx.emit("invoice.sent", inv)
        return copy.deepcopy(inv)

    def _mark_paid(self, ctx: _Ctx, inv: Obj, *, out_of_band: bool) -> None:
        inv.update(status="paid", amount_paid=inv["amount_due"], amount_remaining=0, paid_out_of_band=out_of_band)
        inv["status_transitions"]["paid_at"] = _now()
        if not out_of_band and inv["amount_due"] > 0:
            inv.update(attempted=True, attempt_count=inv["attempt_count"] + 1)
            ctx.emit("invoice.payment_succeeded", inv)
        ctx.emit("invoice.paid", inv)

    def _require_payable(self, inv: Obj) -> None:
        if inv["status"] == "paid":
            raise _state("Invoice is already paid.")
        if inv["status"] not in ("open", "uncollectible"):
            raise _state(f"You cannot pay an invoice with status '{inv['status']}'.")

    def _pay_invoice_api(self, ctx: _Ctx, inv_id: str) -> Obj:
        p, inv = ctx.params, self._find("invoice", inv_id)
        out_of_band = bool(_bool(p, "paid_out_of_band", False))
        if inv["status"] != "draft":
            self._require_payable(inv)
        cus = self._find("customer", inv["customer"])
        pm_id = _str(p, "payment_method")
        if pm_id:
            pm = self._find("payment_method", pm_id, "payment_method")
            if pm["customer"] not in (None, cus["id"]):
                raise FakeStripeError(400, f"The payment method {pm_id} belongs to another customer.",
                                      param="payment_method")
        elif not out_of_band and inv["amount_due"] > 0 and not (inv["default_payment_method"]
                                      or cus["invoice_settings"]["default_payment_method"]):
            raise _state("This customer has no attached payment source or default payment method. Please consider "
                         "adding a default payment method.")
        if inv["status"] == "draft":
            self._finalize(ctx, inv)
            if inv["status"] == "paid":
                return copy.deepcopy(inv)
        if self.decline_payments and not out_of_band:
            self._fail_payment(ctx, inv, "Your card was declined.")
            raise _decline()
        self._mark_paid(ctx, inv, out_of_band=out_of_band)
        return copy.deepcopy(inv)

    def _fail_payment(self, ctx: _Ctx, inv: Obj, message: str) -> None:
        inv.update(attempted=True, attempt_count=inv["attempt_count"] + 1,
                   last_payment_error={"type": "card_error", "code": "card_declined", "message": message})
        ctx.emit("invoice.payment_failed", inv)

    def _void_invoice(self, ctx: _Ctx, inv_id: str) -> Obj:
        inv = self._find("invoice", inv_id)
        if inv["status"] not in ("open", "uncollectible"):
            raise _state(f"You can only void open or uncollectible invoices; this invoice is {inv['status']}.")
        inv["status"] = "void"
        inv["status_transitions"]["voided_at"] = _now()
        ctx.emit("invoice.voided", inv)
        return copy.deepcopy(inv)

    def _mark_uncollectible(self, ctx: _Ctx, inv_id: str) -> Obj:
        inv = self._find("invoice", inv_id)
        if inv["status"] != "open":
            raise _state(f"You can only mark open invoices uncollectible; this invoice is {inv['status']}.")
        inv["status"] = "uncollectible"
        inv["status_transitions"]["marked_uncollectible_at"] = _now()
        ctx.emit("invoice.marked_uncollectible", inv)
        return copy.deepcopy(inv)

    def pay_invoice(self, invoice_id: str) -> None:
        """Stripe collects an open invoice (or the customer pays the hosted page):
        `invoice.payment_succeeded`, then `invoice.paid`."""
        with self._lock:
            ctx = self._driver()
            inv = self._find("invoice", invoice_id)
            self._require_payable(inv)
            self._mark_paid(ctx, inv, out_of_band=False)
            self._publish(ctx)

    def fail_invoice_payment(self, invoice_id: str, message: str = "Your card was declined.") -> None:
        """A collection attempt on an open invoice fails (it stays open; `attempt_count` grows and the fake's own
        `last_payment_error` field holds `message`): `invoice.payment_failed`."""
        with self._lock:
            ctx = self._driver()
            inv = self._find("invoice", invoice_id)
            self._require_payable(inv)
            self._fail_payment(ctx, inv, message)
            self._publish(ctx)

    # --- transfers ------------------------------------------------------------------------------------

    def _create_transfer(self, ctx: _Ctx) -> Obj:
        p = ctx.params
        amount = _int(p, "amount", required=True, minimum=1)
        currency = _str(p, "currency", required=True).lower()
        dest_id = _str(p, "destination", required=True)
        acct = self._objects.get(dest_id)
        if acct is None or acct["object"] != "account":
            raise _no_such("destination", dest_id, "destination")
        if self.require_transfer_capability and acct["capabilities"].get("transfers") != "active":
            raise FakeStripeError(400, "Your destination account needs to have at least one of the following "
                                  "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                                  code="insufficient_capabilities_for_transfer", param="destination")
        tr_id = new_id("tr")
        payment = self._payment(dest_id, tr_id, amount, currency)
        tr = self._put({"id": tr_id, "object": "transfer", "created": _now(), "livemode": False, "amount": amount,
                        "amount_reversed": 0, "currency": currency, "destination": dest_id,
                        "destination_payment": payment, "balance_transaction": new_id("txn"),
                        "description": _str(p, "description"), "metadata": _metadata(p), "reversed": False,
                        "reversals": _list(f"/v1/transfers/{tr_id}/reversals", []),
                        "source_transaction": _str(p, "source_transaction"), "source_type": "card",
                        "transfer_group": _str(p, "transfer_group")})
        ctx.emit("transfer.created", tr)
        return copy.deepcopy(tr)

    def _reverse(self, ctx: _Ctx, tr: Obj, amount: int | None, metadata: dict[str, str]) -> Obj:
        remaining = tr["amount"] - tr["amount_reversed"]
        if remaining == 0:
            raise _state(f"Transfer {tr['id']} is already fully reversed.")
        amount = remaining if amount is None else amount
        if not 0 < amount <= remaining:
            raise FakeStripeError(400, f"Transfer reversal amount ({amount}) must be between 1 and the unreversed "
                                  f"amount ({remaining}).", code="parameter_invalid_integer", param="amount")
        refund = new_id("pyr")
        self._on_account(tr["destination"], {"id": refund, "object": "refund", "created": _now(), "amount": amount,
                                             "currency": tr["currency"], "charge": tr["destination_payment"],
                                             "status": "succeeded", "metadata": {}})
        self._balance_transaction(tr["destination"], "payment_refund", refund, -amount, tr["currency"])
        reversal = self._put({"id": new_id("trr"), "object": "transfer_reversal", "created": _now(),
                              "amount": amount, "currency": tr["currency"], "transfer": tr["id"],
                              "metadata": metadata, "balance_transaction": new_id("txn"),
                              "destination_payment_refund": refund, "source_refund": None})
        tr["amount_reversed"] += amount
        tr["reversed"] = tr["amount_reversed"] == tr["amount"]
        tr["reversals"]["data"].append(copy.deepcopy(reversal))
        tr["reversals"]["total_count"] += 1
        ctx.emit("transfer.reversed", tr)
        return copy.deepcopy(reversal)

    def _reverse_api(self, ctx: _Ctx, tr_id: str) -> Obj:
        p = ctx.params
        tr = self._find("transfer", tr_id)
        return self._reverse(ctx, tr, _int(p, "amount", minimum=1), _metadata(p))

    def reverse_transfer(self, transfer_id: str, amount: int | None = None) -> Obj:
        """The transfer is reversed (what is left of it, or `amount`): `transfer.reversed`. Returns the reversal."""
        with self._lock:
            ctx = self._driver()
            reversal = self._reverse(ctx, self._find("transfer", transfer_id), amount, {})
            self._publish(ctx)
            return reversal

    # --- Connect accounts -----------------------------------------------------------------------------

    def _create_account(self, ctx: _Ctx) -> Obj:
        p = ctx.params
        controller = p.get("controller")
        acct_type = _enum(p, "type", ("standard", "express", "custom"), required=controller is None)
        capabilities = p.get("capabilities") or {}
        if not isinstance(capabilities, dict) or not isinstance(controller or {}, dict):
            raise FakeStripeError(400, "Invalid object", code="parameter_invalid",
                                  param="capabilities" if not isinstance(capabilities, dict) else "controller")
        requested = [name for name, spec in capabilities.items()
                     if isinstance(spec, dict) and spec.get("requested") == "true"]
        acct = self._put({
            "id": new_id("acct"), "object": "account", "created": _now(), "type": acct_type,
            "country": _str(p, "country") or "US", "email": _str(p, "email"), "default_currency": "usd",
            "business_type": _enum(p, "business_type", ("individual", "company", "non_profit",
                                                        "government_entity")),
            "business_profile": p.get("business_profile") or {}, "controller": controller or {},
            "capabilities": {name: "inactive" for name in requested}, "charges_enabled": False,
            "payouts_enabled": False, "details_submitted": False, "metadata": _metadata(p),
            "requirements": {"currently_due": ["business_type", "external_account", "tos_acceptance.date",
                                               "tos_acceptance.ip"],
                             "eventually_due": [], "past_due": [], "errors": [],
                             "disabled_reason": "requirements.past_due"}})
        ctx.emit("account.updated", acct)
        return copy.deepcopy(acct)

    def _create_account_link(self, ctx: _Ctx) -> Obj:
        p = ctx.params
        acct_id = _str(p, "account", required=True)
        self._find("account", acct_id, "account")
        urls = {"refresh_url": _str(p, "refresh_url", required=True),
                "return_url": _str(p, "return_url", required=True)}
        link_type = _enum(p, "type", ("account_onboarding", "account_update"), required=True)
        now = _now()
        return {"object": "account_link", "created": now, "expires_at": now + 300,
                "url": f"{self.url}/connect/onboarding/{acct_id}?{urlencode({'type': link_type, **urls})}"}

    def _update_account_flags(self, account_id: str, *, enabled: bool, reason: str | None) -> None:
        with self._lock:
            ctx = self._driver()
            acct = self._find("account", account_id)
            before = copy.deepcopy(acct)
            state = "active" if enabled else "inactive"
            acct["capabilities"] = {name: state for name in acct["capabilities"]}
            if enabled:
                acct["capabilities"]["transfers"] = "active"
                acct["details_submitted"] = True
                acct["requirements"].update(currently_due=[], past_due=[], eventually_due=[])
            acct.update(charges_enabled=enabled, payouts_enabled=enabled)
            acct["requirements"]["disabled_reason"] = reason
            ctx.emit("account.updated", acct, _changes(before, acct))
            self._publish(ctx)

    def complete_onboarding(self, account_id: str) -> None:
        """The owner finishes onboarding: details submitted, charges and payouts enabled, requested capabilities
        (and `transfers`) active: `account.updated`."""
        self._update_account_flags(account_id, enabled=True, reason=None)

    def disable_account(self, account_id: str, reason: str = "requirements.past_due") -> None:
        """Stripe disables the account (charges, payouts and capabilities off): `account.updated`."""
        self._update_account_flags(account_id, enabled=False, reason=reason)

    def payout(self, account_id: str | None = None, status: str = "paid", failure_message: str | None = None,
               amount: int | None = None, currency: str = "usd", *, transfers: list[str] | None = None) -> Obj:
        """A payout (of a connected account when `account_id` is given) reaches `status`: `payout.<status>`.

        A connected account's payout carries its balance transactions not yet paid out (only those of the
        payments of `transfers` when given) and its amount is theirs (`amount` when nothing is carried, 10,000
        by default). One that failed or was canceled gives its money back to the balance (see the module's
        docstring)."""
        if status not in ("paid", "failed", "canceled"):
            raise ValueError(f"payout status must be paid, failed or canceled, not {status}")
        with self._lock:
            ctx = self._driver()
            carried: list[Obj] = []
            if account_id is not None:
                self._find("account", account_id)
                carried = self._unpaid_balance(account_id, transfers)
            po_id = new_id("po")
            total = sum(bt["amount"] for bt in carried) if carried else (10_000 if amount is None else amount)
            failed = status == "failed"
            po = {"id": po_id, "object": "payout", "created": _now(), "livemode": False, "amount": total,
                  "currency": currency, "status": status, "arrival_date": _now(), "automatic": True,
                  "method": "standard", "type": "bank_account", "destination": new_id("ba"),
                  "balance_transaction": None, "failure_balance_transaction": None, "metadata": {},
                  "description": None, "failure_code": "could_not_process" if failed else None,
                  "failure_message": (failure_message or "The bank could not process this payout.")
                  if failed else None}
            if account_id is None:
                self._put(po)
                po["balance_transaction"] = new_id("txn")
            else:
                self._on_account(account_id, po)
                own = self._balance_transaction(account_id, "payout", po_id, -total, currency)
                po["balance_transaction"] = own["id"]
                for bt in [*carried, own]:
                    self._paid_out_by[bt["id"]] = po_id
                if status != "paid":
                    self._return_to_balance(po)
            ctx.emit(f"payout.{status}", po, account=account_id)
            self._publish(ctx)
            return copy.deepcopy(po)

    def fail_payout(self, payout_id: str, failure_message: str = "The bank account has been closed.",
                    failure_code: str = "account_closed") -> Obj:
        """The bank returns a payout Stripe had marked paid (Stripe: "some payouts that fail might initially
        show as paid, then change to failed"): `payout.failed`, and its money is back on the balance."""
        with self._lock:
            ctx = self._driver()
            po = self._find("payout", payout_id)
            if po["status"] != "paid":
                raise _state(f"Payout {payout_id} is {po['status']}, not paid.")
            po.update(status="failed", failure_code=failure_code, failure_message=failure_message)
            account = self._account_of.get(payout_id)
            if account is not None:
                self._return_to_balance(po)
            ctx.emit("payout.failed", po, {"status": "paid", "failure_code": None, "failure_message": None},
                     account=account)
            self._publish(ctx)
            return copy.deepcopy(po)

    def _on_account(self, account_id: str, obj: Obj) -> Obj:
        self._account_of[obj["id"]] = account_id
        return self._put(obj)

    def _payment(self, account_id: str, transfer_id: str, amount: int, currency: str) -> str:
        """The payment a transfer makes on the connected account, and its balance transaction; its id."""
        py_id = new_id("py")
        bt = self._balance_transaction(account_id, "payment", py_id, amount, currency)
        self._on_account(account_id, {"id": py_id, "object": "charge", "created": _now(), "livemode": False,
                                      "amount": amount, "currency": currency, "paid": True, "status": "succeeded",
                                      "source_transfer": transfer_id, "balance_transaction": bt["id"],
                                      "metadata": {}})
        return py_id

    def _balance_transaction(self, account_id: str, type: str, source: str, amount: int, currency: str) -> Obj:
        now = _now()
        return self._on_account(account_id, {
            "id": new_id("txn"), "object": "balance_transaction", "created": now, "available_on": now,
            "amount": amount, "currency": currency, "fee": 0, "fee_details": [], "net": amount, "type": type,
            "source": source, "status": "available", "description": None,
            "reporting_category": {"payment": "charge", "payment_refund": "refund"}.get(type, type)})

    def _unpaid_balance(self, account_id: str, transfers: list[str] | None) -> list[Obj]:
        unpaid = [o for o in self._objects.values() if o["object"] == "balance_transaction"
                  and self._account_of.get(o["id"]) == account_id and o["id"] not in self._paid_out_by]
        if transfers is None:
            return unpaid
        payments = {self._find("transfer", tr)["destination_payment"] for tr in transfers}
        return [bt for bt in unpaid if bt["source"] in payments]

    def _return_to_balance(self, po: Obj) -> None:
        kind = "payout_failure" if po["status"] == "failed" else "payout_cancel"
        bt = self._balance_transaction(self._account_of[po["id"]], kind, po["id"], po["amount"], po["currency"])
        po["failure_balance_transaction"] = bt["id"]

    def _list_balance_transactions(self, ctx: _Ctx) -> Obj:
        p = ctx.params
        payout = _str(p, "payout")
        if payout is not None and (self._objects.get(payout, {}).get("object") != "payout"
                                   or self._account_of.get(payout) != ctx.account):
            raise _no_such("payout", payout, "payout")
        kind, source = _str(p, "type"), _str(p, "source")
        found = [o for o in self._objects.values() if o["object"] == "balance_transaction"
                 and self._account_of.get(o["id"]) == ctx.account
                 and (payout is None or self._paid_out_by.get(o["id"]) == payout)
                 and (kind is None or o["type"] == kind) and (source is None or o["source"] == source)]
        found.reverse()  # newest first, as Stripe lists
        return self._page("/v1/balance_transactions", found, p)

    @staticmethod
    def _page(url: str, items: list[Obj], p: Obj) -> Obj:
        limit = _int(p, "limit", minimum=1) or 10
        if limit > 100:
            raise FakeStripeError(400, "This value must be less than or equal to 100.",
                                  code="parameter_invalid_integer", param="limit")
        after = _str(p, "starting_after")
        if after is not None:
            ids = [o["id"] for o in items]
            if after not in ids:
                raise _no_such("object", after, "starting_after")
            items = items[ids.index(after) + 1:]
        page = _list(url, copy.deepcopy(items[:limit]))
        page.update(has_more=len(items) > limit)
        del page["total_count"]
        return page

    def balance_available(self, account_id: str | None = None, amount: int = 10_000, currency: str = "usd") -> None:
        """Funds become available (in the platform's balance, or a connected account's): `balance.available`."""
        balance = {"object": "balance", "livemode": False,
                   "available": [{"amount": amount, "currency": currency, "source_types": {"card": amount}}],
                   "pending": [{"amount": 0, "currency": currency, "source_types": {"card": 0}}]}
        with self._lock:
            ctx = self._driver()
            ctx.emit("balance.available", balance, account=account_id)
            self._publish(ctx)

    # --- webhooks -------------------------------------------------------------------------------------

    def set_webhook_target(self, url: str, secret: str | None = None) -> str:
        """Send events to `url`, signed with `secret` (a new `whsec_…` when None); returns the secret."""
        with self._lock:
            self._webhook_url = url
            self.webhook_secret = secret or f"whsec_{secrets.token_urlsafe(24)}"
            return self.webhook_secret

    def event(self, type: str, obj: Obj, account: str | None = None, *, previous_attributes: Obj | None = None,
              request: Obj | None = None) -> Obj:
        """A Stripe event (snapshot of `obj`), as delivered to webhook endpoints."""
        data: Obj = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event = {"id": new_id("evt"), "object": "event", "api_version": API_VERSION, "created": _now(),
                 "livemode": False, "type": type, "data": data, "pending_webhooks": 1,
                 "request": request or {"id": None, "idempotency_key": None}}
        if account is not None:
            event["account"] = account
        return event

    def sign(self, payload: bytes | str, secret: str | None = None, timestamp: int | None = None) -> str:
        """The `Stripe-Signature` header for `payload`: `t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<payload>")>`."""
        secret = secret or self.webhook_secret
        if secret is None:
            raise RuntimeError("no webhook secret: call set_webhook_target() or pass one")
        body = payload.encode() if isinstance(payload, str) else payload
        t = _now() if timestamp is None else int(timestamp)
        mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return f"t={t},v1={mac}"

    def deliver(self, event: Obj, secret: str | None = None, signature: str | None = None) -> tuple[int, str]:
        """Post one event to the target now, bypassing the queue (signed with `secret`, or sent with the given
        `signature` header verbatim); returns (status, body), status 0 if the target is unreachable."""
        with self._lock:
            url = self._webhook_url
        if url is None:
            raise RuntimeError("no webhook target: call set_webhook_target() first")
        payload = json.dumps(event, indent=2).encode()
        return self._post(url, event, payload, signature or self.sign(payload, secret))

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def wait_webhooks_sent(self, timeout: float = 5.0) -> None:
        """Wait until every queued event has been delivered (or its delivery has failed)."""
        with self._outbox_cv:
            if not self._outbox_cv.wait_for(lambda: not self._outbox, timeout):
                raise TimeoutError(f"{len(self._outbox)} webhook(s) still unsent after {timeout}s")

    def _publish(self, ctx: _Ctx, ready: threading.Event | None = None) -> None:
        """Record the context's events and queue them for the target; sent once `ready` is set (the HTTP
        answer written) and every earlier event is sent."""
        if ready is None:
            ready = threading.Event()
            ready.set()
        request = {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key}
        for type, obj, previous, account in ctx.events:
            event = self.event(type, obj, account, previous_attributes=previous, request=request)
            self._events.append(event)
            if self._webhook_url is not None:
                with self._outbox_cv:
                    self._outbox.append((event, ready))
                    self._outbox_cv.notify_all()

    def _send_loop(self) -> None:
        while True:
            with self._outbox_cv:
                self._outbox_cv.wait_for(lambda: self._outbox or self._stopping)
                if self._stopping:
                    return
                event, ready = self._outbox[0]
            ready.wait(timeout=5)
            with self._lock:
                url = self._webhook_url
            if url is not None:
                payload = json.dumps(event, indent=2).encode()
                self._post(url, event, payload, self.sign(payload))
            with self._outbox_cv:
                self._outbox.popleft()
                self._outbox_cv.notify_all()

    def _post(self, url: str, event: Obj, payload: bytes, signature: str) -> tuple[int, str]:
        request = urllib.request.Request(url, data=payload, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature,
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, body = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as e:
            status, body = 0, str(e)
        with self._lock:
            self._deliveries.append(Delivery(event, status, body))
        return status, body


def _decline() -> FakeStripeError:
    return FakeStripeError(402, "Your card was declined.", type="card_error", code="card_declined",
                           decline_code="generic_decline")


HandlerFn = Callable[..., Obj]
_ID = r"/([A-Za-z0-9_]+)"


def _route(method: str, pattern: str, handler: HandlerFn,
           params: str = "") -> tuple[str, re.Pattern[str], HandlerFn, frozenset[str]]:
    """One row of the router: (method, path regex, handler, accepted top-level parameters besides `expand`)."""
    return method, re.compile(pattern), handler, frozenset(params.split())


def _getter(kind: str) -> HandlerFn:
    return lambda fake, ctx, id_: copy.deepcopy(fake._find(kind, id_))


def _account_getter(kind: str) -> HandlerFn:
    """Objects kept on a connected account are read under its `Stripe-Account` header only."""
    def get(fake: FakeStripe, ctx: _Ctx, id_: str) -> Obj:
        if fake._account_of.get(id_) != ctx.account:
            raise _no_such(_LABELS.get(kind, kind), id_)
        return copy.deepcopy(fake._find(kind, id_))
    return get


F = FakeStripe
ROUTES = [
    _route("POST", r"/v1/customers", F._create_customer,
           "email name description phone metadata invoice_settings"),
    _route("GET", r"/v1/customers" + _ID, F._get_customer),
    _route("POST", r"/v1/customers" + _ID, F._update_customer,
           "email name description phone metadata invoice_settings"),
    _route("DELETE", r"/v1/customers" + _ID, F._delete_customer_api),
    _route("POST", r"/v1/setup_intents", F._create_setup_intent,
           "customer usage payment_method_types metadata description"),
    _route("GET", r"/v1/setup_intents" + _ID, _getter("setup_intent"), "client_secret"),
    _route("GET", r"/v1/payment_methods" + _ID, _getter("payment_method")),
    _route("POST", r"/v1/payment_methods" + _ID + "/detach", F._detach_api),
    _route("POST", r"/v1/subscriptions", F._create_subscription,
           "customer items default_payment_method metadata payment_behavior cancel_at_period_end description "
           "proration_behavior collection_method off_session"),
    _route("GET", r"/v1/subscriptions" + _ID, _getter("subscription")),
    _route("POST", r"/v1/subscriptions" + _ID, F._update_subscription,
           "items cancel_at_period_end proration_behavior payment_behavior default_payment_method metadata "
           "description cancellation_details off_session"),
    _route("DELETE", r"/v1/subscriptions" + _ID, F._cancel_subscription_api,
           "invoice_now prorate cancellation_details"),
    _route("POST", r"/v1/invoiceitems", F._create_invoice_item,
           "customer amount currency description invoice metadata"),
    _route("GET", r"/v1/invoiceitems" + _ID, _getter("invoiceitem")),
    _route("POST", r"/v1/invoices", F._create_invoice,
           "customer collection_method days_until_due due_date auto_advance metadata description "
           "pending_invoice_items_behavior default_payment_method"),
    _route("GET", r"/v1/invoices" + _ID, _getter("invoice")),
    _route("POST", r"/v1/invoices" + _ID + "/finalize", F._finalize_api, "auto_advance"),
    _route("POST", r"/v1/invoices" + _ID + "/send", F._send_invoice),
    _route("POST", r"/v1/invoices" + _ID + "/pay", F._pay_invoice_api,
           "payment_method paid_out_of_band off_session forgive"),
    _route("POST", r"/v1/invoices" + _ID + "/void", F._void_invoice),
    _route("POST", r"/v1/invoices" + _ID + "/mark_uncollectible", F._mark_uncollectible),
    _route("POST", r"/v1/transfers", F._create_transfer,
           "amount currency destination metadata transfer_group description source_transaction"),
    _route("GET", r"/v1/transfers" + _ID, _getter("transfer")),
    _route("POST", r"/v1/transfers" + _ID + "/reversals", F._reverse_api,
           "amount metadata description refund_application_fee"),
    _route("POST", r"/v1/accounts", F._create_account,
           "type country email business_type capabilities controller metadata business_profile"),
    _route("GET", r"/v1/accounts" + _ID, _getter("account")),
    _route("POST", r"/v1/account_links", F._create_account_link, "account refresh_url return_url type collect"),
    _route("GET", r"/v1/balance_transactions", F._list_balance_transactions,
           "payout type source currency limit starting_after"),
    _route("GET", r"/v1/balance_transactions" + _ID, _account_getter("balance_transaction")),
    _route("GET", r"/v1/charges" + _ID, _account_getter("charge")),
    _route("GET", r"/v1/payouts" + _ID, _account_getter("payout")),
]
del F


@pytest.fixture
def stripe_fake() -> Iterator[FakeStripe]:
    """A running fake Stripe (auto webhooks off, no webhook target), stopped after the test."""
    with FakeStripe() as fake:
        yield fake
