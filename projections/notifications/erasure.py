"""What an erasure leaves of the notifications read schema (see `projections.scrub`).

An erased user's in-app notifications go. The emails sent to them, to one of their addresses before they had
an account (`contact:` subjects), or to other people about them (`notification:` subjects: a recruiter told
that the candidate accepted, a company told of the hire) keep their template, status and time, the record
that something was sent, without the address or the words. Other people's in-app notifications about them
keep their place in those people's inboxes, without the words.
"""

from __future__ import annotations

from projections.notifications.schema import notifications
from projections.scrub import ERASED, NULL, Keep, Scrub, declare_erasure, if_set

declare_erasure(notifications, {
    "inbox": (
        Scrub("user_id = ANY(%(user_ids)s)", delete=True),
        Scrub("id = ANY(%(notification_ids)s)", {"title": ERASED, "body": ERASED, "action_url": NULL}),
    ),
    "emails": Scrub("user_id = ANY(%(user_ids)s) OR notification_id = ANY(%(notification_ids)s)", {
        "recipient_email": ERASED, "subject": ERASED, "text": if_set(ERASED), "html": if_set(ERASED),
        "failure_reason": if_set(ERASED),
    }),
    "preferences": Keep("which categories a user wants, by user id"),
    "engagement_mail": Keep("which engagement emails a user was due, by user id, kind and period"),
})
