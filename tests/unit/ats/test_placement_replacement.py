"""A failed placement and its replacement (domain §4.2): the replacement's side of the link (`MarkAsReplacement`)
and the rule only both placements tell (`check_replacement`: the same job, not failed, replacing no other)."""

from __future__ import annotations

from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.placement import (
    MarkAsReplacement,
    PlacementAlreadyReplaced,
    ReplacementAlreadyLinked,
    ReplacementHasFailed,
    ReplacementIsItself,
    ReplacementNotForSameJob,
    check_replacement,
    placement,
)
from commands.ats.placement_events import PlacementMarkedAsReplacement, PlacementReplacementLinked
from commands.core import NotFound
from tests.unit.ats.test_placement import ACTOR, HISTORY, OTHER_REPLACEMENT, P, REPLACEMENT, T1, changed, created, link
from tests.unit.dsl import given

OTHER_JOB = UUID("00000000-0000-4000-8000-000000000002")
OTHER_COMPANY = UUID("00000000-0000-4000-8000-0000000000c9")
FAILED = UUID("00000000-0000-4000-8000-0000000000f1")
OTHER_FAILED = UUID("00000000-0000-4000-8000-0000000000f2")


def mark(replaces: UUID = FAILED) -> MarkAsReplacement:
    return MarkAsReplacement(placement_id=P, replaces_placement_id=replaces, by=ACTOR, at=T1)


def marked(replaces: UUID = FAILED) -> PlacementMarkedAsReplacement:
    return PlacementMarkedAsReplacement(placement_id=P, replaces_placement_id=replaces, by=ACTOR, at=T1)


# --- the replacement's side ---------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["hired", "active", "completed"])
def test_a_placement_is_marked_as_replacing_a_failed_one(state: str):
    given(placement, *HISTORY[state]).when(mark()).then(marked())
    assert given(placement, *HISTORY[state], marked()).state.replaces_placement_id == FAILED


def test_marked_again_for_the_same_placement_is_a_no_op():
    given(placement, *HISTORY["hired"], marked()).when(mark()).then()


def test_a_placement_replaces_one_placement_at_most():
    error = given(placement, *HISTORY["hired"], marked()).when(mark(OTHER_FAILED)).then_raises(ReplacementAlreadyLinked)
    assert error.code == "replacement_already_linked"


def test_an_unknown_placement_cannot_be_marked():
    given(placement).when(mark()).then_raises(NotFound)


def test_a_placement_cannot_be_marked_as_replacing_itself():
    with pytest.raises(ValidationError, match="cannot replace itself"):
        mark(P)


def test_a_failed_placement_already_replaced_says_so_with_its_code():
    linked = PlacementReplacementLinked(placement_id=P, replacement_placement_id=REPLACEMENT, by=ACTOR, at=T1)
    error = given(placement, *HISTORY["failed"], linked).when(link(OTHER_REPLACEMENT)).then_raises(
        PlacementAlreadyReplaced)
    assert error.code == "placement_already_replaced"


# --- both placements ----------------------------------------------------------------------------------

def state_of(*events):
    return given(placement, *events).state


FAILED_ONE = state_of(created(placement_id=FAILED), changed("hired", "failed", reason="left").model_copy(
    update={"placement_id": FAILED}))


def test_a_hire_for_the_same_job_replaces_a_failed_placement():
    check_replacement(FAILED_ONE, state_of(created()))
    check_replacement(FAILED_ONE, state_of(created(), marked()))  # already its replacement: the same answer


@pytest.mark.parametrize("other", [{"job_id": OTHER_JOB}, {"company_id": OTHER_COMPANY}])
def test_a_hire_for_another_job_or_company_is_no_replacement(other: dict):
    with pytest.raises(ReplacementNotForSameJob):
        check_replacement(FAILED_ONE, state_of(created(**other)))


def test_a_failed_hire_is_no_replacement():
    with pytest.raises(ReplacementHasFailed):
        check_replacement(FAILED_ONE, state_of(*HISTORY["failed"]))


def test_a_hire_replacing_another_placement_is_no_replacement():
    with pytest.raises(ReplacementAlreadyLinked):
        check_replacement(FAILED_ONE, state_of(created(), marked(OTHER_FAILED)))


def test_a_placement_is_not_its_own_replacement():
    with pytest.raises(ReplacementIsItself):
        check_replacement(FAILED_ONE, FAILED_ONE)
