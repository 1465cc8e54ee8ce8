"""Pre-screen answers on an application (domain §4.1): the rules of `AnswerPreScreen` and of a submission to
the company when the job asks pre-screen questions. Pure, like the decider in commands/ats/application.py
that calls them.

What we decided where the domain is silent:
- A question is identified by its `question_id` on the job (commands/ats/job_commands.py `question_items`):
  given when the questions are set, or derived from the job and the question's text, so it stays the same while
  the question does, and a reworded question is a new one. An answer records the question's id, its text and
  its type as they were asked, so changing a job's questions never rewrites what a candidate answered.
- What counts as answered is judged against the job's questions as they stand (passed in by the caller): an
  answer counts for a question with its id whose type it still fits (and, for select and multi_select, whose
  options still hold it). A required question added, reworded or retyped after answers exist must be answered
  before the application goes to the company; answers to questions since removed stay on the application.
- Answers are given by the candidate side (the candidate, their represented recruiter, a platform admin)
  while the application is prepared: draft, ai_failed, ai_reviewed, recruiter_request, recruiter_review and
  screen. Not while its AI review runs (the review reads them), not on a proposal the candidate has not
  accepted, and not once the company has the application: what it received stays what it received.
- An answer changed after an AI review does not undo the review; the answers the review read are the ones
  recorded before it, in the application's history.
- Sending the answers already recorded is a no-op; sending some answers leaves the others as they were.
- A submission to the candidate's recruiter (recruiter_review) needs no answers yet: the recruiter may answer
  on the candidate's behalf before they submit it to the company.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from commands.ats.application_commands import AnswerPreScreen, PreScreenAnswerInput
from commands.ats.application_events import ApplicationPreScreenAnswered, ApplicationStage, PreScreenAnswerItem
from commands.ats.application_rules import (
    CANDIDATE_SIDE,
    ActionNotPermitted,
    PreScreenAnswerInvalid,
    PreScreenAnswersClosed,
    PreScreenAnswersMissing,
)
from commands.ats.events import PreScreenQuestionItem

if TYPE_CHECKING:
    from commands.ats.application import Application

ANSWERABLE: frozenset[ApplicationStage] = frozenset(
    {"draft", "ai_failed", "ai_reviewed", "recruiter_request", "recruiter_review", "screen"}
)
Answer = bool | str | list[str]


def _problem(question: PreScreenQuestionItem, answer: Answer) -> str | None:
    """Why `answer` does not fit `question` as it stands, or None."""
    match question.question_type:
        case "yes_no":
            return None if isinstance(answer, bool) else "a yes/no question is answered true or false"
        case "text":
            return None if isinstance(answer, str) and answer.strip() else "a text question is answered with text"
        case "select":
            if not isinstance(answer, str):
                return "a select question is answered with one of its options"
            return None if answer in question.options else f"{answer!r} is not one of the question's options"
        case "multi_select":
            if not isinstance(answer, list) or not answer:
                return "a multi-select question is answered with a list of its options"
            if len(set(answer)) != len(answer):
                return "an option is chosen at most once"
            unknown = [a for a in answer if a not in question.options]
            return f"{unknown[0]!r} is not one of the question's options" if unknown else None
    return "unknown question type"  # pragma: no cover - the type is a Literal


def _item(question: PreScreenQuestionItem, given: PreScreenAnswerInput) -> PreScreenAnswerItem:
    answer = given.answer
    if (why := _problem(question, answer)) is not None:
        raise PreScreenAnswerInvalid(question.question_id, why)
    if isinstance(answer, list):  # in the order the question offers them
        answer = sorted(answer, key=question.options.index)
    return PreScreenAnswerItem(question_id=question.question_id, question=question.question,
                               question_type=question.question_type, answer=answer)


def answer_prescreen(cmd: AnswerPreScreen, s: Application) -> list[ApplicationPreScreenAnswered]:
    if cmd.by_role not in CANDIDATE_SIDE:
        raise ActionNotPermitted(cmd.by_role, "answer pre-screen questions",
                                 "the candidate or their recruiter answers them")
    if s.stage not in ANSWERABLE:
        raise PreScreenAnswersClosed(s.id, s.stage)
    questions = {q.question_id: q for q in cmd.questions}
    items = []
    for given in cmd.answers:
        question = questions.get(given.question_id)
        if question is None:
            raise PreScreenAnswerInvalid(given.question_id, "the job asks no such question")
        items.append(_item(question, given))
    current = {a.question_id: a for a in s.pre_screen_answers}
    if all(current.get(item.question_id) == item for item in items):
        return []  # the answers recorded already: a retried request
    return [ApplicationPreScreenAnswered(application_id=cmd.application_id, stage=s.stage, answers=items,
                                         by=cmd.by, by_role=cmd.by_role, at=cmd.at)]


def with_answers(current: Sequence[PreScreenAnswerItem],
                 answered: Sequence[PreScreenAnswerItem]) -> tuple[PreScreenAnswerItem, ...]:
    """The application's answers after `answered`: each replaces the earlier answer to its question."""
    replaced = {a.question_id for a in answered}
    return (*(a for a in current if a.question_id not in replaced), *answered)


def unanswered(questions: Sequence[PreScreenQuestionItem],
               answers: Sequence[PreScreenAnswerItem]) -> list[UUID]:
    """The required questions, as they stand, without an answer that fits them."""
    given = {a.question_id: a for a in answers}
    return [q.question_id for q in questions if q.is_required and (
        (a := given.get(q.question_id)) is None or a.question_type != q.question_type
        or _problem(q, a.answer) is not None)]


def check_answered(s: Application, questions: Sequence[PreScreenQuestionItem]) -> None:
    """A submission to the company: every required question of the job answered."""
    if missing := unanswered(questions, s.pre_screen_answers):
        raise PreScreenAnswersMissing(s.id, missing)
