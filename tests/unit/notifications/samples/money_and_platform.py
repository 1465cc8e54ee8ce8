"""Samples for the notices about placements, invoices, payouts, holds and disputes, billing set up,
subscriptions, and the platform's own (fraud, reputation)."""

from __future__ import annotations

HOSTILE = "Ada <script>alert(1)</script> Lovelace"  # names are typed by people: the HTML must escape them

SAMPLES = {
    "placement_created": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data", "start_date": "2027-01-04",
                           "fee": "$36,000.00"}],
    "first_placement": [{"candidate_name": HOSTILE, "job_title": "Head of Data", "start_date": "2027-01-04",
                         "fee": "$36,000.00"}],
    "placement_activated": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data", "reason": None,
                             "guarantee_ends_on": "2027-04-04"},
                            {"candidate_name": "Grace Hopper", "job_title": "Head of Data", "reason": None,
                             "guarantee_ends_on": None}],
    "placement_completed": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data", "reason": None,
                             "guarantee_ends_on": "2027-04-04"}],
    "placement_failed": [{"candidate_name": HOSTILE, "job_title": "Head of Data", "guarantee_ends_on": "2027-04-04",
                          "reason": "The candidate left in the guarantee period."},
                         {"candidate_name": "Grace Hopper", "job_title": "Head of Data", "guarantee_ends_on": None,
                          "reason": None}],
    "invoice_issued": [{"number": "SPL-0042", "amount": "$37,080.00", "fee": "$36,000.00",
                        "processing_fee": "$1,080.00", "terms": "net 30", "due_on": "2027-05-04",
                        "pay_url": "https://invoice.stripe.com/i/acct_1/test_42",
                        "pdf_url": "https://pay.stripe.com/invoice/acct_1/test_42/pdf"},
                       {"number": "in_1Q2w3E", "amount": "$37,080.00", "fee": "$36,000.00",
                        "processing_fee": "$1,080.00", "terms": "net 60", "due_on": None, "pay_url": None,
                        "pdf_url": None}],
    "billing_setup_complete": [{"owner_kind": "company"}, {"owner_kind": "firm"}],
    "payout_held": [{"candidate_name": HOSTILE, "job_title": "Head of Data", "amount": "$7,200.00",
                     "reason": "The company reports the candidate never started.", "release_on": "2027-02-01"},
                    {"candidate_name": "Grace Hopper", "job_title": "Head of Data", "amount": "$7,200.00",
                     "reason": "Checking the split's attribution.", "release_on": None}],
    "escrow_released": [
        {"candidate_name": "Grace Hopper", "job_title": "Head of Data", "amount": "$7,200.00", "how": how,
         "still_held": still}
        for how, still in (("released", False), ("automatic", False), ("cancelled", True))
    ],
    "dispute_opened": [{"candidate_name": HOSTILE, "job_title": "Head of Data", "amount": "$7,200.00",
                        "dispute_type": "the fee amount", "reason": "The salary was lower than recorded.",
                        "raised_by": "the company", "outcome": None, "notes": None}],
    "dispute_under_review": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data", "amount": "$7,200.00",
                              "dispute_type": "the fee split", "reason": "The sourcer was not credited.",
                              "raised_by": "a recruiter", "outcome": None, "notes": None}],
    "dispute_closed": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data", "amount": "$7,200.00",
                        "dispute_type": "the fee amount", "reason": "The salary was lower than recorded.",
                        "raised_by": "the company", "outcome": outcome, "notes": notes}
                       for outcome, notes in (("resolved", "The fee was corrected by a credit note."),
                                              ("dismissed", None))],
    "invoice_paid": [{"number": "SPL-0042", "amount": "$36,000.00",
                      "placement_id": "5b0c2f8e-4f7e-4c4e-9d0a-1f3b6f0a9e21"}],
    "payout_sent": [{"amount": "$7,200.00", "placement_id": "5b0c2f8e-4f7e-4c4e-9d0a-1f3b6f0a9e21"}],
    "connect_required": [{"amount": "$7,200.00"}],
    "payout_failed": [{"placement_id": "5b0c2f8e-4f7e-4c4e-9d0a-1f3b6f0a9e21",
                       "reason": "The bank account was closed."}],
    "connect_account": [{"enabled": True, "reason": None},
                        {"enabled": False, "reason": "requirements.past_due"}],
    "subscription_canceled": [{"ends_on": "2027-01-06"}, {"ends_on": None}],
    "fraud_alert": [{"signal_type": "rapid_submission", "severity": "high", "confidence": 85,
                     "recruiter_id": "0d7c3c4e-6a2b-4d8f-9b51-2a1e7f3c9d10"}],
    "tier_promotion": [{"from_tier": "active", "to_tier": "pro", "score": 74.5}],
    "tier_demotion": [{"from_tier": "pro", "to_tier": "active", "score": 61}],
}
