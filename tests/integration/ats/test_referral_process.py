"""The referral-sourcing process on the real store (consumers/ats/referral_process.py): whichever of the
referral and the candidate record is recorded first, the referrer becomes the candidate's sourcer once; a
company made by a referred user is sourced by the referrer; someone who sourced first stays."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from commands.ats import candidate as candidates
from commands.ats import company as companies
from commands.ats import sourcer as sourcers
from commands.ats.candidate import candidate_id_for
from commands.identity import organization as orgs
from commands.network import recruiter as recruiters
from commands.network import referral as referrals
from consumers.ats.referral_process import referral_sourcing
from eventstore import EventStore, handle, load, stream_id_for
from tests.api import SEEDER
from tests.helpers import NOW
from tests.integration.ats.test_candidate_process import react

REFERRER = recruiters.recruiter_id_for(UUID("00000000-0000-4000-8000-00000000aa01"))
REDEEMED_AT = NOW - timedelta(hours=1)


async def _refer(store: EventStore, user_id: UUID) -> None:
    await handle(store, referrals.referral, user_id, referrals.RedeemRecruiterCode(
        user_id=user_id, recruiter_id=REFERRER, code_id=uuid4(), code="ABCDEFGH", by=str(user_id), at=REDEEMED_AT),
        SEEDER)


async def _own_record(store: EventStore, user_id: UUID) -> UUID:
    candidate_id = candidate_id_for(user_id)
    await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
        candidate_id=candidate_id, user_id=user_id, full_name="Nora", email=f"{user_id}@example.com", by="t",
        at=NOW), SEEDER)
    return candidate_id


async def _sourcer(store: EventStore, decider, subject_id: UUID) -> sourcers.Sourcer:
    state, _, _ = await load(store, decider, stream_id_for(decider, subject_id))
    return state


async def test_a_referral_recorded_before_the_candidate_record_sources_it_once(fresh_store: EventStore) -> None:
    user_id = uuid4()
    await _refer(fresh_store, user_id)
    await react(fresh_store, referral_sourcing, f"referral-{user_id}")  # no record yet: nothing to source
    assert not (await _sourcer(fresh_store, sourcers.candidate_sourcer, candidate_id_for(user_id))).exists
    candidate_id = await _own_record(fresh_store, user_id)
    await react(fresh_store, referral_sourcing, f"candidate-{candidate_id}", index=0)
    s = await _sourcer(fresh_store, sourcers.candidate_sourcer, candidate_id)
    assert (s.sourcer_recruiter_id, s.sourced_at, s.protection_expires_at) == (
        REFERRER, REDEEMED_AT, REDEEMED_AT + timedelta(days=365))
    [sourced] = await fresh_store.read_stream(f"candidate_sourcer-{candidate_id}")
    assert sourced.data["source_method"] == "referral_code"


async def test_a_referral_recorded_after_the_candidate_record_sources_it(fresh_store: EventStore) -> None:
    user_id = uuid4()
    candidate_id = await _own_record(fresh_store, user_id)
    await react(fresh_store, referral_sourcing, f"candidate-{candidate_id}", index=0)  # no referral yet
    assert not (await _sourcer(fresh_store, sourcers.candidate_sourcer, candidate_id)).exists
    await _refer(fresh_store, user_id)
    await react(fresh_store, referral_sourcing, f"referral-{user_id}")
    assert (await _sourcer(fresh_store, sourcers.candidate_sourcer, candidate_id)).sourcer_recruiter_id == REFERRER


async def test_a_candidate_someone_sourced_first_keeps_their_sourcer(fresh_store: EventStore) -> None:
    user_id, first = uuid4(), uuid4()
    candidate_id = await _own_record(fresh_store, user_id)
    await handle(fresh_store, sourcers.candidate_sourcer, candidate_id, sourcers.ClaimCandidateSourcer(
        candidate_id=candidate_id, sourcer_recruiter_id=first, by="t", at=NOW), SEEDER)
    await _refer(fresh_store, user_id)
    await react(fresh_store, referral_sourcing, f"referral-{user_id}")  # refused by the decider: no error
    assert (await _sourcer(fresh_store, sourcers.candidate_sourcer, candidate_id)).sourcer_recruiter_id == first


async def test_the_company_a_referred_user_creates_is_sourced_by_the_referrer(fresh_store: EventStore) -> None:
    user_id, organization_id = uuid4(), uuid4()
    company_id = orgs.company_id_for(organization_id)
    await _refer(fresh_store, user_id)
    await handle(fresh_store, orgs.organization, organization_id, orgs.CreateOrganization(
        organization_id=organization_id, name="Bea Co", slug="bea-co", company_id=company_id, by="t", at=NOW), SEEDER)
    await handle(fresh_store, orgs.organization, organization_id, orgs.AddMember(
        organization_id=organization_id, user_id=user_id, role="company_admin", by="t", at=NOW), SEEDER)
    await handle(fresh_store, companies.company, company_id, companies.CreateCompany(
        company_id=company_id, identity_organization_id=organization_id, name="Bea Co", slug="bea-co", by="t",
        at=NOW), SEEDER)
    await react(fresh_store, referral_sourcing, f"company-{company_id}", index=0)
    s = await _sourcer(fresh_store, sourcers.company_sourcer, company_id)
    assert (s.sourcer_recruiter_id, s.sourced_at) == (REFERRER, REDEEMED_AT)


async def test_a_company_made_by_someone_not_referred_has_no_sourcer(fresh_store: EventStore) -> None:
    organization_id = uuid4()
    company_id = orgs.company_id_for(organization_id)
    await handle(fresh_store, orgs.organization, organization_id, orgs.CreateOrganization(
        organization_id=organization_id, name="Plain", slug="plain", company_id=company_id, by="t", at=NOW), SEEDER)
    await handle(fresh_store, orgs.organization, organization_id, orgs.AddMember(
        organization_id=organization_id, user_id=uuid4(), role="company_admin", by="t", at=NOW), SEEDER)
    await handle(fresh_store, companies.company, company_id, companies.CreateCompany(
        company_id=company_id, identity_organization_id=organization_id, name="Plain", slug="plain", by="t",
        at=NOW), SEEDER)
    await react(fresh_store, referral_sourcing, f"company-{company_id}", index=0)
    assert not (await _sourcer(fresh_store, sourcers.company_sourcer, company_id)).exists
