"""Pre-screen answers on an application (commands/ats/application_prescreen.py): who answers, when, what fits a
question, idempotent repeats, and a submission to the company held until the required questions are answered."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.application import ActionNotPermitted, AnswerPreScreen, SubmitApplication, application
from commands.ats.application_events import (
    ActorRole,
    ApplicationPreScreenAnswered,
    ApplicationStage,
    ApplicationSubmitted,
    PreScreenAnswerItem,
)
from commands.ats.application_rules import PreScreenAnswerInvalid, PreScreenAnswersClosed, PreScreenAnswersMissing
from commands.ats.events import PreScreenQuestionItem
from commands.core import Invalid, RuleViolation
from tests.unit.ats.test_application import A, ACTOR, STAGES, T0, T1, history
from tests.unit.dsl import given

Q_AUTH = UUID("00000000-0000-4000-8000-00000000aa01")
Q_WHY = UUID("00000000-0000-4000-8000-00000000aa02")
Q_SHIFT = UUID("00000000-0000-4000-8000-00000000aa03")
Q_LANGS = UUID("00000000-0000-4000-8000-00000000aa04")
Q_REMOVED = UUID("00000000-0000-4000-8000-00000000aa05")

AUTH = PreScreenQuestionItem(question_id=Q_AUTH, question="Are you authorised to work in Germany?",
                             question_type="yes_no", options=[], is_required=True, disclaimer=None)
WHY = PreScreenQuestionItem(question_id=Q_WHY, question="Why this job?", question_type="text", options=[],
                            is_required=False, disclaimer=None)
SHIFT = PreScreenQuestionItem(question_id=Q_SHIFT, question="Which shift?", question_type="select",
                              options=["Early", "Late"], is_required=True, disclaimer=None)
LANGS = PreScreenQuestionItem(question_id=Q_LANGS, question="Languages?", question_type="multi_select",
                              options=["German", "English", "French"], is_required=False, disclaimer=None)
QUESTIONS = [AUTH, WHY, SHIFT, LANGS]
ANSWERABLE = ("draft", "ai_failed", "ai_reviewed", "recruiter_request", "recruiter_review", "screen")


def answer(role: ActorRole = "candidate", questions: list[PreScreenQuestionItem] | None = None,
           **answers: Any) -> AnswerPreScreen:
    ids = {"auth": Q_AUTH, "why": Q_WHY, "shift": Q_SHIFT, "langs": Q_LANGS, "removed": Q_REMOVED}
    return AnswerPreScreen(application_id=A, by=ACTOR, by_role=role, at=T1,
                           questions=QUESTIONS if questions is None else questions,
                           answers=[{"question_id": ids[k], "answer": v} for k, v in answers.items()])


def item(question: PreScreenQuestionItem, value: bool | str | list[str]) -> PreScreenAnswerItem:
    return PreScreenAnswerItem(question_id=question.question_id, question=question.question,
                               question_type=question.question_type, answer=value)


def answered(stage: ApplicationStage, *items: PreScreenAnswerItem, role: ActorRole = "candidate",
             ) -> ApplicationPreScreenAnswered:
    return ApplicationPreScreenAnswered(application_id=A, stage=stage, answers=list(items), by=ACTOR, by_role=role,
                                        at=T1)


def submit(role: ActorRole, questions: list[PreScreenQuestionItem] | None = None) -> SubmitApplication:
    return SubmitApplication(application_id=A, by=ACTOR, by_role=role, at=T1,
                             pre_screen_questions=QUESTIONS if questions is None else questions)


# --- answering ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["candidate", "candidate_recruiter", "platform_admin"])
def test_the_candidate_side_answers_typed_questions(role: ActorRole):
    given(application, *history("draft")).when(
        answer(role, auth=True, why="I build payments", shift="Late", langs=["French", "German"])
    ).then(answered("draft", item(AUTH, True), item(WHY, "I build payments"), item(SHIFT, "Late"),
                    item(LANGS, ["German", "French"]), role=role))  # the options in the question's order


@pytest.mark.parametrize("role", ["company", "company_recruiter", "system"])
def test_the_company_side_does_not_answer(role: ActorRole):
    given(application, *history("draft")).when(answer(role, auth=True)).then_raises(ActionNotPermitted)


@pytest.mark.parametrize("stage", ANSWERABLE)
def test_answers_are_given_while_the_application_is_prepared(stage: ApplicationStage):
    given(application, *history(stage)).when(answer(auth=False)).then(answered(stage, item(AUTH, False)))


@pytest.mark.parametrize("stage", [s for s in STAGES if s not in ANSWERABLE and s != "expired"])
def test_answers_are_closed_during_the_review_before_the_proposal_is_accepted_and_once_the_company_has_it(
        stage: ApplicationStage):
    error = given(application, *history(stage)).when(answer(auth=True)).then_raises(PreScreenAnswersClosed)
    assert isinstance(error, RuleViolation) and error.code == "pre_screen_answers_closed"


@pytest.mark.parametrize(("answers", "why"), [
    ({"auth": "yes"}, "true or false"),                   # yes/no is a boolean
    ({"why": True}, "with text"),
    ({"shift": "Night"}, "not one of the question's options"),
    ({"shift": ["Early"]}, "one of its options"),
    ({"langs": ["German", "Klingon"]}, "'Klingon' is not one of"),
    ({"langs": "German"}, "list of its options"),
    ({"langs": ["German", "German"]}, "at most once"),
    ({"removed": True}, "no such question"),             # not a question of the job (any more)
])
def test_an_answer_that_does_not_fit_its_question_is_invalid(answers: dict[str, Any], why: str):
    error = given(application, *history("draft")).when(answer(**answers)).then_raises(PreScreenAnswerInvalid, why)
    assert isinstance(error, Invalid) and error.code == "pre_screen_answer_invalid"


def test_a_request_answers_each_question_once_and_within_bounds():
    with pytest.raises(ValidationError):
        AnswerPreScreen(application_id=A, by=ACTOR, by_role="candidate", at=T1, questions=QUESTIONS,
                        answers=[{"question_id": Q_AUTH, "answer": True}, {"question_id": Q_AUTH, "answer": False}])
    with pytest.raises(ValidationError):
        answer(why="x" * 5001)
    with pytest.raises(ValidationError):
        answer(why="   ")
    with pytest.raises(ValidationError):
        AnswerPreScreen(application_id=A, by=ACTOR, by_role="candidate", at=T1, questions=QUESTIONS, answers=[])


def test_repeating_the_recorded_answers_is_a_no_op_and_a_change_replaces_only_its_question():
    first = answered("draft", item(AUTH, True), item(SHIFT, "Early"))
    given(application, *history("draft"), first).when(answer(shift="Early")).then()
    given(application, *history("draft"), first).when(answer(auth=True, shift="Early")).then()
    [changed] = given(application, *history("draft"), first).when(answer(shift="Late")).then(
        answered("draft", item(SHIFT, "Late")))
    state = given(application, *history("draft"), first, changed).state
    assert state.pre_screen_answers == (item(AUTH, True), item(SHIFT, "Late"))
    assert state.last_activity_at == T1 and T1 > T0  # an answer is activity on the application


def test_an_erased_answer_event_changes_nothing():
    state = given(application, *history("draft"), answered("draft", item(AUTH, True)), answered("draft")).state
    assert state.pre_screen_answers == (item(AUTH, True),)


# --- submission to the company -----------------------------------------------------------------------

def test_a_submission_to_the_company_needs_the_required_questions_answered():
    events = history("ai_reviewed", candidate_recruiter_id=None, source="direct")
    error = given(application, *events).when(submit("candidate")).then_raises(PreScreenAnswersMissing)
    assert error.code == "pre_screen_answers_missing"
    assert error.details["question_ids"] == [str(Q_AUTH), str(Q_SHIFT)]
    partly = given(application, *events, answered("ai_reviewed", item(AUTH, True)))
    assert partly.when(submit("candidate")).then_raises(PreScreenAnswersMissing).details["question_ids"] == [
        str(Q_SHIFT)]
    given(application, *events, answered("ai_reviewed", item(AUTH, False), item(SHIFT, "Early"))).when(
        submit("candidate")).then(ApplicationSubmitted(
            application_id=A, from_stage="ai_reviewed", to_stage="submitted", submitted_at=T1, by=ACTOR,
            by_role="candidate", at=T1))


def test_a_job_without_required_questions_submits_as_before():
    events = history("ai_reviewed", candidate_recruiter_id=None, source="direct")
    given(application, *events).when(submit("candidate", [WHY, LANGS])).then(ApplicationSubmitted(
        application_id=A, from_stage="ai_reviewed", to_stage="submitted", submitted_at=T1, by=ACTOR,
        by_role="candidate", at=T1))
    given(application, *events).when(submit("candidate", [])).then(ApplicationSubmitted(
        application_id=A, from_stage="ai_reviewed", to_stage="submitted", submitted_at=T1, by=ACTOR,
        by_role="candidate", at=T1))


def test_the_candidates_recruiter_gets_it_unanswered_and_answers_before_sending_it_on():
    represented = history("ai_reviewed")  # the candidate's recruiter reviews it before the company sees it
    [to_recruiter] = given(application, *represented).when(submit("candidate")).then(ApplicationSubmitted(
        application_id=A, from_stage="ai_reviewed", to_stage="recruiter_review", submitted_at=T1, by=ACTOR,
        by_role="candidate", at=T1))
    at_recruiter = [*represented, to_recruiter]
    given(application, *at_recruiter).when(submit("candidate_recruiter")).then_raises(PreScreenAnswersMissing)
    [on_behalf] = given(application, *at_recruiter).when(
        answer("candidate_recruiter", auth=True, shift="Early")).then(
        answered("recruiter_review", item(AUTH, True), item(SHIFT, "Early"), role="candidate_recruiter"))
    given(application, *at_recruiter, on_behalf).when(submit("candidate_recruiter")).then(ApplicationSubmitted(
        application_id=A, from_stage="recruiter_review", to_stage="submitted", submitted_at=T1, by=ACTOR,
        by_role="candidate_recruiter", at=T1))


def test_a_submitted_application_submitting_again_is_still_a_no_op():
    given(application, *history("submitted")).when(submit("candidate_recruiter")).then()


def test_questions_changed_after_answers_count_only_answers_that_still_fit():
    events = [*history("ai_reviewed", candidate_recruiter_id=None, source="direct"),
              answered("ai_reviewed", item(AUTH, True), item(SHIFT, "Early"))]
    # Reworded: a new id, unanswered. Options changed under the same id: the old answer no longer fits.
    reworded = AUTH.model_copy(update={"question_id": Q_REMOVED, "question": "Do you hold an EU work permit?"})
    reshaped = SHIFT.model_copy(update={"options": ["Morning", "Evening"]})
    error = given(application, *events).when(submit("candidate", [reworded, reshaped])).then_raises(
        PreScreenAnswersMissing)
    assert error.details["question_ids"] == [str(Q_REMOVED), str(Q_SHIFT)]
    # The answers as given stay, with the question as it was asked.
    state = given(application, *events).state
    assert [a.question for a in state.pre_screen_answers] == [AUTH.question, SHIFT.question]
    # A question made optional or removed no longer holds the submission.
    given(application, *events).when(submit("candidate", [WHY])).then(ApplicationSubmitted(
        application_id=A, from_stage="ai_reviewed", to_stage="submitted", submitted_at=T1, by=ACTOR,
        by_role="candidate", at=T1))
