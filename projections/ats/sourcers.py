"""Who sourced a candidate (`candidate_sourcers`) and who brought a company (`company_sourcers`):
one row each at most, the first claim, never replaced (domain §3.2, §5.2)."""

from __future__ import annotations

from commands.ats.sourcer_events import CandidateSourced, CompanySourced
from projections.ats.schema import ats
from projections.core import Sql

_COLUMNS = """
        sourcer_recruiter_id   uuid,
        sourcer_type           text NOT NULL,
        source_method          text,
        sourced_at             timestamptz NOT NULL,
        protection_window_days integer NOT NULL,
        protection_expires_at  timestamptz NOT NULL,
        notes                  text,
        created_by             text NOT NULL,
        created_at             timestamptz NOT NULL
"""

ats.ddl.append(
    f"""
    CREATE TABLE IF NOT EXISTS candidate_sourcers (
        candidate_id uuid PRIMARY KEY,{_COLUMNS}
    );
    CREATE INDEX IF NOT EXISTS candidate_sourcers_recruiter_idx ON candidate_sourcers (sourcer_recruiter_id);
    CREATE TABLE IF NOT EXISTS company_sourcers (
        company_id uuid PRIMARY KEY,{_COLUMNS}
    );
    CREATE INDEX IF NOT EXISTS company_sourcers_recruiter_idx ON company_sourcers (sourcer_recruiter_id);
    """
)


def _insert(table: str, key: str, e: CandidateSourced | CompanySourced) -> Sql:
    # DO NOTHING: the first sourcer stays, even if a stream somehow held a second claim.
    return Sql(
        f"INSERT INTO {table} ({key}, sourcer_recruiter_id, sourcer_type, source_method, sourced_at,"
        " protection_window_days, protection_expires_at, notes, created_by, created_at)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT ({key}) DO NOTHING",
        (getattr(e, key), e.sourcer_recruiter_id, e.sourcer_type, e.source_method, e.sourced_at,
         e.protection_window_days, e.protection_expires_at, e.notes, e.by, e.at),
    )


@ats.handles(CandidateSourced)
def _(e: CandidateSourced) -> Sql:
    return _insert("candidate_sourcers", "candidate_id", e)


@ats.handles(CompanySourced)
def _(e: CompanySourced) -> Sql:
    return _insert("company_sourcers", "company_id", e)
