"""Organizations, their memberships, and invitations to join them."""

from __future__ import annotations

from commands.identity.events import (
    InvitationAccepted,
    InvitationCreated,
    InvitationExpired,
    InvitationRevoked,
    MembershipAdded,
    MembershipRemoved,
    MembershipRoleChanged,
    OrganizationCompanyAttached,
    OrganizationCreated,
    OrganizationDeleted,
    OrganizationRenamed,
)
from projections.core import Sql
from projections.identity.schema import identity

identity.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS organizations (
        id           uuid PRIMARY KEY,
        name         text NOT NULL,
        slug         text NOT NULL,
        clerk_org_id text,
        company_id   uuid,
        deleted_at   timestamptz,
        created_at   timestamptz NOT NULL,
        updated_at   timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS memberships (
        organization_id uuid NOT NULL,
        user_id         uuid NOT NULL,
        company_id      uuid,
        role            text NOT NULL,
        added_at        timestamptz NOT NULL,
        UNIQUE NULLS NOT DISTINCT (organization_id, user_id, company_id)
    );
    CREATE INDEX IF NOT EXISTS memberships_user_idx ON memberships (user_id);
    CREATE TABLE IF NOT EXISTS invitations (
        id              uuid PRIMARY KEY,
        email           text NOT NULL,
        organization_id uuid NOT NULL,
        company_id      uuid,
        role            text NOT NULL,
        invited_by      text NOT NULL,
        status          text NOT NULL,
        expires_at      timestamptz NOT NULL,
        accepted_by     uuid,
        accepted_at     timestamptz,
        created_at      timestamptz NOT NULL,
        updated_at      timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS invitations_email_idx ON invitations (email, status);
    """
)


@identity.handles(OrganizationCreated)
def _(e: OrganizationCreated) -> Sql:
    return Sql(
        "INSERT INTO organizations (id, name, slug, clerk_org_id, company_id, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.organization_id, e.name, e.slug, e.clerk_org_id, e.company_id, e.at, e.at),
    )


@identity.handles(OrganizationRenamed)
def _(e: OrganizationRenamed) -> Sql:
    return Sql("UPDATE organizations SET name = %s, slug = %s, updated_at = %s WHERE id = %s",
               (e.name, e.slug, e.at, e.organization_id))


@identity.handles(OrganizationCompanyAttached)
def _(e: OrganizationCompanyAttached) -> Sql:
    return Sql("UPDATE organizations SET company_id = %s, updated_at = %s WHERE id = %s",
               (e.company_id, e.at, e.organization_id))


@identity.handles(OrganizationDeleted)
def _(e: OrganizationDeleted) -> list[Sql]:
    return [
        Sql("UPDATE organizations SET deleted_at = %s, updated_at = %s WHERE id = %s", (e.at, e.at, e.organization_id)),
        Sql("DELETE FROM memberships WHERE organization_id = %s", (e.organization_id,)),
    ]


@identity.handles(MembershipAdded)
def _(e: MembershipAdded) -> Sql:
    return Sql(
        "INSERT INTO memberships (organization_id, user_id, company_id, role, added_at) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (organization_id, user_id, company_id) DO UPDATE SET role = EXCLUDED.role",
        (e.organization_id, e.user_id, e.company_id, e.role, e.at),
    )


@identity.handles(MembershipRoleChanged)
def _(e: MembershipRoleChanged) -> Sql:
    return Sql(
        "UPDATE memberships SET role = %s WHERE organization_id = %s AND user_id = %s"
        " AND company_id IS NOT DISTINCT FROM %s",
        (e.to_role, e.organization_id, e.user_id, e.company_id),
    )


@identity.handles(MembershipRemoved)
def _(e: MembershipRemoved) -> Sql:
    return Sql(
        "DELETE FROM memberships WHERE organization_id = %s AND user_id = %s AND company_id IS NOT DISTINCT FROM %s",
        (e.organization_id, e.user_id, e.company_id),
    )


@identity.handles(InvitationCreated)
def _(e: InvitationCreated) -> Sql:
    return Sql(
        "INSERT INTO invitations (id, email, organization_id, company_id, role, invited_by, status, expires_at,"
        " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, 'pending', %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.invitation_id, e.email, e.organization_id, e.company_id, e.role, e.invited_by, e.expires_at, e.at, e.at),
    )


@identity.handles(InvitationAccepted)
def _(e: InvitationAccepted) -> Sql:
    return Sql(
        "UPDATE invitations SET status = 'accepted', accepted_by = %s, accepted_at = %s, updated_at = %s WHERE id = %s",
        (e.user_id, e.at, e.at, e.invitation_id),
    )


@identity.handles(InvitationRevoked)
def _(e: InvitationRevoked) -> Sql:
    return Sql("UPDATE invitations SET status = 'revoked', updated_at = %s WHERE id = %s", (e.at, e.invitation_id))


@identity.handles(InvitationExpired)
def _(e: InvitationExpired) -> Sql:
    return Sql("UPDATE invitations SET status = 'expired', updated_at = %s WHERE id = %s", (e.at, e.invitation_id))
