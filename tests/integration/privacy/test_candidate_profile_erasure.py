"""Erasing a candidate with skills and a résumé profile: both leave the read model, the catalogue keeps its
skills, and the live ats schema equals a replay of it."""

from __future__ import annotations

from pathlib import Path

from commands.ats import candidate as candidates
from commands.ats import skill as skills
from commands.ats.candidate_profile import ReplaceCandidateSkills, SetCandidateResumeProfile
from consumers.runtime.replay import replay
from eventstore import EventStore, handle
from adapters.storage import LocalStorage
from projections.registry import all_projections
from tests.api import SEEDER
from tests.helpers import NOW, dump_schema
from tests.integration.privacy.test_erasure_process import candidate_story, request, runner
from tests.integration.runtime.test_scheduler import project


async def test_an_erased_candidates_skills_and_resume_leave_the_read_model_as_a_replay_builds_it(
        fresh_store: EventStore, tmp_path: Path) -> None:
    store = fresh_store
    ids = await candidate_story(store, LocalStorage(tmp_path))
    engines = skills.skill_id_for("analytical-engines")
    await handle(store, skills.skill, engines, skills.AddSkill(skill_id=engines, name="Analytical Engines",
                                                                 approved=True, by="t", at=NOW), SEEDER)
    await handle(store, candidates.candidate, ids["candidate"], ReplaceCandidateSkills(
        candidate_id=ids["candidate"], skills=[{"slug": "analytical-engines", "name": "Analytical Engines",
                                                "years": 12}], by="t", at=NOW), SEEDER)
    await handle(store, candidates.candidate, ids["candidate"], SetCandidateResumeProfile(
        candidate_id=ids["candidate"], years_experience=12,
        experience=[{"title": "Translator", "company": "Babbage & Co", "start_month": "1992-01"}],
        certifications=[{"name": "Notes on the Engine"}], by="t", at=NOW), SEEDER)
    await project(store)
    before = await dump_schema(store, "ats")
    assert before["candidate_skills"] and any("Babbage & Co" in row for row in before["candidate_resume_profiles"])

    erasure_id = await request(store, "candidate", ids["candidate"])
    await runner(store, LocalStorage(tmp_path)).react((await store.read_stream(f"erasure-{erasure_id}"))[0])
    await project(store)
    live = await dump_schema(store, "ats")
    assert live["candidate_skills"] == [] and live["candidate_resume_profiles"] == []
    assert live["skills"] == before["skills"]  # the catalogue is no one's personal data
    await replay(store.pool, all_projections()["ats"], store.registry)
    assert await dump_schema(store, "ats") == live


async def test_a_candidates_export_holds_their_skills_resume_and_skill_proposals(fresh_store: EventStore,
                                                                                tmp_path: Path) -> None:
    from uuid import uuid4

    from projections.privacy.holdings import rows_of
    from projections.privacy.subjects import Person

    store = fresh_store
    ids = await candidate_story(store, LocalStorage(tmp_path))
    proposer, engines = uuid4(), skills.skill_id_for("analytical-engines")
    await handle(store, skills.skill, engines, skills.AddSkill(skill_id=engines, name="Analytical Engines",
                                                                 approved=False, proposed_by_user_id=proposer,
                                                                 by="t", at=NOW), SEEDER)
    await handle(store, candidates.candidate, ids["candidate"], ReplaceCandidateSkills(
        candidate_id=ids["candidate"], skills=[{"slug": "analytical-engines", "name": "Analytical Engines"}],
        by="t", at=NOW), SEEDER)
    await handle(store, candidates.candidate, ids["candidate"], SetCandidateResumeProfile(
        candidate_id=ids["candidate"], years_experience=12, by="t", at=NOW), SEEDER)
    await project(store)
    person = Person(kind="candidate", id=ids["candidate"], user_ids=(proposer,), candidate_ids=(ids["candidate"],))
    async with store.pool.connection() as conn:
        held = await rows_of(conn, person)
    assert [r["slug"] for r in held["ats.candidate_skills"]] == ["analytical-engines"]
    assert [r["years_experience"] for r in held["ats.candidate_resume_profiles"]] == [12]
    assert [r["name"] for r in held["ats.skills"]] == ["Analytical Engines"]
