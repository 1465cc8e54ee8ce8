"""Blocks, reports, messaging sanctions and the moderation audit trail (domain §3.5 `chat_user_blocks`,
`chat_reports`, `chat_moderation_audit`).

- `blocks`: one row per standing block, (blocker, blocked).
- `reports`: one row per report, its status and how it ended.
- `sanctions`: one row per user ever restricted: the restriction in force (`mute` until a moment, or
  `suspend_messaging`), NULL once lifted. A mute past its `until` has ended without an event: a reader passes
  the moment it asks about (`moderation_queries.messaging_sanction`).
- `moderation_audit`: one row per admin action (review, resolve, dismiss, warn, mute, suspend, lift), keyed by
  the action, so the same event applied again adds nothing.
"""

from __future__ import annotations

from commands.conversations.block_events import ConversationUserBlocked, ConversationUserUnblocked
from commands.conversations.report_events import (
    ConversationReportDismissed,
    ConversationReported,
    ConversationReportResolved,
    ConversationReportReviewStarted,
)
from commands.conversations.sanction_events import (
    MessagingSanctionLifted,
    MessagingUserMuted,
    MessagingUserSuspended,
    MessagingUserWarned,
)
from projections.conversations.schema import conversations
from projections.core import Sql

conversations.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS blocks (
        user_id         uuid NOT NULL,
        blocked_user_id uuid NOT NULL,
        blocked_at      timestamptz NOT NULL,
        PRIMARY KEY (user_id, blocked_user_id)
    );
    CREATE INDEX IF NOT EXISTS blocks_blocked_idx ON blocks (blocked_user_id, user_id);

    CREATE TABLE IF NOT EXISTS reports (
        id                uuid PRIMARY KEY,
        conversation_id   uuid NOT NULL,
        reporter_id       uuid NOT NULL,
        reported_user_id  uuid NOT NULL,
        category          text NOT NULL,
        details           text NOT NULL,
        message_id        uuid,
        status            text NOT NULL,
        created_at        timestamptz NOT NULL,
        reviewed_by       uuid,
        review_started_at timestamptz,
        closed_by         uuid,
        closed_at         timestamptz,
        action            text,
        sanction_id       uuid,
        message_redacted  boolean NOT NULL DEFAULT false,
        reason            text,
        updated_at        timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS reports_status_idx ON reports (status, created_at DESC);
    CREATE INDEX IF NOT EXISTS reports_conversation_idx ON reports (conversation_id);

    CREATE TABLE IF NOT EXISTS sanctions (
        user_id     uuid PRIMARY KEY,
        restriction text,
        until       timestamptz,
        sanction_id uuid NOT NULL,
        reason      text NOT NULL,
        admin_id    uuid NOT NULL,
        since       timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL
    );

    CREATE TABLE IF NOT EXISTS moderation_audit (
        id              text PRIMARY KEY,
        action          text NOT NULL,
        admin_id        uuid NOT NULL,
        user_id         uuid,
        report_id       uuid,
        conversation_id uuid,
        outcome         text,
        until           timestamptz,
        reason          text,
        at              timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS moderation_audit_at_idx ON moderation_audit (at DESC, id);
    CREATE INDEX IF NOT EXISTS moderation_audit_user_idx ON moderation_audit (user_id, at DESC);
    """
)


def _audit(key: str, action: str, admin_id: object, at: object, *, user_id: object = None, report_id: object = None,
           conversation_id: object = None, outcome: str | None = None, until: object = None,
           reason: str | None = None) -> Sql:
    return Sql(
        "INSERT INTO moderation_audit (id, action, admin_id, user_id, report_id, conversation_id, outcome, until,"
        " reason, at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (key, action, admin_id, user_id, report_id, conversation_id, outcome, until, reason, at),
    )


# --- blocks ------------------------------------------------------------------------------------------------------

@conversations.handles(ConversationUserBlocked)
def _(e: ConversationUserBlocked) -> Sql:
    return Sql("INSERT INTO blocks (user_id, blocked_user_id, blocked_at) VALUES (%s, %s, %s)"
               " ON CONFLICT (user_id, blocked_user_id) DO NOTHING", (e.user_id, e.blocked_user_id, e.at))


@conversations.handles(ConversationUserUnblocked)
def _(e: ConversationUserUnblocked) -> Sql:
    return Sql("DELETE FROM blocks WHERE user_id = %s AND blocked_user_id = %s", (e.user_id, e.blocked_user_id))


# --- reports -----------------------------------------------------------------------------------------------------

@conversations.handles(ConversationReported)
def _(e: ConversationReported) -> Sql:
    return Sql(
        "INSERT INTO reports (id, conversation_id, reporter_id, reported_user_id, category, details, message_id,"
        " status, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 'new', %s, %s)"
        " ON CONFLICT (id) DO NOTHING",
        (e.report_id, e.conversation_id, e.reporter_id, e.reported_user_id, e.category, e.details, e.message_id,
         e.at, e.at),
    )


@conversations.handles(ConversationReportReviewStarted)
def _(e: ConversationReportReviewStarted) -> list[Sql]:
    return [
        Sql("UPDATE reports SET status = 'in_review', reviewed_by = %s, review_started_at = %s, updated_at = %s"
            " WHERE id = %s AND status = 'new'", (e.admin_id, e.at, e.at, e.report_id)),
        _audit(f"report:{e.report_id}:review", "review", e.admin_id, e.at, report_id=e.report_id,
               conversation_id=e.conversation_id),
    ]


@conversations.handles(ConversationReportResolved)
def _(e: ConversationReportResolved) -> list[Sql]:
    return [
        Sql("UPDATE reports SET status = 'resolved', closed_by = %s, closed_at = %s, action = %s, sanction_id = %s,"
            " message_redacted = %s, reason = %s, updated_at = %s WHERE id = %s AND status = 'in_review'",
            (e.admin_id, e.at, e.action, e.sanction_id, e.message_redacted, e.reason, e.at, e.report_id)),
        _audit(f"report:{e.report_id}:resolve", "resolve", e.admin_id, e.at, user_id=e.reported_user_id,
               report_id=e.report_id, conversation_id=e.conversation_id,
               outcome=e.action + (" + redact" if e.message_redacted else ""), reason=e.reason),
    ]


@conversations.handles(ConversationReportDismissed)
def _(e: ConversationReportDismissed) -> list[Sql]:
    return [
        Sql("UPDATE reports SET status = 'dismissed', closed_by = %s, closed_at = %s, reason = %s, updated_at = %s"
            " WHERE id = %s AND status = 'in_review'", (e.admin_id, e.at, e.reason, e.at, e.report_id)),
        _audit(f"report:{e.report_id}:dismiss", "dismiss", e.admin_id, e.at, user_id=e.reported_user_id,
               report_id=e.report_id, conversation_id=e.conversation_id, reason=e.reason),
    ]


# --- sanctions ---------------------------------------------------------------------------------------------------

def _restrict(e: MessagingUserMuted | MessagingUserSuspended, restriction: str, until: object) -> Sql:
    return Sql(
        "INSERT INTO sanctions (user_id, restriction, until, sanction_id, reason, admin_id, since, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET restriction = excluded.restriction,"
        " until = excluded.until, sanction_id = excluded.sanction_id, reason = excluded.reason,"
        " admin_id = excluded.admin_id, since = excluded.since, updated_at = excluded.updated_at",
        (e.user_id, restriction, until, e.sanction_id, e.reason, e.admin_id, e.at, e.at),
    )


@conversations.handles(MessagingUserWarned)
def _(e: MessagingUserWarned) -> Sql:
    return _audit(f"sanction:{e.sanction_id}", "warn", e.admin_id, e.at, user_id=e.user_id, report_id=e.report_id,
                  reason=e.reason)


@conversations.handles(MessagingUserMuted)
def _(e: MessagingUserMuted) -> list[Sql]:
    return [_restrict(e, "mute", e.until),
            _audit(f"sanction:{e.sanction_id}", "mute", e.admin_id, e.at, user_id=e.user_id, report_id=e.report_id,
                   until=e.until, reason=e.reason)]


@conversations.handles(MessagingUserSuspended)
def _(e: MessagingUserSuspended) -> list[Sql]:
    return [_restrict(e, "suspend_messaging", None),
            _audit(f"sanction:{e.sanction_id}", "suspend_messaging", e.admin_id, e.at, user_id=e.user_id,
                   report_id=e.report_id, reason=e.reason)]


@conversations.handles(MessagingSanctionLifted)
def _(e: MessagingSanctionLifted) -> list[Sql]:
    return [
        Sql("UPDATE sanctions SET restriction = NULL, until = NULL, sanction_id = %s, reason = %s, admin_id = %s,"
            " since = %s, updated_at = %s WHERE user_id = %s",
            (e.sanction_id, e.reason, e.admin_id, e.at, e.at, e.user_id)),
        _audit(f"sanction:{e.sanction_id}", "lift", e.admin_id, e.at, user_id=e.user_id, outcome=e.lifted,
               reason=e.reason),
    ]
