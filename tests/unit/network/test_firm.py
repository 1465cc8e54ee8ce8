from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import Conflict, Forbidden, NotFound, RuleViolation
from commands.network.events import (
    FirmAdminTakeRateSet,
    FirmCreated,
    FirmInvitationAccepted,
    FirmInvitationCreated,
    FirmInvitationExpired,
    FirmInvitationRevoked,
    FirmMemberAdded,
    FirmMemberRemoved,
    FirmMemberRoleChanged,
    FirmOwnershipTransferred,
    FirmReactivated,
    FirmSuspended,
)
from commands.network.firm import (
    AcceptFirmInvitation,
    AlreadyFirmMember,
    ChangeFirmMemberRole,
    CreateFirm,
    ExpireFirmInvitation,
    FirmCreationNotAllowed,
    FirmInvitationEmailMismatch,
    FirmInvitationHasExpired,
    FirmInvitationNotPending,
    FirmIsSuspended,
    FirmOwnerCannotBeRemoved,
    FirmOwnershipTargetNotAllowed,
    FirmRoleRequired,
    InviteToFirm,
    ReactivateFirm,
    RemoveFirmMember,
    RevokeFirmInvitation,
    SetFirmAdminTakeRate,
    SuspendFirm,
    TransferFirmOwnership,
    firm,
)
from commands.network.recruiter import recruiter_id_for
from tests.unit.dsl import given

F = UUID("00000000-0000-4000-8000-0000000000f1")
OWNER = UUID("00000000-0000-4000-8000-0000000000a1")
ADMIN = UUID("00000000-0000-4000-8000-0000000000a2")
MEMBER = UUID("00000000-0000-4000-8000-0000000000a3")
OUTSIDER = UUID("00000000-0000-4000-8000-0000000000a4")
NEWBIE = UUID("00000000-0000-4000-8000-0000000000a5")
STAFF = UUID("00000000-0000-4000-8000-0000000000a6")  # a platform admin, not a member
INV = UUID("00000000-0000-4000-8000-0000000000e1")
INV2 = UUID("00000000-0000-4000-8000-0000000000e2")
ACTOR = "user_x"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(days=1)
EXPIRES = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # T1 + 7 days, written out so a change to the window fails
BEFORE_EXPIRY = EXPIRES - timedelta(microseconds=1)
NEW_EMAIL = "newbie@example.com"

# Who acts: (by_user_id, is_platform_admin).
ACTORS: dict[str, tuple[UUID, bool]] = {
    "owner": (OWNER, False), "admin": (ADMIN, False), "member": (MEMBER, False), "outsider": (OUTSIDER, False),
    "platform": (STAFF, True),
}
USERS = {"owner": OWNER, "admin": ADMIN, "member": MEMBER}


def acting(who: str) -> dict[str, Any]:
    user_id, is_platform_admin = ACTORS[who]
    return {"by_user_id": user_id, "is_platform_admin": is_platform_admin}


def create(**overrides: Any) -> CreateFirm:
    return CreateFirm(**{"firm_id": F, "name": "Acme Search", "slug": "acme-search", "by_user_id": OWNER,
                         "may_create_firms": True, "by": ACTOR, "at": T0} | overrides)


def created(take_rate: int = 0) -> FirmCreated:
    return FirmCreated(firm_id=F, name="Acme Search", slug="acme-search", owner_user_id=OWNER,
                       admin_take_rate_bps=take_rate, by=ACTOR, at=T0)


def added(user_id: UUID, role: Any, invitation_id: UUID | None = None, at: datetime = T0) -> FirmMemberAdded:
    return FirmMemberAdded(firm_id=F, user_id=user_id, recruiter_id=recruiter_id_for(user_id), role=role,
                           invitation_id=invitation_id, by=ACTOR, at=at)


def invite(who: str = "owner", role: Any = "member", email: str = NEW_EMAIL, invitation_id: UUID = INV,
           at: datetime = T1) -> InviteToFirm:
    return InviteToFirm(firm_id=F, invitation_id=invitation_id, email=email, role=role, **acting(who), by=ACTOR, at=at)


def invitation_created(role: Any = "member", email: str = NEW_EMAIL, invitation_id: UUID = INV,
                       by_user_id: UUID = OWNER, at: datetime = T1) -> FirmInvitationCreated:
    return FirmInvitationCreated(firm_id=F, invitation_id=invitation_id, email=email, role=role,
                                 invited_by_user_id=by_user_id, expires_at=at + timedelta(days=7), by=ACTOR, at=at)


def accept(user_id: UUID = NEWBIE, email: str = NEW_EMAIL, at: datetime = T2,
           invitation_id: UUID = INV) -> AcceptFirmInvitation:
    return AcceptFirmInvitation(firm_id=F, invitation_id=invitation_id, user_id=user_id, user_email=email, by=ACTOR,
                                at=at)


def invitation_accepted(user_id: UUID = NEWBIE, role: Any = "member", at: datetime = T2) -> list[Any]:
    return [FirmInvitationAccepted(firm_id=F, invitation_id=INV, email=NEW_EMAIL, role=role, user_id=user_id,
                                   by=ACTOR, at=at),
            added(user_id, role, invitation_id=INV, at=at)]


def revoke(who: str = "owner", invitation_id: UUID = INV) -> RevokeFirmInvitation:
    return RevokeFirmInvitation(firm_id=F, invitation_id=invitation_id, **acting(who), by=ACTOR, at=T2)


def revoked() -> FirmInvitationRevoked:
    return FirmInvitationRevoked(firm_id=F, invitation_id=INV, by=ACTOR, at=T2)


def expire(at: datetime, invitation_id: UUID = INV) -> ExpireFirmInvitation:
    return ExpireFirmInvitation(firm_id=F, invitation_id=invitation_id, by="system:scheduler", at=at)


def invitation_expired(at: datetime = EXPIRES) -> FirmInvitationExpired:
    return FirmInvitationExpired(firm_id=F, invitation_id=INV, expires_at=EXPIRES, by="system:scheduler", at=at)


def change_role(who: str, user_id: UUID, role: Any) -> ChangeFirmMemberRole:
    return ChangeFirmMemberRole(firm_id=F, user_id=user_id, role=role, **acting(who), by=ACTOR, at=T2)


def role_changed(user_id: UUID, frm: Any, to: Any) -> FirmMemberRoleChanged:
    return FirmMemberRoleChanged(firm_id=F, user_id=user_id, recruiter_id=recruiter_id_for(user_id), from_role=frm,
                                 to_role=to, by=ACTOR, at=T2)


def remove(who: str, user_id: UUID) -> RemoveFirmMember:
    return RemoveFirmMember(firm_id=F, user_id=user_id, **acting(who), by=ACTOR, at=T2)


def removed(user_id: UUID, role: Any) -> FirmMemberRemoved:
    return FirmMemberRemoved(firm_id=F, user_id=user_id, recruiter_id=recruiter_id_for(user_id), role=role,
                             by=ACTOR, at=T2)


def set_rate(who: str, bps: int) -> SetFirmAdminTakeRate:
    return SetFirmAdminTakeRate(firm_id=F, admin_take_rate_bps=bps, **acting(who), by=ACTOR, at=T2)


def rate_set(frm: int, to: int) -> FirmAdminTakeRateSet:
    return FirmAdminTakeRateSet(firm_id=F, from_bps=frm, to_bps=to, by=ACTOR, at=T2)


def transfer(who: str = "owner", to: UUID = ADMIN, entitled: bool = True) -> TransferFirmOwnership:
    return TransferFirmOwnership(firm_id=F, to_user_id=to, target_may_create_firms=entitled, **acting(who), by=ACTOR,
                                 at=T2)


def transferred(frm: UUID = OWNER, to: UUID = ADMIN) -> FirmOwnershipTransferred:
    return FirmOwnershipTransferred(firm_id=F, from_user_id=frm, to_user_id=to, by=ACTOR, at=T2)


def suspend(who: str = "platform") -> SuspendFirm:
    return SuspendFirm(firm_id=F, reason="owner left the Partner plan", **acting(who), by=ACTOR, at=T2)


def suspended() -> FirmSuspended:
    return FirmSuspended(firm_id=F, reason="owner left the Partner plan", by=ACTOR, at=T2)


def reactivate(who: str = "platform") -> ReactivateFirm:
    return ReactivateFirm(firm_id=F, **acting(who), by=ACTOR, at=T2)


def reactivated() -> FirmReactivated:
    return FirmReactivated(firm_id=F, by=ACTOR, at=T2)


CREATED = [created(), added(OWNER, "owner")]
TEAM = [*CREATED, added(ADMIN, "admin"), added(MEMBER, "member")]
SUSPENDED = [*TEAM, suspended()]


def test_team_history_has_its_roles():
    state = given(firm, *TEAM).state
    assert dict(state.members) == {OWNER: "owner", ADMIN: "admin", MEMBER: "member"}
    assert (state.owner_user_id, state.status, state.admin_take_rate_bps) == (OWNER, "active", 0)


# --- creation -------------------------------------------------------------------------------------

def test_firm_created_by_entitled_user_makes_them_owner():
    given(firm).when(create()).then(*CREATED)


def test_firm_created_with_take_rate_records_it():
    given(firm).when(create(admin_take_rate_bps=1500)).then(created(take_rate=1500), added(OWNER, "owner"))


def test_firm_created_without_firm_creation_entitlement_raises_forbidden():
    given(firm).when(create(may_create_firms=False)).then_raises(FirmCreationNotAllowed, "firm_creation")
    given(firm).when(create(may_create_firms=False)).then_raises(Forbidden, "Partner")


def test_firm_creation_retried_is_a_no_op():
    given(firm, *CREATED).when(create()).then()


def test_firm_creation_retried_after_the_plan_lapsed_is_a_no_op():
    given(firm, *CREATED).when(create(may_create_firms=False)).then()


@pytest.mark.parametrize("change", [{"name": "Other"}, {"slug": "other"}, {"by_user_id": ADMIN},
                                    {"admin_take_rate_bps": 1}])
def test_existing_firm_created_again_differently_raises_conflict(change: dict[str, Any]):
    given(firm, *CREATED).when(create(**change)).then_raises(Conflict, "already exists")


@pytest.mark.parametrize("field, value", [("admin_take_rate_bps", -1), ("admin_take_rate_bps", 10_001),
                                          ("slug", "Acme Search"), ("name", " ")])
def test_firm_created_with_bad_field_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        create(**{field: value})


@pytest.mark.parametrize("cmd", [set_rate("owner", 1), invite(), accept(), revoke(), expire(EXPIRES),
                                 change_role("owner", MEMBER, "admin"), remove("owner", MEMBER), transfer(), suspend(),
                                 reactivate()], ids=lambda cmd: type(cmd).__name__)
def test_command_on_missing_firm_raises_not_found(cmd: Any):
    given(firm).when(cmd).then_raises(NotFound)


# --- who may do what: the role matrix -------------------------------------------------------------
# Each table is the rule written out; "ok" means the command is decided, "no" that FirmRoleRequired is raised.

INVITE_RULES = {
    ("owner", "admin"): "ok", ("owner", "member"): "ok",
    ("admin", "admin"): "no", ("admin", "member"): "ok",
    ("member", "admin"): "no", ("member", "member"): "no",
    ("outsider", "admin"): "no", ("outsider", "member"): "no",
    ("platform", "admin"): "ok", ("platform", "member"): "ok",
}


@pytest.mark.parametrize("who, role", INVITE_RULES)
def test_invite_role_matrix(who: str, role: str):
    when = given(firm, *TEAM).when(invite(who, role))
    if INVITE_RULES[who, role] == "ok":
        when.then(invitation_created(role, by_user_id=ACTORS[who][0]))
    else:
        when.then_raises(FirmRoleRequired, f"may not invite a new {role}")


@pytest.mark.parametrize("who, role", INVITE_RULES)
def test_revoke_role_matrix(who: str, role: str):
    when = given(firm, *TEAM, invitation_created(role)).when(revoke(who))
    if INVITE_RULES[who, role] == "ok":
        when.then(revoked())
    else:
        when.then_raises(FirmRoleRequired, f"revoke an invitation as {role}")


# (actor, target, new role) → outcome; the owner's role never changes this way.
ROLE_CHANGE_RULES = {
    ("owner", "admin", "member"): "changed", ("owner", "admin", "admin"): "same",
    ("owner", "member", "admin"): "changed", ("owner", "member", "member"): "same",
    ("admin", "admin", "member"): "no", ("admin", "admin", "admin"): "no",
    ("admin", "member", "admin"): "no", ("admin", "member", "member"): "same",
    ("member", "admin", "member"): "no", ("member", "admin", "admin"): "no",
    ("member", "member", "admin"): "no", ("member", "member", "member"): "no",
    ("outsider", "admin", "member"): "no", ("outsider", "admin", "admin"): "no",
    ("outsider", "member", "admin"): "no", ("outsider", "member", "member"): "no",
    ("platform", "admin", "member"): "changed", ("platform", "admin", "admin"): "same",
    ("platform", "member", "admin"): "changed", ("platform", "member", "member"): "same",
}


@pytest.mark.parametrize("who, target, role", ROLE_CHANGE_RULES)
def test_role_change_matrix(who: str, target: str, role: str):
    when = given(firm, *TEAM).when(change_role(who, USERS[target], role))
    outcome = ROLE_CHANGE_RULES[who, target, role]
    if outcome == "changed":
        when.then(role_changed(USERS[target], target, role))
    elif outcome == "same":
        when.then()
    else:
        when.then_raises(FirmRoleRequired)


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("role", ["admin", "member"])
def test_owner_role_changed_raises_whoever_asks(who: str, role: str):
    given(firm, *TEAM).when(change_role(who, OWNER, role)).then_raises(RuleViolation, "transfer the ownership")


def test_role_changed_of_non_member_raises_not_found():
    given(firm, *TEAM).when(change_role("owner", OUTSIDER, "admin")).then_raises(NotFound, "not a member")


def test_owner_role_cannot_be_given():
    with pytest.raises(ValidationError, match="role"):
        change_role("owner", MEMBER, "owner")


# (actor, target) → outcome; a member removing themself leaves.
REMOVE_RULES = {
    ("owner", "admin"): "ok", ("owner", "member"): "ok",
    ("admin", "admin"): "ok", ("admin", "member"): "ok",
    ("member", "admin"): "no", ("member", "member"): "ok",
    ("outsider", "admin"): "no", ("outsider", "member"): "no",
    ("platform", "admin"): "ok", ("platform", "member"): "ok",
}


@pytest.mark.parametrize("who, target", REMOVE_RULES)
def test_remove_matrix(who: str, target: str):
    when = given(firm, *TEAM).when(remove(who, USERS[target]))
    if REMOVE_RULES[who, target] == "ok":
        when.then(removed(USERS[target], target))
    else:
        when.then_raises(FirmRoleRequired, f"may not remove a {target}")


def test_admin_removing_another_admin_raises_forbidden():
    other_admin = NEWBIE
    given(firm, *TEAM, added(other_admin, "admin")).when(remove("admin", other_admin)).then_raises(FirmRoleRequired)


@pytest.mark.parametrize("who", ACTORS)
def test_owner_removed_raises_whoever_asks(who: str):
    given(firm, *TEAM).when(remove(who, OWNER)).then_raises(FirmOwnerCannotBeRemoved, "transfer the ownership")


REMOVE_ABSENT_RULES = {"owner": "ok", "admin": "ok", "member": "no", "outsider": "no", "platform": "ok"}


@pytest.mark.parametrize("who", REMOVE_ABSENT_RULES)
def test_removing_someone_already_gone(who: str):
    when = given(firm, *TEAM, added(NEWBIE, "member"), removed(NEWBIE, "member")).when(remove(who, NEWBIE))
    if REMOVE_ABSENT_RULES[who] == "ok":
        when.then()
    else:
        when.then_raises(FirmRoleRequired)


def test_member_who_already_left_leaving_again_is_a_no_op():
    given(firm, *TEAM, removed(MEMBER, "member")).when(remove("member", MEMBER)).then()


TAKE_RATE_RULES = {"owner": "ok", "admin": "ok", "member": "no", "outsider": "no", "platform": "ok"}


@pytest.mark.parametrize("who", TAKE_RATE_RULES)
def test_take_rate_matrix(who: str):
    when = given(firm, *TEAM).when(set_rate(who, 2500))
    if TAKE_RATE_RULES[who] == "ok":
        when.then(rate_set(0, 2500))
    else:
        when.then_raises(FirmRoleRequired, "set the admin take rate")


TRANSFER_RULES = {"owner": "ok", "admin": "no", "member": "no", "outsider": "no", "platform": "ok"}


@pytest.mark.parametrize("who", TRANSFER_RULES)
def test_transfer_matrix(who: str):
    when = given(firm, *TEAM).when(transfer(who))
    if TRANSFER_RULES[who] == "ok":
        when.then(transferred())
    else:
        when.then_raises(FirmRoleRequired, "transfer its ownership")


@pytest.mark.parametrize("who", ["owner", "admin", "member", "outsider"])
@pytest.mark.parametrize("make, history", [(suspend, TEAM), (reactivate, SUSPENDED)], ids=["suspend", "reactivate"])
def test_only_platform_admin_suspends_and_reactivates(who: str, make: Any, history: list[Any]):
    given(firm, *history).when(make(who)).then_raises(FirmRoleRequired, "suspend or reactivate")


def test_acting_without_a_user_raises_forbidden():
    cmd = SetFirmAdminTakeRate(firm_id=F, admin_take_rate_bps=1, by=ACTOR, at=T2)
    given(firm, *TEAM).when(cmd).then_raises(FirmRoleRequired, "not a member")


def test_removed_admin_loses_their_authority():
    given(firm, *TEAM, removed(ADMIN, "admin")).when(invite("admin")).then_raises(FirmRoleRequired)


def test_demoted_admin_loses_their_authority():
    given(firm, *TEAM, role_changed(ADMIN, "admin", "member")).when(set_rate("admin", 1)).then_raises(FirmRoleRequired)


def test_promoted_member_gains_authority():
    given(firm, *TEAM, role_changed(MEMBER, "member", "admin")).when(set_rate("member", 1)).then(rate_set(0, 1))


# --- take rate ------------------------------------------------------------------------------------

@pytest.mark.parametrize("bps", [0, 1, 9_999, 10_000])
def test_take_rate_bounds_are_accepted(bps: int):
    given(firm, *TEAM, rate_set(0, 500)).when(set_rate("owner", bps)).then(rate_set(500, bps))


@pytest.mark.parametrize("bps", [-1, 10_001])
def test_take_rate_out_of_bounds_is_rejected(bps: int):
    with pytest.raises(ValidationError, match="admin_take_rate_bps"):
        set_rate("owner", bps)


def test_take_rate_set_to_current_value_is_a_no_op():
    given(firm, *TEAM, rate_set(0, 2500)).when(set_rate("admin", 2500)).then()


def test_take_rate_lands_in_state():
    assert given(firm, *TEAM, rate_set(0, 2500)).state.admin_take_rate_bps == 2500


def test_take_rate_of_suspended_firm_cannot_change():
    given(firm, *SUSPENDED).when(set_rate("owner", 2500)).then_raises(FirmIsSuspended, "take rate")


def test_take_rate_of_suspended_firm_set_to_current_value_is_a_no_op():
    given(firm, *SUSPENDED).when(set_rate("owner", 0)).then()


# --- invitations ----------------------------------------------------------------------------------

def test_invitation_expires_seven_days_later():
    events = given(firm, *TEAM).when(invite()).then(invitation_created())
    assert events[0].expires_at == EXPIRES  # type: ignore[attr-defined]


def test_invitation_email_is_lowercased():
    given(firm, *TEAM).when(invite(email=" NewBie@Example.COM ")).then(invitation_created())


def test_invitation_retried_is_a_no_op():
    given(firm, *TEAM, invitation_created()).when(invite(at=T2)).then()


@pytest.mark.parametrize("change", [{"email": "other@example.com"}, {"role": "admin"}])
def test_invitation_id_reused_for_another_invitation_raises_conflict(change: dict[str, Any]):
    given(firm, *TEAM, invitation_created()).when(invite(**change)).then_raises(Conflict, "already exists")


def test_second_live_invitation_to_the_same_email_raises_conflict():
    given(firm, *TEAM, invitation_created()).when(invite(invitation_id=INV2, at=BEFORE_EXPIRY)).then_raises(
        Conflict, "revoke it first"
    )


@pytest.mark.parametrize("ended", [[revoked()], [invitation_expired()]], ids=["revoked", "expired"])
def test_email_invited_again_after_the_first_invitation_ended(ended: list[Any]):
    given(firm, *TEAM, invitation_created(), *ended).when(invite(invitation_id=INV2, at=T2)).then(
        invitation_created(invitation_id=INV2, at=T2)
    )


def test_email_invited_again_once_the_first_invitation_is_past_its_expiry():
    given(firm, *TEAM, invitation_created()).when(invite(invitation_id=INV2, at=EXPIRES)).then(
        invitation_created(invitation_id=INV2, at=EXPIRES)
    )


def test_suspended_firm_cannot_invite():
    given(firm, *SUSPENDED).when(invite()).then_raises(FirmIsSuspended, "invite new members")


def test_owner_role_cannot_be_invited():
    with pytest.raises(ValidationError, match="role"):
        invite(role="owner")


@pytest.mark.parametrize("role", ["admin", "member"])
def test_invitation_accepted_adds_the_member_with_its_role(role: str):
    given(firm, *TEAM, invitation_created(role)).when(accept()).then(*invitation_accepted(role=role))


def test_accepted_invitation_lands_in_state():
    state = given(firm, *TEAM, invitation_created("admin"), *invitation_accepted(role="admin")).state
    assert state.members[NEWBIE] == "admin"
    assert (state.invitations[INV].status, state.invitations[INV].accepted_by) == ("accepted", NEWBIE)


def test_invitation_accepted_with_email_in_other_case_is_recorded():
    given(firm, *TEAM, invitation_created()).when(accept(email="NEWBIE@example.com")).then(*invitation_accepted())


def test_invitation_accepted_just_before_expiry_is_recorded():
    given(firm, *TEAM, invitation_created()).when(accept(at=BEFORE_EXPIRY)).then(
        *invitation_accepted(at=BEFORE_EXPIRY)
    )


def test_invitation_accepted_exactly_at_expiry_raises():
    given(firm, *TEAM, invitation_created()).when(accept(at=EXPIRES)).then_raises(FirmInvitationHasExpired,
                                                                                   "expired at")


@pytest.mark.parametrize("history", [[], [revoked()], [invitation_expired()]], ids=["pending", "revoked", "expired"])
def test_invitation_accepted_with_another_email_raises_forbidden(history: list[Any]):
    given(firm, *TEAM, invitation_created(), *history).when(accept(email="eve@example.com")).then_raises(
        FirmInvitationEmailMismatch, "another email"
    )


def test_invitation_accepted_again_by_the_same_user_is_a_no_op():
    given(firm, *TEAM, invitation_created(), *invitation_accepted()).when(accept(at=EXPIRES + timedelta(days=1))).then()


def test_accepted_invitation_accepted_by_another_user_raises():
    given(firm, *TEAM, invitation_created(), *invitation_accepted()).when(accept(user_id=OUTSIDER)).then_raises(
        FirmInvitationNotPending, "is accepted"
    )


@pytest.mark.parametrize("history, status", [([revoked()], "revoked"), ([invitation_expired()], "expired")])
def test_closed_invitation_accepted_raises(history: list[Any], status: str):
    given(firm, *TEAM, invitation_created(), *history).when(accept()).then_raises(FirmInvitationNotPending,
                                                                                   f"is {status}")


def test_invitation_accepted_by_a_member_raises_conflict():
    given(firm, *TEAM, invitation_created()).when(accept(user_id=MEMBER)).then_raises(AlreadyFirmMember,
                                                                                       "already a member")


def test_invitation_to_a_suspended_firm_cannot_be_accepted():
    given(firm, *TEAM, invitation_created(), suspended()).when(accept()).then_raises(FirmIsSuspended)


@pytest.mark.parametrize("cmd", [accept(), revoke(), expire(EXPIRES)], ids=lambda cmd: type(cmd).__name__)
def test_unknown_invitation_raises_not_found(cmd: Any):
    given(firm, *TEAM).when(cmd).then_raises(NotFound, "no invitation")


def test_revoked_invitation_revoked_again_is_a_no_op():
    given(firm, *TEAM, invitation_created(), revoked()).when(revoke()).then()


@pytest.mark.parametrize("history, status", [(invitation_accepted(), "accepted"), ([invitation_expired()], "expired")])
def test_closed_invitation_revoked_raises(history: list[Any], status: str):
    given(firm, *TEAM, invitation_created(), *history).when(revoke()).then_raises(FirmInvitationNotPending,
                                                                                   f"is {status}")


def test_suspended_firm_revokes_invitations():
    given(firm, *TEAM, invitation_created(), suspended()).when(revoke()).then(revoked())


def test_invitation_expiry_before_expiry_is_a_no_op():
    given(firm, *TEAM, invitation_created()).when(expire(BEFORE_EXPIRY)).then()


def test_invitation_expiry_exactly_at_expiry_records_it():
    given(firm, *TEAM, invitation_created()).when(expire(EXPIRES)).then(invitation_expired())


def test_invitation_expiry_after_expiry_records_it():
    at = EXPIRES + timedelta(days=3)
    given(firm, *TEAM, invitation_created()).when(expire(at)).then(invitation_expired(at=at))


@pytest.mark.parametrize("history", [invitation_accepted(), [revoked()], [invitation_expired()]],
                         ids=["accepted", "revoked", "expired"])
def test_closed_invitation_expiry_is_a_no_op(history: list[Any]):
    given(firm, *TEAM, invitation_created(), *history).when(expire(EXPIRES + timedelta(days=1))).then()


# --- members --------------------------------------------------------------------------------------

def test_removed_member_lands_in_state():
    assert MEMBER not in given(firm, *TEAM, removed(MEMBER, "member")).state.members


def test_role_change_lands_in_state():
    assert given(firm, *TEAM, role_changed(MEMBER, "member", "admin")).state.members[MEMBER] == "admin"


def test_suspended_firm_still_changes_roles_and_removes_members():
    given(firm, *SUSPENDED).when(change_role("owner", MEMBER, "admin")).then(role_changed(MEMBER, "member", "admin"))
    given(firm, *SUSPENDED).when(remove("owner", MEMBER)).then(removed(MEMBER, "member"))


def test_members_carry_their_recruiter_id():
    events = given(firm).when(create()).then(*CREATED)
    assert events[1].recruiter_id == recruiter_id_for(OWNER)  # type: ignore[attr-defined]


# --- ownership ------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [ADMIN, MEMBER])
def test_ownership_transferred_to_an_entitled_member(target: UUID):
    given(firm, *TEAM).when(transfer(to=target)).then(transferred(to=target))


def test_ownership_transfer_makes_the_previous_owner_an_admin():
    state = given(firm, *TEAM, transferred(to=MEMBER)).state
    assert state.owner_user_id == MEMBER
    assert dict(state.members) == {OWNER: "admin", ADMIN: "admin", MEMBER: "owner"}


def test_ownership_transferred_to_a_non_member_raises():
    given(firm, *TEAM).when(transfer(to=OUTSIDER)).then_raises(FirmOwnershipTargetNotAllowed, "not a member")


def test_ownership_transferred_to_a_member_without_firm_creation_raises():
    given(firm, *TEAM).when(transfer(entitled=False)).then_raises(FirmOwnershipTargetNotAllowed, "firm_creation")


def test_ownership_transferred_to_the_owner_is_a_no_op():
    given(firm, *TEAM).when(transfer(to=OWNER)).then()


def test_previous_owner_can_no_longer_transfer_the_firm():
    given(firm, *TEAM, transferred()).when(transfer("owner", to=MEMBER)).then_raises(FirmRoleRequired)


def test_ownership_transfer_retried_by_the_previous_owner_is_a_no_op():
    given(firm, *TEAM, transferred()).when(transfer("owner", to=ADMIN)).then()


def test_new_owner_holds_the_owner_authority():
    given(firm, *TEAM, transferred()).when(invite("admin", "admin")).then(invitation_created("admin", by_user_id=ADMIN))
    given(firm, *TEAM, transferred()).when(remove("admin", OWNER)).then(removed(OWNER, "admin"))


def test_suspended_firm_transfers_its_ownership():
    given(firm, *SUSPENDED).when(transfer()).then(transferred())


# --- suspension -----------------------------------------------------------------------------------

def test_platform_admin_suspends_firm():
    given(firm, *TEAM).when(suspend()).then(suspended())


def test_suspended_firm_suspended_again_is_a_no_op():
    given(firm, *SUSPENDED).when(suspend()).then()


def test_platform_admin_reactivates_firm():
    given(firm, *SUSPENDED).when(reactivate()).then(reactivated())


def test_active_firm_reactivated_is_a_no_op():
    given(firm, *TEAM).when(reactivate()).then()


def test_suspension_lands_in_state():
    assert given(firm, *SUSPENDED).state.status == "suspended"
    assert given(firm, *SUSPENDED, reactivated()).state.status == "active"


def test_reactivated_firm_grows_again():
    given(firm, *SUSPENDED, reactivated()).when(invite()).then(invitation_created())
