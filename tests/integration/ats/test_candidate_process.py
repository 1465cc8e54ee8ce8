"""Candidate accounts and the local AI review, as process managers on the real store: each reacts once
however often its event arrives."""

from __future__ import annotations

from uuid import uuid4

from commands.ats import application as applications
from commands.ats import candidate as candidates
from commands.ats import job as jobs
from commands.identity.user import user_id_for
from commands.ats.candidate import candidate_id_for
from consumers.ats.candidate_process import candidate_accounts
from consumers.ai.reactions import ai_review
from consumers.runtime.reactor import Reaction
from eventstore import EventStore, handle, load, stream_id_for
from tests.api import SEEDER, seed_user
from tests.helpers import NOW, settled_head


async def react(store: EventStore, reactor, stream: str, index: int = -1) -> None:
    recorded = (await store.read_stream(stream))[index]
    reaction = Reaction(store.registry.decode(recorded), recorded, reactor.name, store)
    await reactor.handler(reaction)
    head = await settled_head(store)
    await reactor.handler(reaction)  # redelivered
    assert await settled_head(store) == head


async def test_a_candidate_app_sign_up_gets_a_candidate_record_and_the_role_for_it(fresh_store: EventStore) -> None:
    user_id = await seed_user(fresh_store, "user_cand_pm", source="candidate")
    await react(fresh_store, candidate_accounts, f"user-{user_id}", index=0)
    candidate_id = candidate_id_for(user_id)
    record, _, _ = await load(fresh_store, candidates.candidate, stream_id_for(candidates.candidate, candidate_id))
    assert (record.user_id, record.email) == (user_id, "user_cand_pm@example.com")
    await react(fresh_store, candidate_accounts, f"candidate-{candidate_id}", index=0)
    roles = [e.data for e in await fresh_store.read_stream(f"user-{user_id}") if e.type == "UserRoleGranted"]
    assert {(r["role"], r["role_entity_id"]) for r in roles} >= {("candidate", str(candidate_id))}


async def test_a_portal_sign_up_makes_no_candidate(fresh_store: EventStore) -> None:
    user_id = await seed_user(fresh_store, "user_portal_pm")
    await react(fresh_store, candidate_accounts, f"user-{user_id}", index=0)
    assert await fresh_store.read_stream(f"candidate-{candidate_id_for(user_id)}") == []


async def test_local_ai_review_completes_the_review_once(fresh_store: EventStore) -> None:
    job_id, candidate_id, application_id = uuid4(), uuid4(), uuid4()
    await handle(fresh_store, jobs.job, job_id, jobs.CreateJob(
        job_id=job_id, company_id=uuid4(), title="Python Engineer", fee_bps=2000, by="t", at=NOW), SEEDER)
    await handle(fresh_store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, user_id=user_id_for("user_ai_pm"), full_name="Ada", email="ada@example.com",
        current_title="Senior Python engineer", by="t", at=NOW), SEEDER)
    await handle(fresh_store, applications.application, application_id, applications.CreateApplication(
        application_id=application_id, job_id=job_id, candidate_id=candidate_id, company_id=uuid4(), by="t", at=NOW),
        SEEDER)
    await handle(fresh_store, applications.application, application_id, applications.TriggerAIReview(
        application_id=application_id, by_role="candidate", by="t", at=NOW), SEEDER)
    await react(fresh_store, ai_review, f"application-{application_id}")
    state, _, _ = await load(fresh_store, applications.application, stream_id_for(applications.application, application_id))
    assert state.stage == "ai_reviewed" and not state.needs_improvement


async def test_a_sign_up_claims_the_record_a_recruiter_made_for_that_email(fresh_store: EventStore) -> None:
    from tests.integration.runtime.test_scheduler import project

    made = uuid4()
    await handle(fresh_store, candidates.candidate, made, candidates.CreateCandidate(
        candidate_id=made, created_by_user_id=uuid4(), full_name="Invited", email="User_Claim_PM@example.com",
        by="recruiter", at=NOW), SEEDER)
    await project(fresh_store)
    user_id = await seed_user(fresh_store, "user_claim_pm", source="candidate")
    await react(fresh_store, candidate_accounts, f"user-{user_id}", index=0)
    record, _, _ = await load(fresh_store, candidates.candidate, stream_id_for(candidates.candidate, made))
    assert record.user_id == user_id
    assert await fresh_store.read_stream(f"candidate-{candidate_id_for(user_id)}") == []
