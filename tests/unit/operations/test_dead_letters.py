"""A requeue of a reactor's dead letters made in the console is recorded once per requeue: requeueing again is
another action and is recorded again; the same requeue sent twice records nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.operations.dead_letters import RecordDeadLettersRequeue, dead_letters
from commands.operations.dead_letters_events import DeadLettersRequeued
from tests.unit.dsl import given

AT = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
EVENT = UUID("0b6f3c1e-8d2a-4c39-9f4e-2a7d5b1c0e93")


def requeue(n: int, **fields) -> RecordDeadLettersRequeue:
    values = dict(requeue_id=UUID(int=n), reactor="stripe-webhooks", event_id=EVENT, moved=1, operator="user_ops", at=AT)
    return RecordDeadLettersRequeue(**(values | fields))


def requeued(command: RecordDeadLettersRequeue) -> DeadLettersRequeued:
    return DeadLettersRequeued(**command.model_dump())


def test_a_requeue_is_recorded_with_what_it_moved_and_its_operator() -> None:
    everything = requeue(1, event_id=None, moved=3)
    [event] = given(dead_letters).when(everything).then(requeued(everything))
    assert (event.reactor, event.event_id, event.moved, event.operator) == ("stripe-webhooks", None, 3, "user_ops")


def test_requeueing_again_is_recorded_again_and_the_same_requeue_is_not() -> None:
    given(dead_letters, requeued(requeue(1))).when(requeue(2, moved=0)).then(requeued(requeue(2, moved=0)))
    given(dead_letters, requeued(requeue(1))).when(requeue(1)).then()


@pytest.mark.parametrize("fields", [{"reactor": ""}, {"reactor": "x" * 101}, {"reactor": "a b"}, {"moved": -1},
                                    {"operator": " "}, {"at": datetime(2026, 12, 7)}])
def test_a_requeue_out_of_bounds_is_refused(fields) -> None:
    with pytest.raises(ValidationError):
        requeue(1, **fields)
