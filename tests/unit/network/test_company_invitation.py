"""A company platform invitation (commands/network/company_invitation.py): sent, revoked by its recruiter only,
accepted with its token by a signed-in user within 30 days, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import Conflict, Forbidden, NotFound
from commands.network.company_invitation import (
    AcceptCompanyInvitation,
    InvitationNotPending,
    InvitationTokenMismatch,
    InviteCompanyToPlatform,
    OwnInvitation,
    RevokeCompanyInvitation,
    company_invitation,
    token_digest,
)
from commands.network.company_invitation_events import (
    CompanyPlatformInvitationAccepted,
    CompanyPlatformInvitationCreated,
    CompanyPlatformInvitationRevoked,
)
from commands.network.recruiter import recruiter_id_for
from tests.unit.dsl import given

I = UUID("00000000-0000-4000-8000-0000000000b1")
RECRUITER_USER = UUID("00000000-0000-4000-8000-0000000000e1")
R = recruiter_id_for(RECRUITER_USER)
OTHER_R = UUID("00000000-0000-4000-8000-0000000000a2")
USER = UUID("00000000-0000-4000-8000-0000000000d1")
OTHER_USER = UUID("00000000-0000-4000-8000-0000000000d2")
ORG = UUID("00000000-0000-4000-8000-0000000000f1")
COMPANY = UUID("00000000-0000-4000-8000-0000000000f2")
TOKEN = "a" * 64
AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EXPIRES = AT + timedelta(days=30)


def invite(**changes: object) -> InviteCompanyToPlatform:
    fields = {"invitation_id": I, "recruiter_id": R, "invite_code": "SPLITS-ABC234", "token": TOKEN,
              "invited_email": " Founder@Acme.example ", "company_name_hint": "Acme", "personal_message": "Join us",
              "by": "u", "at": AT}
    return InviteCompanyToPlatform(**(fields | changes))


CREATED = CompanyPlatformInvitationCreated(
    invitation_id=I, recruiter_id=R, invite_code="SPLITS-ABC234", token_digest=token_digest(TOKEN),
    invited_email="founder@acme.example", company_name_hint="Acme", personal_message="Join us", expires_at=EXPIRES,
    by="u", at=AT)


def accept(user_id: UUID = USER, token: str = TOKEN, at: datetime = AT + timedelta(days=2)) -> AcceptCompanyInvitation:
    return AcceptCompanyInvitation(invitation_id=I, token=token, user_id=user_id, organization_id=ORG,
                                   company_id=COMPANY, by=str(user_id), at=at)


ACCEPTED = CompanyPlatformInvitationAccepted(invitation_id=I, recruiter_id=R, accepted_by_user_id=USER,
                                             organization_id=ORG, company_id=COMPANY, by=str(USER),
                                             at=AT + timedelta(days=2))
REVOKED = CompanyPlatformInvitationRevoked(invitation_id=I, recruiter_id=R, by="u", at=AT + timedelta(days=1))


def revoke(by: UUID = R, at: datetime = AT + timedelta(days=1)) -> RevokeCompanyInvitation:
    return RevokeCompanyInvitation(invitation_id=I, by_recruiter_id=by, by="u", at=at)


# --- sending ---------------------------------------------------------------------------------------------------

def test_an_invitation_is_valid_30_days_and_records_the_tokens_digest_only():
    [event] = given(company_invitation).when(invite()).then(CREATED)
    assert TOKEN not in event.model_dump_json()


def test_sending_the_same_invitation_again_records_nothing_and_another_on_its_id_is_refused():
    given(company_invitation, CREATED).when(invite()).then()
    given(company_invitation, CREATED).when(invite(token="b" * 64)).then_raises(Conflict)
    given(company_invitation, CREATED).when(invite(recruiter_id=OTHER_R)).then_raises(Conflict)


@pytest.mark.parametrize("changes", [{"invite_code": "SPLITS-abc234"}, {"invite_code": "ABC234"},
                                     {"invited_email": "not an email"}, {"token": "short"},
                                     {"personal_message": "x" * 2001}, {"company_name_hint": "a\x00b"}])
def test_a_malformed_invitation_is_invalid(changes: dict[str, object]):
    with pytest.raises(ValidationError):
        invite(**changes)


# --- revoking --------------------------------------------------------------------------------------------------

def test_the_recruiter_revokes_a_pending_invitation_once():
    given(company_invitation, CREATED).when(revoke()).then(REVOKED)
    given(company_invitation, CREATED, REVOKED).when(revoke()).then()


def test_only_the_inviting_recruiter_revokes_and_only_while_pending():
    given(company_invitation, CREATED).when(revoke(by=OTHER_R)).then_raises(Forbidden)
    given(company_invitation, CREATED, ACCEPTED).when(revoke()).then_raises(InvitationNotPending)
    given(company_invitation, CREATED).when(revoke(at=EXPIRES)).then_raises(InvitationNotPending)
    given(company_invitation).when(revoke()).then_raises(NotFound)


# --- accepting -------------------------------------------------------------------------------------------------

def test_a_user_holding_the_token_accepts_a_pending_invitation():
    given(company_invitation, CREATED).when(accept()).then(ACCEPTED)
    state = given(company_invitation, CREATED, ACCEPTED).state
    assert (state.status_at(AT), state.company_id, state.accepted_by_user_id) == ("accepted", COMPANY, USER)


def test_accepting_again_records_nothing_and_another_users_acceptance_is_a_conflict():
    given(company_invitation, CREATED, ACCEPTED).when(accept()).then()
    given(company_invitation, CREATED, ACCEPTED).when(accept(OTHER_USER)).then_raises(Conflict)


def test_a_wrong_token_an_expired_or_revoked_invitation_and_the_recruiters_own_account_are_refused():
    given(company_invitation, CREATED).when(accept(token="b" * 64)).then_raises(InvitationTokenMismatch)
    given(company_invitation, CREATED).when(accept(at=EXPIRES - timedelta(seconds=1))).then(
        ACCEPTED.model_copy(update={"at": EXPIRES - timedelta(seconds=1)}))
    refused = given(company_invitation, CREATED).when(accept(at=EXPIRES)).then_raises(InvitationNotPending)
    assert refused.details["invitation_status"] == "expired"
    given(company_invitation, CREATED, REVOKED).when(accept()).then_raises(InvitationNotPending)
    given(company_invitation, CREATED).when(accept(RECRUITER_USER)).then_raises(OwnInvitation)
    given(company_invitation).when(accept()).then_raises(NotFound)


def test_an_expired_invitation_reads_as_expired_from_its_expiry_on():
    state = given(company_invitation, CREATED).state
    assert (state.status_at(EXPIRES - timedelta(microseconds=1)), state.status_at(EXPIRES)) == ("pending", "expired")
