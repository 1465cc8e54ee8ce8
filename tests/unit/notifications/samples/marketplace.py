"""Samples for the marketplace's notices: applications, jobs, candidates, representation, invitations and
relationships."""

from __future__ import annotations

HOSTILE = "Ada <script>alert(1)</script> Lovelace"  # names are typed by people: the HTML must escape them

SAMPLES = {
    "application_stage": [
        {"candidate_name": HOSTILE, "job_title": "Staff Platform Engineer", "stage_label": "interview",
         "reason": None},
        {"candidate_name": "Grace Hopper", "job_title": "Head of Data", "stage_label": "not selected",
         "reason": "The role went to an internal candidate."},
    ],
    "application_proposed": [{"job_title": "Staff Platform Engineer", "recruiter_name": "Rita Recruiter",
                              "pitch": "Your Kafka work is exactly what this team needs."}],
    "ai_review_completed": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data", "fit_score": 82,
                             "recommendation": "strong_fit", "needs_improvement": ["people management"]}],
    "expiry_warning": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data", "stage_label": "company review",
                        "expires_on": "2026-12-09", "responsible_party": "company"}],
    "offer_accepted": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data"}],
    "prescreen_requested": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data",
                             "message": "Please confirm the notice period."}],
    "note_added": [{"candidate_name": "Grace Hopper", "job_title": "Head of Data"}],
    "job_status": [{"job_title": "Head of Data", "from_status": "active", "to_status": "paused",
                    "reason": "Budget review until January."}],
    "candidate_invitation": [{"recruiter_name": "Rita Recruiter", "expires_on": "2026-12-21"}],
    "consent_given": [{"candidate_name": "Grace Hopper"}],
    "consent_declined": [{"candidate_name": "Grace Hopper", "reason": "I already work with another recruiter."}],
    "representation_invitation_cancelled": [{"recruiter_name": "Rita Recruiter"}],
    "organization_invitation": [{"organization_name": "Acme Robotics", "role": "hiring_manager",
                                 "expires_on": "2026-12-21"}],
    "firm_invitation": [{"firm_name": "North Star Talent", "role": "member", "expires_on": "2026-12-21"}],
    "member_joined": [{"member_name": "Grace Hopper", "group_name": "Acme Robotics", "role": "hiring_manager"}],
    "recruiter_company": [
        {"step": step, "company_name": "Acme Robotics", "recruiter_name": "Rita Recruiter",
         "message": "We would love your help with our data team.", "reason": None}
        for step in ("invited", "requested", "accepted")
    ] + [{"step": "declined", "company_name": "Acme Robotics", "recruiter_name": "Rita Recruiter", "message": None,
          "reason": "We hire through one agency this quarter."}],
    "relationship_ended": [
        {"pair": "representation", "candidate_name": "Grace Hopper", "recruiter_name": "Rita Recruiter",
         "company_name": None, "reason": "The candidate took a role elsewhere."},
        {"pair": "company", "candidate_name": None, "recruiter_name": "Rita Recruiter", "company_name": "Acme Robotics",
         "reason": "Hiring freeze."},
    ],
    "relationship_ending_decided": [
        {"pair": "representation", "company_name": None, "withdrawn": ["Head of Data at Acme Robotics"], "paused": [],
         "closed": []},
        {"pair": "company", "company_name": "Acme Robotics", "withdrawn": [], "paused": ["Head of Data"],
         "closed": ["Staff Platform Engineer"]},
    ],
    "referral_redeemed": [{"user_name": "Grace Hopper", "code": "RITA-7K2Q", "protection_days": 365}],
    "company_platform_invitation": [{"recruiter_name": "Rita Recruiter", "company_name": "Acme Robotics",
                                     "invite_code": "ACME-93QX", "message": "Hire with me on Splits.",
                                     "expires_on": "2026-12-21"}],
}
