"""What an erasure leaves of the network read schema (see `projections.scrub`).

An erased recruiter's row stays (placements and splits name them), with every profile field reset and out of
the marketplace: a sealed profile change decodes to no change at all. Relationships keep their dates and
statuses (who represented whom, which commissions rest on); the texts and the consent's network details go.
"""

from __future__ import annotations

from projections.network.schema import network
from projections.scrub import AT, EMPTY_ARRAY, ERASED, FALSE, NULL, Keep, Scrub, declare_erasure

declare_erasure(network, {
    "recruiters": Scrub("id = ANY(%(recruiter_ids)s)", {
        **dict.fromkeys(("slug", "bio", "tagline", "location", "years_experience", "phone"), NULL),
        "industries": EMPTY_ARRAY, "specialties": EMPTY_ARRAY,
        **dict.fromkeys(("marketplace_enabled", "show_success_metrics", "show_contact_info", "candidate_recruiter",
                         "company_recruiter"), FALSE),
        "marketplace_visibility": "'hidden'", "updated_at": AT,
    }),
    "recruiter_candidates": Scrub("candidate_id = ANY(%(candidate_ids)s)", {
        "consent_ip_address": NULL, "consent_user_agent": NULL, "decline_reason": NULL, "termination_reason": NULL,
    }),
    "recruiter_companies": Scrub("recruiter_id = ANY(%(recruiter_ids)s)", {
        "message": NULL, "decline_reason": NULL, "termination_reason": NULL,
    }),
    "firm_invitations": Scrub("id = ANY(%(invitation_ids)s)", {"email": ERASED}),
    "recruiter_codes": Scrub("recruiter_id = ANY(%(recruiter_ids)s)", {"label": NULL}),
    "referrals": Keep("ids and a code: who signed up through which recruiter (sourcer attribution rests on it)"),
    "company_invitations": Scrub("id = ANY(%(invitation_ids)s)", {"invited_email": ERASED, "personal_message": NULL}),
    "firms": Keep("a firm's name and standing are the business's"),
    "firm_members": Keep("ids and roles: who belonged to a firm"),
})
