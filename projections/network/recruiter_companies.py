"""Recruiter–company relationships and the permissions the company grants. One row per pair: a new
invitation or request on a declined or terminated pair resets the row, as it does the stream.

`permissions` are those in force (empty unless active); `proposed_permissions` those an invitation
offers until the recruiter accepts.
"""

from __future__ import annotations

from commands.network.events import (
    RecruiterCompanyAccepted,
    RecruiterCompanyConnectionRequested,
    RecruiterCompanyDeclined,
    RecruiterCompanyInvited,
    RecruiterCompanyPermissionsChanged,
    RecruiterCompanyTerminated,
)
from projections.core import Sql
from projections.network.schema import network

network.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS recruiter_companies (
        id                      uuid PRIMARY KEY,
        recruiter_id            uuid NOT NULL,
        company_id              uuid NOT NULL,
        relationship_type       text NOT NULL,
        status                  text NOT NULL,
        started_by              text NOT NULL,
        started_by_actor        text NOT NULL,
        message                 text,
        proposed_permissions    text[] NOT NULL,
        permissions             text[] NOT NULL,
        accepted_by             text,
        terms_acknowledged_by   text,
        terms_acknowledged_at   timestamptz,
        relationship_start_date timestamptz,
        relationship_end_date   timestamptz,
        declined_by             text,
        decline_reason          text,
        terminated_by           text,
        termination_reason      text,
        created_at              timestamptz NOT NULL,
        updated_at              timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS recruiter_companies_recruiter_idx ON recruiter_companies (recruiter_id, status);
    CREATE INDEX IF NOT EXISTS recruiter_companies_company_idx ON recruiter_companies (company_id, status);
    """
)

_RESET = """
    ON CONFLICT (id) DO UPDATE SET
        relationship_type = EXCLUDED.relationship_type, status = 'pending', started_by = EXCLUDED.started_by,
        started_by_actor = EXCLUDED.started_by_actor, message = EXCLUDED.message,
        proposed_permissions = EXCLUDED.proposed_permissions, permissions = '{}', accepted_by = NULL,
        terms_acknowledged_by = EXCLUDED.terms_acknowledged_by, terms_acknowledged_at = EXCLUDED.terms_acknowledged_at,
        relationship_start_date = NULL, relationship_end_date = NULL, declined_by = NULL, decline_reason = NULL,
        terminated_by = NULL, termination_reason = NULL, updated_at = EXCLUDED.updated_at"""

_INSERT = """
    INSERT INTO recruiter_companies (id, recruiter_id, company_id, relationship_type, status, started_by,
        started_by_actor, message, proposed_permissions, permissions, terms_acknowledged_by, terms_acknowledged_at,
        created_at, updated_at)
    VALUES (%(id)s, %(recruiter_id)s, %(company_id)s, %(type)s, 'pending', %(side)s, %(by)s, %(message)s,
        %(proposed)s, '{}', %(ack_by)s, %(ack_at)s, %(at)s, %(at)s)""" + _RESET


@network.handles(RecruiterCompanyInvited)
def _(e: RecruiterCompanyInvited) -> Sql:
    return Sql(_INSERT, {"id": e.relationship_id, "recruiter_id": e.recruiter_id, "company_id": e.company_id,
                         "type": e.relationship_type, "side": "company", "by": e.by, "message": e.message,
                         "proposed": list(e.permissions), "ack_by": None, "ack_at": None, "at": e.at})


@network.handles(RecruiterCompanyConnectionRequested)
def _(e: RecruiterCompanyConnectionRequested) -> Sql:
    return Sql(_INSERT, {"id": e.relationship_id, "recruiter_id": e.recruiter_id, "company_id": e.company_id,
                         "type": e.relationship_type, "side": "recruiter", "by": e.by, "message": e.message,
                         "proposed": [], "ack_by": e.terms_acknowledged_by, "ack_at": e.terms_acknowledged_at,
                         "at": e.at})


@network.handles(RecruiterCompanyAccepted)
def _(e: RecruiterCompanyAccepted) -> Sql:
    return Sql(
        "UPDATE recruiter_companies SET status = 'active', permissions = %s, accepted_by = %s,"
        " terms_acknowledged_by = %s, terms_acknowledged_at = %s, relationship_start_date = %s, updated_at = %s"
        " WHERE id = %s",
        (list(e.permissions), e.accepted_by, e.terms_acknowledged_by, e.terms_acknowledged_at, e.at, e.at,
         e.relationship_id),
    )


@network.handles(RecruiterCompanyDeclined)
def _(e: RecruiterCompanyDeclined) -> Sql:
    return Sql(
        "UPDATE recruiter_companies SET status = 'declined', declined_by = %s, decline_reason = %s, updated_at = %s"
        " WHERE id = %s", (e.declined_by, e.reason, e.at, e.relationship_id),
    )


@network.handles(RecruiterCompanyTerminated)
def _(e: RecruiterCompanyTerminated) -> Sql:
    return Sql(
        "UPDATE recruiter_companies SET status = 'terminated', permissions = '{}', terminated_by = %s,"
        " termination_reason = %s, relationship_end_date = %s, updated_at = %s WHERE id = %s",
        (e.terminated_by, e.reason, e.at, e.at, e.relationship_id),
    )


@network.handles(RecruiterCompanyPermissionsChanged)
def _(e: RecruiterCompanyPermissionsChanged) -> Sql:
    return Sql("UPDATE recruiter_companies SET permissions = %s, updated_at = %s WHERE id = %s",
               (list(e.to_permissions), e.at, e.relationship_id))
