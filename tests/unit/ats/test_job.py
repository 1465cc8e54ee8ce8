from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.events import (
    JobCreated,
    JobEarlyAccessEnded,
    JobEdited,
    JobOwnerChanged,
    JobPreScreenQuestionsReplaced,
    JobRequirementItem,
    JobRequirementsReplaced,
    JobSkillItem,
    JobSkillsReplaced,
    JobStatus,
    JobStatusChanged,
    PreScreenQuestionItem,
)
from commands.ats.job import (
    ALLOWED,
    EDITABLE,
    BillingNotReady,
    ChangeJobOwner,
    CloseJob,
    CloseJobPastClosingDate,
    CreateJob,
    EditJob,
    EndJobEarlyAccess,
    FillJob,
    PauseJob,
    PublishJob,
    ReopenJob,
    ReplaceJobPreScreenQuestions,
    ReplaceJobRequirements,
    ReplaceJobSkills,
    ReturnJobToDraft,
    StatusTransitionNotAllowed,
    SubmitJobForApproval,
    job,
    question_id_for,
    skill_slug,
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


# --- requirements ---------------------------------------------------------------------------------

def requirements(*items: dict[str, Any]) -> ReplaceJobRequirements:
    return ReplaceJobRequirements(job_id=J, by=ACTOR, at=T1, requirements=list(items))


def requirements_replaced(*items: JobRequirementItem) -> JobRequirementsReplaced:
    return JobRequirementsReplaced(job_id=J, requirements=list(items), by=ACTOR, at=T1)


def req(description: str, sort_order: int, requirement_type: str = "mandatory") -> JobRequirementItem:
    return JobRequirementItem(requirement_type=requirement_type, description=description, sort_order=sort_order)


def test_requirements_without_sort_order_are_ordered_as_given():
    cmd = requirements({"requirement_type": "mandatory", "description": "5 years of Python"},
                       {"requirement_type": "preferred", "description": "Kafka"})
    given(job, created()).when(cmd).then(
        requirements_replaced(req("5 years of Python", 0), req("Kafka", 1, "preferred")))


def test_requirements_are_recorded_in_sort_order():
    cmd = requirements({"requirement_type": "preferred", "description": "Kafka", "sort_order": 7},
                       {"requirement_type": "mandatory", "description": "Python", "sort_order": 2})
    given(job, created()).when(cmd).then(requirements_replaced(req("Python", 2), req("Kafka", 7, "preferred")))


def test_same_requirements_again_is_a_no_op():
    cmd = requirements({"requirement_type": "mandatory", "description": "Python"})
    given(job, created(), requirements_replaced(req("Python", 0))).when(cmd).then()


def test_requirements_emptied_records_an_empty_list():
    given(job, created(), requirements_replaced(req("Python", 0))).when(requirements()).then(requirements_replaced())


def test_no_requirements_on_a_job_without_any_is_a_no_op():
    given(job, created()).when(requirements()).then()


def test_requirements_are_kept_in_state():
    state = given(job, created(), requirements_replaced(req("Python", 0))).state
    assert state.requirements == (req("Python", 0),)


def test_repeated_requirement_sort_order_is_rejected():
    with pytest.raises(ValidationError, match="sort_order must not repeat: 1"):
        requirements({"requirement_type": "mandatory", "description": "a", "sort_order": 1},
                     {"requirement_type": "mandatory", "description": "b"})


@pytest.mark.parametrize("item", [{"requirement_type": "nice", "description": "a"},
                                  {"requirement_type": "mandatory", "description": "  "},
                                  {"requirement_type": "mandatory", "description": "a", "sort_order": -1},
                                  {"requirement_type": "mandatory", "description": "a", "weight": 3}])
def test_bad_requirement_is_rejected(item: dict[str, Any]):
    with pytest.raises(ValidationError, match="requirements"):
        requirements(item)


def test_more_than_fifty_requirements_are_rejected():
    with pytest.raises(ValidationError, match="requirements"):
        requirements(*[{"requirement_type": "mandatory", "description": f"r{i}"} for i in range(51)])


# --- skills ---------------------------------------------------------------------------------------

def skills(*items: dict[str, Any]) -> ReplaceJobSkills:
    return ReplaceJobSkills(job_id=J, by=ACTOR, at=T1, skills=list(items))


def skills_replaced(*items: JobSkillItem) -> JobSkillsReplaced:
    return JobSkillsReplaced(job_id=J, skills=list(items), by=ACTOR, at=T1)


def test_skills_get_a_slug_from_their_name():
    cmd = skills({"name": "Machine Learning", "is_required": True}, {"name": "C++"}, {"name": "C#"}, {"name": "C"})
    given(job, created()).when(cmd).then(skills_replaced(
        JobSkillItem(name="Machine Learning", slug="machine-learning", is_required=True),
        JobSkillItem(name="C++", slug="c-plus-plus", is_required=False),
        JobSkillItem(name="C#", slug="c-sharp", is_required=False),
        JobSkillItem(name="C", slug="c", is_required=False),
    ))


def test_skill_with_its_own_slug_keeps_it():
    cmd = skills({"name": "Postgres", "slug": "postgresql"})
    given(job, created()).when(cmd).then(
        skills_replaced(JobSkillItem(name="Postgres", slug="postgresql", is_required=False)))


@pytest.mark.parametrize(
    "name, slug", [("Node.js", "node-js"), ("  Go  ", "go"), ("F#", "f-sharp"), ("TCP/IP", "tcp-ip")]
)
def test_skill_slug(name: str, slug: str):
    assert skill_slug(name) == slug


def test_same_skills_again_is_a_no_op():
    history_ = [created(), skills_replaced(JobSkillItem(name="Go", slug="go", is_required=True))]
    given(job, *history_).when(skills({"name": "Go", "is_required": True})).then()


def test_skill_required_flag_change_is_recorded():
    history_ = [created(), skills_replaced(JobSkillItem(name="Go", slug="go", is_required=True))]
    given(job, *history_).when(skills({"name": "Go"})).then(
        skills_replaced(JobSkillItem(name="Go", slug="go", is_required=False)))


@pytest.mark.parametrize(
    "items", [[{"name": "Python"}, {"name": "python"}], [{"name": "Go"}, {"name": "x", "slug": "go"}]]
)
def test_repeated_skill_is_rejected(items: list[dict[str, Any]]):
    with pytest.raises(ValidationError, match="skills must not repeat"):
        skills(*items)


@pytest.mark.parametrize("item", [{"name": " "}, {"name": "Go", "slug": "Go Lang"}, {"name": "Go", "slug": "go-"}])
def test_bad_skill_is_rejected(item: dict[str, Any]):
    with pytest.raises(ValidationError, match="skills"):
        skills(item)


def test_skill_name_without_letters_or_digits_is_rejected():
    with pytest.raises(ValidationError, match="at least one letter or digit"):
        skills({"name": "!!!"})


def test_more_than_fifty_skills_are_rejected():
    with pytest.raises(ValidationError, match="skills"):
        skills(*[{"name": f"s{i}"} for i in range(51)])


# --- pre-screen questions -------------------------------------------------------------------------

def questions(*items: dict[str, Any]) -> ReplaceJobPreScreenQuestions:
    return ReplaceJobPreScreenQuestions(job_id=J, by=ACTOR, at=T1, questions=list(items))


def questions_replaced(*items: PreScreenQuestionItem) -> JobPreScreenQuestionsReplaced:
    return JobPreScreenQuestionsReplaced(job_id=J, questions=list(items), by=ACTOR, at=T1)


def question(text: str, question_type: str = "text", **fields: Any) -> PreScreenQuestionItem:
    return PreScreenQuestionItem(**{"question_id": question_id_for(J, text), "question": text,
                                    "question_type": question_type, "options": [], "is_required": False,
                                    "disclaimer": None} | fields)


def test_questions_are_recorded_in_order_with_derived_ids():
    cmd = questions(
        {"question": "Why us?", "question_type": "text", "is_required": True, "disclaimer": "Be brief"},
        {"question": "Can you work in the EU?", "question_type": "yes_no"},
        {"question": "Seniority?", "question_type": "select", "options": ["Mid", "Senior"]},
        {"question": "Languages?", "question_type": "multi_select", "options": ["Go", "Rust", "Python"]},
    )
    given(job, created()).when(cmd).then(questions_replaced(
        question("Why us?", is_required=True, disclaimer="Be brief"),
        question("Can you work in the EU?", "yes_no"),
        question("Seniority?", "select", options=["Mid", "Senior"]),
        question("Languages?", "multi_select", options=["Go", "Rust", "Python"]),
    ))


def test_question_with_its_own_id_keeps_it():
    own = UUID("00000000-0000-4000-8000-0000000000f9")
    cmd = questions({"question_id": own, "question": "Why us?", "question_type": "text"})
    given(job, created()).when(cmd).then(questions_replaced(question("Why us?", question_id=own)))


def test_derived_question_id_is_stable_and_depends_on_job_and_text():
    assert question_id_for(J, "Why us?") == question_id_for(J, "  why US? ")
    assert question_id_for(J, "Why us?") != question_id_for(J, "Why not?")
    assert question_id_for(J, "Why us?") != question_id_for(COMPANY, "Why us?")


def test_same_questions_again_is_a_no_op():
    given(job, created(), questions_replaced(question("Why us?"))).when(
        questions({"question": "Why us?", "question_type": "text"})).then()


def test_reordered_questions_are_recorded():
    history_ = [created(), questions_replaced(question("A?"), question("B?"))]
    cmd = questions({"question": "B?", "question_type": "text"}, {"question": "A?", "question_type": "text"})
    given(job, *history_).when(cmd).then(questions_replaced(question("B?"), question("A?")))


def test_questions_are_kept_in_state():
    assert given(job, created(), questions_replaced(question("A?"))).state.pre_screen_questions == (question("A?"),)


@pytest.mark.parametrize("question_type", ["select", "multi_select"])
@pytest.mark.parametrize("options", [[], ["Only one"]])
def test_choice_question_without_two_options_is_rejected(question_type: str, options: list[str]):
    with pytest.raises(ValidationError, match="needs at least two options"):
        questions({"question": "Pick", "question_type": question_type, "options": options})


@pytest.mark.parametrize("question_type", ["text", "yes_no"])
def test_open_question_with_options_is_rejected(question_type: str):
    with pytest.raises(ValidationError, match="takes no options"):
        questions({"question": "Q", "question_type": question_type, "options": ["a", "b"]})


def test_repeated_options_are_rejected():
    with pytest.raises(ValidationError, match="options must not repeat"):
        questions({"question": "Pick", "question_type": "select", "options": ["Yes", "yes"]})


def test_blank_option_is_rejected():
    with pytest.raises(ValidationError, match="options"):
        questions({"question": "Pick", "question_type": "select", "options": ["a", " "]})


def test_more_than_fifty_options_are_rejected():
    with pytest.raises(ValidationError, match="options"):
        questions({"question": "Pick", "question_type": "select", "options": [f"o{i}" for i in range(51)]})


def test_repeated_question_is_rejected():
    with pytest.raises(ValidationError, match="questions must not repeat"):
        questions({"question": "Why?", "question_type": "text"}, {"question": "why?", "question_type": "yes_no"})


def test_repeated_question_id_is_rejected():
    own = question_id_for(J, "Why?")
    with pytest.raises(ValidationError, match="question ids must not repeat"):
        questions({"question": "Why?", "question_type": "text"},
                  {"question_id": own, "question": "How?", "question_type": "text"})


@pytest.mark.parametrize(
    "item", [{"question": "Q", "question_type": "essay"}, {"question": " ", "question_type": "text"}, {"question": "Q"}]
)
def test_bad_question_is_rejected(item: dict[str, Any]):
    with pytest.raises(ValidationError, match="questions"):
        questions(item)


def test_more_than_twenty_five_questions_are_rejected():
    with pytest.raises(ValidationError, match="questions"):
        questions(*[{"question": f"Q{i}?", "question_type": "text"} for i in range(26)])


# --- content on closed or missing jobs ------------------------------------------------------------

CONTENT = [requirements({"requirement_type": "mandatory", "description": "Python"}), skills({"name": "Go"}),
           questions({"question": "Why us?", "question_type": "text"})]


@pytest.mark.parametrize("cmd", CONTENT, ids=lambda cmd: type(cmd).__name__)
def test_content_of_closed_job_cannot_be_replaced(cmd: Any):
    given(job, *history("closed")).when(cmd).then_raises(RuleViolation, "closed job cannot be edited")


@pytest.mark.parametrize("status", ["draft", "pending", "active", "paused", "filled"])
@pytest.mark.parametrize("cmd", CONTENT, ids=lambda cmd: type(cmd).__name__)
def test_content_of_open_job_is_replaced(cmd: Any, status: JobStatus):
    expected = job.decide(cmd, given(job, created()).state)
    assert len(expected) == 1
    given(job, *history(status)).when(cmd).then(*expected)


# --- job owner ------------------------------------------------------------------------------------

OTHER_OWNER = UUID("00000000-0000-4000-8000-0000000000a2")


def change_owner(owner: UUID | None, reason: str | None = None) -> ChangeJobOwner:
    return ChangeJobOwner(job_id=J, job_owner_recruiter_id=owner, reason=reason, by=ACTOR, at=T1)


def owner_changed(frm: UUID | None, to: UUID | None, reason: str | None = None) -> JobOwnerChanged:
    return JobOwnerChanged(job_id=J, from_recruiter_id=frm, to_recruiter_id=to, reason=reason, by=ACTOR, at=T1)


def test_owner_named_on_job_without_one_is_recorded():
    given(job, created()).when(change_owner(OWNER, "took over")).then(owner_changed(None, OWNER, "took over"))


def test_owner_replaced_is_recorded():
    given(job, created(job_owner_recruiter_id=OWNER)).when(change_owner(OTHER_OWNER)).then(
        owner_changed(OWNER, OTHER_OWNER))


def test_owner_removed_is_recorded():
    given(job, created(job_owner_recruiter_id=OWNER)).when(change_owner(None)).then(owner_changed(OWNER, None))


def test_same_owner_again_is_a_no_op():
    given(job, created(), owner_changed(None, OWNER)).when(change_owner(OWNER)).then()


def test_owner_change_is_kept_in_state():
    assert given(job, created(), owner_changed(None, OWNER)).state.job_owner_recruiter_id == OWNER


def test_firm_job_cannot_get_an_owner():
    firm_job = created(company_id=None, source_firm_id=FIRM, fee_bps=1000)
    given(job, firm_job).when(change_owner(OWNER)).then_raises(RuleViolation, "firm job has no job owner")


def test_firm_job_owner_removed_is_recorded():
    firm_job = created(company_id=None, source_firm_id=FIRM, fee_bps=1000, job_owner_recruiter_id=OWNER)
    given(job, firm_job).when(change_owner(None)).then(owner_changed(OWNER, None))


@pytest.mark.parametrize("status", STATUSES)
def test_owner_can_change_in_any_status(status: JobStatus):
    given(job, *history(status)).when(change_owner(OWNER)).then(owner_changed(None, OWNER))


def test_owner_change_needs_the_owner_field():
    with pytest.raises(ValidationError, match="job_owner_recruiter_id"):
        ChangeJobOwner(job_id=J, by=ACTOR, at=T1)


# --- scheduler: early access ----------------------------------------------------------------------

def end_early_access(at: datetime) -> EndJobEarlyAccess:
    return EndJobEarlyAccess(job_id=J, by="scheduler", at=at)


def early_access_ended(at: datetime) -> JobEarlyAccessEnded:
    return JobEarlyAccessEnded(job_id=J, activates_at=T1, by="scheduler", at=at)


EARLY = {"is_early_access": True, "activates_at": T1}


@pytest.mark.parametrize("at", [T1, T1 + timedelta(minutes=5)], ids=["exactly_at_activation", "after"])
def test_early_access_job_past_activation_becomes_normal(at: datetime):
    given(job, created(**EARLY)).when(end_early_access(at)).then(early_access_ended(at))


def test_early_access_job_before_activation_is_left_alone():
    given(job, created(**EARLY)).when(end_early_access(T1 - timedelta(microseconds=1))).then()


def test_job_without_early_access_is_left_alone():
    given(job, created(activates_at=T1)).when(end_early_access(T1 + timedelta(days=1))).then()


def test_early_access_ended_twice_is_a_no_op():
    given(job, created(**EARLY), early_access_ended(T1)).when(end_early_access(T1 + timedelta(minutes=5))).then()


def test_job_whose_early_access_ended_is_a_normal_job():
    state = given(job, created(**EARLY), early_access_ended(T1)).state
    assert (state.is_early_access, state.activates_at, state.status) == (False, T1, "draft")


@pytest.mark.parametrize("status", STATUSES)
def test_early_access_ends_whatever_the_status(status: JobStatus):
    given(job, *history(status, **EARLY)).when(end_early_access(T1)).then(early_access_ended(T1))


# --- scheduler: closing date ----------------------------------------------------------------------

CLOSES = T1 + timedelta(days=30)


def close_past_date(at: datetime) -> CloseJobPastClosingDate:
    return CloseJobPastClosingDate(job_id=J, by="scheduler", at=at)


def closed_on_date(frm: JobStatus, at: datetime) -> JobStatusChanged:
    return JobStatusChanged(job_id=J, from_status=frm, to_status="closed", reason="closing date passed",
                            by="scheduler", at=at)


@pytest.mark.parametrize("status", ["active", "paused"])
@pytest.mark.parametrize("at", [CLOSES, CLOSES + timedelta(minutes=5)], ids=["exactly_at_closing", "after"])
def test_open_job_past_closing_date_is_closed(status: JobStatus, at: datetime):
    given(job, *history(status, closes_at=CLOSES)).when(close_past_date(at)).then(closed_on_date(status, at))


@pytest.mark.parametrize("status", ["active", "paused"])
def test_open_job_before_closing_date_is_left_alone(status: JobStatus):
    given(job, *history(status, closes_at=CLOSES)).when(close_past_date(CLOSES - timedelta(microseconds=1))).then()


@pytest.mark.parametrize("status", ["draft", "pending", "filled", "closed"])
def test_job_not_active_or_paused_is_left_alone_past_closing_date(status: JobStatus):
    given(job, *history(status, closes_at=CLOSES)).when(close_past_date(CLOSES + timedelta(days=1))).then()


def test_job_without_closing_date_is_left_alone():
    given(job, *history("active")).when(close_past_date(CLOSES)).then()


def test_job_closed_on_date_then_asked_again_is_a_no_op():
    given(job, *history("active", closes_at=CLOSES), closed_on_date("active", CLOSES)).when(
        close_past_date(CLOSES + timedelta(minutes=5))).then()


def test_closing_on_date_needs_no_billing():
    assert "billing_ready" not in CloseJobPastClosingDate.model_fields


# --- missing job, new commands --------------------------------------------------------------------

@pytest.mark.parametrize(
    "cmd", [*CONTENT, change_owner(OWNER), end_early_access(T1), close_past_date(T1)],
    ids=lambda cmd: type(cmd).__name__,
)
def test_new_command_on_missing_job_raises_not_found(cmd: Any):
    given(job).when(cmd).then_raises(NotFound)
