"""Companies: their marketplace profile (`companies`) and the billing readiness their jobs need to
leave draft (`company_billing`, kept apart because it predates the profile and may exist without one)."""

from __future__ import annotations

from typing import Any, get_args

from psycopg.types.json import Jsonb

from commands.ats.events import (
    CompanyBillingReadinessSet,
    CompanyCreated,
    CompanyMarketplaceVisibilitySet,
    CompanyProfileField,
    CompanyProfileUpdated,
    CompanyStatusChanged,
)
from projections.ats.schema import ats
from projections.core import Sql

ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS company_billing (
        company_id    uuid PRIMARY KEY,
        billing_ready boolean NOT NULL,
        updated_at    timestamptz NOT NULL
    );
    """
)

# The slug is unique among companies, but that is checked before the command is sent: a read table
# never refuses an accepted event, so there is no unique index here.
ats.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS companies (
        id                       uuid PRIMARY KEY,
        identity_organization_id uuid NOT NULL,
        name                     text NOT NULL,
        slug                     text NOT NULL,
        website                  text,
        industry                 text,
        company_size             text,
        headquarters_location    text,
        description              text,
        logo_url                 text,
        stage                    text,
        founded_year             integer,
        tagline                  text,
        mission_statement        text,
        benefits_summary         text,
        employee_count           integer,
        tech_stack               text[] NOT NULL,
        hiring_process           text,
        social_links             jsonb NOT NULL,
        marketplace_visible      boolean NOT NULL,
        status                   text NOT NULL,
        created_by               text NOT NULL,
        created_at               timestamptz NOT NULL,
        updated_at               timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS companies_slug_idx ON companies (slug);
    CREATE INDEX IF NOT EXISTS companies_marketplace_idx ON companies (marketplace_visible, status, name);
    CREATE INDEX IF NOT EXISTS companies_organization_idx ON companies (identity_organization_id);
    """
)

_PROFILE = frozenset(get_args(CompanyProfileField))


def _column_value(column: str, value: Any) -> Any:
    if column == "social_links":
        return Jsonb(value or {})
    if column == "tech_stack":
        return list(value or [])
    return value


@ats.handles(CompanyBillingReadinessSet)
def _(e: CompanyBillingReadinessSet) -> Sql:
    return Sql(
        "INSERT INTO company_billing (company_id, billing_ready, updated_at) VALUES (%s, %s, %s)"
        " ON CONFLICT (company_id) DO UPDATE SET billing_ready = EXCLUDED.billing_ready, updated_at = EXCLUDED.updated_at",
        (e.company_id, e.ready, e.at),
    )


@ats.handles(CompanyCreated)
def _(e: CompanyCreated) -> Sql:
    profile = {name: _column_value(name, getattr(e, name)) for name in sorted(_PROFILE)}
    columns = ", ".join(profile)
    placeholders = ", ".join(f"%({c})s" for c in profile)
    return Sql(
        f"INSERT INTO companies (id, identity_organization_id, {columns}, marketplace_visible, status, created_by,"
        f" created_at, updated_at) VALUES (%(id)s, %(org)s, {placeholders}, %(visible)s, %(status)s, %(by)s,"
        " %(at)s, %(at)s) ON CONFLICT (id) DO NOTHING",
        {**profile, "id": e.company_id, "org": e.identity_organization_id, "visible": e.marketplace_visible,
         "status": e.status, "by": e.by, "at": e.at},
    )


@ats.handles(CompanyProfileUpdated)
def _(e: CompanyProfileUpdated) -> Sql | None:
    changes = {k: _column_value(k, v) for k, v in e.changes.items() if k in _PROFILE}
    if not changes:
        return None
    assignments = ", ".join(f"{column} = %({column})s" for column in sorted(changes))
    return Sql(f"UPDATE companies SET {assignments}, updated_at = %(at)s WHERE id = %(id)s",
               {**changes, "id": e.company_id, "at": e.at})


@ats.handles(CompanyMarketplaceVisibilitySet)
def _(e: CompanyMarketplaceVisibilitySet) -> Sql:
    return Sql("UPDATE companies SET marketplace_visible = %s, updated_at = %s WHERE id = %s",
               (e.visible, e.at, e.company_id))


@ats.handles(CompanyStatusChanged)
def _(e: CompanyStatusChanged) -> Sql:
    return Sql("UPDATE companies SET status = %s, updated_at = %s WHERE id = %s", (e.to_status, e.at, e.company_id))
