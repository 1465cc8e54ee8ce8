from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.candidate import (
    PROFILE_FIELDS,
    VERIFICATION_ALLOWED,
    ArchiveCandidate,
    CandidateAlreadyLinked,
    CandidateIsArchived,
    ChangeCandidateVerification,
    CreateCandidate,
    LinkCandidateUser,
    RestoreCandidate,
    SetCandidateMarketplaceVisibility,
    SetCandidatePrivacy,
    UpdateCandidateProfile,
    VerificationTransitionNotAllowed,
    candidate,
)
from commands.ats.candidate_events import (
    CandidateArchived,
    CandidateCreated,
    CandidateMarketplaceVisibilityChanged,
    CandidatePrivacyChanged,
    CandidateProfileUpdated,
    CandidateRestored,
    CandidateUserLinked,
    CandidateVerificationStatusChanged,
    VerificationStatus,
)
from commands.core import Conflict, NotFound, RuleViolation
from tests.unit.dsl import given

CAND = UUID("00000000-0000-4000-8000-00000000ca01")
USER = UUID("00000000-0000-4000-8000-00000000a5e1")
OTHER_USER = UUID("00000000-0000-4000-8000-00000000a5e2")
RECRUITER_USER = UUID("00000000-0000-4000-8000-00000000ec01")
ACTOR = "user_2abc"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
STATUSES: tuple[VerificationStatus, ...] = ("unverified", "pending", "verified", "rejected")
# Copied here rather than read from the decider, so that a change to VERIFICATION_ALLOWED fails tests.
SPEC: dict[VerificationStatus, set[VerificationStatus]] = {
    "unverified": {"pending"},
    "pending": {"verified", "rejected", "unverified"},
    "verified": {"unverified"},
    "rejected": {"pending"},
}
PATH: dict[VerificationStatus, list[VerificationStatus]] = {
    "unverified": [], "pending": ["pending"], "verified": ["pending", "verified"], "rejected": ["pending", "rejected"],
}


def create(**overrides: Any) -> CreateCandidate:
    return CreateCandidate(**{"candidate_id": CAND, "created_by_user_id": RECRUITER_USER, "full_name": "Ada Lovelace",
                              "email": "ada@example.com", "by": ACTOR, "at": T0} | overrides)


def created(**overrides: Any) -> CandidateCreated:
    fields: dict[str, Any] = {
        "candidate_id": CAND, "user_id": None, "created_by_user_id": RECRUITER_USER, "full_name": "Ada Lovelace",
        "email": "ada@example.com", "phone": None, "location": None, "linkedin_url": None, "github_url": None,
        "portfolio_url": None, "current_title": None, "current_company": None, "bio": None,
        "desired_salary_min_cents": None, "desired_salary_max_cents": None, "desired_job_type": None,
        "open_to_remote": False, "open_to_relocation": False, "availability": None, "marketplace_visibility": "public",
        "show_email": False, "show_phone": False, "show_location": True, "show_current_company": True,
        "show_salary_expectations": False, "by": ACTOR, "at": T0,
    }
    return CandidateCreated(**fields | overrides)


def update(**fields: Any) -> UpdateCandidateProfile:
    return UpdateCandidateProfile(candidate_id=CAND, by=ACTOR, at=T1, **fields)


def updated(**changes: Any) -> CandidateProfileUpdated:
    return CandidateProfileUpdated(candidate_id=CAND, changes=changes, by=ACTOR, at=T1)


def verify(to: VerificationStatus, reason: str | None = None) -> ChangeCandidateVerification:
    return ChangeCandidateVerification(candidate_id=CAND, to_status=to, reason=reason, by=ACTOR, at=T1)


def verified(frm: VerificationStatus, to: VerificationStatus, reason: str | None = None):
    return CandidateVerificationStatusChanged(candidate_id=CAND, from_status=frm, to_status=to, reason=reason,
                                              by=ACTOR, at=T1)


def history(status: VerificationStatus) -> list[Any]:
    events: list[Any] = [created()]
    frm: VerificationStatus = "unverified"
    for to in PATH[status]:
        events.append(verified(frm, to))
        frm = to
    return events


def link(user_id: UUID) -> LinkCandidateUser:
    return LinkCandidateUser(candidate_id=CAND, user_id=user_id, by=ACTOR, at=T1)


def archived() -> CandidateArchived:
    return CandidateArchived(candidate_id=CAND, reason=None, by=ACTOR, at=T1)


# --- create ---------------------------------------------------------------------------------------

FULL: dict[str, Any] = {
    "phone": "+1 (555) 123-4567", "location": "Lisbon", "linkedin_url": "https://www.linkedin.com/in/ada",
    "github_url": "https://github.com/ada", "portfolio_url": "https://ada.example", "current_title": "Engineer",
    "current_company": "Analytical Engines", "bio": "Writes programs.", "desired_salary_min_cents": 10_000_000,
    "desired_salary_max_cents": 15_000_000, "desired_job_type": "contract", "open_to_remote": True,
    "open_to_relocation": True, "availability": "two weeks", "marketplace_visibility": "limited",
    "show_email": True, "show_phone": True, "show_location": False, "show_current_company": False,
    "show_salary_expectations": True,
}


def test_candidate_created_by_recruiter_records_every_field():
    given(candidate).when(create(**FULL)).then(created(**FULL))


def test_candidate_created_by_recruiter_is_recruiter_managed():
    given(candidate).when(create()).then(created())
    state = given(candidate, created()).state
    assert (state.recruiter_managed, state.user_id, state.created_by_user_id) == (True, None, RECRUITER_USER)


def test_candidate_signing_up_created_their_own_record():
    given(candidate).when(create(user_id=USER, created_by_user_id=None)).then(
        created(user_id=USER, created_by_user_id=USER))


def test_self_created_candidate_is_not_recruiter_managed():
    assert not given(candidate, created(user_id=USER, created_by_user_id=USER)).state.recruiter_managed


def test_candidate_created_for_a_user_by_someone_else_keeps_both():
    given(candidate).when(create(user_id=USER)).then(created(user_id=USER))


def test_candidate_without_user_or_creator_is_rejected():
    with pytest.raises(ValidationError, match="created by its own user"):
        create(created_by_user_id=None)


def test_new_candidate_starts_unverified_and_not_archived():
    state = given(candidate, created()).state
    assert (state.verification_status, state.archived) == ("unverified", False)


def test_existing_candidate_created_again_raises_conflict():
    given(candidate, created()).when(create()).then_raises(Conflict, "already exists")


def test_email_is_lowercased_and_trimmed():
    assert create(email="  Ada@Example.COM ").email == "ada@example.com"


@pytest.mark.parametrize("email", ["ada", "ada@", "@example.com", "ada@example", "ada lovelace@example.com", ""])
def test_bad_email_is_rejected(email: str):
    with pytest.raises(ValidationError, match="email"):
        create(email=email)


@pytest.mark.parametrize("url", ["linkedin.com/in/ada", "ftp://github.com/ada", "https://", "https://git hub.com",
                                 "javascript:alert(1)"])
@pytest.mark.parametrize("field", ["linkedin_url", "github_url", "portfolio_url"])
def test_bad_url_is_rejected(field: str, url: str):
    with pytest.raises(ValidationError, match=field):
        create(**{field: url})


@pytest.mark.parametrize("phone", ["12", "call me", "+1 555 12a4", "++15551234", "1" * 31])
def test_bad_phone_is_rejected(phone: str):
    with pytest.raises(ValidationError, match="phone"):
        create(phone=phone)


def test_salary_min_above_max_is_rejected():
    with pytest.raises(ValidationError, match="desired_salary_min_cents must not exceed"):
        create(desired_salary_min_cents=100_01, desired_salary_max_cents=100_00)


def test_salary_min_equal_to_max_is_accepted():
    assert create(desired_salary_min_cents=100, desired_salary_max_cents=100).desired_salary_max_cents == 100


@pytest.mark.parametrize(
    "field, value",
    [("full_name", " "), ("desired_salary_min_cents", -1), ("desired_salary_max_cents", 1.5),
     ("desired_job_type", "internship"), ("marketplace_visibility", "private"), ("availability", "x" * 51),
     ("bio", "x" * 5001), ("by", ""), ("at", datetime(2026, 3, 2, 9, 0))],
)
def test_bad_field_value_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        create(**{field: value})


# --- profile --------------------------------------------------------------------------------------

def test_update_records_only_the_fields_that_change():
    cmd = update(full_name="Ada King", email="ada@example.com", open_to_remote=True)
    given(candidate, created()).when(cmd).then(updated(full_name="Ada King", open_to_remote=True))


def test_update_repeating_current_values_is_a_no_op():
    profile = {k: v for k, v in FULL.items() if k in PROFILE_FIELDS}
    given(candidate, created(**FULL)).when(update(**profile)).then()


def test_update_without_fields_is_a_no_op():
    given(candidate, created()).when(update()).then()


def test_update_already_applied_is_a_no_op():
    change = {"desired_salary_max_cents": 900, "github_url": "https://github.com/ada", "desired_job_type": "full_time"}
    given(candidate, created(), updated(**change)).when(update(**change)).then()


def test_update_clearing_an_optional_field_records_none():
    given(candidate, created(phone="+15551234567")).when(update(phone=None)).then(updated(phone=None))


@pytest.mark.parametrize("field", ["full_name", "email", "open_to_remote", "open_to_relocation"])
def test_update_clearing_a_required_field_is_rejected(field: str):
    with pytest.raises(ValidationError, match=f"cannot clear {field}"):
        update(**{field: None})


def test_update_with_min_salary_above_max_is_rejected():
    with pytest.raises(ValidationError, match="must not exceed"):
        update(desired_salary_min_cents=2, desired_salary_max_cents=1)


def test_update_min_salary_above_current_max_raises():
    given(candidate, created(desired_salary_max_cents=100)).when(update(desired_salary_min_cents=101)).then_raises(
        RuleViolation, "desired_salary_min_cents must not exceed")


def test_update_max_salary_below_current_min_raises():
    given(candidate, created(desired_salary_min_cents=100)).when(update(desired_salary_max_cents=99)).then_raises(
        RuleViolation, "must not exceed")


def test_update_raising_both_salaries_is_recorded():
    start = created(desired_salary_min_cents=100, desired_salary_max_cents=200)
    given(candidate, start).when(update(desired_salary_min_cents=300, desired_salary_max_cents=400)).then(
        updated(desired_salary_min_cents=300, desired_salary_max_cents=400))


@pytest.mark.parametrize("field, value", [("email", "nope"), ("linkedin_url", "in/ada"), ("phone", "abc")])
def test_update_with_bad_value_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        update(**{field: value})


def test_update_command_covers_exactly_the_profile_fields():
    assert set(UpdateCandidateProfile.model_fields) - {"candidate_id", "by", "at"} == PROFILE_FIELDS
    assert PROFILE_FIELDS <= set(CandidateCreated.model_fields)


# --- privacy and marketplace visibility -----------------------------------------------------------

def privacy(**flags: bool) -> SetCandidatePrivacy:
    return SetCandidatePrivacy(candidate_id=CAND, by=ACTOR, at=T1, **flags)


def privacy_changed(**changes: bool) -> CandidatePrivacyChanged:
    return CandidatePrivacyChanged(candidate_id=CAND, changes=changes, by=ACTOR, at=T1)


def test_privacy_records_only_the_flags_that_change():
    cmd = privacy(show_email=True, show_location=True)
    given(candidate, created()).when(cmd).then(privacy_changed(show_email=True))


def test_privacy_repeating_current_flags_is_a_no_op():
    given(candidate, created()).when(privacy(show_email=False, show_location=True)).then()


def test_privacy_without_flags_is_a_no_op():
    given(candidate, created()).when(privacy()).then()


def test_privacy_already_applied_is_a_no_op():
    given(candidate, created(), privacy_changed(show_phone=True)).when(privacy(show_phone=True)).then()


def test_privacy_change_is_kept_in_state():
    state = given(candidate, created(), privacy_changed(show_salary_expectations=True, show_location=False)).state
    assert (state.show_salary_expectations, state.show_location) == (True, False)


def test_unknown_privacy_flag_is_rejected():
    with pytest.raises(ValidationError, match="show_address"):
        privacy(show_address=True)


def visibility(to: str) -> SetCandidateMarketplaceVisibility:
    return SetCandidateMarketplaceVisibility(candidate_id=CAND, visibility=to, by=ACTOR, at=T1)


@pytest.mark.parametrize("frm, to", [(f, t) for f in ("public", "limited", "hidden")
                                     for t in ("public", "limited", "hidden") if f != t])
def test_marketplace_visibility_change_is_recorded(frm: str, to: str):
    given(candidate, created(marketplace_visibility=frm)).when(visibility(to)).then(
        CandidateMarketplaceVisibilityChanged(candidate_id=CAND, from_visibility=frm, to_visibility=to, by=ACTOR,
                                              at=T1))


@pytest.mark.parametrize("current", ["public", "limited", "hidden"])
def test_marketplace_visibility_set_to_current_is_a_no_op(current: str):
    given(candidate, created(marketplace_visibility=current)).when(visibility(current)).then()


def test_unknown_marketplace_visibility_is_rejected():
    with pytest.raises(ValidationError, match="visibility"):
        visibility("private")


# --- verification ---------------------------------------------------------------------------------

@pytest.mark.parametrize("frm, to", [(f, t) for f in STATUSES for t in STATUSES if t in SPEC[f]])
def test_verification_move_in_table_is_recorded(frm: VerificationStatus, to: VerificationStatus):
    given(candidate, *history(frm)).when(verify(to, reason="checked")).then(verified(frm, to, reason="checked"))


@pytest.mark.parametrize("frm, to", [(f, t) for f in STATUSES for t in STATUSES if f != t and t not in SPEC[f]])
def test_verification_move_not_in_table_raises(frm: VerificationStatus, to: VerificationStatus):
    error = given(candidate, *history(frm)).when(verify(to)).then_raises(VerificationTransitionNotAllowed,
                                                                          f"from {frm} to {to}")
    assert (error.from_status, error.to_status) == (frm, to)
    assert isinstance(error, RuleViolation)


@pytest.mark.parametrize("status", STATUSES)
def test_verification_move_to_current_status_is_a_no_op(status: VerificationStatus):
    given(candidate, *history(status)).when(verify(status)).then()


def test_verification_table_matches_spec():
    assert VERIFICATION_ALLOWED == SPEC


@pytest.mark.parametrize("status", STATUSES)
def test_verification_history_reaches_status(status: VerificationStatus):
    assert given(candidate, *history(status)).state.verification_status == status


# --- claiming a recruiter-managed candidate -------------------------------------------------------

def test_recruiter_managed_candidate_claimed_records_the_user():
    given(candidate, created()).when(link(USER)).then(
        CandidateUserLinked(candidate_id=CAND, user_id=USER, by=ACTOR, at=T1))


def test_claimed_candidate_is_no_longer_recruiter_managed():
    state = given(candidate, created(), CandidateUserLinked(candidate_id=CAND, user_id=USER, by=ACTOR, at=T1)).state
    assert (state.user_id, state.recruiter_managed, state.created_by_user_id) == (USER, False, RECRUITER_USER)


def test_claim_repeated_by_the_same_user_is_a_no_op():
    given(candidate, created(), CandidateUserLinked(candidate_id=CAND, user_id=USER, by=ACTOR, at=T1)).when(
        link(USER)).then()


def test_claim_by_another_user_raises_conflict_naming_the_owner():
    history_ = [created(), CandidateUserLinked(candidate_id=CAND, user_id=USER, by=ACTOR, at=T1)]
    error = given(candidate, *history_).when(link(OTHER_USER)).then_raises(CandidateAlreadyLinked, str(USER))
    assert isinstance(error, Conflict) and error.details["linked_user_id"] == str(USER)


def test_self_created_candidate_linked_to_its_own_user_is_a_no_op():
    given(candidate, created(user_id=USER, created_by_user_id=USER)).when(link(USER)).then()


def test_self_created_candidate_claimed_by_another_user_raises_conflict():
    given(candidate, created(user_id=USER, created_by_user_id=USER)).when(link(OTHER_USER)).then_raises(Conflict)


# --- archive and restore --------------------------------------------------------------------------

def test_candidate_archived_records_it():
    cmd = ArchiveCandidate(candidate_id=CAND, by=ACTOR, at=T1, reason="duplicate")
    given(candidate, created()).when(cmd).then(
        CandidateArchived(candidate_id=CAND, reason="duplicate", by=ACTOR, at=T1))


def test_archived_candidate_archived_again_is_a_no_op():
    given(candidate, created(), archived()).when(ArchiveCandidate(candidate_id=CAND, by=ACTOR, at=T1)).then()


def test_archived_candidate_restored_records_it():
    given(candidate, created(), archived()).when(RestoreCandidate(candidate_id=CAND, by=ACTOR, at=T1)).then(
        CandidateRestored(candidate_id=CAND, by=ACTOR, at=T1))


def test_candidate_never_archived_restored_is_a_no_op():
    given(candidate, created()).when(RestoreCandidate(candidate_id=CAND, by=ACTOR, at=T1)).then()


def test_restored_candidate_can_be_updated_again():
    restored = CandidateRestored(candidate_id=CAND, by=ACTOR, at=T1)
    given(candidate, created(), archived(), restored).when(update(full_name="Ada")).then(updated(full_name="Ada"))


CHANGES = [update(full_name="x"), privacy(show_email=True), visibility("hidden"), verify("pending"), link(USER)]


@pytest.mark.parametrize("cmd", CHANGES, ids=lambda cmd: type(cmd).__name__)
def test_change_to_archived_candidate_raises(cmd: Any):
    given(candidate, created(), archived()).when(cmd).then_raises(CandidateIsArchived, "restore it first")


@pytest.mark.parametrize(
    "cmd",
    [*CHANGES, ArchiveCandidate(candidate_id=CAND, by=ACTOR, at=T1),
     RestoreCandidate(candidate_id=CAND, by=ACTOR, at=T1)],
    ids=lambda cmd: type(cmd).__name__,
)
def test_command_on_missing_candidate_raises_not_found(cmd: Any):
    given(candidate).when(cmd).then_raises(NotFound)
