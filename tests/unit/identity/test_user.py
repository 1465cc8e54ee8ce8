from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import Conflict, NotFound, RuleViolation
from commands.identity.events import (
    ConsentRecorded,
    OnboardingProgressed,
    UserDeleted,
    UserProfileUpdated,
    UserRegistered,
    UserRoleGranted,
    UserRoleRevoked,
    UserSignedIn,
)
from commands.identity.user import (
    DeleteUser,
    GrantRole,
    OnboardingCannotGoBack,
    ProgressOnboarding,
    RecordConsent,
    RecordSignIn,
    RegisterUser,
    RevokeRole,
    UpdateProfile,
    UserIsDeleted,
    user,
    user_id_for,
)
from tests.unit.dsl import given

CLERK_ID = "user_2abc"
U = user_id_for(CLERK_ID)
ACTOR = CLERK_ID
RECRUITER = UUID("00000000-0000-4000-8000-0000000000a1")
CANDIDATE = UUID("00000000-0000-4000-8000-0000000000a2")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


def register(**overrides: Any) -> RegisterUser:
    return RegisterUser(**{"user_id": U, "clerk_user_id": CLERK_ID, "email": "ada@example.com", "name": "Ada Lovelace",
                           "source": "portal", "by": ACTOR, "at": T0} | overrides)


def registered(**overrides: Any) -> UserRegistered:
    fields = {"user_id": U, "clerk_user_id": CLERK_ID, "email": "ada@example.com", "name": "Ada Lovelace",
              "image_url": None, "source": "portal", "referred_by_recruiter_id": None, "by": ACTOR, "at": T0}
    return UserRegistered(**fields | overrides)


def profile_updated(**changes: Any) -> UserProfileUpdated:
    return UserProfileUpdated(user_id=U, changes=changes, by=ACTOR, at=T1)


def signed_in(at: datetime) -> UserSignedIn:
    return UserSignedIn(user_id=U, session_id="sess_1", by=ACTOR, at=at)


def progress(status: Any, step: int, **overrides: Any) -> ProgressOnboarding:
    return ProgressOnboarding(user_id=U, status=status, step=step, by=ACTOR, at=T1, **overrides)


def progressed(status: Any, step: int, metadata: dict[str, Any] | None = None, completed_at: datetime | None = None,
               at: datetime = T1) -> OnboardingProgressed:
    return OnboardingProgressed(user_id=U, status=status, step=step, metadata=metadata or {}, completed_at=completed_at,
                                by=ACTOR, at=at)


def granted(role: Any, entity: UUID | None = None) -> UserRoleGranted:
    return UserRoleGranted(user_id=U, role=role, role_entity_id=entity, by=ACTOR, at=T1)


def revoked(role: Any, entity: UUID | None = None) -> UserRoleRevoked:
    return UserRoleRevoked(user_id=U, role=role, role_entity_id=entity, by=ACTOR, at=T1)


CONSENT = {"necessary": True, "functional": True, "analytics": False, "marketing": True, "ip_address": "203.0.113.7",
           "user_agent": "Mozilla/5.0", "source": "cookie_banner"}


def consent(**overrides: Any) -> RecordConsent:
    return RecordConsent(**{"user_id": U, "by": ACTOR, "at": T1} | CONSENT | overrides)


def consent_recorded(**overrides: Any) -> ConsentRecorded:
    return ConsentRecorded(**{"user_id": U, "by": ACTOR, "at": T1} | CONSENT | overrides)


DELETED = UserDeleted(user_id=U, by=ACTOR, at=T1)
# One of every command but DeleteUser, for the rules that hold for all of them.
OTHER_COMMANDS = [
    register(), UpdateProfile(user_id=U, name="x", by=ACTOR, at=T1), RecordSignIn(user_id=U, by=ACTOR, at=T1),
    progress("in_progress", 2), GrantRole(user_id=U, role="platform_admin", by=ACTOR, at=T1),
    RevokeRole(user_id=U, role="platform_admin", by=ACTOR, at=T1), consent(),
]


# --- registration ---------------------------------------------------------------------------------

def test_new_user_registered_records_every_field():
    fields = {"image_url": "https://img.example/ada.png", "source": "candidate", "referred_by_recruiter_id": RECRUITER}
    given(user).when(register(**fields)).then(registered(**fields))


def test_registration_email_is_lowercased_and_trimmed():
    given(user).when(register(email="  Ada@Example.COM ")).then(registered())


@pytest.mark.parametrize("email", ["", "ada", "ada@example", "a da@example.com"])
def test_registration_with_bad_email_is_rejected(email: str):
    with pytest.raises(ValidationError, match="email"):
        register(email=email)


def test_registered_user_registered_again_with_same_profile_is_a_no_op():
    given(user, registered()).when(register(at=T1)).then()


def test_registration_with_email_in_other_case_is_a_no_op():
    given(user, registered()).when(register(email="ADA@example.com", at=T1)).then()


def test_registered_user_registered_again_records_only_changed_fields():
    cmd = register(name="Ada King", image_url="https://img.example/new.png", at=T1)
    given(user, registered()).when(cmd).then(profile_updated(name="Ada King", image_url="https://img.example/new.png"))


def test_registration_without_image_keeps_current_image():
    given(user, registered(image_url="https://img.example/ada.png")).when(register(at=T1)).then()


def test_registration_from_other_source_keeps_first_source():
    given(user, registered(source="portal")).when(register(source="candidate", at=T1)).then()


def test_registration_with_other_clerk_id_raises_conflict():
    given(user, registered()).when(register(clerk_user_id="user_other")).then_raises(Conflict, "another Clerk user")


def test_user_id_derived_from_clerk_id_never_changes():
    # Changing the derivation would orphan every existing user stream.
    assert user_id_for(CLERK_ID) == UUID("f62e5801-34f1-5664-8aa0-352c2664b3a9")
    assert user_id_for("user_other") != U


# --- profile --------------------------------------------------------------------------------------

def test_profile_update_records_only_changed_fields():
    cmd = UpdateProfile(user_id=U, name="Ada King", image_url=None, by=ACTOR, at=T1)
    given(user, registered()).when(cmd).then(profile_updated(name="Ada King"))


def test_profile_update_cannot_carry_an_email():
    # The email is Clerk's: rights hang on it (claims, invitations), so the user cannot type one in.
    with pytest.raises(ValidationError, match="email"):
        UpdateProfile(user_id=U, email="victim@example.com", by=ACTOR, at=T1)


def test_clerk_email_change_lowercases_and_records_its_verification():
    cmd = register(email="Ada@New.Example", email_verified=True, at=T1)
    given(user, registered(email_verified=True)).when(cmd).then(
        UserProfileUpdated(user_id=U, changes={"email": "ada@new.example"}, by=ACTOR, at=T1, email_verified=True))


def test_clerk_verifying_the_same_email_records_only_the_verification():
    cmd = register(email_verified=True, at=T1)
    given(user, registered()).when(cmd).then(
        UserProfileUpdated(user_id=U, changes={}, by=ACTOR, at=T1, email_verified=True))


def test_a_new_email_without_a_word_on_verification_is_unverified():
    state = user.evolve(user.evolve(user.initial_state(), registered(email_verified=True)),
                        profile_updated(email="other@example.com"))
    assert (state.email, state.email_verified) == ("other@example.com", False)


def test_profile_update_repeating_values_is_a_no_op():
    cmd = UpdateProfile(user_id=U, name="Ada Lovelace", by=ACTOR, at=T1)
    given(user, registered()).when(cmd).then()


def test_profile_update_already_applied_is_a_no_op():
    cmd = UpdateProfile(user_id=U, name="Ada King", by=ACTOR, at=T1)
    given(user, registered(), profile_updated(name="Ada King")).when(cmd).then()


def test_profile_update_clearing_image_records_none():
    cmd = UpdateProfile(user_id=U, image_url=None, by=ACTOR, at=T1)
    given(user, registered(image_url="https://img.example/ada.png")).when(cmd).then(profile_updated(image_url=None))


@pytest.mark.parametrize("cmd", [*OTHER_COMMANDS[1:], DeleteUser(user_id=U, by=ACTOR, at=T1)],
                         ids=lambda cmd: type(cmd).__name__)
def test_command_on_missing_user_raises_not_found(cmd: Any):
    given(user).when(cmd).then_raises(NotFound)


# --- sign-in activity -----------------------------------------------------------------------------

def test_first_sign_in_records_activity():
    given(user, registered()).when(RecordSignIn(user_id=U, session_id="sess_1", by=ACTOR, at=T1)).then(signed_in(T1))


def test_sign_in_within_five_minutes_is_a_no_op():
    at = T1 + timedelta(minutes=5) - timedelta(microseconds=1)
    given(user, registered(), signed_in(T1)).when(RecordSignIn(user_id=U, session_id="sess_1", by=ACTOR, at=at)).then()


def test_sign_in_five_minutes_after_last_activity_is_recorded():
    at = T1 + timedelta(minutes=5)
    cmd = RecordSignIn(user_id=U, session_id="sess_1", by=ACTOR, at=at)
    given(user, registered(), signed_in(T1)).when(cmd).then(signed_in(at))


def test_sign_in_older_than_last_activity_is_a_no_op():
    cmd = RecordSignIn(user_id=U, session_id="sess_1", by=ACTOR, at=T0)
    given(user, registered(), signed_in(T1)).when(cmd).then()


# --- onboarding -----------------------------------------------------------------------------------

def test_onboarding_moving_forward_records_progress():
    cmd = progress("in_progress", 2, metadata={"company": {"name": "Acme", "size": 50}, "agreed": True})
    given(user, registered()).when(cmd).then(
        progressed("in_progress", 2, {"company": {"name": "Acme", "size": 50}, "agreed": True})
    )


def test_onboarding_status_change_on_same_step_is_recorded():
    given(user, registered()).when(progress("skipped", 1)).then(progressed("skipped", 1))


def test_onboarding_repeating_current_progress_is_a_no_op():
    given(user, registered(), progressed("in_progress", 2)).when(progress("in_progress", 2)).then()


def test_onboarding_step_backwards_raises():
    given(user, registered(), progressed("in_progress", 3)).when(progress("in_progress", 2)).then_raises(
        OnboardingCannotGoBack, "from step 3 to 2"
    )


def test_onboarding_cannot_go_back_is_a_rule_violation():
    given(user, registered(), progressed("in_progress", 3)).when(progress("in_progress", 1)).then_raises(RuleViolation)


def test_onboarding_step_backwards_with_reset_is_recorded():
    history = [registered(), progressed("in_progress", 3, {"a": 1})]
    given(user, *history).when(progress("in_progress", 1, reset=True)).then(progressed("in_progress", 1))


def test_onboarding_without_metadata_keeps_current_metadata():
    history = [registered(), progressed("in_progress", 2, {"a": 1})]
    given(user, *history).when(progress("in_progress", 3)).then(progressed("in_progress", 3, {"a": 1}))


def test_onboarding_completed_sets_completed_at():
    given(user, registered(), progressed("in_progress", 3)).when(progress("completed", 4)).then(
        progressed("completed", 4, completed_at=T1)
    )


def test_completed_onboarding_with_new_metadata_keeps_first_completed_at():
    history = [registered(), progressed("completed", 4, completed_at=T0, at=T0)]
    given(user, *history).when(progress("completed", 4, metadata={"a": 1})).then(
        progressed("completed", 4, {"a": 1}, completed_at=T0)
    )


def test_completed_onboarding_completed_again_is_a_no_op():
    history = [registered(), progressed("completed", 4, completed_at=T0, at=T0)]
    given(user, *history).when(progress("completed", 4)).then()


def test_completed_onboarding_reopened_without_reset_raises():
    history = [registered(), progressed("completed", 4, completed_at=T0, at=T0)]
    given(user, *history).when(progress("in_progress", 4)).then_raises(OnboardingCannotGoBack, "reset")


def test_completed_onboarding_reset_clears_completed_at():
    history = [registered(), progressed("completed", 4, {"a": 1}, completed_at=T0, at=T0)]
    given(user, *history).when(progress("pending", 1, reset=True)).then(progressed("pending", 1))


@pytest.mark.parametrize("step", [0, 5])
def test_onboarding_step_out_of_range_is_rejected(step: int):
    with pytest.raises(ValidationError, match="step"):
        progress("in_progress", step)


@pytest.mark.parametrize("step", [1, 4])
def test_onboarding_step_at_bounds_is_accepted(step: int):
    assert progress("in_progress", step).step == step


def test_onboarding_metadata_with_float_is_rejected():
    with pytest.raises(ValidationError, match="metadata"):
        progress("in_progress", 2, metadata={"salary": 1.5})


# --- roles ----------------------------------------------------------------------------------------

def test_role_granted_records_it():
    cmd = GrantRole(user_id=U, role="recruiter", role_entity_id=RECRUITER, by=ACTOR, at=T1)
    given(user, registered()).when(cmd).then(granted("recruiter", RECRUITER))


def test_role_granted_again_is_a_no_op():
    cmd = GrantRole(user_id=U, role="recruiter", role_entity_id=RECRUITER, by=ACTOR, at=T1)
    given(user, registered(), granted("recruiter", RECRUITER)).when(cmd).then()


def test_role_for_other_entity_is_granted_alongside():
    cmd = GrantRole(user_id=U, role="candidate", role_entity_id=CANDIDATE, by=ACTOR, at=T1)
    given(user, registered(), granted("recruiter", RECRUITER)).when(cmd).then(granted("candidate", CANDIDATE))


def test_role_revoked_records_it():
    cmd = RevokeRole(user_id=U, role="platform_admin", by=ACTOR, at=T1)
    given(user, registered(), granted("platform_admin")).when(cmd).then(revoked("platform_admin"))


def test_role_never_granted_revoked_is_a_no_op():
    cmd = RevokeRole(user_id=U, role="recruiter", role_entity_id=RECRUITER, by=ACTOR, at=T1)
    given(user, registered(), granted("recruiter", CANDIDATE)).when(cmd).then()


def test_revoked_role_granted_again_is_recorded():
    cmd = GrantRole(user_id=U, role="platform_admin", by=ACTOR, at=T1)
    given(user, registered(), granted("platform_admin"), revoked("platform_admin")).when(cmd).then(
        granted("platform_admin")
    )


def test_platform_admin_with_entity_is_rejected():
    with pytest.raises(ValidationError, match="platform_admin is global"):
        GrantRole(user_id=U, role="platform_admin", role_entity_id=RECRUITER, by=ACTOR, at=T1)


# --- consent --------------------------------------------------------------------------------------

def test_consent_recorded_with_every_flag():
    given(user, registered()).when(consent()).then(consent_recorded())


def test_consent_retried_exactly_is_a_no_op():
    given(user, registered(), consent_recorded()).when(consent()).then()


def test_same_consent_given_again_later_is_recorded():
    later = T1 + timedelta(days=30)
    given(user, registered(), consent_recorded()).when(consent(at=later)).then(consent_recorded(at=later))


def test_consent_withdrawn_is_recorded():
    given(user, registered(), consent_recorded()).when(consent(marketing=False)).then(consent_recorded(marketing=False))


# --- deletion -------------------------------------------------------------------------------------

def test_user_deleted_records_it():
    given(user, registered()).when(DeleteUser(user_id=U, by=ACTOR, at=T1)).then(DELETED)


def test_deleted_user_deleted_again_is_a_no_op():
    given(user, registered(), DELETED).when(DeleteUser(user_id=U, by=ACTOR, at=T1)).then()


@pytest.mark.parametrize("cmd", OTHER_COMMANDS, ids=lambda cmd: type(cmd).__name__)
def test_command_on_deleted_user_raises(cmd: Any):
    given(user, registered(), DELETED).when(cmd).then_raises(UserIsDeleted, "is deleted")


def test_user_is_deleted_is_a_rule_violation():
    given(user, registered(), DELETED).when(register()).then_raises(RuleViolation)
