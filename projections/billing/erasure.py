"""What an erasure leaves of the billing read schema (see `projections.scrub`).

Money stays: placements' snapshots, splits, invoices, payouts, holds and disputes hold ids, amounts and the
parties' business texts about the fee (declared not personal), and they must still reconcile after anyone's
erasure. What goes: the payloads of the Stripe events about an erased person's own customer or Connect
account (`stripe:` subjects; an event is matched when its account or any id in its payload is theirs), and
a billing contact whose `billing:` subject is erased (a company's or firm's contact, never erased with a
person today: it is the business's, and erasing it would lock the business out of its own profile).
"""

from __future__ import annotations

from projections.billing.schema import billing
from projections.scrub import EMPTY_JSON, ERASED, NULL, Keep, Scrub, declare_erasure

_THEIR_STRIPE_EVENT = ("EXISTS (SELECT 1 FROM unnest(%(stripe_ids)s::text[]) AS s(id)"
                       " WHERE account = s.id OR strpos(payload::text, '\"' || s.id || '\"') > 0)")

declare_erasure(billing, {
    "stripe_webhook_events": Scrub(_THEIR_STRIPE_EVENT, {"payload": EMPTY_JSON}),
    "billing_profiles": Scrub("owner_id = ANY(%(billing_owner_ids)s)", {
        "billing_email": ERASED, "billing_contact_name": NULL, "tax_id": NULL, "address": NULL,
    }),
    "subscriptions": Keep("a user's plan and Stripe ids: kept for the money they paid"),
    "connect_accounts": Keep("a payee's Stripe account id and its capabilities"),
    "plans": Keep("the platform's plans"),
    "splits_rates": Keep("the platform's rates"),
    "placement_snapshots": Keep("a placement's fee and credited parties, by id"),
    "placement_splits": Keep("amounts per party, by id"),
    "invoices": Keep("a company's invoices"),
    "payout_transactions": Keep("amounts paid per party, by id"),
    "payout_schedules": Keep("when payouts run"),
    "escrow_holds": Keep("money held, and the business reason"),
    "disputes": Keep("the parties' business case about a fee, kept with the money trail"),
})
