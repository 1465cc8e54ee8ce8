"""Users, their platform roles and their latest consent."""

from __future__ import annotations

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
from projections.core import Sql
from projections.identity.schema import identity

identity.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS users (
        id                       uuid PRIMARY KEY,
        clerk_user_id            text NOT NULL UNIQUE,
        email                    text NOT NULL,
        name                     text,
        image_url                text,
        source                   text NOT NULL,
        referred_by_recruiter_id uuid,
        onboarding_status        text NOT NULL DEFAULT 'pending',
        onboarding_step          integer NOT NULL DEFAULT 1,
        onboarding_completed_at  timestamptz,
        last_active_at           timestamptz,
        deleted_at               timestamptz,
        created_at               timestamptz NOT NULL,
        updated_at               timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS users_email_idx ON users (lower(email));
    CREATE TABLE IF NOT EXISTS user_roles (
        user_id        uuid NOT NULL,
        role           text NOT NULL,
        role_entity_id uuid,
        granted_at     timestamptz NOT NULL,
        UNIQUE NULLS NOT DISTINCT (user_id, role, role_entity_id)
    );
    CREATE TABLE IF NOT EXISTS consents (
        user_id     uuid PRIMARY KEY,
        necessary   boolean NOT NULL,
        functional  boolean NOT NULL,
        analytics   boolean NOT NULL,
        marketing   boolean NOT NULL,
        ip_address  text,
        user_agent  text,
        source      text NOT NULL,
        recorded_at timestamptz NOT NULL
    );
    """
)

_PROFILE_COLUMNS = {"email", "name", "image_url"}


@identity.handles(UserRegistered)
def _(e: UserRegistered) -> Sql:
    return Sql(
        "INSERT INTO users (id, clerk_user_id, email, name, image_url, source, referred_by_recruiter_id,"
        " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.user_id, e.clerk_user_id, e.email, e.name, e.image_url, e.source, e.referred_by_recruiter_id, e.at, e.at),
    )


@identity.handles(UserProfileUpdated)
def _(e: UserProfileUpdated) -> Sql | None:
    changes = {k: v for k, v in e.changes.items() if k in _PROFILE_COLUMNS}
    if not changes:
        return None
    assignments = ", ".join(f"{column} = %({column})s" for column in sorted(changes))
    return Sql(f"UPDATE users SET {assignments}, updated_at = %(at)s WHERE id = %(id)s", {**changes, "id": e.user_id, "at": e.at})


@identity.handles(UserSignedIn)
def _(e: UserSignedIn) -> Sql:
    return Sql("UPDATE users SET last_active_at = %s WHERE id = %s", (e.at, e.user_id))


@identity.handles(OnboardingProgressed)
def _(e: OnboardingProgressed) -> Sql:
    return Sql(
        "UPDATE users SET onboarding_status = %s, onboarding_step = %s, onboarding_completed_at = %s, updated_at = %s"
        " WHERE id = %s",
        (e.status, e.step, e.completed_at, e.at, e.user_id),
    )


@identity.handles(UserDeleted)
def _(e: UserDeleted) -> list[Sql]:
    return [
        Sql("UPDATE users SET deleted_at = %s, updated_at = %s WHERE id = %s", (e.at, e.at, e.user_id)),
        Sql("DELETE FROM user_roles WHERE user_id = %s", (e.user_id,)),
    ]


@identity.handles(UserRoleGranted)
def _(e: UserRoleGranted) -> Sql:
    return Sql(
        "INSERT INTO user_roles (user_id, role, role_entity_id, granted_at) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (e.user_id, e.role, e.role_entity_id, e.at),
    )


@identity.handles(UserRoleRevoked)
def _(e: UserRoleRevoked) -> Sql:
    return Sql(
        "DELETE FROM user_roles WHERE user_id = %s AND role = %s AND role_entity_id IS NOT DISTINCT FROM %s",
        (e.user_id, e.role, e.role_entity_id),
    )


@identity.handles(ConsentRecorded)
def _(e: ConsentRecorded) -> Sql:
    return Sql(
        "INSERT INTO consents VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET"
        " necessary = EXCLUDED.necessary, functional = EXCLUDED.functional, analytics = EXCLUDED.analytics,"
        " marketing = EXCLUDED.marketing, ip_address = EXCLUDED.ip_address, user_agent = EXCLUDED.user_agent,"
        " source = EXCLUDED.source, recorded_at = EXCLUDED.recorded_at",
        (e.user_id, e.necessary, e.functional, e.analytics, e.marketing, e.ip_address, e.user_agent, e.source, e.at),
    )
