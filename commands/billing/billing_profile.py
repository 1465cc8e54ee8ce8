"""The billing profile decider: how a company or a firm pays its invoices (domain §3.4, §8.2).

One stream per owner, `billingprofile-<owner_kind>-<owner_id>` (see `billing_profile_key`).

An owner is *ready* to bill when it has a billing email, a Stripe customer and a default payment method;
until then its jobs stay in draft. Every decision that flips readiness records, after its own event,
`BillingReadinessChanged` with what is missing.

Decisions where domain.md is silent or inconsistent:
- Saving the profile again with the same values records nothing; the billing email is stored lowercased.
- A Stripe customer is attached to a saved profile only, once: another customer while one is attached is a
  Conflict (`customer.deleted` detaches it first).
- A default payment method needs a Stripe customer. `only_if_missing` (Stripe's `payment_method.attached`
  webhook) sets it only when there is none, so a webhook never replaces the one the owner chose.
- Removing a payment method or deleting a customer that is not the current one records nothing (Stripe
  sends these for cards and customers we may never have recorded); deleting the customer drops its
  payment method too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, StringConstraints

from commands.billing.events import (
    BillingCustomerAttached,
    BillingCustomerDeleted,
    BillingOwnerKind,
    BillingPaymentMethodAttached,
    BillingPaymentMethodRemoved,
    BillingProfileSaved,
    BillingReadinessChanged,
    BillingTerms,
)
from commands.core import Command, Conflict, Decider, NotFound, RuleViolation
from commands.identity.fields import Email

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
StripeId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def billing_profile_key(owner_kind: BillingOwnerKind, owner_id: UUID) -> str:
    """The entity id of an owner's billing profile stream."""
    return f"{owner_kind}-{owner_id}"


class _ProfileCommand(Command):
    owner_kind: BillingOwnerKind
    owner_id: UUID
    by: Actor
    at: AwareDatetime


class SaveBillingProfile(_ProfileCommand):
    billing_terms: BillingTerms
    billing_email: Email
    billing_contact_name: Text | None = None
    tax_id: Text | None = None
    address: dict[str, str] | None = None


class AttachBillingCustomer(_ProfileCommand):
    stripe_customer_id: StripeId


class SetDefaultPaymentMethod(_ProfileCommand):
    payment_method_id: StripeId
    only_if_missing: bool = False


class RemovePaymentMethod(_ProfileCommand):
    payment_method_id: StripeId


class DeleteBillingCustomer(_ProfileCommand):
    stripe_customer_id: StripeId


BillingProfileCommand = (
    SaveBillingProfile | AttachBillingCustomer | SetDefaultPaymentMethod | RemovePaymentMethod | DeleteBillingCustomer
)
BillingProfileEvent = (
    BillingProfileSaved | BillingCustomerAttached | BillingPaymentMethodAttached | BillingPaymentMethodRemoved
    | BillingCustomerDeleted | BillingReadinessChanged
)
_SAVED_FIELDS = ("billing_terms", "billing_email", "billing_contact_name", "tax_id", "address")


@dataclass(frozen=True)
class BillingProfile:
    exists: bool = False
    owner_kind: BillingOwnerKind | None = None
    owner_id: UUID | None = None
    billing_terms: BillingTerms | None = None
    billing_email: str | None = None
    billing_contact_name: str | None = None
    tax_id: str | None = None
    address: dict[str, Any] | None = None
    stripe_customer_id: str | None = None
    payment_method_id: str | None = None

    @property
    def missing(self) -> list[str]:
        """What billing still lacks, among billing_email, stripe_customer and payment_method."""
        present = {"billing_email": self.billing_email, "stripe_customer": self.stripe_customer_id,
                   "payment_method": self.payment_method_id}
        return [name for name, value in present.items() if not value]

    @property
    def ready(self) -> bool:
        return not self.missing


def initial_state() -> BillingProfile:
    return BillingProfile()


def evolve(s: BillingProfile, e: BillingProfileEvent) -> BillingProfile:
    match e:
        case BillingProfileSaved():
            return replace(s, exists=True, owner_kind=e.owner_kind, owner_id=e.owner_id, billing_terms=e.billing_terms,
                           billing_email=e.billing_email, billing_contact_name=e.billing_contact_name, tax_id=e.tax_id,
                           address=dict(e.address) if e.address is not None else None)
        case BillingCustomerAttached():
            return replace(s, stripe_customer_id=e.stripe_customer_id)
        case BillingPaymentMethodAttached():
            return replace(s, payment_method_id=e.payment_method_id)
        case BillingPaymentMethodRemoved():
            return replace(s, payment_method_id=None)
        case BillingCustomerDeleted():
            return replace(s, stripe_customer_id=None, payment_method_id=None)
        case _:
            return s  # BillingReadinessChanged follows from the others


def decide(cmd: BillingProfileCommand, s: BillingProfile) -> list[BillingProfileEvent]:
    return _with_readiness(cmd, s, _decide(cmd, s))


def _decide(cmd: BillingProfileCommand, s: BillingProfile) -> list[BillingProfileEvent]:
    owner = {"owner_kind": cmd.owner_kind, "owner_id": cmd.owner_id}
    match cmd:
        case SaveBillingProfile() if s.exists and all(getattr(cmd, f) == getattr(s, f) for f in _SAVED_FIELDS):
            return []
        case SaveBillingProfile():
            return [BillingProfileSaved(**cmd.model_dump())]
        case _ if not s.exists:
            raise NotFound(f"{cmd.owner_kind} {cmd.owner_id} has no billing profile", **_details(cmd))
        case AttachBillingCustomer() if s.stripe_customer_id == cmd.stripe_customer_id:
            return []
        case AttachBillingCustomer() if s.stripe_customer_id is not None:
            raise Conflict(f"{cmd.owner_kind} {cmd.owner_id} already has Stripe customer {s.stripe_customer_id}",
                           **_details(cmd), stripe_customer_id=s.stripe_customer_id)
        case AttachBillingCustomer():
            return [BillingCustomerAttached(**cmd.model_dump())]
        case SetDefaultPaymentMethod() if s.stripe_customer_id is None:
            raise RuleViolation(f"{cmd.owner_kind} {cmd.owner_id} has no Stripe customer to pay with",
                                **_details(cmd))
        case SetDefaultPaymentMethod() if s.payment_method_id == cmd.payment_method_id:
            return []
        case SetDefaultPaymentMethod() if cmd.only_if_missing and s.payment_method_id is not None:
            return []  # the owner's own choice stands
        case SetDefaultPaymentMethod():
            return [BillingPaymentMethodAttached(**owner, payment_method_id=cmd.payment_method_id, by=cmd.by,
                                                 at=cmd.at)]
        case RemovePaymentMethod() if s.payment_method_id != cmd.payment_method_id:
            return []
        case RemovePaymentMethod():
            return [BillingPaymentMethodRemoved(**cmd.model_dump())]
        case DeleteBillingCustomer() if s.stripe_customer_id != cmd.stripe_customer_id:
            return []
        case DeleteBillingCustomer():
            return [BillingCustomerDeleted(**cmd.model_dump())]
        case _:
            raise TypeError(f"the billing profile decider has no case for {type(cmd).__name__}")


def _details(cmd: BillingProfileCommand) -> dict[str, str]:
    return {"owner_kind": cmd.owner_kind, "owner_id": str(cmd.owner_id)}


def _with_readiness(cmd: BillingProfileCommand, s: BillingProfile,
                    events: list[BillingProfileEvent]) -> list[BillingProfileEvent]:
    after = s
    for e in events:
        after = evolve(after, e)
    if after.ready == s.ready:
        return events
    return [*events, BillingReadinessChanged(owner_kind=cmd.owner_kind, owner_id=cmd.owner_id, ready=after.ready,
                                             missing=after.missing, at=cmd.at)]


billing_profile: Decider[BillingProfileCommand, BillingProfileEvent, BillingProfile] = Decider(
    "billingprofile", initial_state, evolve, decide,
    events=(BillingProfileSaved, BillingCustomerAttached, BillingPaymentMethodAttached, BillingPaymentMethodRemoved,
            BillingCustomerDeleted, BillingReadinessChanged),
)
