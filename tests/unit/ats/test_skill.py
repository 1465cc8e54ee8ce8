"""The skills catalogue: admins add approved skills, others propose; a proposal waits for an admin."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.ats.skill import AddSkill, ApproveSkill, skill, skill_id_for
from commands.ats.skill_events import SkillApproved, SkillCatalogued
from commands.core import NotFound, RuleViolation
from tests.unit.dsl import given

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USER = UUID("00000000-0000-4000-8000-00000000a5e1")
CPP = skill_id_for("c-plus-plus")


def add(name: str = "C++", *, approved: bool, skill_id: UUID = CPP) -> AddSkill:
    return AddSkill(skill_id=skill_id, name=name, approved=approved, proposed_by_user_id=None if approved else USER,
                    by="user_x", at=AT)


def catalogued(*, approved: bool) -> SkillCatalogued:
    return SkillCatalogued(skill_id=CPP, slug="c-plus-plus", name="C++", is_approved=approved,
                           proposed_by_user_id=None if approved else USER, by="user_x", at=AT)


def approve(skill_id: UUID = CPP) -> ApproveSkill:
    return ApproveSkill(skill_id=skill_id, by="user_admin", at=AT)


def test_an_admin_adds_an_approved_skill() -> None:
    given(skill).when(add(approved=True)).then(catalogued(approved=True))


def test_a_proposal_is_recorded_unapproved_with_its_proposer() -> None:
    given(skill).when(add(approved=False)).then(catalogued(approved=False))


def test_a_skill_added_or_proposed_again_records_nothing() -> None:
    given(skill, catalogued(approved=True)).when(add(approved=False)).then()
    given(skill, catalogued(approved=True)).when(add(approved=True)).then()
    given(skill, catalogued(approved=False)).when(add("c++", approved=False)).then()


def test_an_admin_adding_a_proposed_skill_approves_it() -> None:
    given(skill, catalogued(approved=False)).when(add(approved=True)).then(
        SkillApproved(skill_id=CPP, by="user_x", at=AT))


def test_approving_a_proposal_once() -> None:
    approved = SkillApproved(skill_id=CPP, by="user_admin", at=AT)
    given(skill, catalogued(approved=False)).when(approve()).then(approved)
    given(skill, catalogued(approved=False), approved).when(approve()).then()
    given(skill, catalogued(approved=True)).when(approve()).then()


def test_approving_a_missing_skill_is_refused() -> None:
    given(skill).when(approve()).then_raises(NotFound)


def test_a_name_without_letters_or_an_id_not_of_its_slug_is_refused() -> None:
    given(skill).when(add("!!!", approved=True, skill_id=skill_id_for(""))) \
        .then_raises(RuleViolation, match="letter or digit")
    given(skill).when(add("Rust", approved=True)).then_raises(RuleViolation, match="id is the one of its slug")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_name_out_of_bounds_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        add(name, approved=True)
