from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.placement import (
    ALLOWED,
    ActivatePlacement,
    CompletePlacementGuarantee,
    CreatePlacement,
    FailPlacement,
    LinkReplacement,
    PlacementNotFailed,
    PlacementTransitionNotAllowed,
    guarantee_expires_at,
    placement,
    placement_fee_cents,
)
from commands.ats.placement_events import (
    PlacementCreated,
    PlacementReplacementLinked,
    PlacementState,
    PlacementStateChanged,
)
from commands.core import Command, Conflict, Event, NotFound, RuleViolation
from tests.unit.dsl import given

P = UUID("00000000-0000-4000-8000-0000000000b1")
REPLACEMENT = UUID("00000000-0000-4000-8000-0000000000b2")
OTHER_REPLACEMENT = UUID("00000000-0000-4000-8000-0000000000b3")
APP = UUID("00000000-0000-4000-8000-0000000000a1")
OTHER_APP = UUID("00000000-0000-4000-8000-0000000000a2")
JOB = UUID("00000000-0000-4000-8000-000000000001")
CAND = UUID("00000000-0000-4000-8000-0000000000d1")
COMPANY = UUID("00000000-0000-4000-8000-0000000000c0")
RECRUITERS = {
    "candidate_recruiter_id": UUID("00000000-0000-4000-8000-0000000000e1"),
    "company_recruiter_id": UUID("00000000-0000-4000-8000-0000000000e2"),
    "job_owner_recruiter_id": UUID("00000000-0000-4000-8000-0000000000e3"),
    "candidate_sourcer_recruiter_id": UUID("00000000-0000-4000-8000-0000000000e4"),
    "company_sourcer_recruiter_id": UUID("00000000-0000-4000-8000-0000000000e5"),
}
NOBODY = dict.fromkeys(RECRUITERS)
ACTOR = "user_2abc"
SCHEDULER = "scheduler"
T0 = datetime(2026, 4, 10, 15, 30, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
START = date(2026, 5, 1)
# START + 90 days at 00:00 UTC, written out so that a change to the rule fails here.
GUARANTEE_ENDS = datetime(2026, 7, 30, 0, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
STATES: tuple[PlacementState, ...] = get_args(PlacementState)
# Domain §4.2, plus hired → completed when the guarantee runs out before the start is confirmed.
SPEC: dict[PlacementState, set[PlacementState]] = {
    "hired": {"active", "completed", "failed"},
    "active": {"completed", "failed"},
    "completed": set(),
    "failed": set(),
}


def create(**overrides: Any) -> CreatePlacement:
    fields: dict[str, Any] = {
        "placement_id": P, "application_id": APP, "job_id": JOB, "candidate_id": CAND, "company_id": COMPANY,
        "salary_cents": 15_000_000, "fee_bps": 2000, "guarantee_days": 90, "hired_at": T0, "start_date": START,
        "by": ACTOR, "at": T0, **RECRUITERS,
    }
    return CreatePlacement(**fields | overrides)


def created(**overrides: Any) -> PlacementCreated:
    fields: dict[str, Any] = {
        "placement_id": P, "application_id": APP, "job_id": JOB, "candidate_id": CAND, "company_id": COMPANY,
        "state": "hired", "salary_cents": 15_000_000, "fee_bps": 2000, "fee_cents": 3_000_000, "guarantee_days": 90,
        "guarantee_expires_at": GUARANTEE_ENDS, "hired_at": T0, "start_date": START, "created_by": ACTOR, "at": T0,
        **RECRUITERS,
    }
    return PlacementCreated(**fields | overrides)


def changed(frm: PlacementState, to: PlacementState, reason: str | None = None, at: datetime = T1,
            actor: str = ACTOR) -> PlacementStateChanged:
    return PlacementStateChanged(placement_id=P, from_state=frm, to_state=to, reason=reason, by=actor, at=at)


def activate() -> ActivatePlacement:
    return ActivatePlacement(placement_id=P, by=ACTOR, at=T1)


def complete(at: datetime = GUARANTEE_ENDS) -> CompletePlacementGuarantee:
    return CompletePlacementGuarantee(placement_id=P, by=SCHEDULER, at=at)


def fail(reason: str = "left in week two") -> FailPlacement:
    return FailPlacement(placement_id=P, reason=reason, by=ACTOR, at=T1)


def link(replacement: UUID = REPLACEMENT) -> LinkReplacement:
    return LinkReplacement(placement_id=P, replacement_placement_id=replacement, by=ACTOR, at=T1)


HISTORY: dict[PlacementState, list[Event]] = {
    "hired": [created()],
    "active": [created(), changed("hired", "active", at=T0)],
    "completed": [created(), changed("hired", "active", at=T0), changed("active", "completed", at=GUARANTEE_ENDS)],
    "failed": [created(), changed("hired", "failed", reason="left", at=T0)],
}


def door(frm: PlacementState, to: PlacementState) -> tuple[Command, Event]:
    if to == "active":
        return activate(), changed(frm, "active")
    if to == "completed":
        return complete(), changed(frm, "completed", at=GUARANTEE_ENDS, actor=SCHEDULER)
    return fail(), changed(frm, "failed", reason="left in week two")


EDGES = [(frm, to) for frm in STATES for to in STATES if to in SPEC[frm]]
REFUSED = [(frm, to) for frm in STATES for to in ("active", "failed") if to != frm and to not in SPEC[frm]]


# --- creation -------------------------------------------------------------------------------------

def test_placement_created_from_a_hire_starts_hired_with_fee_and_guarantee():
    given(placement).when(create()).then(created())


def test_placement_state_holds_the_frozen_terms_and_attribution():
    state = given(placement, created()).state
    assert (state.exists, state.id, state.state, state.application_id) == (True, P, "hired", APP)
    assert (state.salary_cents, state.fee_bps, state.fee_cents) == (15_000_000, 2000, 3_000_000)
    assert (state.guarantee_days, state.guarantee_expires_at, state.start_date) == (90, GUARANTEE_ENDS, START)
    assert {name: getattr(state, name) for name in RECRUITERS} == RECRUITERS


def test_placement_with_no_attributed_recruiters_and_no_company_is_recorded():
    given(placement).when(create(company_id=None, **NOBODY)).then(created(company_id=None, **NOBODY))


def test_placement_without_a_guarantee_runs_out_on_the_start_date():
    given(placement).when(create(guarantee_days=0)).then(
        created(guarantee_days=0, guarantee_expires_at=datetime(2026, 5, 1, tzinfo=UTC))
    )


def test_guarantee_runs_out_at_midnight_utc():
    assert guarantee_expires_at(date(2026, 12, 31), 1) == datetime(2027, 1, 1, tzinfo=UTC)
    assert guarantee_expires_at(date(2028, 2, 28), 365) == datetime(2029, 2, 27, tzinfo=UTC)  # over a leap day


def test_placement_for_the_same_application_created_again_is_a_no_op():
    given(placement, created()).when(create(salary_cents=1)).then()


def test_placement_id_reused_for_another_application_raises_conflict():
    given(placement, created()).when(create(application_id=OTHER_APP)).then_raises(Conflict, "already exists")


@pytest.mark.parametrize(
    "field, value",
    [("salary_cents", 0), ("salary_cents", -1), ("salary_cents", 10.5), ("fee_bps", -1), ("fee_bps", 10_001),
     ("guarantee_days", -1), ("guarantee_days", 366), ("hired_at", datetime(2026, 4, 10)), ("by", " ")],
)
def test_placement_with_bad_term_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        create(**{field: value})


def test_placement_without_company_answer_is_rejected():
    fields = create().model_dump(exclude={"company_id"})
    with pytest.raises(ValidationError, match="company_id"):
        CreatePlacement(**fields)


@pytest.mark.parametrize("cmd", [activate(), complete(), fail(), link()], ids=lambda cmd: type(cmd).__name__)
def test_command_on_missing_placement_raises_not_found(cmd: Command):
    given(placement).when(cmd).then_raises(NotFound, "does not exist")


# --- the fee --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "salary_cents, fee_bps, fee_cents",
    [
        (15_000_000, 2000, 3_000_000),  # $150,000 at 20%: exact
        (1, 5000, 1),  # 0.5 cent rounds up
        (1, 4999, 0),  # 0.4999 rounds down
        (2, 2500, 1),  # 0.5 rounds up (banker's rounding would give 0)
        (6, 2500, 2),  # 1.5 rounds up
        (10, 2500, 3),  # 2.5 rounds up (banker's rounding would give 2)
        (14, 2500, 4),  # 3.5 rounds up
        (3, 2500, 1),  # 0.75 rounds up
        (1_234_567_890, 2250, 277_777_775),  # 277,777,775.25 rounds down
        (1_234_567_890, 2500, 308_641_973),  # 308,641,972.5 rounds up
        (999_999_999_999, 3333, 333_300_000_000),  # 333,299,999,999.67 rounds up
        (2**53 + 1, 10_000, 2**53 + 1),  # beyond a float's exact integers
        (10**17 + 5, 1, 10**13),  # 10,000,000,000,000.0005 rounds down
        (15_000_000, 0, 0),
        (15_000_000, 10_000, 15_000_000),
    ],
)
def test_fee_is_rounded_half_up_in_integer_cents(salary_cents: int, fee_bps: int, fee_cents: int):
    assert placement_fee_cents(salary_cents, fee_bps) == fee_cents
    [event] = given(placement).when(create(salary_cents=salary_cents, fee_bps=fee_bps)).then(
        created(salary_cents=salary_cents, fee_bps=fee_bps, fee_cents=fee_cents)
    )
    assert type(event.fee_cents) is int  # type: ignore[attr-defined]


def test_fee_in_events_is_never_a_float():
    with pytest.raises(ValidationError):
        created(fee_cents=3_000_000.5)


# --- the state machine ----------------------------------------------------------------------------

def test_state_table_matches_domain_spec():
    assert ALLOWED == SPEC


@pytest.mark.parametrize("frm, to", EDGES)
def test_transition_in_table_is_recorded(frm: PlacementState, to: PlacementState):
    cmd, event = door(frm, to)
    given(placement, *HISTORY[frm]).when(cmd).then(event)
    assert placement.evolve(given(placement, *HISTORY[frm]).state, event).state == to


@pytest.mark.parametrize("frm, to", REFUSED)
def test_transition_not_in_table_raises(frm: PlacementState, to: PlacementState):
    cmd, _ = door(frm, to)
    error = given(placement, *HISTORY[frm]).when(cmd).then_raises(PlacementTransitionNotAllowed, f"{frm} to {to}")
    assert (error.from_state, error.to_state) == (frm, to)  # type: ignore[attr-defined]


@pytest.mark.parametrize("state", STATES)
def test_repeating_the_command_that_led_to_a_state_is_a_no_op(state: PlacementState):
    if state == "hired":
        given(placement, *HISTORY[state]).when(create()).then()
    else:
        cmd, _ = door("hired", state)
        given(placement, *HISTORY[state]).when(cmd).then()


def test_completed_placement_cannot_fail_because_its_guarantee_is_over():
    given(placement, *HISTORY["completed"]).when(fail()).then_raises(RuleViolation, "its guarantee is over")


def test_failure_records_reason_and_time():
    state = given(placement, created(), changed("hired", "failed", reason="left in week two")).state
    assert (state.state, state.failure_reason, state.failed_at) == ("failed", "left in week two", T1)


def test_failure_without_reason_is_rejected():
    with pytest.raises(ValidationError, match="reason"):
        fail(reason="  ")


# --- guarantee completion -------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["hired", "active"])
def test_guarantee_completion_just_before_expiry_is_a_no_op(state: PlacementState):
    given(placement, *HISTORY[state]).when(complete(GUARANTEE_ENDS - US)).then()


@pytest.mark.parametrize("state", ["hired", "active"])
def test_guarantee_completion_exactly_at_expiry_completes(state: PlacementState):
    given(placement, *HISTORY[state]).when(complete(GUARANTEE_ENDS)).then(
        changed(state, "completed", at=GUARANTEE_ENDS, actor=SCHEDULER)
    )


def test_guarantee_completion_late_completes_at_its_own_time():
    at = GUARANTEE_ENDS + timedelta(hours=5)
    given(placement, *HISTORY["active"]).when(complete(at)).then(changed("active", "completed", at=at, actor=SCHEDULER))
    state = given(placement, *HISTORY["active"], changed("active", "completed", at=at)).state
    assert (state.state, state.completed_at) == ("completed", at)


def test_completion_of_a_failed_placement_is_a_no_op():
    given(placement, *HISTORY["failed"]).when(complete(GUARANTEE_ENDS + timedelta(days=1))).then()


def test_placement_without_guarantee_completes_on_its_start_date():
    events = [created(guarantee_days=0, guarantee_expires_at=datetime(2026, 5, 1, tzinfo=UTC))]
    given(placement, *events).when(complete(datetime(2026, 5, 1, tzinfo=UTC) - US)).then()
    given(placement, *events).when(complete(datetime(2026, 5, 1, tzinfo=UTC))).then(
        changed("hired", "completed", at=datetime(2026, 5, 1, tzinfo=UTC), actor=SCHEDULER)
    )


# --- replacement ----------------------------------------------------------------------------------

def test_failed_placement_links_its_replacement():
    given(placement, *HISTORY["failed"]).when(link()).then(
        PlacementReplacementLinked(placement_id=P, replacement_placement_id=REPLACEMENT, by=ACTOR, at=T1)
    )
    event = PlacementReplacementLinked(placement_id=P, replacement_placement_id=REPLACEMENT, by=ACTOR, at=T1)
    assert given(placement, *HISTORY["failed"], event).state.replacement_placement_id == REPLACEMENT


def test_replacement_linked_again_is_a_no_op():
    event = PlacementReplacementLinked(placement_id=P, replacement_placement_id=REPLACEMENT, by=ACTOR, at=T1)
    given(placement, *HISTORY["failed"], event).when(link()).then()


def test_second_replacement_raises_conflict():
    event = PlacementReplacementLinked(placement_id=P, replacement_placement_id=REPLACEMENT, by=ACTOR, at=T1)
    given(placement, *HISTORY["failed"], event).when(link(OTHER_REPLACEMENT)).then_raises(Conflict, "already replaced")


@pytest.mark.parametrize("state", ["hired", "active", "completed"])
def test_placement_that_has_not_failed_cannot_be_replaced(state: PlacementState):
    given(placement, *HISTORY[state]).when(link()).then_raises(PlacementNotFailed, f"is {state}")


def test_placement_cannot_replace_itself():
    with pytest.raises(ValidationError, match="cannot replace itself"):
        link(P)


def test_placement_error_details_avoid_reserved_keys():
    error = given(placement, *HISTORY["hired"]).when(link()).then_raises(PlacementNotFailed)
    assert not {"type", "title", "status", "detail", "instance"} & set(error.details)  # type: ignore[attr-defined]
