"""The commands of a job (domain §4.3), checked when they are built: ranges, the terms that hold across
fields (commands/ats/job_rules.py) and the shape of requirements, skills and pre-screen questions, so bad
input never reaches the decider in commands/ats/job.py, which re-exports these.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Self
from uuid import UUID, uuid5

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from commands.ats.events import (
    CommuteType,
    EmploymentType,
    JobLevel,
    JobRequirementItem,
    JobSkillItem,
    PreScreenQuestionItem,
    PreScreenQuestionType,
    RequirementType,
)
from commands.ats.job_rules import CHOICE_TYPES, MAX_OPTIONS, MAX_QUESTIONS, MAX_REQUIREMENTS, MAX_SKILLS, terms_problem
from commands.core import Command

# Editable fields that have no "unset" value: an edit may change them but not clear them.
_NOT_NULL = frozenset(
    {"title", "show_salary_range", "fee_bps", "guarantee_days", "employment_type", "commute_types",
     "open_to_relocation", "is_early_access", "is_priority"}
)


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
        if problem := terms_problem(dict(self)):
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
        if problem := terms_problem(given):
            raise ValueError(problem)
        return self


class StatusCommand(_JobCommand):
    reason: str | None = None


class BillingGatedCommand(StatusCommand):
    billing_ready: bool


class PublishJob(BillingGatedCommand):
    """→ active."""


class SubmitJobForApproval(BillingGatedCommand):
    """→ pending."""


class PauseJob(BillingGatedCommand):
    """→ paused."""


class FillJob(BillingGatedCommand):
    """→ filled."""


class CloseJob(StatusCommand):
    """→ closed; taking a job off the market needs no billing profile."""


class ReopenJob(BillingGatedCommand):
    """closed or filled → active."""


class ReturnJobToDraft(StatusCommand):
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


def requirement_items(inputs: list[JobRequirementInput]) -> list[JobRequirementItem]:
    items = [JobRequirementItem(requirement_type=r.requirement_type, description=r.description,
                                sort_order=i if r.sort_order is None else r.sort_order) for i, r in enumerate(inputs)]
    return sorted(items, key=lambda item: item.sort_order)


def skill_items(inputs: list[JobSkillInput]) -> list[JobSkillItem]:
    return [JobSkillItem(name=s.name, slug=s.slug or skill_slug(s.name), is_required=s.is_required) for s in inputs]


def question_items(job_id: UUID, inputs: list[PreScreenQuestionInput]) -> list[PreScreenQuestionItem]:
    return [PreScreenQuestionItem(question_id=q.question_id or question_id_for(job_id, q.question),
                                  question=q.question, question_type=q.question_type, options=list(q.options),
                                  is_required=q.is_required, disclaimer=q.disclaimer) for q in inputs]


def _repeated(values: list[Any]) -> list[str]:
    return sorted({str(v) for v in values if values.count(v) > 1})


class ReplaceJobRequirements(_JobCommand):
    requirements: Annotated[list[JobRequirementInput], Field(max_length=MAX_REQUIREMENTS)]

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if repeated := _repeated([item.sort_order for item in requirement_items(self.requirements)]):
            raise ValueError(f"requirement sort_order must not repeat: {', '.join(repeated)}")
        return self


class ReplaceJobSkills(_JobCommand):
    skills: Annotated[list[JobSkillInput], Field(max_length=MAX_SKILLS)]

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        items = skill_items(self.skills)
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
        if repeated := _repeated([item.question_id for item in question_items(self.job_id, self.questions)]):
            raise ValueError(f"question ids must not repeat: {', '.join(repeated)}")
        return self


JobCommand = (
    CreateJob | EditJob | PublishJob | SubmitJobForApproval | PauseJob | FillJob | CloseJob | ReopenJob
    | ReturnJobToDraft | ReplaceJobRequirements | ReplaceJobSkills | ReplaceJobPreScreenQuestions | ChangeJobOwner
    | EndJobEarlyAccess | CloseJobPastClosingDate
)
