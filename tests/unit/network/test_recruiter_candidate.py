from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import Conflict, Forbidden, NotFound, RuleViolation
from commands.network.events import (
    RecruiterCandidateConsentDeclined,
    RecruiterCandidateConsentGiven,
    RecruiterCandidateConsentRefused,
    RecruiterCandidateExpired,
    RecruiterCandidateInvitationCancelled,
    RecruiterCandidateInvitationExpired,
    RecruiterCandidateInvitationResent,
    RecruiterCandidateInvited,
    RecruiterCandidateStatus,
    RecruiterCandidateTerminated,
)
from commands.network.recruiter_candidate import (
    CancelCandidateInvitation,
    CandidateInvitationHasExpired,
    CandidateInvitationTokenMismatch,
    DeclineConsent,
    ExpireCandidateInvitation,
    ExpireRecruiterCandidate,
    GiveConsent,
    InviteCandidate,
    NotAPartyToRelationship,
    RecruiterCandidateNotInStatus,
    RefuseConsent,
    RelationshipAlreadyEnded,
    ResendCandidateInvitation,
    TerminateRecruiterCandidate,
    is_active_at,
    one_year_after,
    recruiter_candidate,
    recruiter_candidate_id_for,
    token_digest,
)
from tests.unit.dsl import given

RECRUITER = UUID("00000000-0000-4000-8000-0000000000a1")
OTHER_RECRUITER = UUID("00000000-0000-4000-8000-0000000000a2")
CANDIDATE = UUID("00000000-0000-4000-8000-0000000000c1")
OTHER_CANDIDATE = UUID("00000000-0000-4000-8000-0000000000c2")
CANDIDATE_USER = UUID("00000000-0000-4000-8000-0000000000b1")
OTHER_USER = UUID("00000000-0000-4000-8000-0000000000b2")
REL = recruiter_candidate_id_for(RECRUITER, CANDIDATE)
INV1 = UUID("00000000-0000-4000-8000-0000000000e1")
INV2 = UUID("00000000-0000-4000-8000-0000000000e2")
TOKEN = "0f" * 32
TOKEN2 = "1e" * 32
WRONG_TOKEN = "2d" * 32
DIGEST = hashlib.sha256(TOKEN.encode()).hexdigest()
DIGEST2 = hashlib.sha256(TOKEN2.encode()).hexdigest()
RECRUITER_ACTOR = "user_rec"
CANDIDATE_ACTOR = "anonymous"
SCHEDULER = "system:scheduler"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # T0 + 7 days, written out so a change to the window fails
BEFORE_EXPIRY = EXPIRES - timedelta(microseconds=1)
CONSENT_AT = T0 + timedelta(days=1)
END = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)  # CONSENT_AT + 1 year
BEFORE_END = END - timedelta(microseconds=1)
LATER = T0 + timedelta(days=30)
IP, UA = "203.0.113.7", "Mozilla/5.0"
STATUSES: tuple[RecruiterCandidateStatus, ...] = (
    "pending", "invitation_expired", "active", "declined", "cancelled", "terminated", "expired"
)


def invite(token: str = TOKEN, at: datetime = T0, invitation_id: UUID = INV1, **overrides: Any) -> InviteCandidate:
    return InviteCandidate(**{"recruiter_id": RECRUITER, "candidate_id": CANDIDATE, "invitation_id": invitation_id,
                              "token": token, "by": RECRUITER_ACTOR, "at": at} | overrides)


def invited(digest: str = DIGEST, at: datetime = T0, invitation_id: UUID = INV1) -> RecruiterCandidateInvited:
    return RecruiterCandidateInvited(relationship_id=REL, recruiter_id=RECRUITER, candidate_id=CANDIDATE,
                                     invitation_id=invitation_id, token_digest=digest,
                                     invitation_expires_at=at + timedelta(days=7), by=RECRUITER_ACTOR, at=at)


def resend(token: str = TOKEN2, at: datetime = LATER, by_recruiter_id: UUID = RECRUITER) -> ResendCandidateInvitation:
    return ResendCandidateInvitation(relationship_id=REL, by_recruiter_id=by_recruiter_id, invitation_id=INV2,
                                     token=token, by=RECRUITER_ACTOR, at=at)


def resent(digest: str = DIGEST2, at: datetime = LATER) -> RecruiterCandidateInvitationResent:
    return RecruiterCandidateInvitationResent(relationship_id=REL, recruiter_id=RECRUITER, candidate_id=CANDIDATE,
                                              invitation_id=INV2, token_digest=digest,
                                              invitation_expires_at=at + timedelta(days=7), by=RECRUITER_ACTOR, at=at)


def cancel(by_recruiter_id: UUID = RECRUITER) -> CancelCandidateInvitation:
    return CancelCandidateInvitation(relationship_id=REL, by_recruiter_id=by_recruiter_id, by=RECRUITER_ACTOR,
                                     at=CONSENT_AT)


def cancelled() -> RecruiterCandidateInvitationCancelled:
    return RecruiterCandidateInvitationCancelled(relationship_id=REL, recruiter_id=RECRUITER, candidate_id=CANDIDATE,
                                                 by=RECRUITER_ACTOR, at=CONSENT_AT)


def consent(token: str = TOKEN, at: datetime = CONSENT_AT, user_id: UUID | None = CANDIDATE_USER) -> GiveConsent:
    return GiveConsent(relationship_id=REL, token=token, user_id=user_id, ip_address=IP, user_agent=UA,
                       by=CANDIDATE_ACTOR, at=at)


def consented(at: datetime = CONSENT_AT, end: datetime = END,
              user_id: UUID | None = CANDIDATE_USER) -> RecruiterCandidateConsentGiven:
    return RecruiterCandidateConsentGiven(relationship_id=REL, recruiter_id=RECRUITER, candidate_id=CANDIDATE,
                                          user_id=user_id, ip_address=IP, user_agent=UA, relationship_start_date=at,
                                          relationship_end_date=end, by=CANDIDATE_ACTOR, at=at)


def decline(token: str = TOKEN, at: datetime = CONSENT_AT) -> DeclineConsent:
    return DeclineConsent(relationship_id=REL, token=token, reason="not looking", by=CANDIDATE_ACTOR, at=at)


def declined(at: datetime = CONSENT_AT) -> RecruiterCandidateConsentDeclined:
    return RecruiterCandidateConsentDeclined(relationship_id=REL, recruiter_id=RECRUITER, candidate_id=CANDIDATE,
                                             reason="not looking", by=CANDIDATE_ACTOR, at=at)


def terminate(side: Any = "recruiter", party_id: UUID = RECRUITER, at: datetime = LATER) -> TerminateRecruiterCandidate:
    return TerminateRecruiterCandidate(relationship_id=REL, side=side, party_id=party_id, reason="moved on",
                                       by=RECRUITER_ACTOR, at=at)


def terminated(side: Any = "recruiter", at: datetime = LATER) -> RecruiterCandidateTerminated:
    return RecruiterCandidateTerminated(relationship_id=REL, recruiter_id=RECRUITER, candidate_id=CANDIDATE,
                                        terminated_by=side, reason="moved on", by=RECRUITER_ACTOR, at=at)


def expire_invitation(at: datetime) -> ExpireCandidateInvitation:
    return ExpireCandidateInvitation(relationship_id=REL, by=SCHEDULER, at=at)


def invitation_expired(at: datetime = EXPIRES, expires_at: datetime = EXPIRES) -> RecruiterCandidateInvitationExpired:
    return RecruiterCandidateInvitationExpired(relationship_id=REL, recruiter_id=RECRUITER, candidate_id=CANDIDATE,
                                               invitation_expires_at=expires_at, by=SCHEDULER, at=at)


def expire(at: datetime) -> ExpireRecruiterCandidate:
    return ExpireRecruiterCandidate(relationship_id=REL, by=SCHEDULER, at=at)


def expired(at: datetime = END) -> RecruiterCandidateExpired:
    return RecruiterCandidateExpired(relationship_id=REL, recruiter_id=RECRUITER, candidate_id=CANDIDATE,
                                     relationship_end_date=END, by=SCHEDULER, at=at)


# A history reaching each status.
HISTORY: dict[RecruiterCandidateStatus, list[Any]] = {
    "pending": [invited()],
    "invitation_expired": [invited(), invitation_expired()],
    "active": [invited(), consented()],
    "declined": [invited(), declined()],
    "cancelled": [invited(), cancelled()],
    "terminated": [invited(), consented(), terminated()],
    "expired": [invited(), consented(), expired()],
}
ENDED = ("declined", "cancelled", "terminated", "expired")
AWAITING = ("pending", "invitation_expired")


def others(*allowed: str) -> list[str]:
    return [status for status in STATUSES if status not in allowed]


def test_each_history_reaches_its_status():
    for status, history in HISTORY.items():
        assert given(recruiter_candidate, *history).state.status == status


# --- ids, tokens and dates ------------------------------------------------------------------------

def test_relationship_id_is_derived_from_the_pair():
    assert recruiter_candidate_id_for(RECRUITER, CANDIDATE) == REL
    assert recruiter_candidate_id_for(RECRUITER, OTHER_CANDIDATE) != REL
    assert recruiter_candidate_id_for(CANDIDATE, RECRUITER) != REL
    assert invite().relationship_id == REL


def test_invite_with_another_relationship_id_is_rejected():
    with pytest.raises(ValidationError, match="recruiter_candidate_id_for"):
        invite(relationship_id=recruiter_candidate_id_for(OTHER_RECRUITER, CANDIDATE))


def test_token_digest_is_the_sha256_hex_digest():
    assert token_digest(TOKEN) == DIGEST
    assert len(DIGEST) == 64


@pytest.mark.parametrize("token", ["", "abc", "f" * 31, "f" * 257])
def test_token_of_bad_length_is_rejected(token: str):
    with pytest.raises(ValidationError, match="token"):
        invite(token=token)


def test_events_never_carry_the_token():
    events = given(recruiter_candidate).when(invite()).then(invited())
    events += given(recruiter_candidate, invited()).when(resend()).then(resent())
    assert all(TOKEN not in e.model_dump_json() and TOKEN2 not in e.model_dump_json() for e in events)


def test_one_year_after_keeps_the_date():
    assert one_year_after(CONSENT_AT) == END


def test_one_year_after_29_february_ends_on_28_february():
    assert one_year_after(datetime(2028, 2, 29, 12, 0, tzinfo=UTC)) == datetime(2029, 2, 28, 12, 0, tzinfo=UTC)


def test_consent_requires_ip_and_user_agent_to_be_passed():
    with pytest.raises(ValidationError, match="ip_address"):
        GiveConsent(relationship_id=REL, token=TOKEN, user_agent=UA,  # type: ignore[call-arg]
                    by=CANDIDATE_ACTOR, at=T0)


# --- invitation -----------------------------------------------------------------------------------

def test_new_pair_invited_stores_the_token_digest_and_expires_seven_days_later():
    given(recruiter_candidate).when(invite()).then(invited())


def test_invitation_state_keeps_digest_and_expiry():
    state = given(recruiter_candidate, invited()).state
    assert (state.status, state.token_digest, state.invitation_expires_at) == ("pending", DIGEST, EXPIRES)
    assert (state.recruiter_id, state.candidate_id, state.invited_at) == (RECRUITER, CANDIDATE, T0)


@pytest.mark.parametrize("status", STATUSES)
def test_invitation_retried_with_same_token_is_a_no_op(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(invite()).then()


@pytest.mark.parametrize("status", ENDED)
def test_ended_pair_invited_again_opens_a_new_round(status: RecruiterCandidateStatus):
    history = HISTORY[status]
    given(recruiter_candidate, *history).when(invite(TOKEN2, at=LATER, invitation_id=INV2)).then(
        invited(DIGEST2, at=LATER, invitation_id=INV2)
    )


def test_new_round_forgets_the_previous_relationship():
    history = HISTORY["terminated"] + [invited(DIGEST2, at=LATER + timedelta(days=1), invitation_id=INV2)]
    state = given(recruiter_candidate, *history).state
    assert state.status == "pending" and state.token_digest == DIGEST2 and state.invitation_id == INV2
    assert state.relationship_end_date is None and state.termination_reason is None
    assert state.consent_given_at is None and state.terminated_by is None


@pytest.mark.parametrize("status", AWAITING)
def test_unanswered_pair_invited_again_raises_conflict(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(invite(TOKEN2)).then_raises(Conflict, "resend it instead")


def test_represented_pair_invited_again_raises_conflict():
    given(recruiter_candidate, *HISTORY["active"]).when(invite(TOKEN2)).then_raises(Conflict, "already represents")


@pytest.mark.parametrize("cmd", [resend(), cancel(), consent(), decline(), terminate(), expire_invitation(EXPIRES),
                                 expire(END)], ids=lambda cmd: type(cmd).__name__)
def test_command_on_missing_relationship_raises_not_found(cmd: Any):
    given(recruiter_candidate).when(cmd).then_raises(NotFound)


# --- resend ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", AWAITING)
def test_unanswered_invitation_resent_with_new_token_and_new_expiry(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(resend()).then(resent())


def test_pending_invitation_past_expiry_resent():
    given(recruiter_candidate, invited()).when(resend(at=EXPIRES)).then(resent(at=EXPIRES))


def test_resent_invitation_resent_again_with_same_token_is_a_no_op():
    given(recruiter_candidate, invited(), resent()).when(resend()).then()


def test_pending_invitation_resent_with_its_current_token_is_a_no_op():
    given(recruiter_candidate, invited()).when(resend(token=TOKEN)).then()


def test_lapsed_invitation_resent_with_its_old_token_issues_a_new_expiry():
    given(recruiter_candidate, *HISTORY["invitation_expired"]).when(resend(token=TOKEN)).then(resent(digest=DIGEST))


@pytest.mark.parametrize("status", others(*AWAITING))
def test_answered_invitation_resent_raises(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(resend()).then_raises(RecruiterCandidateNotInStatus, "resent")


def test_invitation_resent_by_another_recruiter_raises_forbidden():
    given(recruiter_candidate, invited()).when(resend(by_recruiter_id=OTHER_RECRUITER)).then_raises(
        NotAPartyToRelationship
    )


def test_resent_invitation_replaces_the_old_token():
    history = [invited(), resent()]
    given(recruiter_candidate, *history).when(consent(TOKEN, at=LATER)).then_raises(CandidateInvitationTokenMismatch)
    given(recruiter_candidate, *history).when(consent(TOKEN2, at=LATER)).then(
        consented(at=LATER, end=one_year_after(LATER))
    )


def test_resent_invitation_can_be_consented_to_until_its_new_expiry():
    new_expiry = LATER + timedelta(days=7)
    history = [invited(), invitation_expired(), resent()]
    at = new_expiry - timedelta(microseconds=1)
    given(recruiter_candidate, *history).when(consent(TOKEN2, at=at)).then(consented(at=at, end=one_year_after(at)))
    given(recruiter_candidate, *history).when(consent(TOKEN2, at=new_expiry)).then_raises(CandidateInvitationHasExpired)


# --- cancel ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", AWAITING)
def test_unanswered_invitation_cancelled_by_its_recruiter(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(cancel()).then(cancelled())


def test_cancelled_invitation_cancelled_again_is_a_no_op():
    given(recruiter_candidate, *HISTORY["cancelled"]).when(cancel()).then()


@pytest.mark.parametrize("status", others(*AWAITING, "cancelled"))
def test_answered_invitation_cancelled_raises(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(cancel()).then_raises(RecruiterCandidateNotInStatus, "cancelled")


def test_invitation_cancelled_by_another_recruiter_raises_forbidden():
    given(recruiter_candidate, invited()).when(cancel(OTHER_RECRUITER)).then_raises(Forbidden, "not a party")


def test_cancelled_invitation_cannot_be_consented_to():
    given(recruiter_candidate, *HISTORY["cancelled"]).when(consent()).then_raises(
        RecruiterCandidateNotInStatus, "is cancelled"
    )


# --- consent --------------------------------------------------------------------------------------

def test_pending_invitation_consented_starts_a_one_year_relationship():
    given(recruiter_candidate, invited()).when(consent()).then(consented())


def test_consent_without_a_signed_in_user_is_recorded():
    given(recruiter_candidate, invited()).when(consent(user_id=None)).then(consented(user_id=None))


def test_consent_lands_in_state():
    state = given(recruiter_candidate, invited(), consented()).state
    assert (state.status, state.consent_given_at, state.consent_ip_address, state.consent_user_agent) == (
        "active", CONSENT_AT, IP, UA)
    assert (state.relationship_start_date, state.relationship_end_date) == (CONSENT_AT, END)


def test_consent_at_the_moment_of_invitation_is_recorded():
    given(recruiter_candidate, invited()).when(consent(at=T0)).then(consented(at=T0, end=one_year_after(T0)))


def test_consent_just_before_expiry_is_recorded():
    given(recruiter_candidate, invited()).when(consent(at=BEFORE_EXPIRY)).then(
        consented(at=BEFORE_EXPIRY, end=one_year_after(BEFORE_EXPIRY))
    )


def test_consent_exactly_at_expiry_raises():
    given(recruiter_candidate, invited()).when(consent(at=EXPIRES)).then_raises(CandidateInvitationHasExpired,
                                                                                 "expired at")


def test_consent_after_expiry_raises_rule_violation():
    given(recruiter_candidate, invited()).when(consent(at=LATER)).then_raises(RuleViolation, "resend")


def test_consent_to_a_lapsed_invitation_raises_even_before_its_recorded_expiry():
    # The scheduler recorded the lapse: the status decides, not the clock of the command.
    history = [invited(), invitation_expired()]
    given(recruiter_candidate, *history).when(consent(at=BEFORE_EXPIRY)).then_raises(CandidateInvitationHasExpired)


@pytest.mark.parametrize("status", STATUSES)
def test_consent_with_wrong_token_raises_forbidden_whatever_the_status(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(consent(WRONG_TOKEN)).then_raises(
        CandidateInvitationTokenMismatch, "not the current one"
    )


def refuse(token: str = TOKEN, reason: Any = "consenter_has_another_record") -> RefuseConsent:
    return RefuseConsent(relationship_id=REL, token=token, user_id=OTHER_USER, reason=reason, ip_address=IP,
                         user_agent=UA, by="user_other", at=CONSENT_AT)


def refused(reason: Any = "consenter_has_another_record") -> RecruiterCandidateConsentRefused:
    return RecruiterCandidateConsentRefused(relationship_id=REL, recruiter_id=RECRUITER, candidate_id=CANDIDATE,
                                            user_id=OTHER_USER, reason=reason, ip_address=IP, user_agent=UA,
                                            by="user_other", at=CONSENT_AT)


@pytest.mark.parametrize("status", STATUSES)
def test_a_consent_from_someone_not_the_candidate_is_recorded_as_refused_whatever_the_status(
        status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(refuse(reason="email_mismatch")).then(
        refused(reason="email_mismatch"))


def test_a_refused_consent_leaves_the_invitation_pending():
    state = given(recruiter_candidate, invited(), refused()).state
    assert (state.status, state.consent_user_id, state.consent_given_at) == ("pending", None, None)


def test_a_refusal_without_the_current_token_is_refused_like_a_consent():
    given(recruiter_candidate, invited()).when(refuse(WRONG_TOKEN)).then_raises(CandidateInvitationTokenMismatch)


def test_consent_given_again_with_same_token_is_a_no_op():
    given(recruiter_candidate, *HISTORY["active"]).when(consent(at=LATER)).then()


@pytest.mark.parametrize("status", ENDED)
def test_consent_to_an_ended_relationship_raises(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(consent()).then_raises(RecruiterCandidateNotInStatus,
                                                                              f"is {status}")


# --- decline --------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", AWAITING)
def test_unanswered_invitation_declined_with_reason(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(decline()).then(declined())


def test_invitation_declined_after_its_expiry_is_recorded():
    given(recruiter_candidate, invited()).when(decline(at=LATER)).then(declined(at=LATER))


def test_declined_invitation_declined_again_is_a_no_op():
    given(recruiter_candidate, *HISTORY["declined"]).when(decline()).then()


@pytest.mark.parametrize("status", others(*AWAITING, "declined"))
def test_answered_invitation_declined_raises(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(decline()).then_raises(RecruiterCandidateNotInStatus, "declined")


@pytest.mark.parametrize("status", STATUSES)
def test_decline_with_wrong_token_raises_forbidden(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(decline(WRONG_TOKEN)).then_raises(
        CandidateInvitationTokenMismatch
    )


def test_decline_lands_in_state():
    state = given(recruiter_candidate, *HISTORY["declined"]).state
    assert (state.status, state.declined_at, state.decline_reason) == ("declined", CONSENT_AT, "not looking")


# --- termination ----------------------------------------------------------------------------------

@pytest.mark.parametrize("side, party", [("recruiter", RECRUITER), ("candidate", CANDIDATE)])
def test_active_relationship_terminated_by_either_side(side: str, party: UUID):
    given(recruiter_candidate, *HISTORY["active"]).when(terminate(side, party)).then(terminated(side))


def test_termination_ends_the_relationship_now():
    state = given(recruiter_candidate, *HISTORY["terminated"]).state
    assert (state.relationship_end_date, state.termination_reason, state.terminated_by) == (LATER, "moved on",
                                                                                             "recruiter")


def test_active_relationship_terminated_just_before_its_end_is_recorded():
    given(recruiter_candidate, *HISTORY["active"]).when(terminate(at=BEFORE_END)).then(terminated(at=BEFORE_END))


def test_active_relationship_terminated_at_its_end_date_raises():
    given(recruiter_candidate, *HISTORY["active"]).when(terminate(at=END)).then_raises(RelationshipAlreadyEnded)


def test_terminated_relationship_terminated_again_is_a_no_op():
    given(recruiter_candidate, *HISTORY["terminated"]).when(terminate("candidate", CANDIDATE)).then()


@pytest.mark.parametrize("status", others("active", "terminated"))
def test_relationship_not_active_terminated_raises(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(terminate()).then_raises(RecruiterCandidateNotInStatus,
                                                                                "only be terminated when active")


@pytest.mark.parametrize("side, party", [("recruiter", OTHER_RECRUITER), ("candidate", OTHER_CANDIDATE),
                                         ("recruiter", CANDIDATE), ("candidate", RECRUITER)])
def test_relationship_terminated_by_a_stranger_raises_forbidden(side: str, party: UUID):
    given(recruiter_candidate, *HISTORY["active"]).when(terminate(side, party)).then_raises(NotAPartyToRelationship)


def test_termination_reason_is_required():
    with pytest.raises(ValidationError, match="reason"):
        TerminateRecruiterCandidate(relationship_id=REL, side="recruiter", party_id=RECRUITER, reason="  ",
                                    by=RECRUITER_ACTOR, at=LATER)


# --- scheduled expiries ---------------------------------------------------------------------------

def test_invitation_expiry_before_expiry_is_a_no_op():
    given(recruiter_candidate, invited()).when(expire_invitation(BEFORE_EXPIRY)).then()


def test_invitation_expiry_exactly_at_expiry_records_it():
    given(recruiter_candidate, invited()).when(expire_invitation(EXPIRES)).then(invitation_expired())


def test_invitation_expiry_after_expiry_records_it():
    given(recruiter_candidate, invited()).when(expire_invitation(LATER)).then(invitation_expired(at=LATER))


@pytest.mark.parametrize("status", others("pending"))
def test_invitation_expiry_of_an_answered_or_lapsed_invitation_is_a_no_op(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(expire_invitation(END + timedelta(days=1))).then()


def test_relationship_expiry_before_end_date_is_a_no_op():
    given(recruiter_candidate, *HISTORY["active"]).when(expire(BEFORE_END)).then()


def test_relationship_expiry_exactly_at_end_date_records_it():
    given(recruiter_candidate, *HISTORY["active"]).when(expire(END)).then(expired())


def test_relationship_expiry_after_end_date_records_it():
    at = END + timedelta(hours=1)
    given(recruiter_candidate, *HISTORY["active"]).when(expire(at)).then(expired(at=at))


@pytest.mark.parametrize("status", others("active"))
def test_relationship_expiry_of_a_relationship_not_active_is_a_no_op(status: RecruiterCandidateStatus):
    given(recruiter_candidate, *HISTORY[status]).when(expire(END + timedelta(days=1))).then()


# --- is_active_at ---------------------------------------------------------------------------------

@pytest.mark.parametrize("at, active", [
    (CONSENT_AT - timedelta(microseconds=1), False), (CONSENT_AT, True), (BEFORE_END, True), (END, False),
])
def test_active_relationship_is_active_within_its_term(at: datetime, active: bool):
    assert is_active_at(given(recruiter_candidate, *HISTORY["active"]).state, at) is active


@pytest.mark.parametrize("status", others("active"))
def test_relationship_not_active_is_never_active(status: RecruiterCandidateStatus):
    state = given(recruiter_candidate, *HISTORY[status]).state
    assert not any(is_active_at(state, at) for at in (T0, CONSENT_AT, BEFORE_EXPIRY, LATER, BEFORE_END))


def test_relationship_is_not_active_before_anything_happened():
    assert not is_active_at(recruiter_candidate.initial_state(), CONSENT_AT)
