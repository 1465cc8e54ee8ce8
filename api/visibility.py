"""Which fields of each read model each kind of caller sees (domain §2.3 and the candidates' privacy flags),
declared once per model and applied by every route that returns the model.

Row-level rules (who may read a job, an application, a placement at all) stay in the policies and in SQL;
this module decides, for a row the caller may read, which of its fields they get. A field a viewer may not
see is left out of the answer (not sent as null), so the OpenAPI schemas mark such fields optional.

A viewer is the caller's standing towards one row: `viewer_of_*` works it out from the access context and
the row (a company user reading their own company's job is "company"; the same user reading another
company's job is a member of the public), and `READ_MODELS[name].project(viewer, row)` keeps only what
that viewer sees. The declarations are data, so a test can walk every route and hold each answer to them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from api.ats.application_policy import Parties, actor_role
from api.ats.policy import PRIVATE_FIELDS, controls_candidate
from projections.identity.access import Access

# Refines a viewer's fields for one row: the fields withheld from this row on top of the declaration.
Refinement = Callable[[str, Mapping[str, Any]], frozenset[str]]


def _none(_viewer: str, _row: Mapping[str, Any]) -> frozenset[str]:
    return frozenset()


@dataclass(frozen=True)
class ReadModel:
    """A read model's fields per viewer, and an optional per-row refinement (privacy flags and the like)."""

    name: str
    fields: Mapping[str, frozenset[str]]
    refine: Refinement = field(default=_none)
    # Fields holding lists of another model's rows, projected for the same viewer.
    nested: Mapping[str, ReadModel] = field(default_factory=dict)

    def sees(self, viewer: str) -> frozenset[str]:
        """Unknown viewers see nothing: a viewer not declared is a bug that must not leak."""
        return self.fields.get(viewer, frozenset())

    def project(self, viewer: str, row: Mapping[str, Any]) -> dict[str, Any]:
        shown = self.sees(viewer) - self.refine(viewer, row)
        out: dict[str, Any] = {}
        for key, value in row.items():
            if key not in shown:
                continue
            inner = self.nested.get(key)
            out[key] = value if inner is None else [inner.project(viewer, item) for item in value]
        return out

    @property
    def everyone_sees(self) -> frozenset[str]:
        """The fields no viewer is denied by the declaration: the required ones of the response schema."""
        return frozenset.intersection(*self.fields.values())


# --- jobs ----------------------------------------------------------------------------------------------

_JOB_PUBLIC = frozenset({
    "id", "company_id", "title", "department", "location", "candidate_description", "salary_min_cents",
    "salary_max_cents", "show_salary_range", "employment_type", "commute_types", "job_level",
    "open_to_relocation", "is_early_access", "activates_at", "closes_at", "status", "created_at", "updated_at",
})
# What the marketplace's recruiters work from: the terms (fee, guarantee), the brief written for them, the
# job's owner and the firm behind an off-platform job.
_JOB_RECRUITER = _JOB_PUBLIC | {
    "source_firm_id", "recruiter_description", "fee_percentage", "guarantee_days", "is_priority",
    "job_owner_recruiter_id",
}


def _salary_shown(viewer: str, row: Mapping[str, Any]) -> frozenset[str]:
    """A job posted with its salary range hidden shows it to the recruiters and the company only."""
    if viewer in ("anonymous", "candidate") and not row.get("show_salary_range", True):
        return frozenset({"salary_min_cents", "salary_max_cents"})
    return frozenset()


JOB = ReadModel("job", {
    "anonymous": _JOB_PUBLIC,
    "candidate": _JOB_PUBLIC,
    "recruiter": _JOB_RECRUITER,
    "company": _JOB_RECRUITER,
    "platform_admin": _JOB_RECRUITER | {"created_by"},
}, _salary_shown)


def viewer_of_job(access: Access, row: Mapping[str, Any]) -> str:
    """Company staff see their own company's jobs in full; recruiters every job they may read with its terms;
    anyone else (candidates, other signed-in users) what the public marketplace shows."""
    if access.is_platform_admin:
        return "platform_admin"
    if access.is_company_user and row.get("company_id") in access.company_ids:
        return "company"
    if access.is_recruiter:
        return "recruiter"
    return "anonymous" if access.is_anonymous else "candidate"


# --- applications ----------------------------------------------------------------------------------------

_APPLICATION_ALL = frozenset({
    "id", "job_id", "job_title", "candidate_id", "company_id", "source", "candidate_recruiter_id",
    "company_recruiter_id", "stage", "stage_before_expiry", "proposal", "pitch", "proposal_notes", "cover_letter",
    "submitted_at", "ai_review_id", "ai_reviewed", "needs_improvement", "accepted_by_candidate", "offer_accepted_at",
    "placement_id", "salary_cents", "start_date", "hired_at", "expiry_warned_at", "expires_at", "last_activity_at",
    "created_by", "created_at", "updated_at", "stage_history", "pre_screen_answers",
})
_APPLICATION_PARTY = _APPLICATION_ALL - {"created_by"}
# Who moved an application is told by role; the mover's user id only to platform admins.
_STAGE_MOVE = frozenset({"event_type", "from_stage", "to_stage", "by_role", "reason", "at"})
# The company side does not read what the candidate's recruiter wrote to the candidate to propose the job.
_APPLICATION_COMPANY = _APPLICATION_PARTY - {"pitch", "proposal_notes"}

# Every party of an application reads its pre-screen answers (the company decides on them); who gave them by
# side, the user id only to platform admins.
_PRE_SCREEN_ANSWER = frozenset({"question_id", "question", "question_type", "answer", "answered_by_role",
                                "answered_at"})
PRE_SCREEN_ANSWER = ReadModel("pre_screen_answer", {
    "candidate": _PRE_SCREEN_ANSWER,
    "candidate_recruiter": _PRE_SCREEN_ANSWER,
    "company_recruiter": _PRE_SCREEN_ANSWER,
    "company": _PRE_SCREEN_ANSWER,
    "platform_admin": _PRE_SCREEN_ANSWER | {"answered_by"},
})
STAGE_MOVE = ReadModel("stage_move", {
    "candidate": _STAGE_MOVE,
    "candidate_recruiter": _STAGE_MOVE,
    "company_recruiter": _STAGE_MOVE,
    "company": _STAGE_MOVE,
    "platform_admin": _STAGE_MOVE | {"by"},
})
APPLICATION = ReadModel("application", {
    "candidate": _APPLICATION_PARTY,
    "candidate_recruiter": _APPLICATION_PARTY,
    "company_recruiter": _APPLICATION_COMPANY,
    "company": _APPLICATION_COMPANY,
    "platform_admin": _APPLICATION_ALL,
}, nested={"stage_history": STAGE_MOVE, "pre_screen_answers": PRE_SCREEN_ANSWER})


def viewer_of_application(access: Access, row: Mapping[str, Any]) -> str:
    """The caller's role towards the application (candidate side first, domain §2.3); a reader with no role
    (none should reach here: the query admits only parties) is held to the company side's view."""
    return actor_role(access, Parties.from_row(dict(row))) or "company"


# --- application notes -----------------------------------------------------------------------------------
# Which notes a party reads is decided by their visibility (shared, candidate_only, company_only); of a note,
# everyone reading it sees the author's side (`created_by_type`), its author and platform admins also the
# author's user id.

_NOTE_ALL = frozenset({
    "id", "application_id", "created_by_user_id", "created_by_type", "note_type", "visibility", "message",
    "in_response_to_id", "created_at", "updated_at", "edited_at",
})
NOTE = ReadModel("note", {
    "reader": _NOTE_ALL - {"created_by_user_id"},
    "author": _NOTE_ALL,
    "platform_admin": _NOTE_ALL,
})


def viewer_of_note(access: Access, row: Mapping[str, Any]) -> str:
    if access.is_platform_admin:
        return "platform_admin"
    if access.user_id is not None and row.get("created_by_user_id") == access.user_id:
        return "author"
    return "reader"


# --- placements ------------------------------------------------------------------------------------------

_ATTRIBUTION = frozenset({
    "candidate_recruiter_id", "company_recruiter_id", "job_owner_recruiter_id", "candidate_sourcer_recruiter_id",
    "company_sourcer_recruiter_id",
})
# The candidate sees their hire: not the fee, the guarantee terms, who earns from it, nor the company's reasons.
_PLACEMENT_CANDIDATE = frozenset({
    "id", "application_id", "job_id", "candidate_id", "company_id", "state", "salary_cents", "hired_at",
    "start_date", "activated_at", "completed_at", "failed_at", "created_at", "updated_at",
})
_PLACEMENT_ALL = _PLACEMENT_CANDIDATE | _ATTRIBUTION | {
    "fee_bps", "fee_cents", "guarantee_days", "guarantee_expires_at", "failure_reason", "replacement_placement_id",
    "replaces_placement_id",
}

PLACEMENT = ReadModel("placement", {
    "candidate": _PLACEMENT_CANDIDATE,
    "party_recruiter": _PLACEMENT_ALL,
    "company": _PLACEMENT_ALL,
    "platform_admin": _PLACEMENT_ALL,
})


def viewer_of_placement(access: Access, row: Mapping[str, Any]) -> str:
    """In the order of `placement_visibility`: admin, the placed candidate, a recruiter it names, the company."""
    if access.is_platform_admin:
        return "platform_admin"
    if access.candidate_id is not None and access.candidate_id == row.get("candidate_id"):
        return "candidate"
    if access.is_recruiter and access.recruiter_id in {row.get(k) for k in _ATTRIBUTION}:
        return "party_recruiter"
    if access.is_company_user and row.get("company_id") in access.company_ids:
        return "company"
    return "candidate"  # the narrowest view for anyone else


# --- candidates ------------------------------------------------------------------------------------------

_CANDIDATE_ALL = frozenset({
    "id", "user_id", "created_by_user_id", "full_name", "email", "phone", "location", "linkedin_url", "github_url",
    "portfolio_url", "current_title", "current_company", "bio", "desired_salary_min_cents",
    "desired_salary_max_cents", "desired_job_type", "open_to_remote", "open_to_relocation", "availability",
    "marketplace_visibility", "verification_status", "show_email", "show_phone", "show_location",
    "show_current_company", "show_salary_expectations", "archived_at", "created_at", "updated_at",
})
# What a hire unlocks for the hiring company's users, whatever the candidate's flags say (docs/decisions.md).
HIRE_UNLOCKS = frozenset({"email", "phone"})


def _privacy_flags(viewer: str, row: Mapping[str, Any]) -> frozenset[str]:
    if viewer in ("controller", "platform_admin"):
        return frozenset()
    withheld = frozenset(f for flag, fields in PRIVATE_FIELDS.items() if not row.get(flag) for f in fields)
    return withheld - HIRE_UNLOCKS if viewer == "hiring_company" else withheld


# Recruiters and company users browsing the marketplace do not learn which user account holds a record.
CANDIDATE = ReadModel("candidate", {
    "controller": _CANDIDATE_ALL,
    "platform_admin": _CANDIDATE_ALL,
    "recruiter": _CANDIDATE_ALL - {"user_id", "created_by_user_id"},
    "company": _CANDIDATE_ALL - {"user_id", "created_by_user_id"},
    "hiring_company": _CANDIDATE_ALL - {"user_id", "created_by_user_id"},
}, _privacy_flags)


def viewer_of_candidate(access: Access, row: Mapping[str, Any], *, hired_by: Collection[UUID] = ()) -> str:
    """`hired_by`: the companies that hired this candidate (of those the caller is staff of, or more); a user of
    one of them is the hiring company, whose contact fields the candidate's flags no longer hold back."""
    if access.is_platform_admin:
        return "platform_admin"
    if controls_candidate(access, user_id=row.get("user_id"), created_by_user_id=row.get("created_by_user_id")):
        return "controller"
    if access.is_company_user and not access.company_ids.isdisjoint(hired_by):
        return "hiring_company"
    return "recruiter" if access.is_recruiter else "company"


# --- a candidate's skills and résumé profile ---------------------------------------------------------------
# The candidate, whoever manages or represents them, and platform admins read all of it. Recruiters and company
# users who may read the candidate see it too, since matching candidates to jobs is what it is for; but the
# employers of a candidate who keeps their current company private are left out of each position.

_SKILL = frozenset({"slug", "name", "source", "years", "proficiency"})
_POSITION = frozenset({"title", "company", "start_month", "end_month", "description"})
_SCHOOL = frozenset({"institution", "degree", "field_of_study", "start_year", "end_year"})
_CERTIFICATE = frozenset({"name", "issuer", "year"})
_PROFILE = frozenset({"candidate_id", "years_experience", "skills", "experience", "education", "certifications",
                      "updated_at"})
_PROFILE_VIEWERS = ("controller", "representative", "platform_admin", "marketplace", "marketplace_private")


def _same_for_all(name: str, fields: frozenset[str]) -> ReadModel:
    return ReadModel(name, dict.fromkeys(_PROFILE_VIEWERS, fields))


CANDIDATE_PROFILE = ReadModel("candidate_profile", dict.fromkeys(_PROFILE_VIEWERS, _PROFILE), nested={
    "skills": _same_for_all("candidate_skill", _SKILL),
    "experience": ReadModel("candidate_position", {**dict.fromkeys(_PROFILE_VIEWERS, _POSITION),
                                                   "marketplace_private": _POSITION - {"company"}}),
    "education": _same_for_all("candidate_school", _SCHOOL),
    "certifications": _same_for_all("candidate_certificate", _CERTIFICATE),
})


def viewer_of_candidate_profile(access: Access, candidate: Mapping[str, Any], *, represents: bool) -> str:
    """`candidate`: the candidate's row (owner and privacy flags); `represents`: the caller is a recruiter with
    an active, consented relationship with the candidate."""
    viewer = viewer_of_candidate(access, candidate)
    if viewer in ("platform_admin", "controller"):
        return viewer
    if represents:
        return "representative"
    return "marketplace" if candidate.get("show_current_company") else "marketplace_private"


# --- the network: recruiters and their relationships -------------------------------------------------------

_RECRUITER_PUBLIC = frozenset({
    "id", "name", "slug", "tagline", "bio", "location", "years_experience", "industries", "specialties",
    "candidate_recruiter", "company_recruiter", "email", "phone",
})
_RECRUITER_ALL = _RECRUITER_PUBLIC | {
    "user_id", "status", "marketplace_enabled", "marketplace_visibility", "show_success_metrics",
    "show_contact_info", "created_at", "updated_at",
}


# The marketplace profile for anyone it is shown to; the whole one for its own user and platform admins.
RECRUITER = ReadModel("recruiter", {
    "public": _RECRUITER_PUBLIC,
    "self": _RECRUITER_ALL,
    "platform_admin": _RECRUITER_ALL,
})


def viewer_of_recruiter(access: Access, row: Mapping[str, Any]) -> str:
    if access.is_platform_admin:
        return "platform_admin"
    if access.user_id is not None and row.get("user_id") == access.user_id:
        return "self"
    return "public"


# A representation and a working relationship read the same to both of their sides and to platform admins.
_RECRUITER_CANDIDATE = frozenset({
    "id", "recruiter_id", "recruiter_name", "candidate_id", "status", "invited_at", "invitation_expires_at",
    "consent_given_at", "declined_at", "decline_reason", "relationship_start_date", "relationship_end_date",
    "terminated_by", "termination_reason", "created_at", "updated_at",
})
RECRUITER_CANDIDATE = ReadModel("recruiter_candidate", {
    "recruiter": _RECRUITER_CANDIDATE, "candidate": _RECRUITER_CANDIDATE, "platform_admin": _RECRUITER_CANDIDATE,
})
_RECRUITER_COMPANY = frozenset({
    "id", "recruiter_id", "recruiter_name", "company_id", "relationship_type", "status", "started_by", "message",
    "proposed_permissions", "permissions", "accepted_by", "terms_acknowledged_at", "relationship_start_date",
    "relationship_end_date", "declined_by", "decline_reason", "terminated_by", "termination_reason", "created_at",
    "updated_at",
})
RECRUITER_COMPANY = ReadModel("recruiter_company", {
    "recruiter": _RECRUITER_COMPANY, "company": _RECRUITER_COMPANY, "platform_admin": _RECRUITER_COMPANY,
})

# --- activity and job notes -------------------------------------------------------------------------------
# Which rows of a job's or an application's activity a caller reads is decided by their audience and the notes'
# visibilities (api/ats/activity.py); of a row, the job's parties see who did it, an application's parties the
# actor's role (as in its stage history), platform admins both.

_JOB_ACTIVITY = frozenset({"seq", "action", "summary", "at"})
JOB_ACTIVITY = ReadModel("job_activity", {
    "public": _JOB_ACTIVITY,
    "recruiter": _JOB_ACTIVITY,
    "party": _JOB_ACTIVITY | {"actor", "audience", "note_id", "visibility"},
    # A note's rows to the job's parties other than its author: who wrote it stays the author's (`JOB_NOTE`).
    "note_reader": _JOB_ACTIVITY | {"audience", "note_id", "visibility"},
    "platform_admin": _JOB_ACTIVITY | {"actor", "audience", "note_id", "visibility"},
})
_APPLICATION_ACTIVITY = frozenset({"seq", "action", "actor_role", "note_id", "visibility", "summary", "at"})
APPLICATION_ACTIVITY = ReadModel("application_activity", {
    "party": _APPLICATION_ACTIVITY,
    "platform_admin": _APPLICATION_ACTIVITY | {"actor"},
})
# A job note, like an application note: the author's user id only for the author and platform admins.
_JOB_NOTE_ALL = frozenset({"id", "job_id", "created_by_user_id", "created_by_type", "visibility", "message",
                           "created_at", "updated_at", "edited_at"})
JOB_NOTE = ReadModel("job_note", {
    "reader": _JOB_NOTE_ALL - {"created_by_user_id"},
    "author": _JOB_NOTE_ALL,
    "platform_admin": _JOB_NOTE_ALL,
})

READ_MODELS: dict[str, ReadModel] = {m.name: m for m in (
    JOB, APPLICATION, NOTE, PLACEMENT, CANDIDATE, RECRUITER, RECRUITER_CANDIDATE, RECRUITER_COMPANY,
    CANDIDATE_PROFILE, JOB_ACTIVITY, APPLICATION_ACTIVITY, JOB_NOTE)}

