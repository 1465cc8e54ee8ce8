"""Every event type holds its personal fields to a declaration (issue 22: "a test walks the registry and
fails on an undeclared field that holds an email, phone, name or free text").

A field whose name suggests a person's data must be either sealed (`personal`) or named as a look-alike
(`not_personal`): adding `phone` to an event without deciding fails here. A declaration must name real
fields, never an id or a money fact of the marketplace, and must yield a subject of the agreed kinds for
any instance, so that the event store can seal it.
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel

from commands.billing.events import StripeWebhookReceived, stripe_payload_subject
from commands.core import Event
from commands.identity.events import ClerkWebhookReceived, clerk_payload_subject
from commands.notifications.events import EmailFailed, EmailSent
from commands.registry import all_event_classes
from tests.fakes import clerk_payloads as clerk

EVENTS = all_event_classes()
DECLARED = [cls for cls in EVENTS if cls.personal is not None]

# Words that, as a field's name or a part of it, suggest a person's data.
SUSPECT_WORDS = frozenset({
    "email", "phone", "name", "bio", "tagline", "location", "address", "ip", "agent", "text", "html", "body",
    "message", "notes", "note", "pitch", "letter", "reason", "summary", "salary", "payload", "changes", "metadata",
    "title", "filename", "subject", "description", "url", "slug", "strengths", "concerns", "skills",
    "requirements", "availability", "contact", "tax", "data", "industries", "specialties",
    "experience", "comment", "answer",
})
SUSPECT_NAMES = frozenset({"full_name", "first_name", "last_name", "linkedin_url", "github_url", "portfolio_url",
                           "ip_address", "user_agent", "cover_letter", "current_company"})

# The subject kinds everyone agreed on (`<kind>:<id>`), see eventstore/personal.py.
SUBJECT_KINDS = frozenset({"user", "clerk", "clerkwebhook", "candidate", "application", "recruiter", "invitation",
                           "document", "billing", "stripe", "stripewebhook", "contact",
                           "emailaddress", "resendwebhook"})

# Strings that end like an id but are not one of ours (a tax number is a person's data).
NOT_OUR_IDS = frozenset({"tax_id"})


def _options(annotation: Any) -> tuple[Any, ...]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def _holds_data(annotation: Any) -> bool:
    """Whether a field of this type can hold a person's data: text, a number, a list or a dict; not a flag,
    an enum, an id or a moment."""
    for option in _options(annotation):
        origin = typing.get_origin(option)
        if option is type(None) or origin is Literal or option in (bool, UUID, datetime, date):
            continue
        return True
    return False


def _is_id(name: str, annotation: Any) -> bool:
    if name in NOT_OUR_IDS:
        return False
    return name == "id" or name.endswith(("_id", "_ids")) or any(o is UUID for o in _options(annotation))


def _suspect(name: str) -> bool:
    if name.endswith(("_cents", "_bps")) and "salary" not in name:
        return False  # the marketplace's money (fees, rates): never sealed, see below
    return name in SUSPECT_NAMES or bool(SUSPECT_WORDS & set(name.split("_")))


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: c.type_name())
def test_every_field_that_looks_personal_is_declared_one_way_or_the_other(cls: type[Event]) -> None:
    declared = set(cls.personal.fields) if cls.personal else set()
    undecided = [
        name for name, info in cls.model_fields.items()
        if _suspect(name) and _holds_data(info.annotation) and not _is_id(name, info.annotation)
        and name not in declared and name not in cls.not_personal
    ]
    assert not undecided, (
        f"{cls.type_name()}: {undecided} look like a person's data; seal them (`personal = Personal(...)`) "
        "or say why they are not (`not_personal`)"
    )


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: c.type_name())
def test_declarations_name_real_fields_and_never_both_ways(cls: type[Event]) -> None:
    declared = set(cls.personal.fields) if cls.personal else set()
    unknown = declared - set(cls.model_fields)
    assert not unknown, f"{cls.type_name()} declares unknown fields {unknown}"
    assert cls.not_personal <= set(cls.model_fields), f"{cls.type_name()}: not_personal names unknown fields"
    assert not declared & cls.not_personal, f"{cls.type_name()}: {declared & cls.not_personal} declared both ways"
    if cls.personal:
        assert len(cls.personal.fields) == len(declared), f"{cls.type_name()} names a field twice"


@pytest.mark.parametrize("cls", DECLARED, ids=lambda c: c.type_name())
def test_no_id_and_no_money_fact_is_sealed(cls: type[Event]) -> None:
    """Ids are what read models join on and what an erasure leaves standing; amounts of the marketplace's money
    (fees, splits, payouts) must still reconcile after an erasure. A person's pay (a salary) is theirs."""
    assert cls.personal is not None
    for name in cls.personal.fields:
        annotation = cls.model_fields[name].annotation
        assert not _is_id(name, annotation), f"{cls.type_name()}.{name} is an id and must stay readable"
        if name.endswith(("_cents", "_bps")):
            assert "salary" in name, f"{cls.type_name()}.{name} is a money fact and must stay readable"
    if cls.personal.subject_of_data is None:
        key = cls.model_fields.get(cls.personal.key)
        assert key is not None, f"{cls.type_name()}: the subject's key {cls.personal.key!r} is not a field"
        assert type(None) not in _options(key.annotation), (
            f"{cls.type_name()}.{cls.personal.key} may be None, and then its personal fields would have no subject"
        )
        assert cls.personal.kind in SUBJECT_KINDS, f"{cls.type_name()}: unknown subject kind {cls.personal.kind!r}"


# --- a sample of each declared event, to ask it for its subject ------------------------------------------

def _sample(annotation: Any, full: bool) -> Any:
    options = _options(annotation)
    if type(None) in options and not full:
        return None
    annotation = next(o for o in options if o is not type(None))
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return typing.get_args(annotation)[0]
    if origin in (list, tuple, set, frozenset):
        return [_sample(typing.get_args(annotation)[0], full)] if full else []
    if origin is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {n: _sample(f.annotation, full) for n, f in annotation.model_fields.items()}
    samples = {UUID: uuid4(), str: "Ada Lovelace", int: 1, float: 1.0, bool: True,
               datetime: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), date: date(2026, 1, 2)}
    return samples.get(annotation, "x")


@pytest.mark.parametrize("full", [True, False], ids=["optionals-set", "optionals-none"])
@pytest.mark.parametrize("cls", DECLARED, ids=lambda c: c.type_name())
def test_every_instance_names_a_subject_of_an_agreed_kind(cls: type[Event], full: bool) -> None:
    assert cls.personal is not None
    event = cls.model_validate({n: _sample(f.annotation, full) for n, f in cls.model_fields.items()})
    data = event.model_dump(mode="json")
    subject = cls.personal.subject_of(data)
    assert subject is not None, f"{cls.type_name()} names no subject for {data}"
    kind, sep, ident = subject.partition(":")
    assert sep and ident and ident != "None", f"{cls.type_name()}: malformed subject {subject!r}"
    assert kind in SUBJECT_KINDS, f"{cls.type_name()}: subject kind {kind!r} is not one of the agreed kinds"


# --- subjects chosen from the data ----------------------------------------------------------------------------

def test_an_email_belongs_to_its_user_or_else_to_a_contact_of_its_own() -> None:
    user_id, notification_id = str(uuid4()), str(uuid4())
    for cls in (EmailSent, EmailFailed):
        assert cls.personal is not None
        assert cls.personal.subject_of({"user_id": user_id, "notification_id": notification_id}) == f"user:{user_id}"
        assert cls.personal.subject_of({"user_id": None, "notification_id": notification_id}) == f"contact:{notification_id}"


AT = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(("payload", "expected"), [
    (clerk.user_created("user_2ada", "ada@example.com", at=AT), "clerk:user_2ada"),
    (clerk.user_deleted("user_2ada", at=AT), "clerk:user_2ada"),
    (clerk.session_created("user_2ada", "sess_1", at=AT), "clerk:user_2ada"),
    (clerk.membership("created", "org_2acme", "user_2ada", "org:admin", at=AT), "clerk:user_2ada"),
    (clerk.organization_created("org_2acme", "Acme", "acme", at=AT), "clerk:org_2acme"),
    (clerk.event("organizationInvitation.created", {"id": "orginv_1", "email_address": "bo@example.com",
                                                     "organization_id": "org_2acme"}), "clerk:org_2acme"),
    (clerk.event("email.created", {"to_email_address": "bo@example.com", "user_id": None}), "clerkwebhook:msg_1"),
    (clerk.event("user.created", {"first_name": "Ada"}), "clerkwebhook:msg_1"),  # no id: still sealed
])
def test_a_clerk_payload_is_sealed_under_the_user_or_organization_it_is_about(payload: dict[str, Any],
                                                                              expected: str) -> None:
    data = {"svix_id": "msg_1", "event_type": payload["type"], "payload": payload}
    assert clerk_payload_subject(data) == expected
    assert ClerkWebhookReceived.personal is not None and ClerkWebhookReceived.personal.subject_of(data) == expected


def _stripe(type_: str, obj: dict[str, Any], account: str | None = None) -> dict[str, Any]:
    payload = {"id": "evt_1", "object": "event", "type": type_, "account": account, "data": {"object": obj}}
    return {"stripe_event_id": "evt_1", "event_type": type_, "account": account, "payload": payload}


@pytest.mark.parametrize(("data", "expected"), [
    (_stripe("customer.deleted", {"id": "cus_1", "object": "customer", "email": "ada@example.com"}), "stripe:cus_1"),
    (_stripe("invoice.paid", {"id": "in_1", "object": "invoice", "customer": "cus_1",
                              "customer_email": "ada@example.com"}), "stripe:cus_1"),
    (_stripe("customer.subscription.updated", {"id": "sub_1", "object": "subscription",
                                               "customer": {"id": "cus_2", "object": "customer"}}), "stripe:cus_2"),
    (_stripe("account.updated", {"id": "acct_1", "object": "account", "email": "bo@example.com"}), "stripe:acct_1"),
    (_stripe("transfer.reversed", {"id": "tr_1", "object": "transfer", "destination": "acct_9"}), "stripe:acct_9"),
    (_stripe("payout.paid", {"id": "po_1", "object": "payout", "destination": "ba_1"}, account="acct_7"),
     "stripe:acct_7"),
    (_stripe("balance.available", {"object": "balance"}), "stripewebhook:evt_1"),  # the platform's own
    (_stripe("payout.paid", {"id": "po_2", "object": "payout", "destination": "ba_2"}), "stripewebhook:evt_1"),
])
def test_a_stripe_payload_is_sealed_under_the_account_or_customer_it_is_about(data: dict[str, Any],
                                                                              expected: str) -> None:
    assert stripe_payload_subject(data) == expected
    assert StripeWebhookReceived.personal is not None and StripeWebhookReceived.personal.subject_of(data) == expected


def test_the_check_itself_catches_an_undeclared_personal_field() -> None:
    """The walk above would pass vacuously if `_suspect`/`_holds_data` never fired: prove they do."""

    class Careless(Event):
        person_id: UUID
        phone: str | None
        linkedin_url: str
        shown: bool
        kind: Literal["a", "b"]

    flagged = [n for n, f in Careless.model_fields.items() if _suspect(n) and _holds_data(f.annotation)
               and not _is_id(n, f.annotation)]
    assert flagged == ["phone", "linkedin_url"]
