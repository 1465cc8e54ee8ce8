"""The Connect account decider: the Stripe Connect account a recruiter or a firm is paid through
(domain §3.4, §8.2 `account.updated`).

One stream per payee, `connectaccount-<payee_kind>-<payee_id>` (see `connect_account_key`).

An account is *onboarded* when Stripe says charges, payouts and details submitted are all enabled; only
then are transfers made to it. Stripe's view arrives by webhook (`SyncConnectAccount`) and is recorded only
when observed later than the last one applied, so out of order deliveries leave the newest standing. The
change of onboarding it brings is recorded with it: `ConnectAccountOnboarded` when it becomes onboarded,
`ConnectAccountDisabled` (naming the flags that are off) when it stops being so.

Decisions where domain.md is silent or inconsistent:
- A payee has one account: recording it again records nothing, another account id is a Conflict.
- A webhook for an account id other than the recorded one records nothing (an account we do not pay).
- `onboarded_at` is when the account was last onboarded; a disabled account keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, StringConstraints

from commands.billing.events import (
    ConnectAccountCreated,
    ConnectAccountDisabled,
    ConnectAccountOnboarded,
    ConnectAccountSynced,
    PayeeKind,
)
from commands.core import Command, Conflict, Decider, NotYetRecorded

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
StripeId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
FLAGS = ("charges_enabled", "payouts_enabled", "details_submitted")


def connect_account_key(payee_kind: PayeeKind, payee_id: UUID) -> str:
    """The entity id of a payee's Connect account stream."""
    return f"{payee_kind}-{payee_id}"


class _ConnectCommand(Command):
    payee_kind: PayeeKind
    payee_id: UUID
    stripe_account_id: StripeId
    at: AwareDatetime


class RecordConnectAccount(_ConnectCommand):
    by: Actor


class SyncConnectAccount(_ConnectCommand):
    """Stripe's view of the account, from an `account.updated` webhook observed at `observed_at`."""

    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    stripe_event_id: StripeId
    observed_at: AwareDatetime


ConnectAccountCommand = RecordConnectAccount | SyncConnectAccount
ConnectAccountEvent = ConnectAccountCreated | ConnectAccountSynced | ConnectAccountOnboarded | ConnectAccountDisabled


@dataclass(frozen=True)
class ConnectAccount:
    exists: bool = False
    payee_kind: PayeeKind | None = None
    payee_id: UUID | None = None
    stripe_account_id: str | None = None
    charges_enabled: bool = False
    payouts_enabled: bool = False
    details_submitted: bool = False
    onboarded: bool = False
    onboarded_at: datetime | None = None
    last_observed_at: datetime | None = None


def initial_state() -> ConnectAccount:
    return ConnectAccount()


def evolve(s: ConnectAccount, e: ConnectAccountEvent) -> ConnectAccount:
    match e:
        case ConnectAccountCreated():
            return replace(s, exists=True, payee_kind=e.payee_kind, payee_id=e.payee_id,
                           stripe_account_id=e.stripe_account_id)
        case ConnectAccountSynced():
            return replace(s, charges_enabled=e.charges_enabled, payouts_enabled=e.payouts_enabled,
                           details_submitted=e.details_submitted, last_observed_at=e.observed_at)
        case ConnectAccountOnboarded():
            return replace(s, onboarded=True, onboarded_at=e.at)
        case ConnectAccountDisabled():
            return replace(s, onboarded=False)
        case _:
            return s


class AccountNotRecorded(NotYetRecorded):
    """Stripe's view of an account we have not recorded yet (our record follows Stripe's answer): the webhook
    is answered 5xx so that Stripe brings it back."""

    code = "connect_account_not_recorded"


def decide(cmd: ConnectAccountCommand, s: ConnectAccount) -> list[ConnectAccountEvent]:
    match cmd:
        case RecordConnectAccount() if s.exists and s.stripe_account_id == cmd.stripe_account_id:
            return []
        case RecordConnectAccount() if s.exists:
            raise Conflict(f"{cmd.payee_kind} {cmd.payee_id} already has Connect account {s.stripe_account_id}",
                           payee_kind=cmd.payee_kind, payee_id=str(cmd.payee_id),
                           stripe_account_id=s.stripe_account_id)
        case RecordConnectAccount():
            return [ConnectAccountCreated(**cmd.model_dump())]
        case SyncConnectAccount() if not s.exists:
            raise AccountNotRecorded(f"{cmd.payee_kind} {cmd.payee_id} has no Connect account recorded yet",
                                     payee_kind=cmd.payee_kind, payee_id=str(cmd.payee_id))
        case SyncConnectAccount() if cmd.stripe_account_id != s.stripe_account_id:
            return []  # not the account this payee is paid through
        case SyncConnectAccount() if s.last_observed_at is not None and cmd.observed_at < s.last_observed_at:
            return []  # an older view than the one applied: the newest stands
        case SyncConnectAccount() if cmd.observed_at == s.last_observed_at and all(
                getattr(cmd, flag) == getattr(s, flag) for flag in FLAGS):
            return []  # the view applied already (Stripe's clock has seconds: a different view of the same
            # second is the later delivery, and is applied)
        case SyncConnectAccount():
            return _sync(cmd, s)
        case _:
            raise TypeError(f"the connect account decider has no case for {type(cmd).__name__}")


def _sync(cmd: SyncConnectAccount, s: ConnectAccount) -> list[ConnectAccountEvent]:
    events: list[ConnectAccountEvent] = [ConnectAccountSynced(**cmd.model_dump())]
    off = [flag for flag in FLAGS if not getattr(cmd, flag)]
    payee = {"payee_kind": cmd.payee_kind, "payee_id": cmd.payee_id, "stripe_account_id": cmd.stripe_account_id}
    if not off and not s.onboarded:
        events.append(ConnectAccountOnboarded(**payee, at=cmd.at))
    elif off and s.onboarded:
        events.append(ConnectAccountDisabled(**payee, reason=", ".join(f"{flag} is false" for flag in off), at=cmd.at))
    return events


connect_account: Decider[ConnectAccountCommand, ConnectAccountEvent, ConnectAccount] = Decider(
    "connectaccount", initial_state, evolve, decide,
    events=(ConnectAccountCreated, ConnectAccountSynced, ConnectAccountOnboarded, ConnectAccountDisabled),
)
