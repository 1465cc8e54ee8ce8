"""The rules of a job (domain §2.4, §4.3): its status table, the limits of its content, the terms that hold
across fields, and the errors that enforce them. The decider in commands/ats/job.py re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from commands.ats.events import EditableJobField, JobStatus, PreScreenQuestionType
from commands.core import RuleViolation

ALLOWED: Mapping[JobStatus, frozenset[JobStatus]] = {
    "draft": frozenset({"pending", "active", "closed"}),
    "pending": frozenset({"draft", "active", "paused", "closed"}),
    "active": frozenset({"draft", "paused", "filled", "closed"}),
    "paused": frozenset({"draft", "active", "filled", "closed"}),
    "filled": frozenset({"draft", "active", "closed"}),
    "closed": frozenset({"draft", "active"}),
}
REOPENABLE: frozenset[JobStatus] = frozenset({"closed", "filled"})
EDITABLE: frozenset[str] = frozenset(get_args(EditableJobField))
FIRM_JOB_MIN_FEE_BPS = 500  # domain §2.4: an off-platform (firm) job needs a fee of at least 5%

CLOSING_DATE_PASSED = "closing date passed"
CLOSABLE_ON_DATE: frozenset[JobStatus] = frozenset({"active", "paused"})
MAX_REQUIREMENTS = 50
MAX_SKILLS = 50
MAX_QUESTIONS = 25
MAX_OPTIONS = 50
CHOICE_TYPES: frozenset[PreScreenQuestionType] = frozenset({"select", "multi_select"})


class StatusTransitionNotAllowed(RuleViolation):
    def __init__(self, from_status: JobStatus, to_status: JobStatus, why: str | None = None) -> None:
        message = f"a job cannot move from {from_status} to {to_status}" + (f": {why}" if why else "")
        super().__init__(message, from_status=from_status, to_status=to_status)
        self.from_status = from_status
        self.to_status = to_status


class BillingNotReady(RuleViolation):
    def __init__(self, to_status: JobStatus) -> None:
        super().__init__(
            f"a job can only become {to_status} once its company or firm has a complete billing profile "
            "(billing email, Stripe customer and default payment method)",
            to_status=to_status,
        )


def terms_problem(fields: Mapping[str, Any]) -> str | None:
    """The first cross-field rule that `fields` break, or None.

    A rule whose fields are absent is skipped, so the same rules serve a full job and a partial edit.
    """
    low, high = fields.get("salary_min_cents"), fields.get("salary_max_cents")
    if low is not None and high is not None and low > high:
        return "salary_min_cents must not exceed salary_max_cents"
    if fields.get("is_early_access") and "activates_at" in fields and fields["activates_at"] is None:
        return "an early-access job needs activates_at"
    starts, ends = fields.get("activates_at"), fields.get("closes_at")
    if starts is not None and ends is not None and ends <= starts:
        return "closes_at must be after activates_at"
    if "company_id" in fields and fields["company_id"] is None and "fee_bps" in fields:
        if fields["fee_bps"] < FIRM_JOB_MIN_FEE_BPS:
            return f"an off-platform firm job needs a fee of at least {FIRM_JOB_MIN_FEE_BPS} bps"
    return None
