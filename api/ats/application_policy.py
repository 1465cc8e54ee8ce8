"""Who may see and act on applications, their notes and placements (domain §2.3, §2.4), as plain functions
of the access context.

Reads are filtered in SQL by a visibility; a command first loads the application from its stream and
answers 404 when the caller may not see it, then acts in the caller's role towards that application
(`actor_role`), and the decider says what that role may do (403 when it may not). Scoping follows the
order of domain §2.3: a platform admin sees all, then a candidate's own, a recruiter's, a company's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from commands.ats.application import Application
from commands.ats.application_events import ActorRole
from commands.ats.job import Job
from commands.ats.note import NoteViewerKind, note_viewer_kind
from commands.ats.note_events import NoteAuthorType
from commands.ats.placement import Placement
from commands.core import Forbidden
from projections.ats.application_queries import ApplicationVisibility, PlacementVisibility
from projections.identity.access import Access


@dataclass(frozen=True)
class Parties:
    """Who an application concerns: what every rule here looks at, from the streams or from a read row."""

    application_id: UUID
    candidate_id: UUID
    candidate_recruiter_id: UUID | None
    company_recruiter_id: UUID | None
    company_id: UUID | None  # None: an off-platform firm job
    stage: str
    stage_before_expiry: str | None
    job_owner_recruiter_id: UUID | None
    source_firm_id: UUID | None

    @classmethod
    def of(cls, app: Application, job: Job) -> Parties:
        assert app.id is not None and app.candidate_id is not None
        return cls(app.id, app.candidate_id, app.candidate_recruiter_id, app.company_recruiter_id, app.company_id,
                   app.stage, app.stage_before_expiry, job.job_owner_recruiter_id, job.source_firm_id)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Parties:
        return cls(row["id"], row["candidate_id"], row["candidate_recruiter_id"], row["company_recruiter_id"],
                   row["company_id"], row["stage"], row["stage_before_expiry"], row["job_owner_recruiter_id"],
                   row["source_firm_id"])


def _owner_companies(access: Access) -> frozenset[UUID]:
    """The companies where the recruiter reads the applications on the jobs they own."""
    return frozenset(c for c, allowed in access.company_permissions.items() if "can_view_applications" in allowed)


def application_visibility(access: Access) -> ApplicationVisibility:
    if access.is_platform_admin:
        return ApplicationVisibility(everything=True)
    if access.candidate_id is not None:
        return ApplicationVisibility(candidate_id=access.candidate_id)
    if access.is_recruiter:
        return ApplicationVisibility(recruiter_id=access.recruiter_id, owner_company_ids=_owner_companies(access),
                                     firm_ids=access.firm_ids)
    if access.is_company_user:
        return ApplicationVisibility(company_ids=access.company_ids)
    return ApplicationVisibility()


def may_see(access: Access, app: Parties) -> bool:
    """The rule of `application_visibility`, for one application."""
    return application_visibility(access).admits(
        candidate_id=app.candidate_id, candidate_recruiter_id=app.candidate_recruiter_id,
        company_recruiter_id=app.company_recruiter_id, company_id=app.company_id, stage=app.stage,
        stage_before_expiry=app.stage_before_expiry, job_owner_recruiter_id=app.job_owner_recruiter_id,
        source_firm_id=app.source_firm_id,
    )


def works_job_for_company(access: Access, app: Parties) -> bool:
    """A recruiter on the company side of this job: its owner where they may view applications, or, on an
    off-platform firm job, a member of the firm."""
    if not access.is_recruiter:
        return False
    if app.company_id is None:
        return app.source_firm_id is not None and app.source_firm_id in access.firm_ids
    return app.job_owner_recruiter_id == access.recruiter_id and access.recruiter_may(
        app.company_id, "can_view_applications")


def actor_role(access: Access, app: Parties) -> ActorRole | None:
    """The caller's role towards this application, candidate side first; None when they have none."""
    if access.is_platform_admin:
        return "platform_admin"
    if access.candidate_id is not None and access.candidate_id == app.candidate_id:
        return "candidate"
    if access.is_recruiter and access.recruiter_id == app.candidate_recruiter_id:
        return "candidate_recruiter"
    if access.is_recruiter and (access.recruiter_id == app.company_recruiter_id
                                or works_job_for_company(access, app)):
        return "company_recruiter"
    if access.is_company_user and app.company_id is not None and app.company_id in access.company_ids:
        return "company"
    return None


def may_advance(access: Access, company_id: UUID | None) -> bool:
    """A recruiter's can_advance_candidates at the job's company; a recruiter with no relationship there (the
    candidate's own recruiter) is held only by the decider's rules for recruiters."""
    if company_id is None or company_id not in access.company_permissions:
        return True
    return access.recruiter_may(company_id, "can_advance_candidates")


def require_role(access: Access, app: Parties) -> ActorRole:
    role = actor_role(access, app)
    if role is None:
        raise Forbidden("you have no part in this application", application_id=str(app.application_id))
    return role


# --- applying --------------------------------------------------------------------------------------------

def submits_for_company(access: Access, job: Job) -> bool:
    """Whether a recruiter applies as the company's recruiter: they work with the job's company (any active
    relationship), or the job is an off-platform job of one of their firms."""
    if not access.is_recruiter:
        return False
    if job.company_id is None:
        return job.source_firm_id is not None and job.source_firm_id in access.firm_ids
    return job.company_id in access.company_permissions


def check_may_submit_for_company(access: Access, job: Job) -> None:
    if job.company_id is not None and not access.recruiter_may(job.company_id, "can_submit_candidates"):
        raise Forbidden("the company does not let you submit candidates", company_id=str(job.company_id))


# --- notes -----------------------------------------------------------------------------------------------

def viewer_kind(access: Access, app: Parties) -> NoteViewerKind:
    """What the caller is to this application for its notes; a recruiter working the job for the company
    counts as its company recruiter."""
    company_recruiter = app.company_recruiter_id
    if works_job_for_company(access, app):
        company_recruiter = access.recruiter_id
    return note_viewer_kind(
        is_platform_admin=access.is_platform_admin, viewer_candidate_id=access.candidate_id,
        viewer_recruiter_id=access.recruiter_id,
        viewer_company_ids=access.company_ids if access.is_company_user else frozenset(),
        application_candidate_id=app.candidate_id, candidate_recruiter_id=app.candidate_recruiter_id,
        company_recruiter_id=company_recruiter, job_company_id=app.company_id,
    )


def note_author_type(access: Access, app: Parties, kind: NoteViewerKind) -> NoteAuthorType:
    """Who writes a note, by side; a recruiter with no part in the application reads but does not write."""
    match kind:
        case "platform_admin" | "candidate" | "candidate_recruiter" | "company_recruiter":
            return kind
        case "company_user":
            return "company_admin" if access.is_company_admin_of(app.company_id) else "hiring_manager"
        case _:
            raise Forbidden("only the parties to an application write notes on it",
                            application_id=str(app.application_id))


# --- placements ------------------------------------------------------------------------------------------

def placement_visibility(access: Access) -> PlacementVisibility:
    if access.is_platform_admin:
        return PlacementVisibility(everything=True)
    if access.candidate_id is not None:
        return PlacementVisibility(candidate_id=access.candidate_id)
    if access.is_recruiter:
        return PlacementVisibility(recruiter_id=access.recruiter_id)
    if access.is_company_user:
        return PlacementVisibility(company_ids=access.company_ids)
    return PlacementVisibility()


def may_see_placement(access: Access, p: Placement) -> bool:
    return p.exists and placement_visibility(access).admits({
        "candidate_id": p.candidate_id, "company_id": p.company_id,
        "candidate_recruiter_id": p.candidate_recruiter_id, "company_recruiter_id": p.company_recruiter_id,
        "job_owner_recruiter_id": p.job_owner_recruiter_id,
        "candidate_sourcer_recruiter_id": p.candidate_sourcer_recruiter_id,
        "company_sourcer_recruiter_id": p.company_sourcer_recruiter_id,
    })


def check_may_manage_placement(access: Access, p: Placement) -> None:
    """Marking a start or a failure: the company's admins, or a platform admin."""
    if not (access.is_platform_admin or access.is_company_admin_of(p.company_id)):
        raise Forbidden("only the company's admins or a platform admin change a placement's state",
                        placement_id=str(p.id))
