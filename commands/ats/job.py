"""The job decider: a job's terms and its status machine (domain §4.3).

Ranges are checked when a command is built, so bad input never reaches `decide`; `decide` checks
only what needs the job's current state. Billing readiness is looked up by the caller and passed
in, like time, so that `decide` stays pure and safe to retry.

Requirements, skills and pre-screen questions are each replaced as a whole list. Two commands come
from the scheduler (domain §14), with the time of the run in `at`: `EndJobEarlyAccess` and
`CloseJobPastClosingDate`; each is a no-op unless its moment has come, so the scheduler may send
them as often as it likes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, Self, get_args
from uuid import UUID, uuid5

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from commands.ats.events import (
    CommuteType,
    EditableJobField,
    EmploymentType,
    JobCreated,
    JobEarlyAccessEnded,
    JobEdited,
    JobLevel,
    JobOwnerChanged,
    JobPreScreenQuestionsReplaced,
    JobRequirementItem,
    JobRequirementsReplaced,
    JobSkillItem,
    JobSkillsReplaced,
    JobStatus,
    JobStatusChanged,
    PreScreenQuestionItem,
    PreScreenQuestionType,
    RequirementType,
)
from commands.core import Command, Conflict, Decider, NotFound, RuleViolation

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

_DATETIME_FIELDS = frozenset({"activates_at", "closes_at"})
# Editable fields that have no "unset" value: an edit may change them but not clear them.
_NOT_NULL = frozenset(
    {"title", "show_salary_range", "fee_bps", "guarantee_days", "employment_type", "commute_types",
     "open_to_relocation", "is_early_access", "is_priority"}
)


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


def _terms_problem(fields: Mapping[str, Any]) -> str | None:
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


def _distinct(values: list[CommuteType]) -> list[CommuteType]:
    if len(set(values)) != len(values):
        raise ValueError("commute_types must not repeat")
    return values


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Cents = Annotated[int, Field(ge=0)]
FeeBps = Annotated[int, Field(ge=0, le=10_000)]
GuaranteeDays = Annotated[int, Field(ge=0, le=365)]
CommuteTypes = Annotated[list[CommuteType], AfterValidator(_distinct)]


class _JobCommand(Command):
    job_id: UUID
    by: Actor
    at: AwareDatetime


class CreateJob(_JobCommand):
    company_id: UUID | None = None
    source_firm_id: UUID | None = None
    title: Title
    department: str | None = None
    location: str | None = None
    recruiter_description: str | None = None
    candidate_description: str | None = None
    salary_min_cents: Cents | None = None
    salary_max_cents: Cents | None = None
    show_salary_range: bool = True
    fee_bps: FeeBps
    guarantee_days: GuaranteeDays = 90
    employment_type: EmploymentType = "full_time"
    commute_types: CommuteTypes = []
    job_level: JobLevel | None = None
    open_to_relocation: bool = False
    is_early_access: bool = False
    activates_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    is_priority: bool = False
    job_owner_recruiter_id: UUID | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.company_id is None and self.source_firm_id is None:
            raise ValueError("a job belongs to a company or, when off-platform, to a firm")
        if problem := _terms_problem(dict(self)):
            raise ValueError(problem)
        return self


class EditJob(_JobCommand):
    """Change only the fields given; a field given as None is cleared."""

    title: Title | None = None
    department: str | None = None
    location: str | None = None
    recruiter_description: str | None = None
    candidate_description: str | None = None
    salary_min_cents: Cents | None = None
    salary_max_cents: Cents | None = None
    show_salary_range: bool | None = None
    fee_bps: FeeBps | None = None
    guarantee_days: GuaranteeDays | None = None
    employment_type: EmploymentType | None = None
    commute_types: CommuteTypes | None = None
    job_level: JobLevel | None = None
    open_to_relocation: bool | None = None
    is_early_access: bool | None = None
    activates_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    is_priority: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        given = {name: getattr(self, name) for name in self.model_fields_set}
        if cleared := sorted(name for name in _NOT_NULL & given.keys() if given[name] is None):
            raise ValueError(f"cannot clear {', '.join(cleared)}")
        if problem := _terms_problem(given):
            raise ValueError(problem)
        return self


class _StatusCommand(_JobCommand):
    reason: str | None = None


class _BillingGatedCommand(_StatusCommand):
    billing_ready: bool


class PublishJob(_BillingGatedCommand):
    """→ active."""


class SubmitJobForApproval(_BillingGatedCommand):
    """→ pending."""


class PauseJob(_BillingGatedCommand):
    """→ paused."""


class FillJob(_BillingGatedCommand):
    """→ filled."""


class CloseJob(_StatusCommand):
    """→ closed; taking a job off the market needs no billing profile."""


class ReopenJob(_BillingGatedCommand):
    """closed or filled → active."""


class ReturnJobToDraft(_StatusCommand):
    """→ draft; needs no billing profile."""


class EndJobEarlyAccess(_JobCommand):
    """Scheduler: an early-access job whose activates_at has come becomes a job like any other."""


class CloseJobPastClosingDate(_JobCommand):
    """Scheduler: an active or paused job whose closes_at has come is closed."""


class ChangeJobOwner(_JobCommand):
    """Name the recruiter credited as job owner; None leaves the job without one."""

    job_owner_recruiter_id: UUID | None
    reason: str | None = None


# --- requirements, skills and pre-screen questions --------------------------------------------------

class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
SkillName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SkillSlug = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=100)
]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def skill_slug(name: str) -> str:
    """The slug of a skill name: lowercase words joined by dashes, with C++ and C# kept apart from C."""
    spelled = name.replace("+", " plus ").replace("#", " sharp ")
    return "-".join(re.findall(r"[a-z0-9]+", spelled.lower()))


def question_id_for(job_id: UUID, question: str) -> UUID:
    """The id of a question given without one: the same for the same text on the same job, so that
    replacing the list with the same questions keeps their ids and answers keep pointing at them."""
    return uuid5(job_id, question.strip().casefold())


class JobRequirementInput(_Part):
    """`sort_order` None: the requirement's place in the list."""

    requirement_type: RequirementType
    description: Text
    sort_order: Annotated[int, Field(ge=0)] | None = None


class JobSkillInput(_Part):
    """`slug` None: derived from the name (see `skill_slug`)."""

    name: SkillName
    slug: SkillSlug | None = None
    is_required: bool = False


class PreScreenQuestionInput(_Part):
    """`question_id` None: derived from the job and the question text (see `question_id_for`)."""

    question_id: UUID | None = None
    question: Text
    question_type: PreScreenQuestionType
    options: Annotated[list[Option], Field(max_length=MAX_OPTIONS)] = []
    is_required: bool = False
    disclaimer: Text | None = None

    @model_validator(mode="after")
    def _options_fit_the_type(self) -> Self:
        if self.question_type in CHOICE_TYPES:
            if len(self.options) < 2:
                raise ValueError(f"a {self.question_type} question needs at least two options")
            if len({option.casefold() for option in self.options}) != len(self.options):
                raise ValueError("options must not repeat")
        elif self.options:
            raise ValueError(f"a {self.question_type} question takes no options")
        return self


def _requirement_items(inputs: list[JobRequirementInput]) -> list[JobRequirementItem]:
    items = [JobRequirementItem(requirement_type=r.requirement_type, description=r.description,
                                sort_order=i if r.sort_order is None else r.sort_order) for i, r in enumerate(inputs)]
    return sorted(items, key=lambda item: item.sort_order)


def _skill_items(inputs: list[JobSkillInput]) -> list[JobSkillItem]:
    return [JobSkillItem(name=s.name, slug=s.slug or skill_slug(s.name), is_required=s.is_required) for s in inputs]


def _question_items(job_id: UUID, inputs: list[PreScreenQuestionInput]) -> list[PreScreenQuestionItem]:
    return [PreScreenQuestionItem(question_id=q.question_id or question_id_for(job_id, q.question),
                                  question=q.question, question_type=q.question_type, options=list(q.options),
                                  is_required=q.is_required, disclaimer=q.disclaimer) for q in inputs]


def _repeated(values: list[Any]) -> list[str]:
    return sorted({str(v) for v in values if values.count(v) > 1})


class ReplaceJobRequirements(_JobCommand):
    requirements: Annotated[list[JobRequirementInput], Field(max_length=MAX_REQUIREMENTS)]

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if repeated := _repeated([item.sort_order for item in _requirement_items(self.requirements)]):
            raise ValueError(f"requirement sort_order must not repeat: {', '.join(repeated)}")
        return self


class ReplaceJobSkills(_JobCommand):
    skills: Annotated[list[JobSkillInput], Field(max_length=MAX_SKILLS)]

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        items = _skill_items(self.skills)
        if any(not item.slug for item in items):
            raise ValueError("a skill name needs at least one letter or digit")
        if repeated := _repeated([item.slug for item in items]):
            raise ValueError(f"skills must not repeat: {', '.join(repeated)}")
        return self


class ReplaceJobPreScreenQuestions(_JobCommand):
    questions: Annotated[list[PreScreenQuestionInput], Field(max_length=MAX_QUESTIONS)]

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if _repeated([q.question.casefold() for q in self.questions]):
            raise ValueError("questions must not repeat")
        if repeated := _repeated([item.question_id for item in _question_items(self.job_id, self.questions)]):
            raise ValueError(f"question ids must not repeat: {', '.join(repeated)}")
        return self


JobCommand = (
    CreateJob | EditJob | PublishJob | SubmitJobForApproval | PauseJob | FillJob | CloseJob | ReopenJob
    | ReturnJobToDraft | ReplaceJobRequirements | ReplaceJobSkills | ReplaceJobPreScreenQuestions | ChangeJobOwner
    | EndJobEarlyAccess | CloseJobPastClosingDate
)
JobEvent = (
    JobCreated | JobEdited | JobStatusChanged | JobRequirementsReplaced | JobSkillsReplaced
    | JobPreScreenQuestionsReplaced | JobOwnerChanged | JobEarlyAccessEnded
)


@dataclass(frozen=True)
class Job:
    exists: bool = False
    id: UUID | None = None
    status: JobStatus = "draft"
    company_id: UUID | None = None
    source_firm_id: UUID | None = None
    job_owner_recruiter_id: UUID | None = None
    # The editable fields follow: kept so that an edit repeating current values is seen as a no-op.
    title: str = ""
    department: str | None = None
    location: str | None = None
    recruiter_description: str | None = None
    candidate_description: str | None = None
    salary_min_cents: int | None = None
    salary_max_cents: int | None = None
    show_salary_range: bool = True
    fee_bps: int = 0
    guarantee_days: int = 90
    employment_type: EmploymentType = "full_time"
    commute_types: tuple[CommuteType, ...] = ()
    job_level: JobLevel | None = None
    open_to_relocation: bool = False
    is_early_access: bool = False
    activates_at: datetime | None = None
    closes_at: datetime | None = None
    is_priority: bool = False
    # Content replaced as whole lists.
    requirements: tuple[JobRequirementItem, ...] = ()
    skills: tuple[JobSkillItem, ...] = ()
    pre_screen_questions: tuple[PreScreenQuestionItem, ...] = ()


def initial_state() -> Job:
    return Job()


def _state_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "commute_types":
        return tuple(value)
    if name in _DATETIME_FIELDS and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def evolve(s: Job, e: JobEvent) -> Job:
    match e:
        case JobCreated():
            terms = {name: _state_value(name, getattr(e, name)) for name in EDITABLE}
            return Job(exists=True, id=e.job_id, status="draft", company_id=e.company_id,
                       source_firm_id=e.source_firm_id, job_owner_recruiter_id=e.job_owner_recruiter_id, **terms)
        case JobEdited(changes=changes):
            return replace(s, **{name: _state_value(name, value) for name, value in changes.items()})
        case JobStatusChanged(to_status=to):
            return replace(s, status=to)
        case JobRequirementsReplaced(requirements=items):
            return replace(s, requirements=tuple(items))
        case JobSkillsReplaced(skills=items):
            return replace(s, skills=tuple(items))
        case JobPreScreenQuestionsReplaced(questions=items):
            return replace(s, pre_screen_questions=tuple(items))
        case JobOwnerChanged(to_recruiter_id=owner):
            return replace(s, job_owner_recruiter_id=owner)
        case JobEarlyAccessEnded():
            return replace(s, is_early_access=False)
        case _:
            return s


def decide(cmd: JobCommand, s: Job) -> list[JobEvent]:
    match cmd:
        case CreateJob() if s.exists:
            raise Conflict(f"job {cmd.job_id} already exists", job_id=str(cmd.job_id))
        case CreateJob(by=actor):
            return [JobCreated(**cmd.model_dump(exclude={"by"}), created_by=actor)]
        case _ if not s.exists:
            raise NotFound(f"job {cmd.job_id} does not exist", job_id=str(cmd.job_id))
        case EditJob() | ReplaceJobRequirements() | ReplaceJobSkills() | ReplaceJobPreScreenQuestions() \
                if s.status == "closed":
            raise RuleViolation("a closed job cannot be edited; reopen it first", job_id=str(s.id))
        case EditJob():
            return _edit(cmd, s)
        case ReplaceJobRequirements():
            items = _requirement_items(cmd.requirements)
            if tuple(items) == s.requirements:
                return []
            return [JobRequirementsReplaced(job_id=cmd.job_id, requirements=items, by=cmd.by, at=cmd.at)]
        case ReplaceJobSkills():
            skills = _skill_items(cmd.skills)
            if tuple(skills) == s.skills:
                return []
            return [JobSkillsReplaced(job_id=cmd.job_id, skills=skills, by=cmd.by, at=cmd.at)]
        case ReplaceJobPreScreenQuestions():
            questions = _question_items(cmd.job_id, cmd.questions)
            if tuple(questions) == s.pre_screen_questions:
                return []
            return [JobPreScreenQuestionsReplaced(job_id=cmd.job_id, questions=questions, by=cmd.by, at=cmd.at)]
        case ChangeJobOwner(job_owner_recruiter_id=owner) if owner == s.job_owner_recruiter_id:
            return []
        case ChangeJobOwner(job_owner_recruiter_id=owner) if owner is not None and s.company_id is None:
            raise RuleViolation("an off-platform firm job has no job owner (domain §5.2)", job_id=str(s.id))
        case ChangeJobOwner(job_owner_recruiter_id=owner):
            return [JobOwnerChanged(job_id=cmd.job_id, from_recruiter_id=s.job_owner_recruiter_id,
                                    to_recruiter_id=owner, reason=cmd.reason, by=cmd.by, at=cmd.at)]
        case EndJobEarlyAccess(at=at) if not s.is_early_access or s.activates_at is None or s.activates_at > at:
            return []  # not early access, or not yet time: the scheduler will ask again
        case EndJobEarlyAccess():
            assert s.activates_at is not None
            return [JobEarlyAccessEnded(job_id=cmd.job_id, activates_at=s.activates_at, by=cmd.by, at=cmd.at)]
        case CloseJobPastClosingDate(at=at) if (
            s.status not in CLOSABLE_ON_DATE or s.closes_at is None or s.closes_at > at
        ):
            return []
        case CloseJobPastClosingDate():
            return [JobStatusChanged(job_id=cmd.job_id, from_status=s.status, to_status="closed",
                                     reason=CLOSING_DATE_PASSED, by=cmd.by, at=cmd.at)]
        case PublishJob():
            return _move(cmd, s, "active")
        case SubmitJobForApproval():
            return _move(cmd, s, "pending")
        case PauseJob():
            return _move(cmd, s, "paused")
        case FillJob():
            return _move(cmd, s, "filled")
        case CloseJob():
            return _move(cmd, s, "closed")
        case ReopenJob() if s.status not in REOPENABLE | {"active"}:
            raise StatusTransitionNotAllowed(s.status, "active", "only a closed or filled job is reopened")
        case ReopenJob():
            return _move(cmd, s, "active")
        case ReturnJobToDraft():
            return _move(cmd, s, "draft")
        case _:
            raise TypeError(f"the job decider has no case for {type(cmd).__name__}")


def _move(cmd: _StatusCommand, s: Job, to: JobStatus) -> list[JobEvent]:
    if s.status == to:
        return []  # a retried command must not fail nor record a second change
    if to not in ALLOWED[s.status]:
        raise StatusTransitionNotAllowed(s.status, to)
    # Only the moves that put a job in front of recruiters need the company to be billable.
    if to not in ("draft", "closed") and not (isinstance(cmd, _BillingGatedCommand) and cmd.billing_ready):
        raise BillingNotReady(to)
    assert s.id is not None
    return [JobStatusChanged(job_id=s.id, from_status=s.status, to_status=to, reason=cmd.reason, by=cmd.by, at=cmd.at)]


def _edit(cmd: EditJob, s: Job) -> list[JobEvent]:
    changed = {
        name for name in cmd.model_fields_set & EDITABLE
        if _state_value(name, getattr(cmd, name)) != getattr(s, name)
    }
    if not changed:
        return []
    after = {name: getattr(s, name) for name in EDITABLE} | {name: getattr(cmd, name) for name in changed}
    if problem := _terms_problem(after | {"company_id": s.company_id}):
        raise RuleViolation(problem, job_id=str(s.id))
    assert s.id is not None
    return [JobEdited(job_id=s.id, changes=cmd.model_dump(mode="json", include=changed), by=cmd.by, at=cmd.at)]


job: Decider[JobCommand, JobEvent, Job] = Decider(
    "job",
    initial_state,
    evolve,
    decide,
    events=(JobCreated, JobEdited, JobStatusChanged, JobRequirementsReplaced, JobSkillsReplaced,
            JobPreScreenQuestionsReplaced, JobOwnerChanged, JobEarlyAccessEnded),
)
