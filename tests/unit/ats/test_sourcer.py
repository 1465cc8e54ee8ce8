from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.sourcer import (
    DEFAULT_PROTECTION_WINDOW_DAYS,
    ClaimCandidateSourcer,
    ClaimCompanySourcer,
    SourcerAlreadySet,
    attributed_sourcer,
    candidate_sourcer,
    company_sourcer,
    is_protected,
)
from commands.ats.sourcer_events import CandidateSourced, CompanySourced
from commands.core import Conflict, Decider
from tests.unit.dsl import given

SUBJECT = UUID("00000000-0000-4000-8000-0000000000d1")
FIRST = UUID("00000000-0000-4000-8000-0000000000e1")
SECOND = UUID("00000000-0000-4000-8000-0000000000e2")
ACTOR = "referral-signup"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
YEAR_LATER = T0 + timedelta(days=365)
TICK = timedelta(microseconds=1)


class Kind:
    """One of the two sourcer streams, so that every test runs on both."""

    def __init__(self, name: str, decider: Decider[Any, Any, Any], claim: type, sourced: type, key: str) -> None:
        self.name, self.decider, self.claim_type, self.sourced_type, self.key = name, decider, claim, sourced, key

    def claim(self, **overrides: Any) -> Any:
        fields = {self.key: SUBJECT, "sourcer_recruiter_id": FIRST, "by": ACTOR, "at": T0}
        return self.claim_type(**fields | overrides)

    def sourced(self, **overrides: Any) -> Any:
        fields = {self.key: SUBJECT, "sourcer_recruiter_id": FIRST, "sourcer_type": "recruiter",
                  "source_method": None, "sourced_at": T0, "protection_window_days": 365,
                  "protection_expires_at": YEAR_LATER, "notes": None, "by": ACTOR, "at": T0}
        return self.sourced_type(**fields | overrides)


CANDIDATE = Kind("candidate", candidate_sourcer, ClaimCandidateSourcer, CandidateSourced, "candidate_id")
COMPANY = Kind("company", company_sourcer, ClaimCompanySourcer, CompanySourced, "company_id")
both = pytest.mark.parametrize("kind", [CANDIDATE, COMPANY], ids=lambda kind: kind.name)


def test_stream_types():
    assert (candidate_sourcer.stream_type, company_sourcer.stream_type) == ("candidate_sourcer", "company_sourcer")


# --- claims ---------------------------------------------------------------------------------------

@both
def test_first_claim_records_the_sourcer_protected_for_a_year(kind: Kind):
    given(kind.decider).when(kind.claim()).then(kind.sourced())


@both
def test_claim_records_every_field(kind: Kind):
    cmd = kind.claim(source_method="referral_link", notes="met at a meetup", protection_window_days=30,
                     sourced_at=T0 - timedelta(days=2), at=T0)
    given(kind.decider).when(cmd).then(kind.sourced(
        source_method="referral_link", notes="met at a meetup", protection_window_days=30,
        sourced_at=T0 - timedelta(days=2), protection_expires_at=T0 + timedelta(days=28)))


@both
def test_platform_claim_has_no_recruiter(kind: Kind):
    given(kind.decider).when(kind.claim(sourcer_type="tsn", sourcer_recruiter_id=None)).then(
        kind.sourced(sourcer_type="tsn", sourcer_recruiter_id=None))


@both
def test_same_claim_again_is_a_no_op(kind: Kind):
    given(kind.decider, kind.sourced()).when(kind.claim()).then()


@both
def test_same_recruiter_claiming_again_with_other_terms_is_a_no_op(kind: Kind):
    again = kind.claim(protection_window_days=700, notes="again", at=T0 + timedelta(days=10))
    given(kind.decider, kind.sourced()).when(again).then()


@both
def test_claim_by_another_recruiter_raises_conflict_naming_the_first(kind: Kind):
    error = given(kind.decider, kind.sourced()).when(kind.claim(sourcer_recruiter_id=SECOND)).then_raises(
        SourcerAlreadySet, f"already sourced by recruiter {FIRST}")
    assert isinstance(error, Conflict)
    assert error.details == {f"{kind.name}_id": str(SUBJECT), "sourcer_type": "recruiter",
                             "sourcer_recruiter_id": str(FIRST)}


@both
def test_claim_after_the_protection_expired_is_still_refused(kind: Kind):
    late = kind.claim(sourcer_recruiter_id=SECOND, at=YEAR_LATER + timedelta(days=1))
    given(kind.decider, kind.sourced()).when(late).then_raises(SourcerAlreadySet)


@both
def test_recruiter_claim_after_the_platform_raises_conflict_naming_the_platform(kind: Kind):
    platform = kind.sourced(sourcer_type="tsn", sourcer_recruiter_id=None)
    error = given(kind.decider, platform).when(kind.claim()).then_raises(SourcerAlreadySet, "by the platform")
    assert error.details["sourcer_recruiter_id"] is None


@both
def test_platform_claim_after_a_recruiter_raises_conflict(kind: Kind):
    given(kind.decider, kind.sourced()).when(kind.claim(sourcer_type="tsn", sourcer_recruiter_id=None)).then_raises(
        SourcerAlreadySet, f"recruiter {FIRST}")


@both
def test_sourcer_is_immutable_even_if_a_second_event_were_stored(kind: Kind):
    state = given(kind.decider, kind.sourced(), kind.sourced(sourcer_recruiter_id=SECOND)).state
    assert state.sourcer_recruiter_id == FIRST


@both
def test_claim_is_kept_in_state(kind: Kind):
    state = given(kind.decider, kind.sourced()).state
    assert (state.exists, state.subject_id, state.sourcer_recruiter_id, state.protection_expires_at) == (
        True, SUBJECT, FIRST, YEAR_LATER)


@both
def test_wrong_command_type_raises(kind: Kind):
    other = COMPANY if kind is CANDIDATE else CANDIDATE
    with pytest.raises(TypeError, match="no case"):
        kind.decider.decide(other.claim(), kind.decider.initial_state())


# --- validation -----------------------------------------------------------------------------------

@both
def test_recruiter_claim_without_recruiter_is_rejected(kind: Kind):
    with pytest.raises(ValidationError, match="needs sourcer_recruiter_id"):
        kind.claim(sourcer_recruiter_id=None)


@both
def test_platform_claim_naming_a_recruiter_is_rejected(kind: Kind):
    with pytest.raises(ValidationError, match="no sourcer_recruiter_id"):
        kind.claim(sourcer_type="tsn")


@both
def test_sourcing_after_the_claim_time_is_rejected(kind: Kind):
    with pytest.raises(ValidationError, match="sourced_at must not be after at"):
        kind.claim(sourced_at=T0 + TICK)


@both
@pytest.mark.parametrize("days", [1, 3650])
def test_window_at_bounds_is_accepted(kind: Kind, days: int):
    assert kind.claim(protection_window_days=days).protection_window_days == days


@both
@pytest.mark.parametrize("days", [0, -1, 3651])
def test_window_out_of_range_is_rejected(kind: Kind, days: int):
    with pytest.raises(ValidationError, match="protection_window_days"):
        kind.claim(protection_window_days=days)


@both
@pytest.mark.parametrize("field, value", [("sourcer_type", "friend"), ("by", ""), ("at", datetime(2026, 3, 2)),
                                          ("notes", " "), ("source_method", "x" * 101)])
def test_bad_field_value_is_rejected(kind: Kind, field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        kind.claim(**{field: value})


def test_default_window_is_a_year():
    assert DEFAULT_PROTECTION_WINDOW_DAYS == 365


# --- protection window ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "at, protected",
    [(T0, True), (YEAR_LATER - TICK, True), (YEAR_LATER, False), (YEAR_LATER + TICK, False)],
    ids=["sourced", "last_instant", "expiry", "after"],
)
def test_protection_holds_until_the_expiry_instant_excluded(at: datetime, protected: bool):
    assert is_protected(YEAR_LATER, at) is protected


def test_without_expiry_nothing_is_protected():
    assert is_protected(None, T0) is False


@both
@pytest.mark.parametrize(
    "at, expected", [(T0, FIRST), (YEAR_LATER - TICK, FIRST), (YEAR_LATER, None), (YEAR_LATER + TICK, None)],
    ids=["sourced", "last_instant", "expiry", "after"],
)
def test_recruiter_is_attributed_only_while_protected(kind: Kind, at: datetime, expected: UUID | None):
    state = given(kind.decider, kind.sourced()).state
    assert attributed_sourcer(state, at) == expected
    assert state.protected_at(at) is (expected is not None)


@both
def test_custom_window_ends_at_its_own_boundary(kind: Kind):
    ends = T0 + timedelta(days=30)
    state = given(kind.decider, kind.sourced(protection_window_days=30, protection_expires_at=ends)).state
    assert (attributed_sourcer(state, ends - TICK), attributed_sourcer(state, ends)) == (FIRST, None)


@both
def test_platform_sourcer_attributes_no_recruiter(kind: Kind):
    state = given(kind.decider, kind.sourced(sourcer_type="tsn", sourcer_recruiter_id=None)).state
    assert attributed_sourcer(state, T0) is None and state.protected_at(T0)


@both
def test_nobody_is_attributed_without_a_sourcer(kind: Kind):
    state = given(kind.decider).state
    assert attributed_sourcer(state, T0) is None and not state.protected_at(T0)
