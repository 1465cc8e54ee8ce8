"""The job decider: a job's terms and its status machine (domain §4.3).

Ranges are checked when a command is built, so bad input never reaches `decide`; `decide` checks
only what needs the job's current state. Billing readiness is looked up by the caller and passed
in, like time, so that `decide` stays pure and safe to retry.

Requirements, skills and pre-screen questions are each replaced as a whole list. Two commands come
from the scheduler (domain §14), with the time of the run in `at`: `EndJobEarlyAccess` and
`CloseJobPastClosingDate`; each is a no-op unless its moment has come, so the scheduler may send
them as often as it likes.

The status table, the limits and the errors are in commands/ats/job_rules.py, the commands in
commands/ats/job_commands.py; both are re-exported here so a caller imports one module.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

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
from commands.ats.job_commands import (
    Actor,
    BillingGatedCommand,
    Cents,
    ChangeJobOwner,
    CloseJob,
    CloseJobPastClosingDate,
    CommuteTypes,
    CreateJob,
    EditJob,
    EndJobEarlyAccess,
    FeeBps,
    FillJob,
    GuaranteeDays,
    JobCommand,
    JobRequirementInput,
    JobSkillInput,
    Option,
    PauseJob,
    PreScreenQuestionInput,
    PublishJob,
    ReopenJob,
    ReplaceJobPreScreenQuestions,
    ReplaceJobRequirements,
    ReplaceJobSkills,
    ReturnJobToDraft,
    SkillName,
    SkillSlug,
    StatusCommand,
    SubmitJobForApproval,
    Text,
    Title,
    question_id_for,
    question_items,
    requirement_items,
    skill_items,
    skill_slug,
)
from commands.ats.job_rules import (
    ALLOWED,
    CHOICE_TYPES,
    CLOSABLE_ON_DATE,
    CLOSING_DATE_PASSED,
    EDITABLE,
    FIRM_JOB_MIN_FEE_BPS,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_REQUIREMENTS,
    MAX_SKILLS,
    REOPENABLE,
    BillingNotReady,
    StatusTransitionNotAllowed,
    terms_problem,
)
from commands.core import Conflict, Decider, NotFound, RuleViolation

__all__ = [
    "ALLOWED", "CHOICE_TYPES", "CLOSABLE_ON_DATE", "CLOSING_DATE_PASSED", "EDITABLE", "FIRM_JOB_MIN_FEE_BPS",
    "MAX_OPTIONS", "MAX_QUESTIONS", "MAX_REQUIREMENTS", "MAX_SKILLS", "REOPENABLE",
    "Actor", "BillingGatedCommand", "BillingNotReady", "Cents", "ChangeJobOwner", "CloseJob", "CloseJobPastClosingDate",
    "CommuteType", "CommuteTypes", "CreateJob", "EditJob", "EditableJobField", "EmploymentType", "EndJobEarlyAccess",
    "FeeBps", "FillJob", "GuaranteeDays", "Job", "JobCommand", "JobEvent", "JobLevel", "JobRequirementInput",
    "JobRequirementItem", "JobSkillInput", "JobSkillItem", "JobStatus", "Option", "PauseJob", "PreScreenQuestionInput",
    "PreScreenQuestionItem", "PreScreenQuestionType", "PublishJob", "ReopenJob", "ReplaceJobPreScreenQuestions",
    "ReplaceJobRequirements", "ReplaceJobSkills", "RequirementType", "ReturnJobToDraft", "SkillName", "SkillSlug",
    "StatusCommand", "StatusTransitionNotAllowed", "SubmitJobForApproval", "Text", "Title",
    "decide", "evolve", "initial_state", "job", "question_id_for", "skill_slug",
]

_DATETIME_FIELDS = frozenset({"activates_at", "closes_at"})

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
            items = requirement_items(cmd.requirements)
            if tuple(items) == s.requirements:
                return []
            return [JobRequirementsReplaced(job_id=cmd.job_id, requirements=items, by=cmd.by, at=cmd.at)]
        case ReplaceJobSkills():
            skills = skill_items(cmd.skills)
            if tuple(skills) == s.skills:
                return []
            return [JobSkillsReplaced(job_id=cmd.job_id, skills=skills, by=cmd.by, at=cmd.at)]
        case ReplaceJobPreScreenQuestions():
            questions = question_items(cmd.job_id, cmd.questions)
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


def _move(cmd: StatusCommand, s: Job, to: JobStatus) -> list[JobEvent]:
    if s.status == to:
        return []  # a retried command must not fail nor record a second change
    if to not in ALLOWED[s.status]:
        raise StatusTransitionNotAllowed(s.status, to)
    # Only the moves that put a job in front of recruiters need the company to be billable.
    if to not in ("draft", "closed") and not (isinstance(cmd, BillingGatedCommand) and cmd.billing_ready):
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
    if problem := terms_problem(after | {"company_id": s.company_id}):
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
