from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.billing.billing_profile import (
    AttachBillingCustomer,
    DeleteBillingCustomer,
    RemovePaymentMethod,
    SaveBillingProfile,
    SetDefaultPaymentMethod,
    billing_profile,
    billing_profile_key,
)
from commands.billing.events import (
    BillingCustomerAttached,
    BillingCustomerDeleted,
    BillingPaymentMethodAttached,
    BillingPaymentMethodRemoved,
    BillingProfileSaved,
    BillingReadinessChanged,
)
from commands.core import Command, Conflict, Event, NotFound, RuleViolation
from tests.unit.dsl import given

COMPANY = UUID("00000000-0000-4000-8000-0000000000c0")
ACTOR = "user_2abc"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
OWNER: dict[str, Any] = {"owner_kind": "company", "owner_id": COMPANY}
ADDRESS = {"line1": "1 Main St", "city": "Austin", "country": "US"}
PROFILE: dict[str, Any] = {"billing_terms": "net_30", "billing_email": "billing@acme.com",
                           "billing_contact_name": "Ada Lovelace", "tax_id": "US123", "address": ADDRESS}


def save(**overrides: Any) -> SaveBillingProfile:
    return SaveBillingProfile(**OWNER | PROFILE | {"by": ACTOR, "at": T1} | overrides)


def saved(**overrides: Any) -> BillingProfileSaved:
    return BillingProfileSaved(**OWNER | PROFILE | {"by": ACTOR, "at": T0} | overrides)


def attach(customer: str = "cus_1") -> AttachBillingCustomer:
    return AttachBillingCustomer(**OWNER, stripe_customer_id=customer, by=ACTOR, at=T1)


def customer_attached(customer: str = "cus_1", at: datetime = T0) -> BillingCustomerAttached:
    return BillingCustomerAttached(**OWNER, stripe_customer_id=customer, by=ACTOR, at=at)


def set_pm(pm: str = "pm_1", only_if_missing: bool = False) -> SetDefaultPaymentMethod:
    return SetDefaultPaymentMethod(**OWNER, payment_method_id=pm, only_if_missing=only_if_missing, by=ACTOR, at=T1)


def pm_attached(pm: str = "pm_1", at: datetime = T0) -> BillingPaymentMethodAttached:
    return BillingPaymentMethodAttached(**OWNER, payment_method_id=pm, by=ACTOR, at=at)


def remove_pm(pm: str = "pm_1") -> RemovePaymentMethod:
    return RemovePaymentMethod(**OWNER, payment_method_id=pm, by=ACTOR, at=T1)


def pm_removed(pm: str = "pm_1") -> BillingPaymentMethodRemoved:
    return BillingPaymentMethodRemoved(**OWNER, payment_method_id=pm, by=ACTOR, at=T1)


def delete_customer(customer: str = "cus_1") -> DeleteBillingCustomer:
    return DeleteBillingCustomer(**OWNER, stripe_customer_id=customer, by=ACTOR, at=T1)


def customer_deleted(customer: str = "cus_1") -> BillingCustomerDeleted:
    return BillingCustomerDeleted(**OWNER, stripe_customer_id=customer, by=ACTOR, at=T1)


def readiness(ready: bool, *missing: str, at: datetime = T1) -> BillingReadinessChanged:
    return BillingReadinessChanged(**OWNER, ready=ready, missing=list(missing), at=at)


WITH_CUSTOMER = [saved(), customer_attached()]
READY = [saved(), customer_attached(), pm_attached(), readiness(True, at=T0)]


# --- the profile -------------------------------------------------------------------------------------------

def test_new_profile_is_saved():
    given(billing_profile).when(save()).then(saved(at=T1))
    state = given(billing_profile, saved()).state
    assert (state.exists, state.owner_kind, state.owner_id, state.billing_terms) == (True, "company", COMPANY, "net_30")
    assert (state.billing_email, state.billing_contact_name, state.tax_id, state.address) == (
        "billing@acme.com", "Ada Lovelace", "US123", ADDRESS)
    assert (state.ready, state.missing) == (False, ["stripe_customer", "payment_method"])


def test_minimal_profile_is_saved():
    cmd = save(billing_contact_name=None, tax_id=None, address=None, billing_terms="immediate")
    given(billing_profile).when(cmd).then(saved(billing_contact_name=None, tax_id=None, address=None,
                                                billing_terms="immediate", at=T1))


def test_billing_email_is_lowercased():
    assert save(billing_email="  Billing@ACME.com ").billing_email == "billing@acme.com"


def test_saving_the_same_values_records_nothing():
    given(billing_profile, saved()).when(save(billing_email="BILLING@acme.com")).then()


@pytest.mark.parametrize(
    "field, value",
    [("billing_terms", "net_90"), ("billing_email", "ap@acme.com"), ("billing_contact_name", None),
     ("tax_id", "US999"), ("address", ADDRESS | {"city": "Dallas"}), ("address", None)],
)
def test_saving_a_changed_field_is_recorded(field: str, value: Any):
    given(billing_profile, saved()).when(save(**{field: value})).then(saved(**{field: value, "at": T1}))


def test_saving_a_ready_profile_keeps_it_ready():
    given(billing_profile, *READY).when(save(billing_terms="immediate")).then(saved(billing_terms="immediate", at=T1))


@pytest.mark.parametrize(
    "field, value",
    [("billing_email", "not-an-email"), ("billing_email", ""), ("billing_terms", "net_15"), ("owner_kind", "user"),
     ("owner_id", "x"), ("by", " "), ("at", datetime(2026, 3, 1)), ("address", {"line1": 1})],
)
def test_profile_with_bad_field_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        save(**{field: value})


def test_profile_key_names_owner_kind_and_id():
    assert billing_profile_key("firm", COMPANY) == f"firm-{COMPANY}"
    assert billing_profile.stream_type == "billingprofile"


@pytest.mark.parametrize("cmd", [attach(), set_pm(), remove_pm(), delete_customer()],
                         ids=lambda cmd: type(cmd).__name__)
def test_command_without_a_profile_raises_not_found(cmd: Command):
    error = given(billing_profile).when(cmd).then_raises(NotFound, "has no billing profile")
    assert not {"type", "title", "status", "detail", "instance"} & set(error.details)  # type: ignore[attr-defined]


# --- the Stripe customer -----------------------------------------------------------------------------------

def test_customer_is_attached():
    given(billing_profile, saved()).when(attach()).then(customer_attached(at=T1))
    assert given(billing_profile, *WITH_CUSTOMER).state.missing == ["payment_method"]


def test_same_customer_again_records_nothing():
    given(billing_profile, *WITH_CUSTOMER).when(attach()).then()


def test_another_customer_raises_conflict():
    given(billing_profile, *WITH_CUSTOMER).when(attach("cus_2")).then_raises(Conflict, "cus_1")


def test_a_new_customer_is_attached_after_the_old_one_was_deleted():
    given(billing_profile, *WITH_CUSTOMER, customer_deleted()).when(attach("cus_2")).then(
        customer_attached("cus_2", at=T1)
    )


# --- the payment method ------------------------------------------------------------------------------------

def test_payment_method_makes_the_profile_ready():
    given(billing_profile, *WITH_CUSTOMER).when(set_pm()).then(pm_attached(at=T1), readiness(True))
    state = given(billing_profile, *READY).state
    assert (state.payment_method_id, state.ready, state.missing) == ("pm_1", True, [])


def test_webhook_payment_method_fills_a_missing_default():
    given(billing_profile, *WITH_CUSTOMER).when(set_pm(only_if_missing=True)).then(pm_attached(at=T1),
                                                                                  readiness(True))


@pytest.mark.parametrize("cmd", [set_pm(), set_pm(only_if_missing=True), set_pm("pm_2", only_if_missing=True)],
                         ids=["same", "same from webhook", "other from webhook"])
def test_payment_method_that_changes_nothing_records_nothing(cmd: Command):
    given(billing_profile, *READY).when(cmd).then()


def test_another_default_replaces_the_first_and_stays_ready():
    given(billing_profile, *READY).when(set_pm("pm_2")).then(pm_attached("pm_2", at=T1))
    assert given(billing_profile, *READY, pm_attached("pm_2")).state.payment_method_id == "pm_2"


@pytest.mark.parametrize("history", [[saved()], [*WITH_CUSTOMER, customer_deleted()]], ids=["never", "deleted"])
def test_payment_method_without_a_customer_raises(history: list[Event]):
    given(billing_profile, *history).when(set_pm()).then_raises(RuleViolation, "no Stripe customer")


def test_removing_the_default_makes_the_profile_unready():
    given(billing_profile, *READY).when(remove_pm()).then(pm_removed(), readiness(False, "payment_method"))
    state = given(billing_profile, *READY, pm_removed()).state
    assert (state.payment_method_id, state.ready, state.missing) == (None, False, ["payment_method"])


@pytest.mark.parametrize("history", [READY, WITH_CUSTOMER, [saved()]], ids=["other default", "no default", "bare"])
def test_removing_a_payment_method_that_is_not_the_default_records_nothing(history: list[Event]):
    given(billing_profile, *history).when(remove_pm("pm_9")).then()


# --- deleting the customer ---------------------------------------------------------------------------------

def test_deleting_the_customer_drops_it_and_its_payment_method():
    given(billing_profile, *READY).when(delete_customer()).then(
        customer_deleted(), readiness(False, "stripe_customer", "payment_method")
    )
    state = given(billing_profile, *READY, customer_deleted()).state
    assert (state.stripe_customer_id, state.payment_method_id, state.billing_email) == (None, None, "billing@acme.com")


def test_deleting_the_customer_of_an_unready_profile_records_no_readiness_change():
    given(billing_profile, *WITH_CUSTOMER).when(delete_customer()).then(customer_deleted())


@pytest.mark.parametrize("history", [READY, [saved()]], ids=["another customer", "no customer"])
def test_deleting_a_customer_that_is_not_attached_records_nothing(history: list[Event]):
    given(billing_profile, *history).when(delete_customer("cus_9")).then()


def test_readiness_flips_back_and_forth():
    history = [*READY, pm_removed(), readiness(False, "payment_method")]
    given(billing_profile, *history).when(set_pm("pm_2")).then(pm_attached("pm_2", at=T1), readiness(True))
    history = [*READY, customer_deleted(), readiness(False, "stripe_customer", "payment_method")]
    given(billing_profile, *history).when(attach("cus_2")).then(customer_attached("cus_2", at=T1))
    assert given(billing_profile, *history, customer_attached("cus_2")).state.missing == ["payment_method"]


def test_nothing_is_missing_only_when_all_three_are_present():
    assert billing_profile.initial_state().missing == ["billing_email", "stripe_customer", "payment_method"]
    assert not billing_profile.initial_state().ready
