"""Who may see and change jobs (domain §2.3 and §2.4), as plain functions of the access context.

Reads are filtered in SQL by `JobVisibility` (a caller never learns of a job they may not see: it is
a 404, not a 403); writes are checked against the job's own stream before the command runs.
"""

from __future__ import annotations

from uuid import UUID

from commands.ats.job import Job
from commands.core import Forbidden
from projections.ats.queries import JobVisibility
from projections.identity.access import Access

# Off-platform (firm) jobs carry at least this fee (in basis points).
FIRM_JOB_MIN_FEE_BPS = 500


def job_visibility(access: Access) -> JobVisibility:
    """The jobs this caller may read. Recruiter scoping wins over company scoping (domain §2.3)."""
    if access.is_platform_admin:
        return JobVisibility(everything=True)
    if access.is_recruiter:
        return JobVisibility(marketplace=True, owner_recruiter_id=access.recruiter_id, firm_ids=access.firm_ids)
    if access.is_company_user:
        return JobVisibility(company_ids=access.company_ids)
    return JobVisibility(marketplace=True)


def check_may_create(access: Access, company_id: UUID | None, source_firm_id: UUID | None, fee_bps: int) -> None:
    if access.is_platform_admin:
        return
    if company_id is not None:
        if access.is_company_admin_of(company_id) or access.recruiter_may(company_id, "can_create_jobs"):
            return
        raise Forbidden("only the company's admins, recruiters it allows to create jobs, or a platform admin may "
                        "post a job for this company", company_id=str(company_id))
    if source_firm_id is not None and access.is_recruiter and source_firm_id in access.firm_ids:
        if fee_bps < FIRM_JOB_MIN_FEE_BPS:
            raise Forbidden("an off-platform firm job needs a fee of at least 5%", fee_percentage=fee_bps / 100)
        return
    raise Forbidden("only members of the firm or a platform admin may post a job for this firm")


def check_may_change(access: Access, job: Job) -> None:
    """Edits and status moves. A job the caller may not even see answers 404, like a missing one."""
    if access.is_platform_admin:
        return
    if job.company_id is not None:
        if access.is_company_admin_of(job.company_id) or access.recruiter_may(job.company_id, "can_edit_jobs"):
            return
    elif job.source_firm_id is not None and access.is_recruiter and job.source_firm_id in access.firm_ids:
        return
    raise Forbidden("you may not change this job", job_id=str(job.id))


def may_see(access: Access, job: Job) -> bool:
    """The same rule as `job_visibility`, for one job loaded from its stream."""
    return job_visibility(access).admits(
        company_id=job.company_id, source_firm_id=job.source_firm_id, status=job.status,
        is_early_access=job.is_early_access, job_owner_recruiter_id=job.job_owner_recruiter_id,
    )
