"""Chat emails: a message to a participant who has no live stream open (adapters/live.py presence) is told by
email, once per conversation per quiet period (CHAT_EMAIL_QUIET_S), whatever number of messages arrive in it:
the notice's id is derived from (conversation, recipient, period), not from the message, so the notification
stream records the email once. Not to a participant who muted the conversation; the recipient's `messaging`
preference (and a recruiter's plan) gate it as every notice is gated (reactions.py). The email names the sender
but not what they wrote: the link leads to the conversation, behind its reads' access checks."""

from __future__ import annotations

from commands.conversations.conversation_events import ConversationMessageSent
from consumers.notifications.people import Notice, Person, Planner, Reads, find_user
from consumers.runtime.reactor import Reaction
from projections.conversations.live_queries import chat_recipient


def quiet_period(e: ConversationMessageSent, seconds: int) -> str:
    """What a chat email is sent once for: the conversation and the quiet period the message falls in."""
    return f"conversation:{e.conversation_id}:{int(e.at.timestamp()) // seconds}"


async def _message(reaction: Reaction, db: Reads, portal: str, candidate_app: str) -> list[Notice]:
    e: ConversationMessageSent = reaction.event
    assert reaction.context is not None
    live, quiet_s = reaction.context.live, reaction.context.settings.chat_email_quiet_s
    sender = await find_user(db, e.sender_user_id)
    notices = []
    for user_id in e.recipient_user_ids:
        if user_id == e.sender_user_id or (live is not None and await live.is_present(user_id)):
            continue  # they see it on their stream
        found = await db.read(chat_recipient, e.conversation_id, user_id)
        if found is None or found[3]:  # not a participant any more, or the conversation is muted
            continue
        email, name, app, _ = found
        base = candidate_app if app == "candidate" else portal
        notices.append(Notice(
            Person(email=email, user_id=user_id, name=name, is_candidate=app == "candidate"), "chat_message",
            "messaging", {"sender_name": sender.name if sender and sender.name else "Someone",
                          "recipient_name": name, "system": e.kind == "system"},
            action_url=f"{base}/messages/{e.conversation_id}", once_per=quiet_period(e, quiet_s)))
    return notices


PLANNERS: dict[type, Planner] = {ConversationMessageSent: _message}
