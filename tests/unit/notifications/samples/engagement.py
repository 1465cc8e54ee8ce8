"""Samples for the scheduled engagement mail: digests with several applications and with one, a report over two
companies, every item a candidate may have waiting, and aftercare at each milestone."""

from __future__ import annotations

_ITEMS = [
    {"candidate_name": "Ada <b>Lovelace</b>", "job_title": "Staff Engineer", "stage_label": "interview", "is_new": False,
     "moves": ["company review", "interview"]},
    {"candidate_name": "Grace Hopper", "job_title": "Head of Data", "stage_label": "submitted to the company",
     "is_new": True, "moves": []},
    {"candidate_name": "Alan Turing", "job_title": "Head of Data", "stage_label": "hired", "is_new": False,
     "moves": ["hired"]},
]
_PLACEMENT = {"job_title": "Head of Data", "candidate_name": "Grace Hopper", "company_name": "Acme Robotics",
              "guarantee_ends_on": "2027-04-04", "name": "Cora"}

SAMPLES = {
    "weekly_digest": [
        {"name": "Rex", "week_of": "2026-11-30", "week_end": "2026-12-06", "new_count": 1, "moved_count": 2,
         "hired_count": 1, "items": _ITEMS},
        {"name": "", "week_of": "2026-11-30", "week_end": "2026-12-06", "new_count": 1, "moved_count": 0,
         "hired_count": 0, "items": _ITEMS[1:2]},
    ],
    "monthly_hiring_report": [
        {"name": "Cora", "month": "November 2026", "companies": [
            {"company_name": "Acme Robotics", "applications": 12, "interviews": 4, "hires": 1, "placements": 1},
            {"company_name": "Acme Labs", "applications": 3, "interviews": 0, "hires": 0, "placements": 0}]},
    ],
    "candidate_reminder": [
        {"name": "Grace", "items": [
            {"item": "proposal", "job_title": "Head of Data", "recruiter_name": None},
            {"item": "changes_requested", "job_title": "Staff Engineer", "recruiter_name": None},
            {"item": "pre_screen", "job_title": "Data Lead", "recruiter_name": None},
            {"item": "invitation", "job_title": None, "recruiter_name": "Rex Recruiter"}]},
        {"name": "", "items": [{"item": "invitation", "job_title": None, "recruiter_name": None}]},
    ],
    "recruiter_inactivity": [{"name": "Rex", "days": 15, "open_applications": 3},
                             {"name": "", "days": 40, "open_applications": 0}],
    "aftercare": [_PLACEMENT | {"milestone": m, "days": d}
                  for m, d in (("day-3", 3), ("day-14", 14), ("day-30", 30), ("day-90", 90),
                               ("guarantee-ending", None))],
}
