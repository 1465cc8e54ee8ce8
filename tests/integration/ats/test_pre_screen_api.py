"""Pre-screen answers through HTTP: the candidate (or their consented recruiter) answers the job's questions,
typed per question; the company cannot receive the application before the required ones are answered; the
company, the candidate side and the history show the answers; a refusal is a problem and writes nothing.

The world is that of tests/integration/ats/test_applications_api.py: company A's admin sets the questions on
A's second job; cand2 applies for themself, rtr applies for cand (whom they represent with consent).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from commands.network import recruiter_candidate as rtr
from consumers.runtime.replay import replay
from projections.registry import all_projections
from tests.helpers import dump_schema
from tests.integration.platform.test_bounded_input import EXTREMES, big, replay_every_projection, template_of
from tests.integration.ats.test_applications_api import (  # noqa: F401  (the `world` fixture)
    World,
    all_projected,
    assert_refused,
    now,
    stored,
    world_fixture,
)

QUESTIONS = {"questions": [
    {"question": "Are you authorised to work in Germany?", "question_type": "yes_no", "is_required": True},
    {"question": "Which office?", "question_type": "select", "options": ["Paris", "Berlin"], "is_required": True},
    {"question": "Languages?", "question_type": "multi_select", "options": ["German", "English", "French"]},
    {"question": "Anything else?", "question_type": "text"},
]}


async def _questions(world: World) -> dict[str, str]:
    """A's admin sets the questions on job a2; their ids by a short name, as the job's details list them."""
    job_id = world.jobs["a2"]
    put = await world.client.put(f"/v1/jobs/{job_id}/pre-screen-questions", json=QUESTIONS,
                                 headers=world.headers("a_admin"))
    assert put.status_code == 200, put.text
    world.token = put.json()["consistency_token"] or world.token
    details = await world.get("cand2", f"/v1/jobs/{job_id}/details")
    assert details.status_code == 200, details.text
    ids = [q["question_id"] for q in details.json()["data"]["pre_screen_questions"]]
    return dict(zip(("auth", "office", "langs", "else"), ids, strict=True))


def _answers(q: dict[str, str], **given: Any) -> dict[str, Any]:
    return {"answers": [{"question_id": q[name], "answer": value} for name, value in given.items()]}


async def test_the_company_gets_it_only_with_the_required_answers_and_reads_them(world: World) -> None:
    q = await _questions(world)
    app = await world.apply("cand2", "a2")
    await world.ai_reviewed("cand2", app)
    path = f"/v1/applications/{app}"

    # Required questions unanswered: the submission is a problem with a stable code, and writes nothing.
    head = await stored(world.store)
    refused = await world.post("cand2", f"{path}/submit")
    await assert_refused(refused, 422)
    assert refused.json()["code"] == "pre_screen_answers_missing"
    assert sorted(refused.json()["question_ids"]) == sorted([q["auth"], q["office"]])
    answered = await world.post("cand2", f"{path}/pre-screen-answers", _answers(q, auth=True))
    assert answered.status_code == 200, answered.text
    head = await stored(world.store)
    refused = await world.post("cand2", f"{path}/submit")
    await assert_refused(refused, 422)
    assert refused.json()["question_ids"] == [q["office"]]
    assert await stored(world.store) == head and await world.stage(app) == "ai_reviewed"

    # The rest answered (a later answer replaces the earlier one), the submission goes to the company.
    more = _answers(q, auth=False, office="Berlin", langs=["French", "German"], **{"else": "Remote Fridays?"})
    first = await world.post("cand2", f"{path}/pre-screen-answers", more)
    assert first.status_code == 200, first.text
    again = await world.post("cand2", f"{path}/pre-screen-answers", more)  # the same answers: nothing new
    assert again.status_code == 200 and again.json()["version"] == first.json()["version"]
    assert (await world.post("cand2", f"{path}/submit")).status_code == 200
    assert await world.stage(app) == "submitted"

    expected = [(q["auth"], "Are you authorised to work in Germany?", "yes_no", False),
                (q["office"], "Which office?", "select", "Berlin"),
                (q["langs"], "Languages?", "multi_select", ["German", "French"]),
                (q["else"], "Anything else?", "text", "Remote Fridays?")]
    for caller in ("a_admin", "a_manager", "cand2", "admin"):
        detail = await world.get(caller, path)
        assert detail.status_code == 200, (caller, detail.text)
        data = detail.json()["data"]
        given = sorted((a["question_id"], a["question"], a["question_type"], a["answer"])
                       for a in data["pre_screen_answers"])
        assert given == sorted(expected), caller
        assert {a["answered_by_role"] for a in data["pre_screen_answers"]} == {"candidate"}
        assert ("answered_by" in data["pre_screen_answers"][0]) == (caller == "admin"), caller
        # The answering is part of the application's history, at the stage it was given, without the answers.
        activity = await world.get(caller, f"{path}/activity", limit=100)
        assert activity.status_code == 200, (caller, activity.text)
        steps = [(a["action"], a["actor_role"], a["summary"]) for a in activity.json()["data"]]
        assert steps.count(("pre_screen_answered", "candidate", {"stage": "ai_reviewed"})) == 2, steps
        assert [s[0] for s in steps][-2:] == ["pre_screen_answered", "submitted"]
        assert [m["to_stage"] for m in data["stage_history"]][-1] == "submitted"

    # What the company received stays: no more answers, and the company never answers.
    head = await stored(world.store)
    closed = await world.post("cand2", f"{path}/pre-screen-answers", _answers(q, auth=True))
    await assert_refused(closed, 422)
    assert closed.json()["code"] == "pre_screen_answers_closed"
    await assert_refused(await world.post("a_admin", f"{path}/pre-screen-answers", _answers(q, auth=True)), 403)
    assert await stored(world.store) == head


async def test_answers_must_fit_their_question(world: World) -> None:
    q = await _questions(world)
    app = await world.apply("cand2", "a2")
    path = f"/v1/applications/{app}/pre-screen-answers"
    head = await stored(world.store)
    bad = [
        (_answers(q, office="Madrid"), "pre_screen_answer_invalid"),                # not an option
        (_answers(q, langs=["German", "Klingon"]), "pre_screen_answer_invalid"),   # not a subset
        (_answers(q, office=["Paris"]), "pre_screen_answer_invalid"),              # one option, not a list
        (_answers(q, auth="yes"), "pre_screen_answer_invalid"),                    # a yes/no is true or false
        (_answers(q, **{"else": True}), "pre_screen_answer_invalid"),
        ({"answers": [{"question_id": str(UUID(int=7)), "answer": "x"}]}, "pre_screen_answer_invalid"),
        (_answers(q, **{"else": "x" * 5001}), "invalid_request"),                  # bounded text
        (_answers(q, **{"else": "a\u0000b"}), "invalid_request"),                  # no NUL
        ({"answers": []}, "invalid_request"),
        ({"answers": [{"question_id": q["auth"], "answer": True, "by_role": "company"}]}, "invalid_request"),
        ({"answers": [{"question_id": q["auth"], "answer": True}] * 2}, "invalid_request"),  # once per question
    ]
    for body, code in bad:
        answer = await world.post("cand2", path, body)
        await assert_refused(answer, 422)
        assert answer.json()["code"] == code, (body, answer.text)
    assert await stored(world.store) == head


async def test_the_consented_recruiter_answers_on_the_candidates_behalf(world: World) -> None:
    q = await _questions(world)
    app = await world.apply("rtr", "a2", "cand")
    await world.ai_reviewed("rtr", app)
    path = f"/v1/applications/{app}"
    await assert_refused(await world.post("stranger", f"{path}/pre-screen-answers", _answers(q, auth=True)), 404)
    answered = await world.post("rtr", f"{path}/pre-screen-answers", _answers(q, auth=True, office="Paris"))
    assert answered.status_code == 200, answered.text
    assert (await world.post("rtr", f"{path}/submit")).status_code == 200
    detail = (await world.get("cand", path)).json()["data"]
    assert detail["stage"] == "submitted"
    assert {a["answered_by_role"] for a in detail["pre_screen_answers"]} == {"candidate_recruiter"}
    assert sorted(str(a["answer"]) for a in detail["pre_screen_answers"]) == ["Paris", "True"]

    # The answers and their history lines are rebuilt from the events as they are.
    await all_projected(world.store)
    live = await dump_schema(world.store, "ats")
    assert any("Paris" in row for row in live["application_pre_screen_answers"])
    await replay(world.store.pool, all_projections()["ats"], world.store.registry)
    assert await dump_schema(world.store, "ats") == live


async def test_a_job_without_questions_submits_as_before(world: World) -> None:
    app = await world.apply("cand2", "a")
    await world.submitted("cand2", app)  # asserts the 200
    detail = (await world.get("a_admin", f"/v1/applications/{app}")).json()["data"]
    assert detail["stage"] == "submitted" and detail["pre_screen_answers"] == []


async def test_a_recruiter_whose_consent_ended_no_longer_answers(world: World) -> None:
    q = await _questions(world)
    app = await world.apply("rtr", "a2", "cand")
    relationship_id = rtr.recruiter_candidate_id_for(world.recruiter["rtr"], world.candidate["cand"])
    await world.command(rtr.recruiter_candidate, relationship_id, rtr.TerminateRecruiterCandidate(
        relationship_id=relationship_id, side="candidate", party_id=world.candidate["cand"], reason="moved on",
        by="test", at=now()))
    await all_projected(world.store)
    head = await stored(world.store)
    refused = await world.post("rtr", f"/v1/applications/{app}/pre-screen-answers", _answers(q, auth=True))
    await assert_refused(refused, 403)
    assert await stored(world.store) == head
    # The candidate still answers for themself.
    assert (await world.post("cand", f"/v1/applications/{app}/pre-screen-answers", _answers(q, auth=True))
            ).status_code == 200


EXTREMES_TEST = "test_pre_screen_answers_at_the_limits_of_their_schema_are_stored_and_replayed"


async def test_pre_screen_answers_at_the_limits_of_their_schema_are_stored_and_replayed(world: World) -> None:
    """The most questions a job asks (25), each answered: the longest text, every one of 50 options of 200
    characters, yes and no. Accepted, shown as given, and every read model rebuilt from the first event stores it."""
    options = [big(200, salt=f"{i:02d}") for i in range(50)]
    questions = [{"question": big(2000, salt="text"), "question_type": "text", "is_required": True},
                 {"question": big(2000, salt="many"), "question_type": "multi_select", "options": options},
                 *({"question": big(2000, salt=f"yes{i:02d}"), "question_type": "yes_no"} for i in range(23))]
    job_id = world.jobs["a2"]
    put = await world.client.put(f"/v1/jobs/{job_id}/pre-screen-questions", json={"questions": questions},
                                 headers=world.headers("a_admin"))
    assert put.status_code == 200, put.text
    world.token = put.json()["consistency_token"]
    ids = [q["question_id"] for q in (await world.get("cand2", f"/v1/jobs/{job_id}/details")).json()["data"][
        "pre_screen_questions"]]
    app = await world.apply("cand2", "a2")
    values: list[Any] = [big(5000), options, *(i % 2 == 0 for i in range(23))]
    sent = await world.post("cand2", f"/v1/applications/{app}/pre-screen-answers",
                            {"answers": [{"question_id": i, "answer": v} for i, v in zip(ids, values, strict=True)]})
    assert sent.status_code == 200, sent.text
    assert {template_of(sent.request.method, sent.request.url.path)} == EXTREMES[EXTREMES_TEST]
    shown = {a["question_id"]: a["answer"] for a in
             (await world.get("cand2", f"/v1/applications/{app}")).json()["data"]["pre_screen_answers"]}
    assert shown == dict(zip(ids, values, strict=True))
    await all_projected(world.store)
    await replay_every_projection(world.store)
