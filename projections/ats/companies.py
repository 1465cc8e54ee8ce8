"""Company settings the ats commands check (for now: billing readiness)."""

from __future__ import annotations

from commands.ats.events import CompanyBillingReadinessSet
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


@ats.handles(CompanyBillingReadinessSet)
def _(e: CompanyBillingReadinessSet) -> Sql:
    return Sql(
        "INSERT INTO company_billing (company_id, billing_ready, updated_at) VALUES (%s, %s, %s)"
        " ON CONFLICT (company_id) DO UPDATE SET billing_ready = EXCLUDED.billing_ready, updated_at = EXCLUDED.updated_at",
        (e.company_id, e.ready, e.at),
    )
