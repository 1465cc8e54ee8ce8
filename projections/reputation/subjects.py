"""Per recruiter and per company: the counts their score is computed from, the score and the tier.

A row is never incremented: each event that touches a subject recomputes the subject's whole row from the
fact tables (`applications`, `placements`, `waits`) in one statement, so applying an event again, or
rebuilding from scratch, gives the same row. The score and tier are computed by the same statement from the
counts it has just taken (see `schema`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from projections.core import Sql
from projections.reputation.schema import company_score_sql, recruiter_score_sql, reputation, tier_sql

reputation.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS recruiters (
        recruiter_id         uuid PRIMARY KEY,
        submissions          integer NOT NULL,
        hires                integer NOT NULL,
        placements           integer NOT NULL,
        placements_completed integer NOT NULL,
        placements_failed    integer NOT NULL,
        collaborations       integer NOT NULL,
        proposals            integer NOT NULL,
        proposals_accepted   integer NOT NULL,
        proposals_declined   integer NOT NULL,
        proposals_timed_out  integer NOT NULL,
        responses            integer NOT NULL,
        response_hours       double precision,
        pipeline_entered     integer NOT NULL,
        pipeline_dropped     integer NOT NULL,
        score                double precision NOT NULL,
        tier                 text NOT NULL,
        last_event_at        timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS recruiters_tier_idx ON recruiters (tier, score DESC);
    CREATE INDEX IF NOT EXISTS recruiters_score_idx ON recruiters (score DESC, recruiter_id);
    CREATE TABLE IF NOT EXISTS companies (
        company_id           uuid PRIMARY KEY,
        received             integer NOT NULL,
        hires                integer NOT NULL,
        placements           integer NOT NULL,
        placements_completed integer NOT NULL,
        placements_failed    integer NOT NULL,
        feedbacks            integer NOT NULL,
        feedback_hours       double precision,
        pipeline_entered     integer NOT NULL,
        pipeline_dropped     integer NOT NULL,
        score                double precision NOT NULL,
        tier                 text NOT NULL,
        last_event_at        timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS companies_tier_idx ON companies (tier, score DESC);
    CREATE INDEX IF NOT EXISTS companies_score_idx ON companies (score DESC, company_id);
    """
)

# The stages an expiry counts against the company in: the application was waiting on it.
COMPANY_STAGES = ("submitted", "company_review", "company_feedback", "interview", "offer")

_RECRUITER_COLUMNS = ("submissions", "hires", "placements", "placements_completed", "placements_failed",
                      "collaborations", "proposals", "proposals_accepted", "proposals_declined", "proposals_timed_out",
                      "responses", "response_hours", "pipeline_entered", "pipeline_dropped", "score", "tier",
                      "last_event_at")
_COMPANY_COLUMNS = ("received", "hires", "placements", "placements_completed", "placements_failed", "feedbacks",
                    "feedback_hours", "pipeline_entered", "pipeline_dropped", "score", "tier", "last_event_at")


def _upsert(table: str, key: str, columns: tuple[str, ...]) -> str:
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    return f"INSERT INTO {table} ({key}, {', '.join(columns)}) {{select}} ON CONFLICT ({key}) DO UPDATE SET {updates}"


_RECRUITERS = _upsert("recruiters", "recruiter_id", _RECRUITER_COLUMNS).replace("{select}", f"""
    SELECT s.id, a.submissions, a.hires, p.placements, p.placements_completed, p.placements_failed,
           p.collaborations, a.proposals, a.proposals_accepted, a.proposals_declined, a.proposals_timed_out,
           w.responses, w.response_hours, a.pipeline_entered, a.pipeline_dropped,
           sc.score, {tier_sql("sc.score")}, %(at)s
    FROM (SELECT DISTINCT x.id FROM ({{ids}}) AS x(id) WHERE x.id IS NOT NULL) s
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE submitted_at IS NOT NULL) AS submissions,
               count(*) FILTER (WHERE hired_at IS NOT NULL) AS hires,
               count(*) FILTER (WHERE proposed) AS proposals,
               count(*) FILTER (WHERE proposal_outcome = 'accepted') AS proposals_accepted,
               count(*) FILTER (WHERE proposal_outcome = 'declined') AS proposals_declined,
               count(*) FILTER (WHERE proposal_outcome = 'timed_out') AS proposals_timed_out,
               count(*) FILTER (WHERE pipeline_at IS NOT NULL) AS pipeline_entered,
               count(*) FILTER (WHERE pipeline_at IS NOT NULL AND ended IS NOT NULL) AS pipeline_dropped
        FROM applications WHERE candidate_recruiter_id = s.id) a
    CROSS JOIN LATERAL (
        SELECT count(*) AS placements,
               count(*) FILTER (WHERE state = 'completed') AS placements_completed,
               count(*) FILTER (WHERE state = 'failed') AS placements_failed,
               count(*) FILTER (WHERE cardinality(recruiter_ids) > 1) AS collaborations
        FROM placements WHERE recruiter_ids @> ARRAY[s.id]) p
    CROSS JOIN LATERAL (
        SELECT count(*) AS responses, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS response_hours
        FROM waits WHERE party = 'recruiter' AND subject_id = s.id AND hours IS NOT NULL) w
    CROSS JOIN LATERAL (SELECT {recruiter_score_sql("counts.")} AS score
        FROM (SELECT a.*, p.*, w.*) AS counts) sc
""")

_COMPANIES = _upsert("companies", "company_id", _COMPANY_COLUMNS).replace("{select}", f"""
    SELECT s.id, a.received, a.hires, p.placements, p.placements_completed, p.placements_failed,
           w.feedbacks, w.feedback_hours, a.pipeline_entered, a.pipeline_dropped,
           sc.score, {tier_sql("sc.score")}, %(at)s
    FROM (SELECT DISTINCT x.id FROM ({{ids}}) AS x(id) WHERE x.id IS NOT NULL) s
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE received_at IS NOT NULL) AS received,
               count(*) FILTER (WHERE hired_at IS NOT NULL) AS hires,
               count(*) FILTER (WHERE received_at IS NOT NULL) AS pipeline_entered,
               count(*) FILTER (WHERE received_at IS NOT NULL AND ended = 'expired'
                                AND ended_from IN ({", ".join(f"'{s}'" for s in COMPANY_STAGES)})) AS pipeline_dropped
        FROM applications WHERE company_id = s.id) a
    CROSS JOIN LATERAL (
        SELECT count(*) AS placements,
               count(*) FILTER (WHERE state = 'completed') AS placements_completed,
               count(*) FILTER (WHERE state = 'failed') AS placements_failed
        FROM placements WHERE company_id = s.id) p
    CROSS JOIN LATERAL (
        SELECT count(*) AS feedbacks, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS feedback_hours
        FROM waits WHERE party = 'company' AND subject_id = s.id AND hours IS NOT NULL) w
    CROSS JOIN LATERAL (SELECT {company_score_sql("counts.")} AS score
        FROM (SELECT a.*, p.*, w.*) AS counts) sc
""")


def recompute_recruiters(ids: str, params: dict[str, Any], at: datetime) -> Sql:
    """Recompute the rows of the recruiters `ids` selects (a query of one uuid column over `params`)."""
    return Sql(_RECRUITERS.replace("{ids}", ids), {**params, "at": at})


def recompute_companies(ids: str, params: dict[str, Any], at: datetime) -> Sql:
    """Recompute the rows of the companies `ids` selects (a query of one uuid column over `params`)."""
    return Sql(_COMPANIES.replace("{ids}", ids), {**params, "at": at})
