from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import Conflict, Forbidden, NotFound, RuleViolation
from commands.network.events import (
    RecruiterCompanyAccepted,
    RecruiterCompanyConnectionRequested,
    RecruiterCompanyDeclined,
    RecruiterCompanyInvited,
    RecruiterCompanyPermissionsChanged,
    RecruiterCompanyTerminated,
)
from commands.network.recruiter_candidate import NotAPartyToRelationship
from commands.network.recruiter_company import (
    DEFAULT_PERMISSIONS,
    RECRUITER_COMPANY_PERMISSIONS,
    AcceptRecruiterCompany,
    ChangeRecruiterCompanyPermissions,
    DeclineRecruiterCompany,
    InviteRecruiterToCompany,
    NotTheRespondingSide,
    OnlyCompanyGrantsPermissions,
    RecruiterCompanyNotInStatus,
    RequestCompanyConnection,
    TerminateRecruiterCompany,
    TermsNotAcknowledged,
    grants,
    recruiter_company,
    recruiter_company_id_for,
)
from tests.unit.dsl import given

RECRUITER = UUID("00000000-0000-4000-8000-0000000000a1")
OTHER_RECRUITER = UUID("00000000-0000-4000-8000-0000000000a2")
COMPANY = UUID("00000000-0000-4000-8000-0000000000c1")
OTHER_COMPANY = UUID("00000000-0000-4000-8000-0000000000c2")
REL = recruiter_company_id_for(RECRUITER, COMPANY)
COMPANY_ACTOR = "user_company_admin"
RECRUITER_ACTOR = "user_rec"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
T2 = T0 + timedelta(days=30)
T3 = T0 + timedelta(days=60)
# Written out here so that a change to the constants fails a test.
ALL = ["can_view_jobs", "can_create_jobs", "can_edit_jobs", "can_advance_candidates", "can_view_applications",
       "can_submit_candidates"]
DEFAULTS = ["can_view_jobs", "can_view_applications", "can_submit_candidates"]
PARTY = {"recruiter": RECRUITER, "company": COMPANY}
ACTOR = {"recruiter": RECRUITER_ACTOR, "company": COMPANY_ACTOR}


def invite(**overrides: Any) -> InviteRecruiterToCompany:
    return InviteRecruiterToCompany(**{"recruiter_id": RECRUITER, "company_id": COMPANY, "message": "Work with us",
                                       "by": COMPANY_ACTOR, "at": T0} | overrides)


def invited(permissions: list[str] = DEFAULTS, relationship_type: Any = "recruiter", at: datetime = T0,
            message: str | None = "Work with us") -> RecruiterCompanyInvited:
    return RecruiterCompanyInvited(relationship_id=REL, recruiter_id=RECRUITER, company_id=COMPANY,
                                   relationship_type=relationship_type, permissions=permissions, message=message,
                                   by=COMPANY_ACTOR, at=at)


def request(**overrides: Any) -> RequestCompanyConnection:
    return RequestCompanyConnection(**{"recruiter_id": RECRUITER, "company_id": COMPANY, "message": "Let me help",
                                       "terms_acknowledged": True, "by": RECRUITER_ACTOR, "at": T0} | overrides)


def requested(relationship_type: Any = "recruiter", at: datetime = T0,
              message: str | None = "Let me help") -> RecruiterCompanyConnectionRequested:
    return RecruiterCompanyConnectionRequested(relationship_id=REL, recruiter_id=RECRUITER, company_id=COMPANY,
                                               relationship_type=relationship_type, message=message,
                                               terms_acknowledged_by=RECRUITER_ACTOR, terms_acknowledged_at=at,
                                               by=RECRUITER_ACTOR, at=at)


def accept(side: Any, party_id: UUID | None = None, permissions: Any = None,
           terms_acknowledged: bool = False) -> AcceptRecruiterCompany:
    return AcceptRecruiterCompany(relationship_id=REL, side=side, party_id=party_id or PARTY[side],
                                  permissions=permissions, terms_acknowledged=terms_acknowledged, by=ACTOR[side], at=T1)


def accepted(side: Any, permissions: list[str] = DEFAULTS, terms_at: datetime | None = None,
             relationship_type: Any = "recruiter") -> RecruiterCompanyAccepted:
    # The recruiter acknowledges the terms as they accept, or acknowledged them as they asked (at T0).
    terms_at = terms_at or (T1 if side == "recruiter" else T0)
    return RecruiterCompanyAccepted(relationship_id=REL, recruiter_id=RECRUITER, company_id=COMPANY,
                                    relationship_type=relationship_type, permissions=permissions, accepted_by=side,
                                    terms_acknowledged_by=RECRUITER_ACTOR, terms_acknowledged_at=terms_at,
                                    by=ACTOR[side], at=T1)


def decline(side: Any, party_id: UUID | None = None) -> DeclineRecruiterCompany:
    return DeclineRecruiterCompany(relationship_id=REL, side=side, party_id=party_id or PARTY[side], reason="no fit",
                                   by=ACTOR[side], at=T1)


def declined(side: Any) -> RecruiterCompanyDeclined:
    return RecruiterCompanyDeclined(relationship_id=REL, recruiter_id=RECRUITER, company_id=COMPANY, declined_by=side,
                                    reason="no fit", by=ACTOR[side], at=T1)


def terminate(side: Any, party_id: UUID | None = None, at: datetime = T2) -> TerminateRecruiterCompany:
    return TerminateRecruiterCompany(relationship_id=REL, side=side, party_id=party_id or PARTY[side],
                                     reason="contract ended", by=ACTOR[side], at=at)


def terminated(side: Any, at: datetime = T2) -> RecruiterCompanyTerminated:
    return RecruiterCompanyTerminated(relationship_id=REL, recruiter_id=RECRUITER, company_id=COMPANY,
                                      terminated_by=side, reason="contract ended", by=ACTOR[side], at=at)


def change(permissions: Any, by_company_id: UUID = COMPANY) -> ChangeRecruiterCompanyPermissions:
    return ChangeRecruiterCompanyPermissions(relationship_id=REL, by_company_id=by_company_id,
                                             permissions=frozenset(permissions), by=COMPANY_ACTOR, at=T2)


def changed(frm: list[str], to: list[str]) -> RecruiterCompanyPermissionsChanged:
    return RecruiterCompanyPermissionsChanged(relationship_id=REL, recruiter_id=RECRUITER, company_id=COMPANY,
                                              from_permissions=frm, to_permissions=to, by=COMPANY_ACTOR, at=T2)


# Histories reaching each status, for a relationship the company started and one the recruiter started.
INVITED = [invited()]
REQUESTED = [requested()]
ACTIVE_BY_INVITE = [invited(), accepted("recruiter")]
ACTIVE_BY_REQUEST = [requested(), accepted("company")]
DECLINED_INVITE = [invited(), declined("recruiter")]
DECLINED_REQUEST = [requested(), declined("company")]
TERMINATED = [invited(), accepted("recruiter"), terminated("company")]
WITHDRAWN = [requested(), terminated("recruiter", at=T1)]
ACTIVE = {"invite": ACTIVE_BY_INVITE, "request": ACTIVE_BY_REQUEST}
ENDED = {"declined invite": DECLINED_INVITE, "declined request": DECLINED_REQUEST, "terminated": TERMINATED,
         "withdrawn": WITHDRAWN}
EVERY = {"invited": INVITED, "requested": REQUESTED, **{f"active by {k}": v for k, v in ACTIVE.items()}, **ENDED}


def test_histories_reach_their_status():
    statuses = {name: given(recruiter_company, *history).state.status for name, history in EVERY.items()}
    assert statuses == {"invited": "pending", "requested": "pending", "active by invite": "active",
                        "active by request": "active", "declined invite": "declined",
                        "declined request": "declined", "terminated": "terminated", "withdrawn": "terminated"}


def test_permission_names_and_defaults():
    assert list(RECRUITER_COMPANY_PERMISSIONS) == ALL
    assert DEFAULT_PERMISSIONS == frozenset(DEFAULTS)


def test_relationship_id_is_derived_from_the_pair():
    assert invite().relationship_id == request().relationship_id == REL
    assert recruiter_company_id_for(RECRUITER, OTHER_COMPANY) != REL


@pytest.mark.parametrize("make", [invite, request])
def test_start_with_another_relationship_id_is_rejected(make: Any):
    with pytest.raises(ValidationError, match="recruiter_company_id_for"):
        make(relationship_id=recruiter_company_id_for(OTHER_RECRUITER, COMPANY))


# --- invite ---------------------------------------------------------------------------------------

def test_company_invites_recruiter_with_default_permissions():
    given(recruiter_company).when(invite()).then(invited())


def test_company_invites_recruiter_with_chosen_permissions_listed_in_canonical_order():
    cmd = invite(permissions=frozenset({"can_submit_candidates", "can_create_jobs"}), relationship_type="sourcer")
    given(recruiter_company).when(cmd).then(
        invited(permissions=["can_create_jobs", "can_submit_candidates"], relationship_type="sourcer")
    )


def test_company_invites_recruiter_with_no_permissions():
    given(recruiter_company).when(invite(permissions=frozenset())).then(invited(permissions=[]))


@pytest.mark.parametrize("field, value", [("permissions", frozenset({"can_fire_people"})),
                                          ("relationship_type", "partner")])
def test_invite_with_unknown_value_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        invite(**{field: value})


def test_invitation_retried_is_a_no_op():
    given(recruiter_company, *INVITED).when(invite(at=T1)).then()


@pytest.mark.parametrize("change", [{"message": "Other"}, {"relationship_type": "sourcer"},
                                    {"permissions": frozenset({"can_view_jobs"})}])
def test_invitation_repeated_with_other_terms_raises_conflict(change: dict[str, Any]):
    given(recruiter_company, *INVITED).when(invite(**change)).then_raises(Conflict, "other terms")


def test_invitation_while_the_recruiter_asked_raises_conflict():
    given(recruiter_company, *REQUESTED).when(invite()).then_raises(Conflict, "recruiter has already asked")


@pytest.mark.parametrize("how", ACTIVE)
def test_invitation_while_active_raises_conflict(how: str):
    given(recruiter_company, *ACTIVE[how]).when(invite()).then_raises(Conflict, "already works with")


@pytest.mark.parametrize("how", ENDED)
def test_invitation_after_the_relationship_ended_opens_a_new_round(how: str):
    given(recruiter_company, *ENDED[how]).when(invite(at=T3)).then(invited(at=T3))


def test_new_round_forgets_the_previous_relationship():
    state = given(recruiter_company, *TERMINATED, invited(at=T3)).state
    assert (state.status, state.started_by, state.permissions, state.termination_reason) == (
        "pending", "company", frozenset(), None)
    assert state.relationship_start_date is None and state.relationship_end_date is None


# --- request --------------------------------------------------------------------------------------

def test_recruiter_requests_connection_acknowledging_the_terms():
    given(recruiter_company).when(request()).then(requested())


def test_request_without_acknowledging_the_terms_raises():
    given(recruiter_company).when(request(terms_acknowledged=False)).then_raises(TermsNotAcknowledged, "terms")


def test_request_retried_later_is_a_no_op_and_keeps_the_first_acknowledgement():
    given(recruiter_company, *REQUESTED).when(request(at=T1)).then()
    assert given(recruiter_company, *REQUESTED).state.terms_acknowledged_at == T0


def test_request_repeated_with_another_message_raises_conflict():
    given(recruiter_company, *REQUESTED).when(request(message="Other")).then_raises(Conflict, "other terms")


def test_request_while_the_company_invited_raises_conflict():
    given(recruiter_company, *INVITED).when(request()).then_raises(Conflict, "company has already asked")


@pytest.mark.parametrize("how", ACTIVE)
def test_request_while_active_raises_conflict(how: str):
    given(recruiter_company, *ACTIVE[how]).when(request()).then_raises(Conflict, "already works with")


@pytest.mark.parametrize("how", ENDED)
def test_request_after_the_relationship_ended_opens_a_new_round(how: str):
    given(recruiter_company, *ENDED[how]).when(request(at=T3)).then(requested(at=T3))


@pytest.mark.parametrize("cmd", [accept("company"), decline("company"), terminate("company"), change(DEFAULTS)],
                         ids=lambda cmd: type(cmd).__name__)
def test_command_on_missing_relationship_raises_not_found(cmd: Any):
    given(recruiter_company).when(cmd).then_raises(NotFound)


# --- accept ---------------------------------------------------------------------------------------

def test_invited_recruiter_accepts_with_the_terms_and_gets_the_invited_permissions():
    history = [invited(permissions=["can_view_jobs", "can_create_jobs"])]
    given(recruiter_company, *history).when(accept("recruiter", terms_acknowledged=True)).then(
        accepted("recruiter", permissions=["can_view_jobs", "can_create_jobs"])
    )


def test_invited_recruiter_accepting_without_the_terms_raises():
    given(recruiter_company, *INVITED).when(accept("recruiter")).then_raises(TermsNotAcknowledged)


def test_invited_recruiter_accepting_with_permissions_raises_forbidden():
    cmd = accept("recruiter", permissions=frozenset(ALL), terms_acknowledged=True)
    given(recruiter_company, *INVITED).when(cmd).then_raises(OnlyCompanyGrantsPermissions)


def test_company_accepts_request_with_default_permissions():
    given(recruiter_company, *REQUESTED).when(accept("company")).then(accepted("company"))


def test_company_accepts_request_with_chosen_permissions():
    cmd = accept("company", permissions=frozenset({"can_edit_jobs", "can_view_jobs"}))
    given(recruiter_company, *REQUESTED).when(cmd).then(
        accepted("company", permissions=["can_view_jobs", "can_edit_jobs"])
    )


def test_company_accepts_request_granting_nothing():
    given(recruiter_company, *REQUESTED).when(accept("company", permissions=frozenset())).then(
        accepted("company", permissions=[])
    )


def test_sourcer_request_accepted_keeps_its_type():
    given(recruiter_company, requested(relationship_type="sourcer")).when(accept("company")).then(
        accepted("company", relationship_type="sourcer")
    )


@pytest.mark.parametrize("history, starter", [(INVITED, "company"), (REQUESTED, "recruiter")])
def test_starting_side_accepting_its_own_proposal_raises_forbidden(history: list[Any], starter: str):
    given(recruiter_company, *history).when(accept(starter, terms_acknowledged=True)).then_raises(
        NotTheRespondingSide, f"only the {'recruiter' if starter == 'company' else 'company'} can accept"
    )


@pytest.mark.parametrize("how, responder", [("invite", "recruiter"), ("request", "company")])
def test_acceptance_retried_is_a_no_op(how: str, responder: str):
    given(recruiter_company, *ACTIVE[how]).when(accept(responder, terms_acknowledged=True)).then()


@pytest.mark.parametrize("how, starter", [("invite", "company"), ("request", "recruiter")])
def test_active_relationship_accepted_by_its_starter_raises(how: str, starter: str):
    given(recruiter_company, *ACTIVE[how]).when(accept(starter, terms_acknowledged=True)).then_raises(
        RecruiterCompanyNotInStatus, "is active"
    )


@pytest.mark.parametrize("how", ENDED)
@pytest.mark.parametrize("side", ["recruiter", "company"])
def test_ended_relationship_accepted_raises(how: str, side: str):
    given(recruiter_company, *ENDED[how]).when(accept(side, terms_acknowledged=True)).then_raises(
        RecruiterCompanyNotInStatus, "only be accepted when pending"
    )


def test_acceptance_lands_in_state():
    state = given(recruiter_company, *ACTIVE_BY_REQUEST).state
    assert (state.status, state.accepted_by, state.relationship_start_date) == ("active", "company", T1)
    assert state.permissions == DEFAULT_PERMISSIONS
    assert (state.terms_acknowledged_by, state.terms_acknowledged_at) == (RECRUITER_ACTOR, T0)


# --- parties --------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [accept, decline, terminate], ids=["accept", "decline", "terminate"])
@pytest.mark.parametrize("side, stranger", [("recruiter", OTHER_RECRUITER), ("company", OTHER_COMPANY),
                                            ("recruiter", COMPANY), ("company", RECRUITER)])
def test_stranger_acting_on_relationship_raises_forbidden(make: Any, side: str, stranger: UUID):
    given(recruiter_company, *REQUESTED).when(make(side, stranger)).then_raises(NotAPartyToRelationship)
    given(recruiter_company, *ACTIVE_BY_INVITE).when(make(side, stranger)).then_raises(Forbidden, "not a party")


# --- decline --------------------------------------------------------------------------------------

@pytest.mark.parametrize("history, responder", [(INVITED, "recruiter"), (REQUESTED, "company")])
def test_responder_declines_pending_relationship(history: list[Any], responder: str):
    given(recruiter_company, *history).when(decline(responder)).then(declined(responder))


@pytest.mark.parametrize("history, starter", [(INVITED, "company"), (REQUESTED, "recruiter")])
def test_starting_side_declining_raises_forbidden(history: list[Any], starter: str):
    given(recruiter_company, *history).when(decline(starter)).then_raises(NotTheRespondingSide, "decline")


@pytest.mark.parametrize("history, responder", [(DECLINED_INVITE, "recruiter"), (DECLINED_REQUEST, "company")])
def test_decline_retried_is_a_no_op(history: list[Any], responder: str):
    given(recruiter_company, *history).when(decline(responder)).then()


@pytest.mark.parametrize("history", [*ACTIVE.values(), TERMINATED, WITHDRAWN, DECLINED_INVITE],
                         ids=["active by invite", "active by request", "terminated", "withdrawn", "declined"])
def test_relationship_not_pending_declined_raises(history: list[Any]):
    given(recruiter_company, *history).when(decline("company")).then_raises(RecruiterCompanyNotInStatus,
                                                                            "only be declined when pending")


# --- terminate ------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ACTIVE)
@pytest.mark.parametrize("side", ["recruiter", "company"])
def test_active_relationship_terminated_by_either_side(how: str, side: str):
    given(recruiter_company, *ACTIVE[how]).when(terminate(side)).then(terminated(side))


@pytest.mark.parametrize("history, starter", [(INVITED, "company"), (REQUESTED, "recruiter")])
def test_starting_side_withdraws_pending_relationship(history: list[Any], starter: str):
    given(recruiter_company, *history).when(terminate(starter, at=T1)).then(terminated(starter, at=T1))


@pytest.mark.parametrize("history, responder", [(INVITED, "recruiter"), (REQUESTED, "company")])
def test_responder_terminating_pending_relationship_raises(history: list[Any], responder: str):
    given(recruiter_company, *history).when(terminate(responder)).then_raises(RuleViolation, "decline it instead")


@pytest.mark.parametrize("history", [TERMINATED, WITHDRAWN], ids=["terminated", "withdrawn"])
@pytest.mark.parametrize("side", ["recruiter", "company"])
def test_termination_retried_is_a_no_op(history: list[Any], side: str):
    given(recruiter_company, *history).when(terminate(side)).then()


@pytest.mark.parametrize("history", [DECLINED_INVITE, DECLINED_REQUEST], ids=["invite", "request"])
def test_declined_relationship_terminated_raises(history: list[Any]):
    given(recruiter_company, *history).when(terminate("company")).then_raises(RecruiterCompanyNotInStatus,
                                                                              "is declined")


def test_termination_reason_is_required():
    with pytest.raises(ValidationError, match="reason"):
        TerminateRecruiterCompany(relationship_id=REL, side="company", party_id=COMPANY, reason="",
                                  by=COMPANY_ACTOR, at=T2)


def test_termination_lands_in_state_and_revokes_every_permission():
    state = given(recruiter_company, *TERMINATED).state
    assert (state.status, state.terminated_by, state.termination_reason) == ("terminated", "company", "contract ended")
    assert state.relationship_end_date == T2 and state.permissions == frozenset()


# --- permissions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ACTIVE)
def test_company_changes_permissions_of_active_relationship(how: str):
    given(recruiter_company, *ACTIVE[how]).when(change({"can_view_jobs", "can_advance_candidates"})).then(
        changed(DEFAULTS, ["can_view_jobs", "can_advance_candidates"])
    )


def test_company_grants_every_permission():
    given(recruiter_company, *ACTIVE_BY_INVITE).when(change(ALL)).then(changed(DEFAULTS, ALL))


def test_company_revokes_every_permission():
    given(recruiter_company, *ACTIVE_BY_INVITE).when(change(set())).then(changed(DEFAULTS, []))


def test_permissions_changed_to_current_ones_is_a_no_op():
    given(recruiter_company, *ACTIVE_BY_INVITE).when(change(DEFAULTS)).then()


def test_permissions_changed_twice_the_second_is_a_no_op():
    given(recruiter_company, *ACTIVE_BY_INVITE, changed(DEFAULTS, ALL)).when(change(ALL)).then()


@pytest.mark.parametrize("name", ["invited", "requested", *ENDED])
def test_permissions_of_relationship_not_active_cannot_change(name: str):
    given(recruiter_company, *EVERY[name]).when(change(ALL)).then_raises(RecruiterCompanyNotInStatus,
                                                                        "only be given new permissions when active")


@pytest.mark.parametrize("stranger", [OTHER_COMPANY, RECRUITER])
def test_permissions_changed_by_another_company_raises_forbidden(stranger: UUID):
    given(recruiter_company, *ACTIVE_BY_INVITE).when(change(ALL, by_company_id=stranger)).then_raises(
        NotAPartyToRelationship
    )


def test_unknown_permission_is_rejected():
    with pytest.raises(ValidationError, match="permissions"):
        change({"can_sign_contracts"})


# --- grants ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("permission", ALL)
def test_active_relationship_grants_exactly_its_permissions(permission: Any):
    state = given(recruiter_company, *ACTIVE_BY_INVITE).state
    assert grants(state, permission) is (permission in DEFAULTS)


def test_changed_permissions_are_granted():
    state = given(recruiter_company, *ACTIVE_BY_INVITE, changed(DEFAULTS, ["can_create_jobs"])).state
    assert grants(state, "can_create_jobs") and not grants(state, "can_view_jobs")


@pytest.mark.parametrize("name", ["invited", "requested", *ENDED])
def test_relationship_not_active_grants_nothing(name: str):
    state = given(recruiter_company, *EVERY[name]).state
    assert not any(grants(state, permission) for permission in ALL)
