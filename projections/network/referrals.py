"""Referral codes, the sign-ups through them, and company platform invitations (domain §3.3).

`recruiter_codes`: one row per code, with how many users registered with it; `referrals`: one row per user who
registered with a code (the first code only, as on the stream); `company_invitations`: one row per invitation,
its recorded status (an expired one is read from `expires_at` by the queries).
"""

from __future__ import annotations

from commands.network.company_invitation_events import (
    CompanyPlatformInvitationAccepted,
    CompanyPlatformInvitationCreated,
    CompanyPlatformInvitationRevoked,
)
from commands.network.recruiter_code_events import (
    RecruiterCodeCreated,
    RecruiterCodeDeactivated,
    RecruiterCodeRedeemed,
)
from projections.core import Sql
from projections.network.schema import network

network.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS recruiter_codes (
        id             uuid PRIMARY KEY,
        recruiter_id   uuid NOT NULL,
        code           text NOT NULL,
        label          text,
        is_default     boolean NOT NULL,
        status         text NOT NULL,
        redemptions    integer NOT NULL DEFAULT 0,
        created_at     timestamptz NOT NULL,
        deactivated_at timestamptz,
        updated_at     timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS recruiter_codes_recruiter_idx ON recruiter_codes (recruiter_id, created_at);
    CREATE INDEX IF NOT EXISTS recruiter_codes_code_idx ON recruiter_codes (code);
    CREATE TABLE IF NOT EXISTS referrals (
        user_id      uuid PRIMARY KEY,
        recruiter_id uuid NOT NULL,
        code_id      uuid NOT NULL,
        code         text NOT NULL,
        redeemed_at  timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS referrals_recruiter_idx ON referrals (recruiter_id, redeemed_at);
    CREATE TABLE IF NOT EXISTS company_invitations (
        id                  uuid PRIMARY KEY,
        recruiter_id        uuid NOT NULL,
        invite_code         text NOT NULL,
        token_digest        text NOT NULL,
        invited_email       text NOT NULL,
        company_name_hint   text,
        personal_message    text,
        status              text NOT NULL,
        expires_at          timestamptz NOT NULL,
        accepted_by_user_id uuid,
        organization_id     uuid,
        company_id          uuid,
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS company_invitations_recruiter_idx ON company_invitations (recruiter_id, created_at);
    CREATE INDEX IF NOT EXISTS company_invitations_digest_idx ON company_invitations (token_digest);
    """
)


@network.handles(RecruiterCodeCreated)
def _(e: RecruiterCodeCreated) -> Sql:
    return Sql(
        "INSERT INTO recruiter_codes (id, recruiter_id, code, label, is_default, status, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, 'active', %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.code_id, e.recruiter_id, e.code, e.label, e.is_default, e.at, e.at),
    )


@network.handles(RecruiterCodeDeactivated)
def _(e: RecruiterCodeDeactivated) -> Sql:
    return Sql("UPDATE recruiter_codes SET status = 'inactive', deactivated_at = %s, updated_at = %s WHERE id = %s",
               (e.at, e.at, e.code_id))


@network.handles(RecruiterCodeRedeemed)
def _(e: RecruiterCodeRedeemed) -> list[Sql]:
    # The count moves only when the referral row is new: a re-applied event changes nothing.
    return [Sql(
        "WITH added AS (INSERT INTO referrals (user_id, recruiter_id, code_id, code, redeemed_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id) DO NOTHING RETURNING code_id)"
        " UPDATE recruiter_codes SET redemptions = redemptions + 1 WHERE id IN (SELECT code_id FROM added)",
        (e.user_id, e.recruiter_id, e.code_id, e.code, e.at),
    )]


@network.handles(CompanyPlatformInvitationCreated)
def _(e: CompanyPlatformInvitationCreated) -> Sql:
    return Sql(
        "INSERT INTO company_invitations (id, recruiter_id, invite_code, token_digest, invited_email,"
        " company_name_hint, personal_message, status, expires_at, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, 'pending', %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.invitation_id, e.recruiter_id, e.invite_code, e.token_digest, e.invited_email, e.company_name_hint,
         e.personal_message, e.expires_at, e.at, e.at),
    )


@network.handles(CompanyPlatformInvitationRevoked)
def _(e: CompanyPlatformInvitationRevoked) -> Sql:
    return Sql("UPDATE company_invitations SET status = 'revoked', updated_at = %s WHERE id = %s",
               (e.at, e.invitation_id))


@network.handles(CompanyPlatformInvitationAccepted)
def _(e: CompanyPlatformInvitationAccepted) -> Sql:
    return Sql(
        "UPDATE company_invitations SET status = 'accepted', accepted_by_user_id = %s, organization_id = %s,"
        " company_id = %s, updated_at = %s WHERE id = %s",
        (e.accepted_by_user_id, e.organization_id, e.company_id, e.at, e.invitation_id),
    )
