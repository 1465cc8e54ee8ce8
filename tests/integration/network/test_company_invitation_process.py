"""An accepted company platform invitation makes the recruiter and the new company work together as sourcer
(consumers/network/company_invitation_process.py), once however often the acceptance arrives."""

from __future__ import annotations

from uuid import uuid4

from commands.network import company_invitation as ci
from commands.network import recruiter_company as rco
from consumers.network.company_invitation_process import company_invitation_relationships
from eventstore import EventStore, handle, load, stream_id_for
from tests.api import SEEDER
from tests.helpers import NOW
from tests.integration.ats.test_candidate_process import react


async def test_an_accepted_invitation_makes_an_active_sourcer_relationship_once(fresh_store: EventStore) -> None:
    invitation_id, recruiter_id, company_id, token = uuid4(), uuid4(), uuid4(), "c" * 64
    await handle(fresh_store, ci.company_invitation, invitation_id, ci.InviteCompanyToPlatform(
        invitation_id=invitation_id, recruiter_id=recruiter_id, invite_code="SPLITS-ABC234", token=token,
        invited_email="boss@example.com", by="r", at=NOW), SEEDER)
    await handle(fresh_store, ci.company_invitation, invitation_id, ci.AcceptCompanyInvitation(
        invitation_id=invitation_id, token=token, user_id=uuid4(), organization_id=uuid4(), company_id=company_id,
        by="u", at=NOW), SEEDER)
    await react(fresh_store, company_invitation_relationships, f"company_invitation-{invitation_id}")
    relationship_id = rco.recruiter_company_id_for(recruiter_id, company_id)
    s, _, _ = await load(fresh_store, rco.recruiter_company, stream_id_for(rco.recruiter_company, relationship_id))
    assert (s.status, s.relationship_type, s.started_by, s.accepted_by) == ("active", "sourcer", "recruiter", "company")
    assert s.permissions == rco.DEFAULT_PERMISSIONS
    events = [e.type for e in await fresh_store.read_stream(f"recruiter_company-{relationship_id}")]
    assert events == ["RecruiterCompanyConnectionRequested", "RecruiterCompanyAccepted"]
