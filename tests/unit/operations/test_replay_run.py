"""The replay-run decider: requested once, ended once; an end without a request is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from commands.operations.replay import CompleteReplay, FailReplay, ReplayNotRequested, RequestReplay, replay_run
from commands.operations.replay_events import ReplayCompleted, ReplayFailed, ReplayRequested
from tests.unit.dsl import given

AT = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
RUN = uuid4()
OPERATOR = "user_admin"


def requested() -> ReplayRequested:
    return ReplayRequested(run_id=RUN, projection="ats", operator=OPERATOR, at=AT)


def test_a_request_records_the_operator() -> None:
    given(replay_run).when(RequestReplay(run_id=RUN, projection="ats", operator=OPERATOR, at=AT)).then(requested())


def test_a_request_again_records_nothing() -> None:
    given(replay_run, requested()).when(RequestReplay(run_id=RUN, projection="ats", operator=OPERATOR, at=AT)).then()


def test_a_completion_carries_the_projection_and_the_operator_of_the_request() -> None:
    given(replay_run, requested()).when(
        CompleteReplay(run_id=RUN, events=120, seconds=1.5, position="5.3", at=AT),
    ).then(ReplayCompleted(run_id=RUN, projection="ats", operator=OPERATOR, events=120, seconds=1.5, position="5.3",
                           at=AT))


def test_a_failure_is_recorded_once() -> None:
    failed = ReplayFailed(run_id=RUN, projection="ats", operator=OPERATOR, error="RuntimeError: boom", at=AT)
    given(replay_run, requested()).when(FailReplay(run_id=RUN, error="RuntimeError: boom", at=AT)).then(failed)
    given(replay_run, requested(), failed).when(FailReplay(run_id=RUN, error="again", at=AT)).then()
    given(replay_run, requested(), failed).when(CompleteReplay(run_id=RUN, events=1, seconds=1, at=AT)).then()


def test_an_end_without_a_request_is_refused() -> None:
    given(replay_run).when(CompleteReplay(run_id=RUN, events=1, seconds=1, at=AT)).then_raises(ReplayNotRequested)
    given(replay_run).when(FailReplay(run_id=RUN, error="x", at=AT)).then_raises(ReplayNotRequested)


@pytest.mark.parametrize("name", ["", "ATS", "ats; drop", "a" * 64, "1ats"])
def test_a_projection_name_is_a_plain_identifier(name: str) -> None:
    with pytest.raises(ValidationError):
        RequestReplay(run_id=RUN, projection=name, operator=OPERATOR, at=AT)
