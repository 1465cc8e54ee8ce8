"""An audit bundle checked in the console is recorded once per check: checking the same file again is another
action and is recorded again; a retried command of the same check records nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.operations.bundle_check import MAX_PROBLEMS, RecordBundleCheck, bundle_check
from commands.operations.bundle_check_events import AuditBundleVerified
from tests.unit.dsl import given

AT = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
SHA = "ab" * 32
KEY = "cd" * 32
P = UUID(int=7)


def check(n: int, ok: bool = True, problems: tuple[str, ...] = ()) -> RecordBundleCheck:
    return RecordBundleCheck(check_id=UUID(int=n), bundle_sha256=SHA, bundle_bytes=2048, placement_id=P, ok=ok,
                             problem_count=len(problems), problems=problems, public_key=KEY, operator="user_ops",
                             at=AT)


def verified(n: int, ok: bool = True, problems: tuple[str, ...] = ()) -> AuditBundleVerified:
    return AuditBundleVerified(**check(n, ok, problems).model_dump())


def test_a_check_is_recorded_with_its_verdict_and_operator() -> None:
    tampered = ("events.jsonl was changed: its SHA-256 differs from the one in the signed manifest",)
    [event] = given(bundle_check).when(check(1, ok=False, problems=tampered)).then(verified(1, False, tampered))
    assert event.operator == "user_ops" and event.bundle_sha256 == SHA and event.placement_id == P


def test_checking_the_same_bundle_again_is_recorded_again() -> None:
    given(bundle_check, verified(1)).when(check(2)).then(verified(2))


def test_a_retried_check_records_nothing() -> None:
    given(bundle_check, verified(1)).when(check(1)).then()


@pytest.mark.parametrize("ok, count, problems", [
    (True, 1, ("x",)),  # intact with a problem
    (False, 0, ()),  # failed without one
    (False, 1, ("x", "y")),  # more problems kept than counted
    (False, MAX_PROBLEMS + 1, tuple(f"p{i}" for i in range(MAX_PROBLEMS + 1))),  # beyond the bound
])
def test_a_verdict_that_does_not_agree_with_itself_is_refused(ok: bool, count: int, problems: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError):
        RecordBundleCheck(check_id=UUID(int=1), bundle_sha256=SHA, bundle_bytes=1, placement_id=None, ok=ok,
                          problem_count=count, problems=problems, public_key=KEY, operator="user_ops", at=AT)


def test_a_bundle_is_named_by_its_sha256() -> None:
    with pytest.raises(ValidationError):
        RecordBundleCheck(check_id=UUID(int=1), bundle_sha256="not-a-digest", bundle_bytes=1, placement_id=None,
                          ok=True, problem_count=0, problems=(), public_key=KEY, operator="user_ops", at=AT)
