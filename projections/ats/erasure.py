"""What an erasure leaves of the ats read schema (see `projections.scrub`).

A candidate's record stays, emptied and hidden from the marketplace, so that their applications and
placements (money facts) still name a party, shown as erased. A sealed profile change decodes to no change
at all, so every profile field is reset, not only the sealed ones. Applications keep their stages and dates;
their texts go, and so do the salaries (the fee, computed from it at the hire, stays with the placement).
"""

from __future__ import annotations

from projections.ats.schema import ats
from projections.scrub import AT, ERASED, FALSE, NULL, ZERO, Keep, Scrub, declare_erasure, if_set

_APPLICATIONS = "(candidate_id = ANY(%(candidate_ids)s) OR id = ANY(%(application_ids)s))"
_OF_APPLICATIONS = (f"(application_id = ANY(%(application_ids)s)"
                    f" OR application_id IN (SELECT id FROM applications WHERE candidate_id = ANY(%(candidate_ids)s)))")

declare_erasure(ats, {
    "candidates": Scrub("id = ANY(%(candidate_ids)s)", {
        "full_name": ERASED, "email": ERASED,
        **dict.fromkeys(("phone", "location", "linkedin_url", "github_url", "portfolio_url", "current_title",
                         "current_company", "bio", "desired_salary_min_cents", "desired_salary_max_cents",
                         "desired_job_type", "availability"), NULL),
        "open_to_remote": FALSE, "open_to_relocation": FALSE, "marketplace_visibility": "'hidden'", "updated_at": AT,
    }),
    "applications": Scrub(_APPLICATIONS, {
        "cover_letter": NULL, "pitch": if_set(ERASED), "proposal_notes": NULL, "salary_cents": if_set(ZERO),
    }),
    "application_stage_history": Scrub(_OF_APPLICATIONS, {"reason": NULL}),
    "application_pre_screen_answers": Scrub(_OF_APPLICATIONS, delete=True),  # sealed whole: a replay has none
    "application_notes": Scrub(_OF_APPLICATIONS, {"message": ERASED}),
    "placements": Scrub("candidate_id = ANY(%(candidate_ids)s)", {"salary_cents": ZERO}),
    "candidate_sourcers": Scrub("candidate_id = ANY(%(candidate_ids)s)", {"notes": NULL}),
    "candidate_skills": Scrub("candidate_id = ANY(%(candidate_ids)s)", delete=True),
    "candidate_resume_profiles": Scrub("candidate_id = ANY(%(candidate_ids)s)", delete=True),
    "skills": Keep("the catalogue's vocabulary: skill names, not about a person"),
    "jobs": Keep("a job is the company's offer"),
    "job_notes": Scrub("created_by_user_id = ANY(%(user_ids)s)", {"message": ERASED}),
    "job_activity": Keep("who did what to a job: ids, actions, statuses, field names and counts, no text"),
    "application_activity": Keep("who did what to an application: ids, actions, roles and stages, no text"),
    "job_requirements": Keep("what a job asks for"),
    "job_skills": Keep("what a job asks for"),
    "job_pre_screen_questions": Keep("what a job asks for"),
    "companies": Keep("a company's profile is the business's"),
    "company_billing": Keep("a company's billing readiness"),
    "company_sourcers": Keep("who brought a company: ids, dates and the recruiter's business note"),
    "saved_items": Keep("ids only: which saver keeps which job or candidate"),
})
