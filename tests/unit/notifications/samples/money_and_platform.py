"""Samples for the notices about placements, invoices, payouts, subscriptions, and the platform's own (fraud,
reputation)."""

from __future__ import annotations

SAMPLES = {
    "placement_created": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data", "start_date": "2027-01-04",
                           "fee": "$36,000.00"}],
    "placement_state": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data", "to_state": "failed",
                         "reason": "The candidate left in the guarantee period."}],
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
    "tier_changed": [{"from_tier": "active", "to_tier": "pro", "promoted": True, "score": 74},
                     {"from_tier": "pro", "to_tier": "active", "promoted": False, "score": 61}],
}
