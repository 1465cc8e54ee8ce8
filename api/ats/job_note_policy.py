"""Who a caller is to one job, for its notes and its activity (commands/ats/job_note.py), as plain functions of
the access context and the job (from its stream or its read row)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from commands.ats.job_note import JobNoteViewerKind, job_note_viewer_kind
from commands.ats.job_note_events import JobNoteAuthorType
from commands.core import Forbidden
from projections.identity.access import Access


def job_viewer_kind(access: Access, *, company_id: UUID | None, source_firm_id: UUID | None,
                    job_owner_recruiter_id: UUID | None) -> JobNoteViewerKind:
    recruiter = access.is_recruiter
    return job_note_viewer_kind(
        is_platform_admin=access.is_platform_admin,
        viewer_company_ids=access.company_ids if access.is_company_user else frozenset(),
        viewer_recruiter_id=access.recruiter_id if recruiter else None,
        viewer_firm_ids=access.firm_ids if recruiter else frozenset(),
        viewer_job_viewing_company_ids=frozenset(
            c for c in access.company_permissions if access.recruiter_may(c, "can_view_jobs")),
        job_company_id=company_id, job_source_firm_id=source_firm_id, job_owner_recruiter_id=job_owner_recruiter_id,
    )


def job_viewer_kind_of_row(access: Access, row: dict[str, Any]) -> JobNoteViewerKind:
    return job_viewer_kind(access, company_id=row["company_id"], source_firm_id=row["source_firm_id"],
                           job_owner_recruiter_id=row["job_owner_recruiter_id"])


def check_job_party(kind: JobNoteViewerKind, job_id: UUID) -> None:
    if kind == "other":
        raise Forbidden("only the job's company users, the recruiters working it and platform admins keep its notes",
                        job_id=str(job_id))


def job_note_author_type(access: Access, kind: JobNoteViewerKind, company_id: UUID | None,
                         job_id: UUID) -> JobNoteAuthorType:
    """The side a note's author writes from; anyone with no part in the job writes none."""
    check_job_party(kind, job_id)
    match kind:
        case "platform_admin":
            return "platform_admin"
        case "company_user":
            return "company_admin" if access.is_company_admin_of(company_id) else "hiring_manager"
        case _:
            return "job_recruiter"
