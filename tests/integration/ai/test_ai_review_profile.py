"""The fit review reads the candidate's skills, years of experience and structured résumé (issue: the reviewer
read `years_experience` and `skills` fields the candidate did not have, so every review ignored them): through
the ai-review reactor, the prompt the OpenAI fake receives holds them, and the local scorer's reasons use them."""

from __future__ import annotations

from uuid import UUID, uuid4

from commands.ats import candidate as candidates
from commands.ats.candidate_profile import ReplaceCandidateSkills, SetCandidateResumeProfile
from eventstore import EventStore, handle
from tests.api import SEEDER
from tests.fakes.openai import FakeOpenAI
from tests.integration.ai.test_ai_review import (  # noqa: F401  (the `fake` fixture)
    GOOD,
    entered_ai_review,
    fake,
    now,
    review_rows,
    runner_for,
    seed_application,
    settings_for,
)


async def candidate_with_profile(store: EventStore) -> UUID:
    """Ada, with Python on her profile (8 years, expert), 9 years in all, a Kubernetes position, a school and
    a certification."""
    candidate_id, at = uuid4(), now()
    await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, created_by_user_id=uuid4(), full_name="Ada Lovelace",
        email=f"ada-{candidate_id}@example.com", location="Berlin", by="t", at=at), SEEDER)
    await handle(store, candidates.candidate, candidate_id, ReplaceCandidateSkills(
        candidate_id=candidate_id, skills=[{"slug": "python", "name": "Python", "years": 8, "proficiency": "expert"},
                                           {"slug": "rust", "name": "Rust", "source": "resume_extraction"}],
        by="t", at=at), SEEDER)
    await handle(store, candidates.candidate, candidate_id, SetCandidateResumeProfile(
        candidate_id=candidate_id, years_experience=9,
        experience=[{"title": "Platform Engineer", "company": "Acme", "start_month": "2017-01",
                     "description": "Ran Kubernetes clusters"}],
        education=[{"institution": "TU Berlin", "degree": "MSc", "field_of_study": "Computer Science"}],
        certifications=[{"name": "CKA", "issuer": "CNCF", "year": 2021}], by="t", at=at), SEEDER)
    return candidate_id


async def test_the_openai_prompt_holds_the_skills_years_and_resume_profile(fresh_store: EventStore,
                                                                          fake: FakeOpenAI) -> None:
    application_id = await seed_application(fresh_store, candidate_id=await candidate_with_profile(fresh_store))
    fake.reply_with(GOOD)
    await runner_for(fresh_store, settings_for(fake)).react(await entered_ai_review(fresh_store, application_id))

    [call] = fake.requests
    candidate_part = call.json["messages"][1]["content"].split("<candidate>", 1)[1]
    for text in ("Years of experience: 9", "Skills: Python (8 years, expert); Rust",
                 "Experience:\n- Platform Engineer at Acme (2017-01 – present): Ran Kubernetes clusters",
                 "Education:\n- MSc, Computer Science, TU Berlin", "Certifications:\n- CKA, CNCF (2021)"):
        assert text in candidate_part, text


async def test_the_local_scorer_matches_the_profile_and_says_why(fresh_store: EventStore, fake: FakeOpenAI) -> None:
    application_id = await seed_application(fresh_store, candidate_id=await candidate_with_profile(fresh_store))
    await runner_for(fresh_store, settings_for(None)).react(await entered_ai_review(fresh_store, application_id))

    [row] = await review_rows(fresh_store, application_id)
    assert row["model"] == "local/keyword-overlap" and fake.calls == 0
    # Python from the profile's skills, PostgreSQL from the resume, Kubernetes from the profile's position.
    assert row["matched_skills"] == ["Python", "PostgreSQL", "Kubernetes"] and row["missing_skills"] == []
    assert "Lists the required skill Python (8 years, expert)" in row["strengths"]
    assert "Mentions the preferred skill Kubernetes" in row["strengths"]
    # The job asks for 5+ years; the profile's 9 meet it (the reviewer used to see no years at all).
    assert (row["required_years"], row["candidate_years"], row["meets_experience_requirement"]) == (5, 9, True)
    assert "profile with its skills and résumé" in row["overall_summary"]
