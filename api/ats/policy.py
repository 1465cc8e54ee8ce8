"""Who may see and change jobs, companies and candidates (domain §2.3 and §2.4), as plain functions of
the access context (and, for a company's admins, of its organization's state).

Reads are filtered in SQL by `JobVisibility`, `CompanyVisibility` and `CandidateVisibility` (a caller
never learns of an entity they may not see: it is a 404, not a 403); writes are checked against the
entity's own stream before the command runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from commands.ats.candidate import Candidate
from commands.ats.company import Company
from commands.ats.job import Job
from commands.ats.saved_item_events import SaverKind
from commands.core import Forbidden
from commands.identity.organization import Organization
from projections.ats.candidate_queries import CandidateVisibility
from projections.ats.company_queries import CompanyVisibility
from projections.ats.queries import JobVisibility
from projections.identity.access import Access

# Off-platform (firm) jobs carry at least this fee (in basis points).
FIRM_JOB_MIN_FEE_BPS = 500


def job_visibility(access: Access, *, early_access: bool = False, now: datetime | None = None) -> JobVisibility:
    """The jobs this caller may read. Recruiter scoping wins over company scoping (domain §2.3).

    Early-access jobs (domain §3, §13) stay out of the marketplace until their `activates_at` (`now`), except for
    a recruiter whose plan grants `early_access_roles` (`early_access`, looked up by the caller:
    api/ats/entitlements.py). A company's staff see its own jobs whatever their state, and no other company's."""
    if access.is_platform_admin:
        return JobVisibility(everything=True)
    if access.is_recruiter:
        return JobVisibility(marketplace=True, early_access=early_access, now=now,
                             owner_recruiter_id=access.recruiter_id, firm_ids=access.firm_ids)
    if access.is_company_user:
        return JobVisibility(company_ids=access.company_ids)
    return JobVisibility(marketplace=True, now=now)


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


def may_see(access: Access, job: Job, *, early_access: bool = False, now: datetime | None = None) -> bool:
    """The same rule as `job_visibility`, for one job loaded from its stream."""
    return job_visibility(access, early_access=early_access, now=now).admits(
        company_id=job.company_id, source_firm_id=job.source_firm_id, status=job.status,
        is_early_access=job.is_early_access, job_owner_recruiter_id=job.job_owner_recruiter_id,
        activates_at=job.activates_at,
    )


# --- companies -------------------------------------------------------------------------------------

def company_visibility(access: Access) -> CompanyVisibility:
    """Everyone sees the marketplace's companies; company staff also their own, and recruiters the
    companies they work with (whatever the status or visibility); platform admins all of them."""
    if access.is_platform_admin:
        return CompanyVisibility(everything=True)
    return CompanyVisibility(marketplace=True, company_ids=access.company_ids | frozenset(access.company_permissions))


def may_see_company(access: Access, company: Company) -> bool:
    return company.exists and company_visibility(access).admits(
        company_id=company.id, marketplace_visible=company.marketplace_visible, status=company.status)


def is_company_admin(access: Access, organization: Organization, company_id: UUID | None) -> bool:
    """A company_admin of the company's organization, organization-wide or for this company, judged from
    the organization's own stream: being a company admin somewhere else grants nothing here."""
    if access.user_id is None or not organization.exists or organization.deleted:
        return False
    roles = {organization.members.get((access.user_id, None))}
    if company_id is not None:
        roles.add(organization.members.get((access.user_id, company_id)))
    return "company_admin" in roles


def check_may_create_company(access: Access, organization: Organization) -> None:
    if access.is_platform_admin or is_company_admin(access, organization, None):
        return
    raise Forbidden("only the organization's organization-wide company admins or a platform admin may create "
                    "its company", organization_id=str(organization.id))


def check_may_manage_company(access: Access, company: Company, organization: Organization) -> None:
    """Profile and marketplace visibility: the company's admins and platform admins."""
    if access.is_platform_admin or is_company_admin(access, organization, company.id):
        return
    raise Forbidden("only the company's admins or a platform admin may change this company", company_id=str(company.id))


def check_may_claim_company_sourcer(access: Access, company_id: UUID, sourcer_recruiter_id: UUID | None) -> None:
    """A platform admin names any sourcer. A recruiter claims only for themself, and only a company they
    work with: an active relationship with it (from the network context) is the evidence that they
    brought it, so that nobody can stake a claim on every company of the marketplace."""
    if access.is_platform_admin:
        return
    if not access.is_recruiter or sourcer_recruiter_id != access.recruiter_id:
        raise Forbidden("a recruiter claims a sourcer for themself; a platform admin may name anyone",
                        company_id=str(company_id))
    if company_id not in access.company_permissions:
        raise Forbidden("a recruiter may claim only a company they have an active relationship with",
                        company_id=str(company_id))


# --- candidates ------------------------------------------------------------------------------------

CandidateScope = Literal["mine", "browse", "saved"]

# The fields each privacy flag guards: left out of what others see unless the candidate shows them.
PRIVATE_FIELDS: dict[str, tuple[str, ...]] = {
    "show_email": ("email",),
    "show_phone": ("phone",),
    "show_location": ("location",),
    "show_current_company": ("current_company",),
    "show_salary_expectations": ("desired_salary_min_cents", "desired_salary_max_cents"),
}


def candidate_visibility(access: Access) -> CandidateVisibility:
    """The candidates this caller may read (domain §2.3): platform admins all; recruiters and company
    users the marketplace (hidden and archived left out) and, for recruiters, the records they manage;
    company users also the candidates their companies hired, whatever their visibility (docs/decisions.md);
    anyone their own record."""
    if access.is_platform_admin:
        return CandidateVisibility(everything=True)
    hired_by = access.company_ids if access.is_company_user else frozenset()
    if access.is_recruiter:
        return CandidateVisibility(browse=True, own_user_id=access.user_id, managed_by_user_id=access.user_id,
                                   hired_by_company_ids=hired_by)
    if access.is_company_user:
        return CandidateVisibility(browse=True, own_user_id=access.user_id, hired_by_company_ids=hired_by)
    return CandidateVisibility(own_user_id=access.user_id)


def candidate_listing(access: Access, scope: CandidateScope) -> tuple[CandidateVisibility, UUID | None]:
    """What `GET /v1/candidates?scope=` lists: the visibility, and the creator to keep to (None: anyone).

    `scope=mine` for a recruiter: the candidates they created. The recruiter–candidate relationships
    (RTRs) of the network context will join them here once that context is projected. For company
    users it will be the candidates with applications on their companies' jobs; until that is wired
    it lists only their own record, if they have one.
    """
    visible = candidate_visibility(access)
    if scope in ("browse", "saved") or access.is_platform_admin:  # saved: the route keeps to the saver's list
        return visible, None
    if access.is_recruiter:
        return visible, access.user_id
    if access.is_company_user:
        return CandidateVisibility(own_user_id=access.user_id), None
    return visible, None


def may_see_candidate(access: Access, candidate: Candidate, *, as_recruiter: bool = False) -> bool:
    """`as_recruiter`: the caller is known to be a recruiter from their own stream, whether or not the access
    context has caught up with the role yet."""
    visible = candidate_visibility(access)
    if as_recruiter and not access.is_platform_admin:
        visible = CandidateVisibility(browse=True, own_user_id=access.user_id, managed_by_user_id=access.user_id)
    return candidate.exists and visible.admits(
        user_id=candidate.user_id, created_by_user_id=candidate.created_by_user_id,
        marketplace_visibility=candidate.marketplace_visibility, archived=candidate.archived)


def controls_candidate(access: Access, *, user_id: UUID | None, created_by_user_id: UUID | None) -> bool:
    """The candidate themself, or while the record is recruiter-managed the recruiter who created it."""
    if access.user_id is None:
        return False
    if user_id is not None:
        return user_id == access.user_id
    return access.is_recruiter and created_by_user_id == access.user_id


def check_may_change_candidate(access: Access, candidate: Candidate) -> None:
    """Profile, privacy, visibility, archive and restore: whoever controls the record, or a platform admin."""
    if access.is_platform_admin or controls_candidate(
            access, user_id=candidate.user_id, created_by_user_id=candidate.created_by_user_id):
        return
    raise Forbidden("only the candidate, the recruiter managing the record or a platform admin may change it",
                    candidate_id=str(candidate.id))


def check_may_claim_candidate_sourcer(access: Access, candidate: Candidate, sourcer_recruiter_id: UUID | None) -> None:
    """A platform admin names any sourcer. A recruiter claims only for themself, and only a candidate they
    brought: one whose record they created."""
    if access.is_platform_admin:
        return
    if not access.is_recruiter or sourcer_recruiter_id != access.recruiter_id:
        raise Forbidden("a recruiter claims a sourcer for themself; a platform admin may name anyone",
                        candidate_id=str(candidate.id))
    if access.user_id is None or candidate.created_by_user_id != access.user_id:
        raise Forbidden("a recruiter may claim only a candidate whose record they created",
                        candidate_id=str(candidate.id))


# --- saved items -----------------------------------------------------------------------------------

class NotASaver(Forbidden):
    code = "not_a_saver"

    def __init__(self) -> None:
        super().__init__("recruiters save jobs and candidates, and candidates (with their record) save jobs")


def saver_of(access: Access) -> tuple[SaverKind, UUID]:
    """Whose saved items the caller keeps: their recruiter's, else their candidate record's (a caller who is both
    saves as a recruiter, as they create candidates as one). Anyone else saves nothing."""
    if access.recruiter_id is not None:
        return "recruiter", access.recruiter_id
    if access.candidate_id is not None:
        return "candidate", access.candidate_id
    raise NotASaver()
