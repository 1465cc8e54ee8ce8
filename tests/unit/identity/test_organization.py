from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.core import Conflict, NotFound, RuleViolation
from commands.identity.events import (
    MembershipAdded,
    MembershipRemoved,
    MembershipRoleChanged,
    OrganizationCompanyAttached,
    OrganizationCreated,
    OrganizationDeleted,
    OrganizationRenamed,
)
from commands.identity.organization import (
    AddMember,
    AttachCompany,
    ChangeMemberRole,
    CreateOrganization,
    DeleteOrganization,
    LastAdminRequired,
    OrganizationIsDeleted,
    RemoveMember,
    RenameOrganization,
    company_id_for,
    organization,
)
from tests.unit.dsl import given

ORG = UUID("00000000-0000-4000-8000-00000000000a")
COMPANY = UUID("00000000-0000-4000-8000-0000000000c0")
OTHER_COMPANY = UUID("00000000-0000-4000-8000-0000000000c1")
ADA = UUID("00000000-0000-4000-8000-0000000000a1")
BOB = UUID("00000000-0000-4000-8000-0000000000b1")
ACTOR = "user_2abc"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


def create(**overrides: Any) -> CreateOrganization:
    fields = {"organization_id": ORG, "name": "Acme", "slug": "acme", "by": ACTOR, "at": T0}
    return CreateOrganization(**fields | overrides)


def created(**overrides: Any) -> OrganizationCreated:
    return OrganizationCreated(**{"organization_id": ORG, "name": "Acme", "slug": "acme", "clerk_org_id": None,
                                  "company_id": None, "by": ACTOR, "at": T0} | overrides)


def add(user_id: UUID, role: Any, company_id: UUID | None = None) -> AddMember:
    return AddMember(organization_id=ORG, user_id=user_id, role=role, company_id=company_id, by=ACTOR, at=T1)


def added(user_id: UUID, role: Any, company_id: UUID | None = None) -> MembershipAdded:
    return MembershipAdded(organization_id=ORG, user_id=user_id, role=role, company_id=company_id, by=ACTOR, at=T1)


def change(user_id: UUID, role: Any, company_id: UUID | None = None) -> ChangeMemberRole:
    return ChangeMemberRole(organization_id=ORG, user_id=user_id, role=role, company_id=company_id, by=ACTOR, at=T1)


def changed(user_id: UUID, frm: Any, to: Any, company_id: UUID | None = None) -> MembershipRoleChanged:
    return MembershipRoleChanged(organization_id=ORG, user_id=user_id, company_id=company_id, from_role=frm, to_role=to,
                                 by=ACTOR, at=T1)


def remove(user_id: UUID, company_id: UUID | None = None) -> RemoveMember:
    return RemoveMember(organization_id=ORG, user_id=user_id, company_id=company_id, by=ACTOR, at=T1)


def removed(user_id: UUID, role: Any, company_id: UUID | None = None) -> MembershipRemoved:
    return MembershipRemoved(organization_id=ORG, user_id=user_id, company_id=company_id, role=role, by=ACTOR, at=T1)


DELETED = OrganizationDeleted(organization_id=ORG, by=ACTOR, at=T1)
# One of every command but the two that have their own rules on a missing or deleted organization.
OTHER_COMMANDS = [
    RenameOrganization(organization_id=ORG, name="Acme Inc", by=ACTOR, at=T1), add(BOB, "hiring_manager"),
    change(ADA, "hiring_manager"), remove(ADA),
]


# --- organization ---------------------------------------------------------------------------------

def test_new_organization_created_records_every_field():
    fields = {"clerk_org_id": "org_2xyz", "company_id": COMPANY}
    given(organization).when(create(**fields)).then(created(**fields))


def test_existing_organization_created_again_raises_conflict():
    given(organization, created()).when(create()).then_raises(Conflict)


@pytest.mark.parametrize("field, value", [("slug", "Acme"), ("slug", "acme inc"), ("slug", "-acme"), ("name", "  ")])
def test_organization_with_bad_field_is_rejected(field: str, value: str):
    with pytest.raises(ValidationError, match=field):
        create(**{field: value})


def test_rename_without_slug_keeps_slug():
    cmd = RenameOrganization(organization_id=ORG, name="Acme Inc", by=ACTOR, at=T1)
    given(organization, created()).when(cmd).then(
        OrganizationRenamed(organization_id=ORG, name="Acme Inc", slug="acme", by=ACTOR, at=T1)
    )


def test_rename_with_slug_records_both():
    cmd = RenameOrganization(organization_id=ORG, name="Acme Inc", slug="acme-inc", by=ACTOR, at=T1)
    given(organization, created()).when(cmd).then(
        OrganizationRenamed(organization_id=ORG, name="Acme Inc", slug="acme-inc", by=ACTOR, at=T1)
    )


def test_rename_to_current_name_and_slug_is_a_no_op():
    cmd = RenameOrganization(organization_id=ORG, name="Acme", slug="acme", by=ACTOR, at=T1)
    given(organization, created()).when(cmd).then()


def test_rename_already_applied_is_a_no_op():
    renamed = OrganizationRenamed(organization_id=ORG, name="Acme Inc", slug="acme", by=ACTOR, at=T1)
    cmd = RenameOrganization(organization_id=ORG, name="Acme Inc", by=ACTOR, at=T1)
    given(organization, created(), renamed).when(cmd).then()


def test_organization_deleted_records_it():
    given(organization, created()).when(DeleteOrganization(organization_id=ORG, by=ACTOR, at=T1)).then(DELETED)


def test_deleted_organization_deleted_again_is_a_no_op():
    given(organization, created(), DELETED).when(DeleteOrganization(organization_id=ORG, by=ACTOR, at=T1)).then()


@pytest.mark.parametrize("cmd", OTHER_COMMANDS, ids=lambda cmd: type(cmd).__name__)
def test_command_on_deleted_organization_raises(cmd: Any):
    history = [created(), added(ADA, "company_admin"), DELETED]
    given(organization, *history).when(cmd).then_raises(OrganizationIsDeleted, "is deleted")


@pytest.mark.parametrize("cmd", [*OTHER_COMMANDS, DeleteOrganization(organization_id=ORG, by=ACTOR, at=T1)],
                         ids=lambda cmd: type(cmd).__name__)
def test_command_on_missing_organization_raises_not_found(cmd: Any):
    given(organization).when(cmd).then_raises(NotFound)


# --- adding members -------------------------------------------------------------------------------

def test_member_added_records_it():
    given(organization, created()).when(add(ADA, "company_admin")).then(added(ADA, "company_admin"))


def test_member_added_again_with_same_role_is_a_no_op():
    given(organization, created(), added(ADA, "company_admin")).when(add(ADA, "company_admin")).then()


def test_company_scoped_membership_is_added_alongside_org_wide_one():
    given(organization, created(), added(ADA, "company_admin")).when(add(ADA, "hiring_manager", COMPANY)).then(
        added(ADA, "hiring_manager", COMPANY)
    )


def test_membership_for_other_company_is_added_alongside():
    history = [created(), added(BOB, "hiring_manager", COMPANY)]
    given(organization, *history).when(add(BOB, "hiring_manager", OTHER_COMPANY)).then(
        added(BOB, "hiring_manager", OTHER_COMPANY)
    )


def test_member_added_with_other_role_in_same_scope_raises_conflict():
    given(organization, created(), added(ADA, "company_admin")).when(add(ADA, "hiring_manager")).then_raises(
        Conflict, "change the member's role"
    )


def test_removed_member_added_again_is_recorded():
    history = [created(), added(ADA, "company_admin"), added(BOB, "hiring_manager"), removed(BOB, "hiring_manager")]
    given(organization, *history).when(add(BOB, "hiring_manager")).then(added(BOB, "hiring_manager"))


# --- changing roles -------------------------------------------------------------------------------

def test_member_role_changed_records_from_and_to():
    history = [created(), added(ADA, "company_admin"), added(BOB, "hiring_manager")]
    given(organization, *history).when(change(BOB, "company_admin")).then(
        changed(BOB, "hiring_manager", "company_admin")
    )


def test_member_role_changed_to_current_role_is_a_no_op():
    given(organization, created(), added(ADA, "company_admin")).when(change(ADA, "company_admin")).then()


def test_role_change_of_non_member_raises_not_found():
    given(organization, created(), added(ADA, "company_admin")).when(change(BOB, "company_admin")).then_raises(
        NotFound, "no membership organization-wide"
    )


def test_role_change_in_scope_without_membership_raises_not_found():
    history = [created(), added(ADA, "company_admin")]
    given(organization, *history).when(change(ADA, "hiring_manager", COMPANY)).then_raises(
        NotFound, f"for company {COMPANY}"
    )


def test_last_org_wide_admin_demoted_raises():
    history = [created(), added(ADA, "company_admin"), added(BOB, "hiring_manager")]
    given(organization, *history).when(change(ADA, "hiring_manager")).then_raises(LastAdminRequired, "last")


def test_last_admin_required_is_a_rule_violation():
    given(organization, created(), added(ADA, "company_admin")).when(change(ADA, "hiring_manager")).then_raises(
        RuleViolation
    )


def test_one_of_two_org_wide_admins_demoted_is_recorded():
    history = [created(), added(ADA, "company_admin"), added(BOB, "company_admin")]
    given(organization, *history).when(change(ADA, "hiring_manager")).then(
        changed(ADA, "company_admin", "hiring_manager")
    )


def test_company_scoped_admin_demoted_is_recorded():
    history = [created(), added(ADA, "company_admin"), added(BOB, "company_admin", COMPANY)]
    given(organization, *history).when(change(BOB, "hiring_manager", COMPANY)).then(
        changed(BOB, "company_admin", "hiring_manager", COMPANY)
    )


def test_last_org_wide_admin_demoted_raises_even_with_company_scoped_admins():
    history = [created(), added(ADA, "company_admin"), added(BOB, "company_admin", COMPANY)]
    given(organization, *history).when(change(ADA, "hiring_manager")).then_raises(LastAdminRequired)


# --- removing members -----------------------------------------------------------------------------

def test_member_removed_records_role():
    history = [created(), added(ADA, "company_admin"), added(BOB, "hiring_manager")]
    given(organization, *history).when(remove(BOB)).then(removed(BOB, "hiring_manager"))


def test_non_member_removed_is_a_no_op():
    given(organization, created(), added(ADA, "company_admin")).when(remove(BOB)).then()


def test_member_removed_twice_is_a_no_op():
    history = [created(), added(ADA, "company_admin"), added(BOB, "hiring_manager"), removed(BOB, "hiring_manager")]
    given(organization, *history).when(remove(BOB)).then()


def test_company_scoped_membership_removed_keeps_org_wide_one():
    history = [created(), added(ADA, "company_admin"), added(ADA, "company_admin", COMPANY)]
    given(organization, *history).when(remove(ADA, COMPANY)).then(removed(ADA, "company_admin", COMPANY))
    assert given(organization, *history, removed(ADA, "company_admin", COMPANY)).state.members == {
        (ADA, None): "company_admin"
    }


def test_last_org_wide_admin_removed_raises():
    history = [created(), added(ADA, "company_admin"), added(BOB, "hiring_manager")]
    given(organization, *history).when(remove(ADA)).then_raises(LastAdminRequired, "last organization-wide")


def test_last_org_wide_admin_removed_raises_even_with_company_scoped_admins():
    history = [created(), added(ADA, "company_admin"), added(BOB, "company_admin", COMPANY)]
    given(organization, *history).when(remove(ADA)).then_raises(LastAdminRequired)


def test_one_of_two_org_wide_admins_removed_is_recorded():
    history = [created(), added(ADA, "company_admin"), added(BOB, "company_admin")]
    given(organization, *history).when(remove(ADA)).then(removed(ADA, "company_admin"))


def test_remaining_admin_after_removal_cannot_be_removed():
    history = [created(), added(ADA, "company_admin"), added(BOB, "company_admin"), removed(ADA, "company_admin")]
    given(organization, *history).when(remove(BOB)).then_raises(LastAdminRequired)


def test_remaining_admin_after_demotion_cannot_be_removed():
    history = [
        created(), added(ADA, "company_admin"), added(BOB, "company_admin"),
        changed(ADA, "company_admin", "hiring_manager"),
    ]
    given(organization, *history).when(remove(BOB)).then_raises(LastAdminRequired)


# --- the company an organization runs --------------------------------------------------------------

def attach(company_id: UUID = COMPANY) -> AttachCompany:
    return AttachCompany(organization_id=ORG, company_id=company_id, by=ACTOR, at=T1)


def attached(company_id: UUID = COMPANY) -> OrganizationCompanyAttached:
    return OrganizationCompanyAttached(organization_id=ORG, company_id=company_id, by=ACTOR, at=T1)


def test_organization_without_a_company_gets_one_attached():
    [event] = given(organization, created()).when(attach()).then(attached())
    assert organization.evolve(given(organization, created()).state, event).company_id == COMPANY


def test_company_attached_again_is_a_no_op():
    given(organization, created(), attached()).when(attach()).then()
    given(organization, created(company_id=COMPANY)).when(attach()).then()


def test_organization_running_a_company_gets_no_other():
    given(organization, created(company_id=COMPANY)).when(attach(OTHER_COMPANY)).then_raises(Conflict, "already runs")
    given(organization, created(), attached()).when(attach(OTHER_COMPANY)).then_raises(Conflict, "already runs")


def test_company_attached_to_a_missing_or_deleted_organization_raises():
    given(organization).when(attach()).then_raises(NotFound)
    given(organization, created(), DELETED).when(attach()).then_raises(OrganizationIsDeleted)


def test_company_id_is_derived_from_the_organization_alone():
    assert company_id_for(ORG) == company_id_for(ORG) != company_id_for(UUID(int=ORG.int + 1))
