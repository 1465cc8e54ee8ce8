"""Which events of a placement's money trail an exporter may read: the bundle of a party other than a platform
admin holds only what the API already shows that party (`GET /v1/placements/{id}/money`, see
`projections/billing/queries.py`, `BillingVisibility`), and every other event of the trail as a redacted line
that keeps its place in its hash chain (see `bundle.py`).

What we decided, event by event (a whole event is shown or withheld, never a part of it: the chain commits to an
event's content as one digest, so a part could not be proven):
- the placement, its application and the trail's earlier exports: shown to every party of the placement;
- the placement's billing stream: shown, except an event about a payout transaction the party does not see in
  the money API (a recruiter sees their own member payout, a firm admin their firm's take, a company admin
  every transaction of the placement): its transfer, Connect account, bank payout and failures stay hidden;
- an email or in-app notification: shown only to the person it was sent to (never the company's billing
  email to a recruiter, never another recruiter's payout email);
- a Stripe webhook: shown only when its payload is the party's own — it names one of the party's Stripe
  objects (a company admin: the placement's invoice; a recruiter or firm admin: the transfers and bank payouts
  of their own transactions) and none of anyone else's;
- anything else a trail may come to hold: withheld.

One event is shown in part, as a *view*: the invoice's issue, whose Stripe customer id the money API shows no
one but platform admins. Its line is redacted (digest only, so the chain still holds) and carries a view of its
data with that field masked: signed with the bundle, told in the report, but not proven by the chain.

The decision reads the trail's events with their personal fields opened (a Stripe payload is sealed as stored);
it is pure, and cheap next to building the bundle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import orjson

from eventstore import RecordedEvent

Role = Literal["platform_admin", "company_admin", "recruiter", "firm_admin"]
_SHOWN_STREAMS = ("placement", "application", "auditexport")
_STRIPE_ID_FIELDS = ("stripe_transfer_id", "stripe_payout_id", "stripe_account_id")
_MASKED = {"InvoiceIssued": ("stripe_customer_id",)}
MASK = "[withheld]"
"""What a masked field of a view reads as."""


@dataclass(frozen=True)
class Viewer:
    """Who a bundle is for: their part in the placement's money and the ids that decide what is theirs."""

    role: Role
    user_id: str | None = None
    recruiter_id: str | None = None
    firm_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def sees_everything(self) -> bool:
        return self.role == "platform_admin"

    def owns(self, transaction: Mapping[str, Any]) -> bool:
        """Whether the money API lists this payout transaction to the viewer."""
        kind, payee_kind, payee = transaction.get("kind"), transaction.get("payee_kind"), transaction.get("payee_id")
        match self.role:
            case "platform_admin" | "company_admin":
                return True
            case "recruiter":
                return (kind == "member_payout" and payee_kind == "recruiter" and self.recruiter_id is not None
                        and str(payee) == self.recruiter_id)
            case "firm_admin":
                return kind == "firm_admin_take" and payee_kind == "firm" and str(payee) in self.firm_ids
        return False


@dataclass
class _Money:
    """The trail's payout transactions, which of them the viewer sees, and the Stripe ids of each side."""

    own: set[str] = field(default_factory=set)
    others: set[str] = field(default_factory=set)
    own_stripe: set[str] = field(default_factory=set)
    other_stripe: set[str] = field(default_factory=set)


def _money(events: Sequence[RecordedEvent], opened: Mapping[UUID, Mapping[str, Any]], viewer: Viewer) -> _Money:
    m = _Money()
    invoices: set[str] = set()
    for e in events:
        data = opened[e.event_id]
        if e.type == "PlacementSplitsComputed":
            for t in data.get("transactions") or []:
                if isinstance(t, Mapping):
                    (m.own if viewer.owns(t) else m.others).add(str(t.get("transaction_id")))
        if isinstance(data.get("stripe_invoice_id"), str):
            invoices.add(data["stripe_invoice_id"])
    for e in events:
        data = opened[e.event_id]
        if e.stream_type != "placementbilling" or data.get("transaction_id") is None:
            continue
        tid = str(data["transaction_id"])
        ids = {data[f] for f in _STRIPE_ID_FIELDS if isinstance(data.get(f), str) and data[f]}
        # A company admin's own Stripe object is the invoice; transfers are the payees' (their raw payloads too).
        if tid in m.own and viewer.role != "company_admin":
            m.own_stripe |= ids
        else:
            m.other_stripe |= ids
    if viewer.role == "company_admin":
        m.own_stripe |= invoices
    else:
        m.other_stripe |= invoices
    m.other_stripe -= m.own_stripe  # an id on both sides (a shared account) is not a reason to hide one's own
    return m


def withheld(events: Sequence[RecordedEvent], opened: Mapping[UUID, Mapping[str, Any]],
             viewer: Viewer) -> set[UUID]:
    """The ids of the trail's events the viewer may not read; none for a platform admin."""
    if viewer.sees_everything:
        return set()
    money = _money(events, opened, viewer)
    by_stream: dict[str, list[RecordedEvent]] = {}
    for e in events:
        by_stream.setdefault(e.stream_id, []).append(e)
    hidden: set[UUID] = set()
    for stream in by_stream.values():
        kind = stream[0].stream_type
        if kind in _SHOWN_STREAMS:
            continue
        if kind == "placementbilling":
            hidden |= {e.event_id for e in stream if _about_hidden_transaction(opened[e.event_id], money)}
        elif kind == "notification" and _recipient(stream, opened) == viewer.user_id and viewer.user_id:
            continue
        elif kind == "stripewebhook" and _own_payload(stream, opened, money):
            continue
        else:
            hidden |= {e.event_id for e in stream}
    return hidden


def _about_hidden_transaction(data: Mapping[str, Any], money: _Money) -> bool:
    tid = data.get("transaction_id")
    return tid is not None and str(tid) not in money.own


def _recipient(stream: Sequence[RecordedEvent], opened: Mapping[UUID, Mapping[str, Any]]) -> str | None:
    for e in stream:
        user = opened[e.event_id].get("user_id")
        if user:
            return str(user)
    return None


def _own_payload(stream: Sequence[RecordedEvent], opened: Mapping[UUID, Mapping[str, Any]], money: _Money) -> bool:
    text = b"".join(orjson.dumps(opened[e.event_id]) for e in stream).decode()
    return any(i in text for i in money.own_stripe) and not any(i in text for i in money.other_stripe)


def masked(events: Sequence[RecordedEvent], viewer: Viewer, hidden: set[UUID]) -> dict[UUID, tuple[str, ...]]:
    """The events shown to the viewer as a view, with the fields masked in it; none for a platform admin."""
    if viewer.sees_everything:
        return {}
    return {e.event_id: _MASKED[e.type] for e in events if e.type in _MASKED and e.event_id not in hidden}


def view(data: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """`data` with `fields` masked."""
    return {k: (MASK if k in fields else v) for k, v in data.items()}
