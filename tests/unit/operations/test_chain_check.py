"""A stream's chain checked in the console is recorded once per check: checking the same stream again is another
action and is recorded again; a retried command of the same check records nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.operations.chain_check import RecordChainCheck, chain_check, chain_check_id_for
from commands.operations.chain_check_events import StreamChainVerified
from tests.unit.dsl import given

AT = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
STREAM = "placement-0b6f3c1e-8d2a-4c39-9f4e-2a7d5b1c0e93"


def check(n: int, *, problem: str | None = None, version: int | None = None, capped: str | None = None,
          **fields) -> RecordChainCheck:
    values = dict(check_id=UUID(int=n), stream_id=STREAM, stream_version=9, events_checked=9, ok=problem is None,
                  problem_count=0 if problem is None else 1, first_problem_version=version, first_problem=problem,
                  capped=capped, operator="user_ops", at=AT)
    return RecordChainCheck(**(values | fields))


def verified(command: RecordChainCheck) -> StreamChainVerified:
    return StreamChainVerified(**command.model_dump())


def test_a_check_is_recorded_with_its_verdict_and_operator() -> None:
    broken = check(1, problem="hash does not match content and predecessor", version=4)
    [event] = given(chain_check).when(broken).then(verified(broken))
    assert (event.operator, event.stream_id, event.ok, event.first_problem_version) == ("user_ops", STREAM, False, 4)


def test_checking_the_same_stream_again_is_recorded_again_and_a_retry_is_not() -> None:
    given(chain_check, verified(check(1))).when(check(2)).then(verified(check(2)))
    given(chain_check, verified(check(1))).when(check(1)).then()


def test_a_capped_check_says_so() -> None:
    capped = check(3, capped="stopped after 100000 events", events_checked=5, stream_version=200_000)
    [event] = given(chain_check).when(capped).then(verified(capped))
    assert event.ok and event.capped


def test_every_check_of_a_stream_is_on_one_stream() -> None:
    assert chain_check_id_for(STREAM) == chain_check_id_for(STREAM) != chain_check_id_for(STREAM + "x")


@pytest.mark.parametrize("fields", [
    dict(ok=False),  # failed without a problem
    dict(problem_count=1),  # intact with problems counted
    dict(ok=False, problem_count=1, first_problem="x"),  # a problem without its version
    dict(stream_id=""),
    dict(stream_id="x" * 301),
    dict(operator=" "),
    dict(events_checked=-1),
    dict(at=datetime(2026, 12, 7)),
])
def test_a_check_that_contradicts_itself_is_refused(fields) -> None:
    with pytest.raises(ValidationError):
        check(9, **fields)
