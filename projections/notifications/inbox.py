"""In-app notifications (`inbox`), the emails sent or refused (`emails`) and preferences (`preferences`)."""

from __future__ import annotations

from commands.notifications.events import (
    EmailFailed,
    EmailSent,
    NotificationCreated,
    NotificationDismissed,
    NotificationPreferenceSet,
    NotificationRead,
)
from projections.core import Sql
from projections.notifications.schema import notifications

notifications.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS inbox (
        id              uuid PRIMARY KEY,
        user_id         uuid NOT NULL,
        category        text NOT NULL,
        template        text NOT NULL,
        title           text NOT NULL,
        body            text NOT NULL,
        action_url      text,
        priority        text NOT NULL,
        source_event_id uuid NOT NULL,
        read_at         timestamptz,
        dismissed_at    timestamptz,
        created_at      timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS inbox_user_idx ON inbox (user_id, created_at DESC);
    CREATE TABLE IF NOT EXISTS emails (
        notification_id     uuid PRIMARY KEY,
        user_id             uuid,
        recipient_email     text NOT NULL,
        category            text,
        template            text NOT NULL,
        subject             text NOT NULL,
        text                text,
        html                text,
        status              text NOT NULL,
        provider            text,
        provider_message_id text,
        failure_reason      text,
        source_event_id     uuid NOT NULL,
        at                  timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS emails_recipient_idx ON emails (recipient_email, at DESC);
    CREATE INDEX IF NOT EXISTS emails_source_idx ON emails (source_event_id);
    CREATE INDEX IF NOT EXISTS emails_provider_message_idx ON emails (provider_message_id);
    CREATE TABLE IF NOT EXISTS preferences (
        user_id        uuid NOT NULL,
        category       text NOT NULL,
        email_enabled  boolean NOT NULL,
        in_app_enabled boolean NOT NULL,
        updated_at     timestamptz NOT NULL,
        PRIMARY KEY (user_id, category)
    );
    """
)


@notifications.handles(NotificationCreated)
def _(e: NotificationCreated) -> Sql:
    return Sql(
        "INSERT INTO inbox (id, user_id, category, template, title, body, action_url, priority, source_event_id,"
        " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (e.notification_id, e.user_id, e.category, e.template, e.title, e.body, e.action_url, e.priority,
         e.source_event_id, e.at),
    )


@notifications.handles(NotificationRead)
def _(e: NotificationRead) -> Sql:
    return Sql("UPDATE inbox SET read_at = coalesce(read_at, %s) WHERE id = %s", (e.at, e.notification_id))


@notifications.handles(NotificationDismissed)
def _(e: NotificationDismissed) -> Sql:
    return Sql("UPDATE inbox SET dismissed_at = coalesce(dismissed_at, %s) WHERE id = %s", (e.at, e.notification_id))


@notifications.handles(EmailSent)
def _(e: EmailSent) -> Sql:
    return Sql(
        "INSERT INTO emails (notification_id, user_id, recipient_email, category, template, subject, text, html,"
        " status, provider, provider_message_id, source_event_id, at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'sent', %s, %s, %s, %s) ON CONFLICT (notification_id) DO NOTHING",
        (e.notification_id, e.user_id, e.recipient_email, e.category, e.template, e.subject, e.text, e.html,
         e.provider, e.provider_message_id, e.source_event_id, e.at),
    )


@notifications.handles(EmailFailed)
def _(e: EmailFailed) -> Sql:
    return Sql(
        "INSERT INTO emails (notification_id, user_id, recipient_email, template, subject, status, failure_reason,"
        " source_event_id, at) VALUES (%s, %s, %s, %s, %s, 'failed', %s, %s, %s)"
        " ON CONFLICT (notification_id) DO NOTHING",
        (e.notification_id, e.user_id, e.recipient_email, e.template, e.subject, e.reason, e.source_event_id, e.at),
    )


@notifications.handles(NotificationPreferenceSet)
def _(e: NotificationPreferenceSet) -> Sql:
    return Sql(
        "INSERT INTO preferences (user_id, category, email_enabled, in_app_enabled, updated_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id, category) DO UPDATE SET"
        " email_enabled = EXCLUDED.email_enabled, in_app_enabled = EXCLUDED.in_app_enabled,"
        " updated_at = EXCLUDED.updated_at",
        (e.user_id, e.category, e.email_enabled, e.in_app_enabled, e.at),
    )
