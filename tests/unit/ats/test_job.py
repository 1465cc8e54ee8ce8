from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.events import JobCreated, JobEdited, JobStatus, JobStatusChanged
from commands.ats.job import (
    ALLOWED,
    EDITABLE,
    BillingNotReady,
    CloseJob,
    CreateJob,
    EditJob,
    FillJob,
    PauseJob,
    PublishJob,
    ReopenJob,
    ReturnJobToDraft,
    StatusTransitionNotAllowed,
    SubmitJobForApproval,
    job,
)
from commands.core import Conflict, NotFound, RuleViolation
from tests.unit.dsl import given

J = UUID("00000000-0000-4000-8000-000000000001")
COMPANY = UUID("00000000-0000-4000-8000-0000000000c0")
FIRM = UUID("00000000-0000-4000-8000-0000000000f0")
OWNER = UUID("00000000-0000-4000-8000-0000000000a1")
ACTOR = "user_2abc"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
STATUSES: tuple[JobStatus, ...] = ("draft", "pending", "active", "paused", "filled", "closed")
# Domain §4.3, copied here rather than read from the decider so that a change to ALLOWED fails tests.
SPEC: dict[JobStatus, set[JobStatus]] = {
    "draft": {"pending", "active", "closed"},
    "pending": {"draft", "active", "paused", "closed"},
    "active": {"draft", "paused", "filled", "closed"},
    "paused": {"draft", "active", "filled", "closed"},
    "filled": {"draft", "active", "closed"},
    "closed": {"draft", "active"},
}
TABLE = [(frm, to) for frm in STATUSES for to in STATUSES if to in SPEC[frm]]
NOT_IN_TABLE = [(frm, to) for frm in STATUSES for to in STATUSES if frm != to and to not in SPEC[frm]]
# A realistic history reaching each status, following the table from draft.
PATH: dict[JobStatus, list[JobStatus]] = {
    "draft": [], "pending": ["pending"], "active": ["active"], "paused": ["active", "paused"],
    "filled": ["active", "filled"], "closed": ["closed"],
}
GATED = {"active": PublishJob, "pending": SubmitJobForApproval, "paused": PauseJob, "filled": FillJob}
UNGATED = {"draft", "closed"}


def create(**overrides: Any) -> CreateJob:
    return CreateJob(**{"job_id": J, "company_id": COMPANY, "title": "Backend Engineer", "fee_bps": 2000,
                        "by": ACTOR, "at": T0} | overrides)


def created(**overrides: Any) -> JobCreated:
    fields: dict[str, Any] = {
        "job_id": J, "company_id": COMPANY, "source_firm_id": None, "title": "Backend Engineer",
        "department": None, "location": None, "recruiter_description": None, "candidate_description": None,
        "salary_min_cents": None, "salary_max_cents": None, "show_salary_range": True, "fee_bps": 2000,
        "guarantee_days": 90, "employment_type": "full_time", "commute_types": [], "job_level": None,
        "open_to_relocation": False, "is_early_access": False, "activates_at": None, "closes_at": None,
        "is_priority": False, "job_owner_recruiter_id": None, "created_by": ACTOR, "at": T0,
    }
    return JobCreated(**fields | overrides)


def moved(frm: JobStatus, to: JobStatus, reason: str | None = None) -> JobStatusChanged:
    return JobStatusChanged(job_id=J, from_status=frm, to_status=to, reason=reason, by=ACTOR, at=T1)


def history(status: JobStatus, **created_overrides: Any) -> list[Any]:
    events: list[Any] = [created(**created_overrides)]
    frm: JobStatus = "draft"
    for to in PATH[status]:
        events.append(moved(frm, to))
        frm = to
    return events


def to_status(target: JobStatus, billing_ready: bool = True, reason: str | None = None) -> Any:
    if target == "draft":
        return ReturnJobToDraft(job_id=J, by=ACTOR, at=T1, reason=reason)
    if target == "closed":
        return CloseJob(job_id=J, by=ACTOR, at=T1, reason=reason)
    return GATED[target](job_id=J, by=ACTOR, at=T1, reason=reason, billing_ready=billing_ready)


def edit(**fields: Any) -> EditJob:
    return EditJob(job_id=J, by=ACTOR, at=T1, **fields)


def edited(**changes: Any) -> JobEdited:
    return JobEdited(job_id=J, changes=changes, by=ACTOR, at=T1)


# --- create ---------------------------------------------------------------------------------------

def test_new_job_created_records_every_field():
    fields = {
        "source_firm_id": FIRM, "department": "Platform", "location": "Berlin", "recruiter_description": "r",
        "candidate_description": "c", "salary_min_cents": 9_000_000, "salary_max_cents": 12_000_000,
        "show_salary_range": False, "fee_bps": 2500, "guarantee_days": 60, "employment_type": "contract",
        "commute_types": ["remote", "hybrid_2"], "job_level": "senior", "open_to_relocation": True,
        "is_early_access": True, "activates_at": T1, "closes_at": T1 + timedelta(days=30), "is_priority": True,
        "job_owner_recruiter_id": OWNER,
    }
    given(job).when(create(**fields)).then(created(**fields))


def test_new_job_with_minimal_fields_gets_defaults():
    given(job).when(create()).then(created())


def test_created_job_starts_in_draft():
    assert given(job, created()).state.status == "draft"


def test_existing_job_created_again_raises_conflict():
    given(job, created()).when(create()).then_raises(Conflict)


def test_job_without_company_or_firm_is_rejected():
    with pytest.raises(ValidationError, match="company or"):
        create(company_id=None)


def test_firm_job_below_five_percent_fee_is_rejected():
    with pytest.raises(ValidationError, match="at least 500 bps"):
        create(company_id=None, source_firm_id=FIRM, fee_bps=499)


def test_firm_job_at_five_percent_fee_is_created():
    given(job).when(create(company_id=None, source_firm_id=FIRM, fee_bps=500)).then(
        created(company_id=None, source_firm_id=FIRM, fee_bps=500)
    )


@pytest.mark.parametrize("fee_bps", [0, 10_000])
def test_fee_at_bounds_is_accepted(fee_bps: int):
    assert create(fee_bps=fee_bps).fee_bps == fee_bps


@pytest.mark.parametrize("fee_bps", [-1, 10_001])
def test_fee_out_of_range_is_rejected(fee_bps: int):
    with pytest.raises(ValidationError, match="fee_bps"):
        create(fee_bps=fee_bps)


@pytest.mark.parametrize("days", [0, 365])
def test_guarantee_at_bounds_is_accepted(days: int):
    assert create(guarantee_days=days).guarantee_days == days


@pytest.mark.parametrize("days", [-1, 366])
def test_guarantee_out_of_range_is_rejected(days: int):
    with pytest.raises(ValidationError, match="guarantee_days"):
        create(guarantee_days=days)


def test_salary_min_above_max_is_rejected():
    with pytest.raises(ValidationError, match="salary_min_cents must not exceed"):
        create(salary_min_cents=10_000_01, salary_max_cents=10_000_00)


def test_salary_min_equal_to_max_is_accepted():
    assert create(salary_min_cents=100, salary_max_cents=100).salary_max_cents == 100


def test_negative_salary_is_rejected():
    with pytest.raises(ValidationError, match="salary_min_cents"):
        create(salary_min_cents=-1)


def test_early_access_without_activation_is_rejected():
    with pytest.raises(ValidationError, match="early-access job needs activates_at"):
        create(is_early_access=True)


@pytest.mark.parametrize("closes_at", [T0, T0 - timedelta(days=1)])
def test_closing_not_after_activation_is_rejected(closes_at: datetime):
    with pytest.raises(ValidationError, match="closes_at must be after activates_at"):
        create(activates_at=T0, closes_at=closes_at)


@pytest.mark.parametrize(
    "field, value",
    [("employment_type", "freelance"), ("commute_types", ["hybrid_5"]), ("job_level", "intern"),
     ("commute_types", ["remote", "remote"]), ("title", "   "), ("by", ""),
     ("at", datetime(2026, 3, 2, 9, 0)), ("activates_at", datetime(2026, 3, 2, 9, 0))],
)
def test_bad_field_value_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        create(**{field: value})


# --- status machine -------------------------------------------------------------------------------

@pytest.mark.parametrize("frm, to", TABLE)
def test_transition_in_table_records_status_change(frm: JobStatus, to: JobStatus):
    given(job, *history(frm)).when(to_status(to, reason="why not")).then(moved(frm, to, reason="why not"))


@pytest.mark.parametrize("frm, to", NOT_IN_TABLE)
def test_transition_not_in_table_raises(frm: JobStatus, to: JobStatus):
    error = given(job, *history(frm)).when(to_status(to)).then_raises(StatusTransitionNotAllowed, f"{frm} to {to}")
    assert (error.from_status, error.to_status) == (frm, to)


def test_transition_table_matches_domain_spec():
    assert ALLOWED == SPEC


@pytest.mark.parametrize("status", STATUSES)
def test_move_to_current_status_is_a_no_op(status: JobStatus):
    given(job, *history(status)).when(to_status(status)).then()


@pytest.mark.parametrize("status", ["pending", "active", "paused", "filled"])
def test_move_to_current_status_without_billing_is_still_a_no_op(status: JobStatus):
    given(job, *history(status)).when(to_status(status, billing_ready=False)).then()


@pytest.mark.parametrize("frm, to", [(frm, to) for frm, to in TABLE if to not in UNGATED])
def test_non_draft_target_without_billing_raises(frm: JobStatus, to: JobStatus):
    given(job, *history(frm)).when(to_status(to, billing_ready=False)).then_raises(BillingNotReady, "billing profile")


def test_billing_not_ready_is_a_rule_violation():
    given(job, created()).when(to_status("active", billing_ready=False)).then_raises(RuleViolation)


def test_forbidden_transition_without_billing_names_the_transition():
    given(job, created()).when(to_status("filled", billing_ready=False)).then_raises(StatusTransitionNotAllowed)


@pytest.mark.parametrize("frm", ["draft", "pending", "active", "paused", "filled"])
def test_close_needs_no_billing(frm: JobStatus):
    given(job, *history(frm)).when(CloseJob(job_id=J, by=ACTOR, at=T1)).then(moved(frm, "closed"))


@pytest.mark.parametrize("frm", ["pending", "active", "paused", "filled", "closed"])
def test_return_to_draft_needs_no_billing(frm: JobStatus):
    given(job, *history(frm)).when(ReturnJobToDraft(job_id=J, by=ACTOR, at=T1)).then(moved(frm, "draft"))


@pytest.mark.parametrize("frm", ["closed", "filled"])
def test_closed_or_filled_job_reopened_becomes_active(frm: JobStatus):
    cmd = ReopenJob(job_id=J, by=ACTOR, at=T1, billing_ready=True, reason="role open again")
    given(job, *history(frm)).when(cmd).then(moved(frm, "active", reason="role open again"))


@pytest.mark.parametrize("frm", ["draft", "pending", "paused"])
def test_job_never_closed_reopened_raises(frm: JobStatus):
    cmd = ReopenJob(job_id=J, by=ACTOR, at=T1, billing_ready=True)
    given(job, *history(frm)).when(cmd).then_raises(StatusTransitionNotAllowed, "only a closed or filled job")


def test_active_job_reopened_is_a_no_op():
    given(job, *history("active")).when(ReopenJob(job_id=J, by=ACTOR, at=T1, billing_ready=True)).then()


def test_closed_job_reopened_without_billing_raises():
    cmd = ReopenJob(job_id=J, by=ACTOR, at=T1, billing_ready=False)
    given(job, *history("closed")).when(cmd).then_raises(BillingNotReady)


def test_status_command_without_billing_answer_is_rejected():
    with pytest.raises(ValidationError, match="billing_ready"):
        PublishJob(job_id=J, by=ACTOR, at=T1)


# --- missing job ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "cmd",
    [edit(title="x"), ReopenJob(job_id=J, by=ACTOR, at=T1, billing_ready=True)]
    + [to_status(status) for status in STATUSES],
    ids=lambda cmd: type(cmd).__name__,
)
def test_command_on_missing_job_raises_not_found(cmd: Any):
    given(job).when(cmd).then_raises(NotFound)


# --- edits ----------------------------------------------------------------------------------------

def test_edit_records_only_the_fields_that_change():
    cmd = edit(title="Staff Engineer", fee_bps=2000, commute_types=["remote"])
    given(job, created()).when(cmd).then(edited(title="Staff Engineer", commute_types=["remote"]))


def test_edit_repeating_current_values_is_a_no_op():
    given(job, created()).when(edit(title="Backend Engineer", fee_bps=2000, commute_types=[])).then()


def test_edit_without_fields_is_a_no_op():
    given(job, created()).when(edit()).then()


def test_edit_already_applied_is_a_no_op():
    given(job, created(), edited(title="Staff Engineer")).when(edit(title="Staff Engineer")).then()


def test_edit_of_dates_is_stored_as_iso_strings_and_replayed():
    cmd = edit(activates_at=T1, closes_at=T1 + timedelta(days=3))
    [event] = given(job, created()).when(cmd).then(
        edited(activates_at="2026-03-02T10:00:00Z", closes_at="2026-03-05T10:00:00Z")
    )
    given(job, created(), event).when(cmd).then()


def test_edit_clearing_an_optional_field_records_none():
    given(job, created(salary_max_cents=500)).when(edit(salary_max_cents=None)).then(edited(salary_max_cents=None))


@pytest.mark.parametrize("field", ["title", "fee_bps", "commute_types", "is_early_access"])
def test_edit_clearing_a_required_field_is_rejected(field: str):
    with pytest.raises(ValidationError, match=f"cannot clear {field}"):
        edit(**{field: None})


@pytest.mark.parametrize("field, value", [("fee_bps", 10_001), ("guarantee_days", 366), ("job_level", "intern")])
def test_edit_with_value_out_of_range_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        edit(**{field: value})


def test_edit_of_closed_job_raises():
    given(job, *history("closed")).when(edit(title="x")).then_raises(RuleViolation, "closed job cannot be edited")


@pytest.mark.parametrize("status", ["draft", "pending", "active", "paused", "filled"])
def test_edit_of_open_job_is_recorded(status: JobStatus):
    given(job, *history(status)).when(edit(title="x")).then(edited(title="x"))


def test_edit_turning_on_early_access_without_activation_raises():
    given(job, created()).when(edit(is_early_access=True)).then_raises(RuleViolation, "needs activates_at")


def test_edit_turning_on_early_access_with_activation_is_recorded():
    given(job, created(activates_at=T1)).when(edit(is_early_access=True)).then(edited(is_early_access=True))


def test_edit_clearing_activation_of_early_access_job_raises():
    history_ = [created(is_early_access=True, activates_at=T1)]
    given(job, *history_).when(edit(activates_at=None)).then_raises(RuleViolation, "needs activates_at")


def test_edit_with_both_early_access_and_no_activation_is_rejected():
    with pytest.raises(ValidationError, match="needs activates_at"):
        edit(is_early_access=True, activates_at=None)


def test_edit_min_salary_above_current_max_raises():
    given(job, created(salary_max_cents=100)).when(edit(salary_min_cents=101)).then_raises(RuleViolation, "salary")


def test_edit_closing_before_current_activation_raises():
    given(job, created(activates_at=T1)).when(edit(closes_at=T0)).then_raises(RuleViolation, "closes_at")


def test_edit_of_firm_job_fee_below_floor_raises():
    firm_job = created(company_id=None, source_firm_id=FIRM, fee_bps=1000)
    given(job, firm_job).when(edit(fee_bps=499)).then_raises(RuleViolation, "at least 500 bps")


def test_edit_of_company_job_fee_below_firm_floor_is_recorded():
    given(job, created()).when(edit(fee_bps=100)).then(edited(fee_bps=100))


def test_edit_command_covers_exactly_the_editable_fields():
    assert set(EditJob.model_fields) - {"job_id", "by", "at"} == EDITABLE
    assert EDITABLE <= set(JobCreated.model_fields)


def test_job_edited_rejects_floats():
    with pytest.raises(ValidationError):
        edited(fee_bps=20.5)
