from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import Conflict, Forbidden, NotFound, RuleViolation
from commands.identity.events import InvitationAccepted, InvitationCreated, InvitationExpired, InvitationRevoked
from commands.identity.invitation import (
    AcceptInvitation,
    CreateInvitation,
    ExpireInvitation,
    InvitationEmailMismatch,
    InvitationHasExpired,
    InvitationNotPending,
    RevokeInvitation,
    invitation,
)
from tests.unit.dsl import given

INV = UUID("00000000-0000-4000-8000-0000000000e1")
ORG = UUID("00000000-0000-4000-8000-00000000000a")
COMPANY = UUID("00000000-0000-4000-8000-0000000000c0")
INVITEE = UUID("00000000-0000-4000-8000-0000000000b1")
SOMEONE_ELSE = UUID("00000000-0000-4000-8000-0000000000b2")
INVITER = "user_admin"
INVITEE_ACTOR = "user_bob"
SCHEDULER = "system:scheduler"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # T0 + 7 days, written out so a change to VALID_FOR fails
BEFORE_EXPIRY = EXPIRES - timedelta(microseconds=1)


def create(**overrides: Any) -> CreateInvitation:
    return CreateInvitation(**{"invitation_id": INV, "email": "bob@example.com", "organization_id": ORG,
                               "role": "hiring_manager", "by": INVITER, "at": T0} | overrides)


def created(**overrides: Any) -> InvitationCreated:
    fields = {"invitation_id": INV, "email": "bob@example.com", "organization_id": ORG, "company_id": None,
              "role": "hiring_manager", "invited_by": INVITER, "expires_at": EXPIRES, "at": T0}
    return InvitationCreated(**fields | overrides)


def accept(at: datetime = T0 + timedelta(days=1), email: str = "bob@example.com",
           user_id: UUID = INVITEE) -> AcceptInvitation:
    return AcceptInvitation(invitation_id=INV, user_id=user_id, user_email=email, by=INVITEE_ACTOR, at=at)


def accepted(at: datetime = T0 + timedelta(days=1), **overrides: Any) -> InvitationAccepted:
    fields = {"invitation_id": INV, "organization_id": ORG, "company_id": None, "role": "hiring_manager",
              "user_id": INVITEE, "email": "bob@example.com", "by": INVITEE_ACTOR, "at": at}
    return InvitationAccepted(**fields | overrides)


def revoke(at: datetime = T0 + timedelta(days=1)) -> RevokeInvitation:
    return RevokeInvitation(invitation_id=INV, by=INVITER, at=at)


def revoked(at: datetime = T0 + timedelta(days=1)) -> InvitationRevoked:
    return InvitationRevoked(invitation_id=INV, by=INVITER, at=at)


def expire(at: datetime) -> ExpireInvitation:
    return ExpireInvitation(invitation_id=INV, by=SCHEDULER, at=at)


def expired(at: datetime = EXPIRES) -> InvitationExpired:
    return InvitationExpired(invitation_id=INV, expires_at=EXPIRES, by=SCHEDULER, at=at)


# --- creation -------------------------------------------------------------------------------------

def test_new_invitation_created_expires_seven_days_later():
    given(invitation).when(create()).then(created())


def test_company_scoped_admin_invitation_records_company_and_role():
    given(invitation).when(create(company_id=COMPANY, role="company_admin")).then(
        created(company_id=COMPANY, role="company_admin")
    )


def test_invitation_email_is_lowercased():
    given(invitation).when(create(email=" Bob@Example.COM")).then(created())


def test_invitation_with_bad_email_is_rejected():
    with pytest.raises(ValidationError, match="email"):
        create(email="bob")


def test_invitation_with_unknown_role_is_rejected():
    with pytest.raises(ValidationError, match="role"):
        create(role="recruiter")


def test_existing_invitation_created_again_raises_conflict():
    given(invitation, created()).when(create()).then_raises(Conflict)


@pytest.mark.parametrize("cmd", [accept(), revoke(), expire(EXPIRES)], ids=lambda cmd: type(cmd).__name__)
def test_command_on_missing_invitation_raises_not_found(cmd: Any):
    given(invitation).when(cmd).then_raises(NotFound)


# --- acceptance -----------------------------------------------------------------------------------

def test_pending_invitation_accepted_carries_what_the_membership_needs():
    history = [created(company_id=COMPANY, role="company_admin")]
    given(invitation, *history).when(accept()).then(accepted(company_id=COMPANY, role="company_admin"))


def test_invitation_accepted_just_before_expiry_is_recorded():
    given(invitation, created()).when(accept(at=BEFORE_EXPIRY)).then(accepted(at=BEFORE_EXPIRY))


def test_invitation_accepted_exactly_at_expiry_raises():
    given(invitation, created()).when(accept(at=EXPIRES)).then_raises(InvitationHasExpired, "expired at")


def test_invitation_accepted_after_expiry_raises_rule_violation():
    given(invitation, created()).when(accept(at=EXPIRES + timedelta(days=1))).then_raises(RuleViolation, "expired")


def test_invitation_accepted_with_email_in_other_case_is_recorded():
    given(invitation, created()).when(accept(email="BOB@Example.com")).then(accepted())


def test_invitation_accepted_with_other_email_raises_forbidden():
    given(invitation, created()).when(accept(email="eve@example.com")).then_raises(InvitationEmailMismatch)
    given(invitation, created()).when(accept(email="eve@example.com")).then_raises(Forbidden, "another email")


def test_invitation_accepted_again_by_same_user_is_a_no_op():
    given(invitation, created(), accepted()).when(accept(at=T0 + timedelta(days=2))).then()


def test_invitation_accepted_again_by_same_user_after_expiry_is_a_no_op():
    given(invitation, created(), accepted()).when(accept(at=EXPIRES + timedelta(days=1))).then()


def test_accepted_invitation_accepted_by_another_user_raises():
    given(invitation, created(), accepted()).when(accept(user_id=SOMEONE_ELSE)).then_raises(
        InvitationNotPending, "is accepted"
    )


@pytest.mark.parametrize("history, status", [([revoked()], "revoked"), ([expired()], "expired")])
def test_closed_invitation_accepted_raises(history: list[Any], status: str):
    given(invitation, created(), *history).when(accept()).then_raises(InvitationNotPending, f"is {status}")


# --- revocation -----------------------------------------------------------------------------------

def test_pending_invitation_revoked_records_it():
    given(invitation, created()).when(revoke()).then(revoked())


def test_pending_invitation_past_expiry_revoked_records_it():
    at = EXPIRES + timedelta(days=1)
    given(invitation, created()).when(revoke(at=at)).then(revoked(at=at))


def test_revoked_invitation_revoked_again_is_a_no_op():
    given(invitation, created(), revoked()).when(revoke()).then()


@pytest.mark.parametrize("history, status", [([accepted()], "accepted"), ([expired()], "expired")])
def test_closed_invitation_revoked_raises(history: list[Any], status: str):
    given(invitation, created(), *history).when(revoke()).then_raises(InvitationNotPending, f"is {status}")


# --- expiry ---------------------------------------------------------------------------------------

def test_invitation_expired_before_expiry_is_a_no_op():
    given(invitation, created()).when(expire(BEFORE_EXPIRY)).then()


def test_invitation_expired_exactly_at_expiry_records_it():
    given(invitation, created()).when(expire(EXPIRES)).then(expired())


def test_invitation_expired_after_expiry_records_it():
    at = EXPIRES + timedelta(hours=3)
    given(invitation, created()).when(expire(at)).then(expired(at=at))


@pytest.mark.parametrize("history", [[accepted()], [revoked()], [expired()]], ids=["accepted", "revoked", "expired"])
def test_closed_invitation_expired_is_a_no_op(history: list[Any]):
    given(invitation, created(), *history).when(expire(EXPIRES + timedelta(days=1))).then()
