"""A payout transaction's bank outcome, keyed by the Stripe payout that carried its transfer (domain §8.2).

Stripe pays a connected account's balance out to its bank in payouts, on its own schedule; one payout may carry
several of our transfers (and other money), and a failed or canceled payout returns its funds to the balance,
to be carried again by a later payout. Which transfers a payout carried is told by its balance transactions
(resolved from Stripe when its webhook arrives: `adapters/payments.py`), never guessed from the account. A result
names the transaction, the transfer and the payout, and is decided here, on the placement's own stream:

- It is taken only for the transfer recorded for the transaction: another transfer is a Conflict, and before
  the transfer is recorded it is `TransferNotRecorded` (answered 503, so Stripe sends it again).
- The first payout to report on a transaction becomes its payout. A result from any other payout is ignored
  (a no-op: that payout carried other money), unless that payout carried this money again after the recorded
  one failed or was canceled (`supersedes` names the failed ones): then it becomes the transaction's payout,
  and the results of the payouts it superseded are ignored from then on, whichever arrives first.
- For its own payout, a result already recorded records nothing, and a failure stays a failure against a late
  `payout.paid`. The one move from paid to failed is Stripe's own: "some payouts that fail might initially show
  as paid, then change to failed" (the bank returned it), and then the money is back on the payee's account, so
  it is recorded. Nothing else moves a settled transaction back to failed.

Each rule keeps the end state independent of the order and repetition of Stripe's deliveries (the property
test in tests/unit/billing/test_bank_payouts.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal
from uuid import UUID

from pydantic import AwareDatetime

from commands.billing.placement_events import PayoutBankFailed, PayoutReachedBank
from commands.core import Command, Conflict, NotYetRecorded

if TYPE_CHECKING:
    from commands.billing.placement_billing import Transaction

BankOutcome = Literal["paid", "failed"]


class TransferNotRecorded(NotYetRecorded):
    """A bank result for a transfer our record does not hold yet: answered 5xx so that Stripe retries."""

    code = "transfer_not_recorded"


class RecordBankPayout(Command):
    """Stripe's payout `stripe_payout_id` of the payee's connected account carried `stripe_transfer_id` (the
    transaction's transfer) and reached `outcome`. `supersedes`: the earlier payouts whose failure or cancellation
    returned this money to the balance, newest first."""

    placement_id: UUID
    transaction_id: UUID
    stripe_transfer_id: str
    stripe_payout_id: str
    supersedes: tuple[str, ...] = ()
    outcome: Literal["paid", "failed", "canceled"]
    reason: str | None = None
    at: AwareDatetime


def decide_bank_payout(cmd: RecordBankPayout, t: Transaction) -> list[PayoutReachedBank | PayoutBankFailed]:
    if t.stripe_transfer_id is None:
        raise TransferNotRecorded(f"transaction {t.id} has no transfer recorded yet ({cmd.stripe_transfer_id})",
                                  transaction_id=str(t.id), stripe_transfer_id=cmd.stripe_transfer_id)
    if t.stripe_transfer_id != cmd.stripe_transfer_id:
        raise Conflict(f"transaction {t.id} was paid by transfer {t.stripe_transfer_id}, not "
                       f"{cmd.stripe_transfer_id}", transaction_id=str(t.id), stripe_transfer_id=t.stripe_transfer_id)
    payout = cmd.stripe_payout_id
    if payout in t.superseded_payouts:
        return []  # a later payout carried this money again
    if payout == t.stripe_payout_id:
        if cmd.outcome == "paid" or t.bank == "failed":
            return []  # recorded already, or a late `payout.paid` of a payout that has since failed
    elif t.stripe_payout_id is not None and t.stripe_payout_id not in cmd.supersedes:
        return []  # another payout's result: it did not carry this transaction's money
    supersedes = list(cmd.supersedes)
    if cmd.outcome == "paid":
        return [PayoutReachedBank(placement_id=cmd.placement_id, transaction_id=t.id, stripe_payout_id=payout,
                                  supersedes=supersedes, at=cmd.at)]
    return [PayoutBankFailed(placement_id=cmd.placement_id, transaction_id=t.id, stripe_payout_id=payout,
                             supersedes=supersedes, reason=cmd.reason or f"the bank payout was {cmd.outcome}",
                             at=cmd.at)]
