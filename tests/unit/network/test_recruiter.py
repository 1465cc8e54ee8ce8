from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import Forbidden, NotFound
from commands.network.events import RecruiterCreated, RecruiterProfileUpdated, RecruiterStatus, RecruiterStatusChanged
from commands.network.recruiter import (
    ChangeRecruiterStatus,
    CreateRecruiter,
    NotRecruiterOwner,
    RecruiterStatusNotChangeable,
    UpdateRecruiterProfile,
    recruiter,
    recruiter_id_for,
)
from tests.unit.dsl import given

USER = UUID("00000000-0000-4000-8000-0000000000a1")
OTHER_USER = UUID("00000000-0000-4000-8000-0000000000a2")
R = recruiter_id_for(USER)
ACTOR = "user_ada"
ADMIN = "user_admin"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
STATUSES: tuple[RecruiterStatus, ...] = ("pending", "active", "suspended", "inactive")
# What the recruiter may do to their own status, written out here so that a change to the rule fails.
SELF_MOVES = {("active", "inactive"), ("pending", "inactive")}
PAIRS = [(frm, to) for frm in STATUSES for to in STATUSES if frm != to]

DEFAULT_PROFILE: dict[str, Any] = {
    "slug": None, "bio": None, "tagline": None, "location": None, "years_experience": None, "industries": [],
    "specialties": [], "phone": None, "marketplace_enabled": False, "marketplace_visibility": "public",
    "show_success_metrics": True, "show_contact_info": False, "candidate_recruiter": False, "company_recruiter": False,
}
FULL_PROFILE: dict[str, Any] = {
    "slug": "ada-recruits", "bio": "Fifteen years placing engineers.", "tagline": "Engineers, placed.",
    "location": "London", "years_experience": 15, "industries": ["software", "fintech"],
    "specialties": ["backend", "data"], "phone": "+44 20 7946 0000", "marketplace_enabled": True,
    "marketplace_visibility": "limited", "show_success_metrics": False, "show_contact_info": True,
    "candidate_recruiter": True, "company_recruiter": True,
}


def create(**overrides: Any) -> CreateRecruiter:
    return CreateRecruiter(**{"user_id": USER, "by": ACTOR, "at": T0} | overrides)


def created(status: RecruiterStatus = "active", **profile: Any) -> RecruiterCreated:
    return RecruiterCreated(recruiter_id=R, user_id=USER, status=status, **DEFAULT_PROFILE | profile, by=ACTOR, at=T0)


def update(by_user_id: UUID | None = USER, is_platform_admin: bool = False, **fields: Any) -> UpdateRecruiterProfile:
    return UpdateRecruiterProfile(recruiter_id=R, by_user_id=by_user_id, is_platform_admin=is_platform_admin,
                                  by=ACTOR, at=T1, **fields)


def updated(**changes: Any) -> RecruiterProfileUpdated:
    return RecruiterProfileUpdated(recruiter_id=R, changes=changes, by=ACTOR, at=T1)


def change_status(to: Any, by_user_id: UUID | None = None, is_platform_admin: bool = False,
                  reason: str | None = None) -> ChangeRecruiterStatus:
    return ChangeRecruiterStatus(recruiter_id=R, status=to, by_user_id=by_user_id, is_platform_admin=is_platform_admin,
                                 reason=reason, by=ADMIN if is_platform_admin else ACTOR, at=T1)


def status_changed(frm: Any, to: Any, by: str = ADMIN, reason: str | None = None) -> RecruiterStatusChanged:
    return RecruiterStatusChanged(recruiter_id=R, from_status=frm, to_status=to, reason=reason, by=by, at=T1)


# --- creation -------------------------------------------------------------------------------------

def test_recruiter_id_is_derived_from_the_user_and_stable():
    assert recruiter_id_for(USER) == recruiter_id_for(USER)
    assert recruiter_id_for(USER) != recruiter_id_for(OTHER_USER)
    assert create().recruiter_id == R


def test_new_recruiter_created_active_with_default_profile():
    given(recruiter).when(create()).then(created())


def test_new_recruiter_created_with_full_profile():
    given(recruiter).when(create(**FULL_PROFILE)).then(created(**FULL_PROFILE))


@pytest.mark.parametrize("status", STATUSES)
def test_new_recruiter_created_in_given_status(status: RecruiterStatus):
    given(recruiter).when(create(status=status)).then(created(status=status))


def test_recruiter_created_with_its_derived_id_given_explicitly_is_recorded():
    given(recruiter).when(create(recruiter_id=R)).then(created())


def test_recruiter_created_with_another_id_is_rejected():
    with pytest.raises(ValidationError, match="recruiter_id_for"):
        create(recruiter_id=recruiter_id_for(OTHER_USER))


def test_existing_recruiter_created_again_is_a_no_op():
    given(recruiter, created()).when(create()).then()


def test_existing_recruiter_created_again_with_another_profile_is_a_no_op():
    given(recruiter, created()).when(create(**FULL_PROFILE, status="pending")).then()


@pytest.mark.parametrize("field, value", [
    ("years_experience", -1), ("years_experience", 81), ("marketplace_visibility", "everyone"),
    ("slug", "Not A Slug"), ("industries", ["software", "software"]), ("industries", [""]),
    ("status", "deleted"), ("phone", "1"),
])
def test_recruiter_created_with_bad_field_is_rejected(field: str, value: Any):
    with pytest.raises(ValidationError, match=field):
        create(**{field: value})


def test_recruiter_fields_are_stripped():
    given(recruiter).when(create(bio="  Bio  ", industries=[" software "])).then(
        created(bio="Bio", industries=["software"])
    )


@pytest.mark.parametrize("cmd", [update(bio="x"), change_status("suspended", is_platform_admin=True)],
                         ids=lambda cmd: type(cmd).__name__)
def test_command_on_missing_recruiter_raises_not_found(cmd: Any):
    given(recruiter).when(cmd).then_raises(NotFound)


# --- profile --------------------------------------------------------------------------------------

def test_profile_updated_by_own_user_records_only_given_fields():
    given(recruiter, created()).when(update(bio="New bio", marketplace_enabled=True)).then(
        updated(bio="New bio", marketplace_enabled=True)
    )


def test_profile_updated_with_every_field_records_each():
    given(recruiter, created()).when(update(**FULL_PROFILE)).then(updated(**FULL_PROFILE))


def test_profile_update_repeating_current_values_records_only_what_differs():
    history = [created(**FULL_PROFILE)]
    given(recruiter, *history).when(update(**FULL_PROFILE | {"tagline": "Better tagline"})).then(
        updated(tagline="Better tagline")
    )


def test_profile_update_with_current_values_is_a_no_op():
    given(recruiter, created(**FULL_PROFILE)).when(update(**FULL_PROFILE)).then()


def test_profile_updated_twice_the_second_is_a_no_op():
    given(recruiter, created(), updated(bio="New bio", industries=["software"])).when(
        update(bio="New bio", industries=["software"])
    ).then()


def test_profile_update_clearing_a_nullable_field_records_none():
    given(recruiter, created(**FULL_PROFILE)).when(update(bio=None, years_experience=None)).then(
        updated(bio=None, years_experience=None)
    )


def test_profile_update_clearing_an_absent_field_is_a_no_op():
    given(recruiter, created()).when(update(bio=None)).then()


@pytest.mark.parametrize("field", ["industries", "specialties", "marketplace_enabled", "marketplace_visibility",
                                   "show_success_metrics", "show_contact_info", "candidate_recruiter",
                                   "company_recruiter"])
def test_profile_update_clearing_a_required_field_is_rejected(field: str):
    with pytest.raises(ValidationError, match=f"cannot clear {field}"):
        update(**{field: None})


def test_profile_update_with_no_fields_is_a_no_op():
    given(recruiter, created()).when(update()).then()


def test_profile_updated_by_platform_admin_is_recorded():
    given(recruiter, created()).when(update(by_user_id=OTHER_USER, is_platform_admin=True, bio="x")).then(
        updated(bio="x")
    )


@pytest.mark.parametrize("by_user_id", [OTHER_USER, None])
def test_profile_updated_by_someone_else_raises_forbidden(by_user_id: UUID | None):
    given(recruiter, created()).when(update(by_user_id=by_user_id, bio="x")).then_raises(NotRecruiterOwner)
    given(recruiter, created()).when(update(by_user_id=by_user_id, bio="x")).then_raises(Forbidden, "own user")


def test_profile_update_lands_in_state():
    state = given(recruiter, created(), updated(industries=["software"], marketplace_visibility="hidden")).state
    assert state.industries == ("software",)
    assert state.marketplace_visibility == "hidden"
    assert state.user_id == USER and state.status == "active"


# --- status ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("frm, to", PAIRS)
def test_platform_admin_moves_recruiter_between_any_statuses(frm: RecruiterStatus, to: RecruiterStatus):
    given(recruiter, created(status=frm)).when(change_status(to, is_platform_admin=True, reason="review")).then(
        status_changed(frm, to, reason="review")
    )


@pytest.mark.parametrize("frm, to", sorted(SELF_MOVES))
def test_recruiter_deactivates_own_account(frm: RecruiterStatus, to: RecruiterStatus):
    given(recruiter, created(status=frm)).when(change_status(to, by_user_id=USER)).then(
        status_changed(frm, to, by=ACTOR)
    )


@pytest.mark.parametrize("frm, to", [pair for pair in PAIRS if pair not in SELF_MOVES])
def test_recruiter_other_own_status_move_raises_forbidden(frm: RecruiterStatus, to: RecruiterStatus):
    given(recruiter, created(status=frm)).when(change_status(to, by_user_id=USER)).then_raises(
        RecruiterStatusNotChangeable, f"from {frm} to {to}"
    )


@pytest.mark.parametrize("by_user_id", [OTHER_USER, None])
def test_status_changed_by_someone_else_raises_forbidden(by_user_id: UUID | None):
    given(recruiter, created()).when(change_status("inactive", by_user_id=by_user_id)).then_raises(Forbidden)


@pytest.mark.parametrize("status", STATUSES)
def test_status_changed_to_current_status_is_a_no_op(status: RecruiterStatus):
    given(recruiter, created(status=status)).when(change_status(status, by_user_id=OTHER_USER)).then()


def test_status_change_lands_in_state():
    assert given(recruiter, created(), status_changed("active", "suspended")).state.status == "suspended"
