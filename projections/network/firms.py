"""Firms, their members and the invitations to join them.

A removed member's row is deleted: `firm_members` lists who is in the firm now. Invitations keep
every status, so the firm sees what became of them.
"""

from __future__ import annotations

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
from projections.core import Sql
from projections.network.schema import network

network.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS firms (
        id                  uuid PRIMARY KEY,
        name                text NOT NULL,
        slug                text NOT NULL,
        owner_user_id       uuid NOT NULL,
        status              text NOT NULL,
        admin_take_rate_bps integer NOT NULL,
        suspended_reason    text,
        suspended_at        timestamptz,
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS firms_slug_idx ON firms (slug);
    CREATE TABLE IF NOT EXISTS firm_members (
        firm_id       uuid NOT NULL,
        user_id       uuid NOT NULL,
        recruiter_id  uuid NOT NULL,
        role          text NOT NULL,
        invitation_id uuid,
        joined_at     timestamptz NOT NULL,
        PRIMARY KEY (firm_id, user_id)
    );
    CREATE INDEX IF NOT EXISTS firm_members_user_idx ON firm_members (user_id);
    CREATE TABLE IF NOT EXISTS firm_invitations (
        id                 uuid PRIMARY KEY,
        firm_id            uuid NOT NULL,
        email              text NOT NULL,
        role               text NOT NULL,
        status             text NOT NULL,
        invited_by_user_id uuid,
        expires_at         timestamptz NOT NULL,
        accepted_by        uuid,
        accepted_at        timestamptz,
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS firm_invitations_firm_idx ON firm_invitations (firm_id, created_at DESC);
    CREATE INDEX IF NOT EXISTS firm_invitations_email_idx ON firm_invitations (email, status);
    CREATE INDEX IF NOT EXISTS firm_invitations_pending_idx ON firm_invitations (expires_at) WHERE status = 'pending';
    """
)


@network.handles(FirmCreated)
def _(e: FirmCreated) -> Sql:
    return Sql(
        "INSERT INTO firms (id, name, slug, owner_user_id, status, admin_take_rate_bps, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, 'active', %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.firm_id, e.name, e.slug, e.owner_user_id, e.admin_take_rate_bps, e.at, e.at),
    )


@network.handles(FirmAdminTakeRateSet)
def _(e: FirmAdminTakeRateSet) -> Sql:
    return Sql("UPDATE firms SET admin_take_rate_bps = %s, updated_at = %s WHERE id = %s", (e.to_bps, e.at, e.firm_id))


@network.handles(FirmSuspended)
def _(e: FirmSuspended) -> Sql:
    return Sql("UPDATE firms SET status = 'suspended', suspended_reason = %s, suspended_at = %s, updated_at = %s"
               " WHERE id = %s", (e.reason, e.at, e.at, e.firm_id))


@network.handles(FirmReactivated)
def _(e: FirmReactivated) -> Sql:
    return Sql("UPDATE firms SET status = 'active', suspended_reason = NULL, suspended_at = NULL, updated_at = %s"
               " WHERE id = %s", (e.at, e.firm_id))


@network.handles(FirmOwnershipTransferred)
def _(e: FirmOwnershipTransferred) -> list[Sql]:
    return [
        Sql("UPDATE firms SET owner_user_id = %s, updated_at = %s WHERE id = %s", (e.to_user_id, e.at, e.firm_id)),
        Sql("UPDATE firm_members SET role = CASE WHEN user_id = %s THEN 'owner' ELSE 'admin' END"
            " WHERE firm_id = %s AND user_id IN (%s, %s)", (e.to_user_id, e.firm_id, e.from_user_id, e.to_user_id)),
    ]


@network.handles(FirmMemberAdded)
def _(e: FirmMemberAdded) -> Sql:
    return Sql(
        "INSERT INTO firm_members (firm_id, user_id, recruiter_id, role, invitation_id, joined_at)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (firm_id, user_id) DO UPDATE SET role = EXCLUDED.role, invitation_id = EXCLUDED.invitation_id,"
        " joined_at = EXCLUDED.joined_at",
        (e.firm_id, e.user_id, e.recruiter_id, e.role, e.invitation_id, e.at),
    )


@network.handles(FirmMemberRoleChanged)
def _(e: FirmMemberRoleChanged) -> Sql:
    return Sql("UPDATE firm_members SET role = %s WHERE firm_id = %s AND user_id = %s", (e.to_role, e.firm_id, e.user_id))


@network.handles(FirmMemberRemoved)
def _(e: FirmMemberRemoved) -> Sql:
    return Sql("DELETE FROM firm_members WHERE firm_id = %s AND user_id = %s", (e.firm_id, e.user_id))


@network.handles(FirmInvitationCreated)
def _(e: FirmInvitationCreated) -> Sql:
    return Sql(
        "INSERT INTO firm_invitations (id, firm_id, email, role, status, invited_by_user_id, expires_at, created_at,"
        " updated_at) VALUES (%s, %s, %s, %s, 'pending', %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.invitation_id, e.firm_id, e.email, e.role, e.invited_by_user_id, e.expires_at, e.at, e.at),
    )


@network.handles(FirmInvitationAccepted)
def _(e: FirmInvitationAccepted) -> Sql:
    return Sql("UPDATE firm_invitations SET status = 'accepted', accepted_by = %s, accepted_at = %s, updated_at = %s"
               " WHERE id = %s", (e.user_id, e.at, e.at, e.invitation_id))


@network.handles(FirmInvitationRevoked)
def _(e: FirmInvitationRevoked) -> Sql:
    return Sql("UPDATE firm_invitations SET status = 'revoked', updated_at = %s WHERE id = %s", (e.at, e.invitation_id))


@network.handles(FirmInvitationExpired)
def _(e: FirmInvitationExpired) -> Sql:
    return Sql("UPDATE firm_invitations SET status = 'expired', updated_at = %s WHERE id = %s", (e.at, e.invitation_id))
