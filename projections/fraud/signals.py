"""Fraud signals (`signals`): one row per signal, its evidence and its review by a platform admin."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from commands.automation.fraud_events import FraudSignalMarkedFalsePositive, FraudSignalRaised, FraudSignalResolved
from projections.core import Sql
from projections.fraud.schema import fraud

fraud.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS signals (
        id               uuid PRIMARY KEY,
        signal_type      text NOT NULL,
        severity         text NOT NULL,
        status           text NOT NULL,
        confidence_score integer NOT NULL,
        recruiter_id     uuid,
        candidate_id     uuid,
        job_id           uuid,
        application_id   uuid,
        trigger_event_id uuid NOT NULL,
        signal_data      jsonb NOT NULL,
        raised_by        text NOT NULL,
        created_at       timestamptz NOT NULL,
        reviewed_by      text,
        reviewed_at      timestamptz,
        review_notes     text,
        updated_at       timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS signals_status_idx ON signals (status, created_at DESC);
    CREATE INDEX IF NOT EXISTS signals_type_idx ON signals (signal_type, created_at DESC);
    CREATE INDEX IF NOT EXISTS signals_recruiter_idx ON signals (recruiter_id, created_at DESC);
    """
)


@fraud.handles(FraudSignalRaised)
def _(e: FraudSignalRaised) -> Sql:
    return Sql(
        "INSERT INTO signals (id, signal_type, severity, status, confidence_score, recruiter_id, candidate_id, job_id,"
        " application_id, trigger_event_id, signal_data, raised_by, created_at, updated_at)"
        " VALUES (%s, %s, %s, 'active', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.signal_id, e.signal_type, e.severity, e.confidence_score, e.recruiter_id, e.candidate_id, e.job_id,
         e.application_id, e.trigger_event_id, Jsonb(e.signal_data), e.by, e.at, e.at),
    )


def _reviewed(signal_id: object, status: str, notes: str, by: str, at: object) -> Sql:
    # Only an active row moves: applying the same event again changes nothing.
    return Sql(
        "UPDATE signals SET status = %s, review_notes = %s, reviewed_by = %s, reviewed_at = %s, updated_at = %s"
        " WHERE id = %s AND status = 'active'",
        (status, notes, by, at, at, signal_id),
    )


@fraud.handles(FraudSignalResolved)
def _(e: FraudSignalResolved) -> Sql:
    return _reviewed(e.signal_id, "resolved", e.notes, e.by, e.at)


@fraud.handles(FraudSignalMarkedFalsePositive)
def _(e: FraudSignalMarkedFalsePositive) -> Sql:
    return _reviewed(e.signal_id, "false_positive", e.notes, e.by, e.at)
