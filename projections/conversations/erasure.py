"""What an erasure leaves of the conversations read schema (see `projections.scrub`).

An erased person's messages keep their place in the conversation (its numbering, the other participant's unread
count, who sent what when) without their words; a system message's words are its own subject's (`contact:` with
the message's id). Conversations and participants hold ids, states and times only.
"""

from __future__ import annotations

from projections.conversations.schema import conversations
from projections.scrub import ERASED, Keep, Scrub, declare_erasure, if_set

declare_erasure(conversations, {
    "conversations": Keep("the pair, the context and the last message's id and time, by ids"),
    "participants": Keep("request, mute, archive and read states, by ids"),
    "messages": Scrub("sender_user_id = ANY(%(user_ids)s) OR id = ANY(%(notification_ids)s)", {"body": ERASED}),
    # Moderation (projections/conversations/moderation.py): a report's details are its reporter's words, the admins'
    # reasons are about the user reported or sanctioned; who did what when stays, by ids.
    "blocks": Keep("who blocked whom and when, by ids"),
    "reports": (Scrub("reporter_id = ANY(%(user_ids)s)", {"details": ERASED}),
                Scrub("reported_user_id = ANY(%(user_ids)s)", {"reason": if_set(ERASED)})),
    "sanctions": Scrub("user_id = ANY(%(user_ids)s)", {"reason": ERASED}),
    "moderation_audit": Scrub("user_id = ANY(%(user_ids)s)", {"reason": if_set(ERASED)}),
})
