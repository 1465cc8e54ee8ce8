"""A transaction's bank outcome is the outcome of the payout that carried its transfer (commands/billing/
placement_bank.py): given / when / then, and a property over any order and repetition of Stripe's deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from hypothesis import HealthCheck, given as for_all, settings, strategies as st

from commands.billing.placement_billing import (
    RecordBankPayout,
    RecordTransferReversed,
    TransferNotRecorded,
    placement_billing,
)
from commands.billing.placement_events import PayoutBankFailed, PayoutReachedBank, PayoutTransferReversed
from commands.core import Command, Conflict, NotYetRecorded
from tests.unit.billing.test_placement_billing import (
    ALL_TX,
    COLLECTIBLE,
    HOUR,
    P,
    PAID_OUT,
    RUNNING,
    TX_CLOSER,
    TX_FACILITATOR,
    transfer,
)
from tests.unit.dsl import given

AT = COLLECTIBLE + timedelta(days=2)
TX = TX_FACILITATOR
CLOSED = "The bank account has been closed"


def tr(tx: UUID) -> str:
    return f"tr_{tx.hex[:8]}"  # the transfer PAID_OUT recorded for the transaction


def bank(payout: str, outcome: Any = "paid", tx: UUID = TX, supersedes: tuple[str, ...] = (),
         reason: str | None = None, transfer_id: str | None = None, at: datetime = AT) -> RecordBankPayout:
    return RecordBankPayout(placement_id=P, transaction_id=tx, stripe_transfer_id=transfer_id or tr(tx),
                            stripe_payout_id=payout, supersedes=supersedes, outcome=outcome, reason=reason, at=at)


def reached(payout: str, tx: UUID = TX, supersedes: tuple[str, ...] = (), at: datetime = AT) -> PayoutReachedBank:
    return PayoutReachedBank(placement_id=P, transaction_id=tx, stripe_payout_id=payout, supersedes=list(supersedes),
                             at=at)


def bank_failed(payout: str, tx: UUID = TX, supersedes: tuple[str, ...] = (), reason: str = CLOSED,
                at: datetime = AT) -> PayoutBankFailed:
    return PayoutBankFailed(placement_id=P, transaction_id=tx, stripe_payout_id=payout, supersedes=list(supersedes),
                            reason=reason, at=at)


def txn(*events: Any, tx: UUID = TX) -> tuple[str, str | None, str | None, str | None]:
    t = given(placement_billing, *events).state.transactions[tx]
    return t.status, t.stripe_payout_id, t.bank, t.failure_reason


# --- the reproduction -------------------------------------------------------------------------------------------

def test_a_failed_payout_of_the_same_account_leaves_a_transaction_settled_by_another_payout_paid():
    """Issue 15, reproduction 1: `payout.paid` for po_X settles the transaction; a `payout.failed` for po_Y of the
    same Connect account, right after, is not this transaction's result."""
    given(placement_billing, *PAID_OUT).when(bank("po_X")).then(reached("po_X"))
    given(placement_billing, *PAID_OUT, reached("po_X")).when(
        bank("po_Y", "failed", reason=CLOSED, at=AT + HOUR)).then()
    assert txn(*PAID_OUT, reached("po_X")) == ("paid", "po_X", "paid", None)


# --- which payout speaks for the transaction ---------------------------------------------------------------------

def test_the_first_payout_to_report_becomes_the_transactions_payout():
    given(placement_billing, *PAID_OUT).when(bank("po_Y", "failed", reason=CLOSED)).then(bank_failed("po_Y"))
    given(placement_billing, *PAID_OUT, bank_failed("po_Y")).when(bank("po_X")).then()  # not its payout
    assert txn(*PAID_OUT, bank_failed("po_Y")) == ("failed", "po_Y", "failed", CLOSED)


def test_a_repeated_result_records_nothing():
    given(placement_billing, *PAID_OUT, reached("po_X")).when(bank("po_X")).then()
    given(placement_billing, *PAID_OUT, bank_failed("po_X")).when(bank("po_X", "failed", reason=CLOSED)).then()
    given(placement_billing, *PAID_OUT, bank_failed("po_X", reason="the bank payout was canceled")).when(
        bank("po_X", "canceled")).then()


def test_a_late_paid_delivery_of_a_payout_that_failed_records_nothing():
    """Stripe's payout goes paid → failed, never back: `payout.paid` arriving after `payout.failed` is older news."""
    given(placement_billing, *PAID_OUT, bank_failed("po_X")).when(bank("po_X")).then()
    assert txn(*PAID_OUT, bank_failed("po_X")) == ("failed", "po_X", "failed", CLOSED)


def test_the_own_payout_failing_after_it_was_paid_fails_the_transaction():
    """The one way back from settled: the bank returned the payout Stripe had marked paid (the money is back on
    the payee's Connect account)."""
    given(placement_billing, *PAID_OUT, reached("po_X")).when(
        bank("po_X", "failed", reason=CLOSED, at=AT + HOUR)).then(bank_failed("po_X", at=AT + HOUR))


def test_a_payout_that_carried_a_failed_payouts_money_again_settles_the_transaction():
    given(placement_billing, *PAID_OUT, bank_failed("po_Y")).when(bank("po_Z", supersedes=("po_Y",))).then(
        reached("po_Z", supersedes=("po_Y",)))
    assert txn(*PAID_OUT, bank_failed("po_Y"), reached("po_Z", supersedes=("po_Y",))) == ("paid", "po_Z", "paid",
                                                                                          None)


def test_results_of_a_superseded_payout_are_ignored_whichever_arrives_first():
    later = reached("po_Z", supersedes=("po_Y",))
    given(placement_billing, *PAID_OUT, later).when(bank("po_Y", "failed", reason=CLOSED)).then()
    given(placement_billing, *PAID_OUT, later).when(bank("po_Y")).then()
    # po_Y was paid, then po_Z carried it again once po_Y failed: po_Y's late failure is no longer the news.
    given(placement_billing, *PAID_OUT, reached("po_Y"), later).when(bank("po_Y", "failed", reason=CLOSED)).then()


def test_a_payout_that_carried_other_money_cannot_take_over():
    """po_Z superseded some other payout (po_W), not this transaction's po_Y: it did not carry this money."""
    given(placement_billing, *PAID_OUT, bank_failed("po_Y")).when(bank("po_Z", supersedes=("po_W",))).then()


# --- refusals ------------------------------------------------------------------------------------------------

def test_a_bank_result_before_the_transfer_is_recorded_is_asked_again_later():
    error = given(placement_billing, *RUNNING).when(bank("po_X")).then_raises(TransferNotRecorded)
    assert isinstance(error, NotYetRecorded)


def test_a_bank_result_for_another_transfer_is_a_conflict():
    given(placement_billing, *PAID_OUT).when(bank("po_X", transfer_id="tr_someone_else")).then_raises(
        Conflict, "was paid by transfer")


def test_a_reversed_transfer_stays_reversed_whatever_its_payout_did():
    reversal = PayoutTransferReversed(placement_id=P, transaction_id=TX, stripe_transfer_id=tr(TX), at=AT)
    given(placement_billing, *PAID_OUT, reversal).when(bank("po_X", "failed", reason=CLOSED)).then(
        bank_failed("po_X"))
    assert txn(*PAID_OUT, reversal, bank_failed("po_X")) == ("reversed", "po_X", "failed", CLOSED)
    assert txn(*PAID_OUT, bank_failed("po_X"), reversal) == ("reversed", "po_X", "failed", CLOSED)


# --- the property: any order, any repetition ------------------------------------------------------------------

Final = Literal["paid", "failed", "canceled", "paid_then_failed"]


@dataclass(frozen=True)
class World:
    """Stripe's side: the transfers of a run to one connected account, and that account's payouts in turn. Each
    payout carries what is on the balance then (transfers that arrived, and money a failed or canceled payout
    gave back), as Stripe's automatic payouts do (and the fake Stripe models)."""

    arrivals: dict[UUID, int]  # transaction → the payout round before which its transfer was made
    finals: list[Final]  # each payout's life: its last status (paid_then_failed: the bank returned it later)
    reversed: frozenset[UUID]

    def carried(self) -> dict[int, list[tuple[UUID, tuple[str, ...]]]]:
        """What each payout carried: (transaction, the earlier failed payouts of that money, newest first) —
        what `Payments.payout_transfers` reads from the payout's balance transactions."""
        balance: list[tuple[UUID, tuple[str, ...]]] = []
        carried: dict[int, list[tuple[UUID, tuple[str, ...]]]] = {}
        for k, final in enumerate(self.finals):
            balance += [(tx, ()) for tx, round_ in self.arrivals.items() if round_ == k]
            carried[k], balance = balance, []
            if final != "paid":  # its money is back on the balance, for the next payout to carry
                balance = [(tx, (payout(k), *chain)) for tx, chain in carried[k]]
        return carried

    def expected(self, tx: UUID) -> tuple[str, str | None, str | None, str | None]:
        last = max((k for k, items in self.carried().items() if any(t == tx for t, _ in items)), default=None)
        if last is None:
            return "reversed" if tx in self.reversed else "paid", None, None, None
        final = self.finals[last]
        failed = final != "paid"
        reason = None if not failed else reason_of(final)
        status = "reversed" if tx in self.reversed else "failed" if failed else "paid"
        return status, payout(last), "failed" if failed else "paid", reason

    def deliveries(self, bundled: bool) -> list[list[Command]]:
        """Each Stripe event as the commands the webhook sends for it (`bundled`: the transfer first, as the
        route does; otherwise the bank result alone, which waits for the transfer's own event)."""
        events: list[list[Command]] = [[transfer(tx)] for tx in self.arrivals]
        events += [[transfer(tx), RecordTransferReversed(placement_id=P, stripe_transfer_id=tr(tx), at=AT)]
                   for tx in self.reversed]
        for k, items in self.carried().items():
            for outcome in {"paid": ["paid"], "failed": ["failed"], "canceled": ["canceled"],
                            "paid_then_failed": ["paid", "failed"]}[self.finals[k]]:
                reason = reason_of(self.finals[k]) if outcome != "paid" else None
                for tx, chain in items:
                    result = bank(payout(k), outcome, tx=tx, supersedes=chain, reason=reason)
                    events.append([transfer(tx), result] if bundled else [result])
        return events


def payout(k: int) -> str:
    return f"po_{k}"


def reason_of(final: Final) -> str:
    return "the bank payout was canceled" if final == "canceled" else CLOSED


@st.composite
def worlds(draw: st.DrawFn) -> World:
    finals = draw(st.lists(st.sampled_from(["paid", "failed", "canceled", "paid_then_failed"]), min_size=1,
                           max_size=4))
    arrivals = {tx: draw(st.integers(0, len(finals))) for tx in ALL_TX}  # len(finals): never paid out yet
    reversed_ = draw(st.frozensets(st.sampled_from(ALL_TX), max_size=2))
    return World(arrivals, finals, reversed_)


def deliver(world: World, order: list[int], bundled: bool) -> Any:
    """Apply the deliveries in `order` (indices) to the placement's stream, as `handle` would; a delivery
    answered "not yet recorded" comes back at the end, as Stripe retries it."""
    events: list[Any] = list(RUNNING)  # the run started, nothing transferred yet
    deliveries = world.deliveries(bundled)
    queue = [deliveries[i] for i in order]
    while queue:
        commands = queue.pop(0)
        state = given(placement_billing, *events).state
        try:
            for cmd in commands:
                decided = placement_billing.decide(cmd, state)
                for e in decided:
                    state = placement_billing.evolve(state, e)
                events += decided
        except NotYetRecorded:
            queue.append(commands)
    return given(placement_billing, *events).state


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@for_all(world=worlds(), data=st.data(), bundled=st.booleans())
def test_any_order_and_repetition_of_transfer_and_payout_events_ends_in_the_same_correct_states(
        world: World, data: st.DataObject, bundled: bool) -> None:
    n = len(world.deliveries(bundled))
    order = list(data.draw(st.permutations(range(n)), label="order"))
    for again in data.draw(st.lists(st.integers(0, n - 1), max_size=n), label="redelivered"):
        order.insert(data.draw(st.integers(0, len(order)), label="when"), again)
    final = deliver(world, order, bundled)
    for tx in ALL_TX:
        t = final.transactions[tx]
        assert (t.status, t.stripe_payout_id, t.bank, t.failure_reason) == world.expected(tx), tx
    assert final.transactions[TX_CLOSER].stripe_transfer_id == tr(TX_CLOSER)
