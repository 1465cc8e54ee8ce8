"""Referral codes and the referral they make (commands/network/recruiter_code.py, referral.py): made within the
plan's limit, deactivated for good, the default made once; a user is referred by the first code only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import NotFound
from commands.network.recruiter import recruiter_id_for
from commands.network.recruiter_code import (
    CodeTaken,
    CreateRecruiterCode,
    DeactivateRecruiterCode,
    EnsureDefaultRecruiterCode,
    ReferralCodeLimitReached,
    recruiter_codes,
)
from commands.network.recruiter_code_events import (
    RecruiterCodeCreated,
    RecruiterCodeDeactivated,
    RecruiterCodeRedeemed,
)
from commands.network.referral import AlreadyReferred, RedeemRecruiterCode, SelfReferral, referral
from tests.unit.dsl import given

R = UUID("00000000-0000-4000-8000-0000000000a1")
C1 = UUID("00000000-0000-4000-8000-0000000000c1")
C2 = UUID("00000000-0000-4000-8000-0000000000c2")
C3 = UUID("00000000-0000-4000-8000-0000000000c3")
USER = UUID("00000000-0000-4000-8000-0000000000d1")
AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = AT + timedelta(days=1)


def created(code_id: UUID, code: str, label: str | None = None, is_default: bool = False) -> RecruiterCodeCreated:
    return RecruiterCodeCreated(recruiter_id=R, code_id=code_id, code=code, label=label, is_default=is_default,
                                by="u", at=AT)


def create(code_id: UUID, code: str, label: str | None = None, max_active: int | None = 1,
           at: datetime = AT) -> CreateRecruiterCode:
    return CreateRecruiterCode(recruiter_id=R, code_id=code_id, code=code, label=label, max_active=max_active,
                               by="u", at=at)


# --- making codes ---------------------------------------------------------------------------------------------

def test_the_first_code_is_the_default_and_later_ones_are_not():
    given(recruiter_codes).when(create(C1, "ABCDEFGH", "LinkedIn")).then(created(C1, "ABCDEFGH", "LinkedIn", True))
    given(recruiter_codes, created(C1, "ABCDEFGH", is_default=True)).when(create(C2, "HJKMNPQR", max_active=5)).then(
        created(C2, "HJKMNPQR"))


def test_a_code_beyond_the_plans_active_limit_is_refused():
    given(recruiter_codes, created(C1, "ABCDEFGH", is_default=True)).when(
        create(C2, "HJKMNPQR", max_active=1)).then_raises(ReferralCodeLimitReached)
    five = [created(i, f"CODE{n}AAA") for n, i in enumerate([C1, C2, C3, UUID(int=4), UUID(int=5)], start=2)]
    given(recruiter_codes, *five).when(create(UUID(int=6), "ZZZZZZZZ", max_active=5)).then_raises(
        ReferralCodeLimitReached)


def test_an_unlimited_plan_makes_codes_without_limit():
    many = [created(UUID(int=n), f"CODE{n:04d}".replace("0", "A").replace("1", "B")) for n in range(2, 40)]
    given(recruiter_codes, *many).when(create(C1, "ABCDEFGH", max_active=None)).then(created(C1, "ABCDEFGH"))


def test_a_deactivated_code_frees_its_place_under_the_limit():
    given(recruiter_codes, created(C1, "ABCDEFGH", is_default=True),
          RecruiterCodeDeactivated(recruiter_id=R, code_id=C1, code="ABCDEFGH", by="u", at=AT)).when(
        create(C2, "HJKMNPQR", max_active=1)).then(created(C2, "HJKMNPQR"))


def test_making_the_same_code_again_records_nothing_and_another_under_its_id_or_text_is_refused():
    history = given(recruiter_codes, created(C1, "ABCDEFGH", "LinkedIn", is_default=True))
    history.when(create(C1, "ABCDEFGH", "LinkedIn")).then()
    history.when(create(C1, "HJKMNPQR", "LinkedIn", max_active=5)).then_raises(CodeTaken)
    history.when(create(C2, "ABCDEFGH", max_active=5)).then_raises(CodeTaken)


@pytest.mark.parametrize("code", ["abcdefgh", "ABC", "ABCDEFG0", "ABCDEFGI", "A" * 33, "ABCD-EFG"])
def test_a_code_not_in_the_alphabet_or_too_short_or_long_is_invalid(code: str):
    with pytest.raises(ValidationError):
        create(C1, code)


def test_the_default_code_is_made_once_and_never_for_a_recruiter_who_has_had_a_code():
    default = EnsureDefaultRecruiterCode(recruiter_id=R, code_id=C1, code="ABCDEFGH", by="u", at=AT)
    given(recruiter_codes).when(default).then(created(C1, "ABCDEFGH", is_default=True))
    given(recruiter_codes, created(C1, "ABCDEFGH", is_default=True)).when(
        default.model_copy(update={"code": "HJKMNPQR"})).then()
    given(recruiter_codes, created(C2, "HJKMNPQR"),
          RecruiterCodeDeactivated(recruiter_id=R, code_id=C2, code="HJKMNPQR", by="u", at=AT)).when(default).then()


def test_deactivating_a_code_once_then_again_records_it_once():
    history = given(recruiter_codes, created(C1, "ABCDEFGH", is_default=True))
    deactivate = DeactivateRecruiterCode(recruiter_id=R, code_id=C1, by="u", at=LATER)
    deactivated = RecruiterCodeDeactivated(recruiter_id=R, code_id=C1, code="ABCDEFGH", by="u", at=LATER)
    history.when(deactivate).then(deactivated)
    given(recruiter_codes, created(C1, "ABCDEFGH", is_default=True), deactivated).when(deactivate).then()
    state = given(recruiter_codes, created(C1, "ABCDEFGH", is_default=True), deactivated).state
    [(_, code)] = state.codes
    assert (code.active, code.deactivated_at, state.active_count) == (False, LATER, 0)


def test_deactivating_a_code_the_recruiter_does_not_have_is_not_found():
    given(recruiter_codes, created(C1, "ABCDEFGH")).when(
        DeactivateRecruiterCode(recruiter_id=R, code_id=C2, by="u", at=AT)).then_raises(NotFound)


# --- redeeming a code ------------------------------------------------------------------------------------------

def redeem(code_id: UUID = C1, code: str = "ABCDEFGH", user_id: UUID = USER, at: datetime = AT) -> RedeemRecruiterCode:
    return RedeemRecruiterCode(user_id=user_id, recruiter_id=R, code_id=code_id, code=code, by=str(user_id), at=at)


def redeemed(code_id: UUID = C1, code: str = "ABCDEFGH", at: datetime = AT) -> RecruiterCodeRedeemed:
    return RecruiterCodeRedeemed(user_id=USER, recruiter_id=R, code_id=code_id, code=code, by=str(USER), at=at)


def test_a_user_registering_with_a_code_is_referred_by_its_recruiter():
    given(referral).when(redeem()).then(redeemed())


def test_the_same_code_again_records_nothing_and_a_second_code_is_refused():
    given(referral, redeemed()).when(redeem(at=LATER)).then()
    refused = given(referral, redeemed()).when(redeem(C2, "HJKMNPQR", at=LATER)).then_raises(AlreadyReferred)
    assert refused.details == {"referral_code": "ABCDEFGH"}


def test_a_recruiter_cannot_refer_themself():
    own_user = UUID("00000000-0000-4000-8000-0000000000e9")
    command = RedeemRecruiterCode(user_id=own_user, recruiter_id=recruiter_id_for(own_user), code_id=C1,
                                  code="ABCDEFGH", by="u", at=AT)
    given(referral).when(command).then_raises(SelfReferral)


def test_only_the_first_referral_counts_in_the_state():
    state = given(referral, redeemed(), redeemed(C2, "HJKMNPQR", LATER)).state
    assert (state.code_id, state.redeemed_at) == (C1, AT)
