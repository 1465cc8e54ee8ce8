from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.billing.connect_account import (
    RecordConnectAccount,
    SyncConnectAccount,
    connect_account,
    connect_account_key,
)
from commands.billing.events import (
    ConnectAccountCreated,
    ConnectAccountDisabled,
    ConnectAccountOnboarded,
    ConnectAccountSynced,
)
from commands.core import Conflict, Event, NotFound
from tests.unit.dsl import given

RECRUITER = UUID("00000000-0000-4000-8000-0000000000e1")
ACTOR = "user_2abc"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
PAYEE: dict[str, Any] = {"payee_kind": "recruiter", "payee_id": RECRUITER}
ACCOUNT = "acct_1"
ALL_ON = {"charges_enabled": True, "payouts_enabled": True, "details_submitted": True}


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def record(account: str = ACCOUNT) -> RecordConnectAccount:
    return RecordConnectAccount(**PAYEE, stripe_account_id=account, by=ACTOR, at=T0)


def created(account: str = ACCOUNT) -> ConnectAccountCreated:
    return ConnectAccountCreated(**PAYEE, stripe_account_id=account, by=ACTOR, at=T0)


def sync(observed: int = 1, account: str = ACCOUNT, event_id: str = "evt_1", **flags: bool) -> SyncConnectAccount:
    return SyncConnectAccount(**PAYEE, stripe_account_id=account, **ALL_ON | flags, stripe_event_id=event_id,
                              observed_at=minutes(observed), at=minutes(10))


def synced(observed: int = 1, event_id: str = "evt_1", **flags: bool) -> ConnectAccountSynced:
    return ConnectAccountSynced(**PAYEE, stripe_account_id=ACCOUNT, **ALL_ON | flags, stripe_event_id=event_id,
                                observed_at=minutes(observed), at=minutes(10))


def onboarded() -> ConnectAccountOnboarded:
    return ConnectAccountOnboarded(**PAYEE, stripe_account_id=ACCOUNT, at=minutes(10))


def disabled(reason: str) -> ConnectAccountDisabled:
    return ConnectAccountDisabled(**PAYEE, stripe_account_id=ACCOUNT, reason=reason, at=minutes(10))


PENDING = [created(), synced(1, details_submitted=False, payouts_enabled=False)]
ONBOARDED = [created(), synced(1), onboarded()]


# --- recording ---------------------------------------------------------------------------------------------

def test_account_is_recorded():
    given(connect_account).when(record()).then(created())
    state = given(connect_account, created()).state
    assert (state.exists, state.payee_kind, state.payee_id, state.stripe_account_id) == (
        True, "recruiter", RECRUITER, ACCOUNT)
    assert (state.onboarded, state.onboarded_at, state.last_observed_at) == (False, None, None)


def test_firm_account_is_recorded():
    cmd = RecordConnectAccount(payee_kind="firm", payee_id=RECRUITER, stripe_account_id=ACCOUNT, by=ACTOR, at=T0)
    given(connect_account).when(cmd).then(ConnectAccountCreated(payee_kind="firm", payee_id=RECRUITER,
                                                                stripe_account_id=ACCOUNT, by=ACTOR, at=T0))


def test_same_account_again_records_nothing():
    given(connect_account, created()).when(record()).then()


def test_another_account_raises_conflict():
    error = given(connect_account, created()).when(record("acct_2")).then_raises(Conflict, ACCOUNT)
    assert not {"type", "title", "status", "detail", "instance"} & set(error.details)  # type: ignore[attr-defined]


@pytest.mark.parametrize("field, value", [("payee_kind", "company"), ("payee_id", "x"), ("stripe_account_id", " "),
                                          ("by", ""), ("at", datetime(2026, 3, 1))])
def test_record_with_bad_field_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        RecordConnectAccount(**PAYEE | {"stripe_account_id": ACCOUNT, "by": ACTOR, "at": T0, field: value})


def test_key_names_payee_kind_and_id():
    assert connect_account_key("recruiter", RECRUITER) == f"recruiter-{RECRUITER}"
    assert connect_account.stream_type == "connectaccount"


# --- Stripe's view -----------------------------------------------------------------------------------------

def test_sync_without_an_account_raises_not_found():
    given(connect_account).when(sync()).then_raises(NotFound, "has no Connect account")


def test_partial_view_is_recorded_without_onboarding():
    given(connect_account, created()).when(sync(1, payouts_enabled=False)).then(synced(1, payouts_enabled=False))
    state = given(connect_account, created(), synced(1, payouts_enabled=False)).state
    assert (state.charges_enabled, state.payouts_enabled, state.details_submitted) == (True, False, True)
    assert (state.onboarded, state.last_observed_at) == (False, minutes(1))


@pytest.mark.parametrize("history", [[created()], PENDING], ids=["first view", "after a partial view"])
def test_all_three_enabled_onboards_the_account(history: list[Event]):
    given(connect_account, *history).when(sync(2)).then(synced(2), onboarded())
    state = given(connect_account, *history, synced(2), onboarded()).state
    assert (state.onboarded, state.onboarded_at) == (True, minutes(10))


def test_onboarded_account_seen_enabled_again_is_only_synced():
    given(connect_account, *ONBOARDED).when(sync(2, event_id="evt_2")).then(synced(2, event_id="evt_2"))


@pytest.mark.parametrize(
    "flags, reason",
    [({"payouts_enabled": False}, "payouts_enabled is false"),
     ({"charges_enabled": False}, "charges_enabled is false"),
     ({"details_submitted": False}, "details_submitted is false"),
     ({"charges_enabled": False, "payouts_enabled": False}, "charges_enabled is false, payouts_enabled is false")],
)
def test_onboarded_account_losing_a_flag_is_disabled(flags: dict[str, bool], reason: str):
    given(connect_account, *ONBOARDED).when(sync(2, **flags)).then(synced(2, **flags), disabled(reason))
    state = given(connect_account, *ONBOARDED, synced(2, **flags), disabled(reason)).state
    assert (state.onboarded, state.onboarded_at) == (False, minutes(10))


def test_disabled_account_seen_disabled_again_is_only_synced():
    history = [*ONBOARDED, synced(2, payouts_enabled=False), disabled("payouts_enabled is false")]
    given(connect_account, *history).when(sync(3, payouts_enabled=False, charges_enabled=False)).then(
        synced(3, payouts_enabled=False, charges_enabled=False)
    )


def test_disabled_account_enabled_again_is_onboarded_again():
    history = [*ONBOARDED, synced(2, payouts_enabled=False), disabled("payouts_enabled is false")]
    given(connect_account, *history).when(sync(3)).then(synced(3), onboarded())


def test_older_view_records_nothing():
    given(connect_account, *ONBOARDED).when(sync(0, payouts_enabled=False)).then()


def test_the_same_view_again_records_nothing():
    given(connect_account, *ONBOARDED).when(sync(1)).then()


def test_another_view_of_the_same_second_is_the_later_delivery():
    """Stripe's event times have seconds: two views of one second arrive in the order they happened."""
    given(connect_account, *ONBOARDED).when(sync(1, payouts_enabled=False)).then(
        synced(1, payouts_enabled=False), disabled("payouts_enabled is false"))


def test_view_a_microsecond_newer_is_recorded():
    cmd = SyncConnectAccount(**PAYEE, stripe_account_id=ACCOUNT, **ALL_ON, stripe_event_id="evt_2",
                             observed_at=minutes(1) + US, at=minutes(10))
    assert [type(e) for e in connect_account.decide(cmd, given(connect_account, *ONBOARDED).state)] == [
        ConnectAccountSynced]


def test_view_of_another_account_records_nothing():
    given(connect_account, *ONBOARDED).when(sync(5, account="acct_2", payouts_enabled=False)).then()


def test_out_of_order_webhooks_leave_the_newest_standing():
    deliveries = [(3, {"payouts_enabled": False}), (1, {}), (2, {"charges_enabled": False}), (4, {})]
    state = given(connect_account, created()).state
    decided: list[str] = []
    for observed, flags in deliveries:
        for e in connect_account.decide(sync(observed, event_id=f"evt_{observed}", **flags), state):
            decided.append(type(e).__name__)
            state = connect_account.evolve(state, e)
    assert decided == ["ConnectAccountSynced", "ConnectAccountSynced", "ConnectAccountOnboarded"]
    assert (state.onboarded, state.last_observed_at) == (True, minutes(4))


@pytest.mark.parametrize("field, value", [("observed_at", datetime(2026, 3, 1)), ("stripe_event_id", " "),
                                          ("charges_enabled", "maybe")])
def test_sync_with_bad_field_is_rejected(field: str, value: Any):
    fields = sync().model_dump() | {field: value}
    with pytest.raises(ValidationError, match=field):
        SyncConnectAccount(**fields)


def test_sync_takes_no_actor():
    with pytest.raises(ValidationError, match="by"):
        SyncConnectAccount(**sync().model_dump() | {"by": ACTOR})
