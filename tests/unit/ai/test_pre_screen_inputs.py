"""Pre-screen answers in the fit review: the prompt carries each question with its answer (and whether the job
requires it); the local scorer takes points off, and says so, for a required yes/no question answered no."""

from __future__ import annotations

from dataclasses import replace

from commands.ai.inputs import PreScreenAnswer, ReviewInputs
from commands.ai.local_scorer import DECLINED_REQUIRED, local_review
from commands.ai.prompt import user_message

BASE = ReviewInputs(job_title="Backend Engineer", required_skills=("Python",), candidate_skills=("Python",),
                    resume_text="Python backend engineer")
AUTH = PreScreenAnswer("Are you authorised to work in Germany?", "no", question_type="yes_no", is_required=True)


def test_the_prompt_holds_each_question_and_answer_and_marks_the_required_ones():
    inputs = replace(BASE, pre_screen_answers=(AUTH, PreScreenAnswer("Languages?", "German, English",
                                                                     question_type="multi_select")))
    prompt = user_message(inputs)
    assert "Q: Are you authorised to work in Germany? (required by the job)\nA: no" in prompt
    assert "Q: Languages?\nA: German, English" in prompt
    assert prompt.index("Pre-screen answers:") > prompt.index("<candidate>")  # fenced as the candidate's words


def test_a_required_yes_no_answered_no_lowers_the_local_score_with_its_reason():
    plain = local_review(BASE)
    declined = local_review(replace(BASE, pre_screen_answers=(AUTH,)))
    assert declined.fit_score == plain.fit_score - DECLINED_REQUIRED
    assert declined.concerns[0] == "Answered no to the required pre-screen question: " + AUTH.question
    assert declined.overall_summary.endswith(
        f"1 required yes/no pre-screen question(s) answered no, {DECLINED_REQUIRED} points off each:"
        f" {declined.fit_score}/100.")


def test_a_yes_or_an_optional_no_costs_nothing():
    plain = local_review(BASE)
    for answer in (replace(AUTH, answer="yes"), replace(AUTH, is_required=False),
                   PreScreenAnswer("Notice period?", "no", question_type="text", is_required=True)):
        review = local_review(replace(BASE, pre_screen_answers=(answer,)))
        assert review.fit_score == plain.fit_score, answer
        assert not any("pre-screen" in c for c in review.concerns)


def test_the_score_does_not_go_below_zero():
    many = tuple(replace(AUTH, question=f"Must-have {i}?") for i in range(10))
    review = local_review(replace(BASE, pre_screen_answers=many))
    assert review.fit_score == 0 and review.recommendation == "poor_fit"
