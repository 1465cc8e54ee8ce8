"""The conversation decider: two people talking about an application, a job, a company or nothing in particular
(domain §3.5 chat-service, §4.6).

One stream per conversation, at `conversation_id_for(pair, context)` (commands/conversations/conversation_commands.py):
the pair has one conversation per context. The commands are in conversation_commands.py, the errors in
conversation_rules.py; both are re-exported here.

What we decided where the domain is silent:
- Starting a conversation that exists records nothing (the route answers with its id); a first message given
  with it is sent like any other message, under the same rules.
- The starter's request state is `accepted`, the recipient's `pending`. Only the recipient accepts or declines.
  A recipient who replies accepts by replying (one `ConversationRequestAccepted` before the message), also after
  declining: they changed their mind. A declined conversation refuses the starter's messages. An accepted one
  cannot be declined: that is what a block is for.
- The starter may send while the request is pending (that is what a message request holds).
- A message's id is derived from its sender's client message id: the same id again with the same words and
  attachments as first sent (an edit or a redaction since changes nothing to that) is the same message and records
  nothing; with other words or attachments it is refused (409 `client_message_id_reused`), neither a second message
  nor a silent answer with the first. System messages are named the same way by the system.
- Sending reads the conversation up to the sent message for its sender. A read receipt names a message; one at
  or before the reader's last read records nothing.
- Only a message's author edits it, and not once it is redacted, nor a starter the recipient declined (their
  words would change under the recipient's eyes; they may still take them down); system messages are final. A redaction is the
  author's, or the moderation flow's (whose right the caller checks); redacting twice records nothing.
- Mute, archive and their undoing are each participant's own, and idempotent. A new message brings the
  conversation back from its recipients' archive (`ConversationUnarchived` after it), as chat apps do; the
  sender's own archive stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from commands.conversations.conversation_commands import (
    AcceptRequest,
    Archive,
    ConversationCommand,
    DeclineRequest,
    EditMessage,
    FirstMessage,
    MarkRead,
    Mute,
    RedactMessage,
    SendMessage,
    SendSystemMessage,
    StartConversation,
    Unarchive,
    Unmute,
    conversation_id_for,
    message_id_for,
)
from commands.conversations.conversation_events import (
    ContextType,
    ConversationArchived,
    ConversationMessageEdited,
    ConversationMessageRedacted,
    ConversationMessageSent,
    ConversationMuted,
    ConversationRead,
    ConversationRequestAccepted,
    ConversationRequestDeclined,
    ConversationStarted,
    ConversationUnarchived,
    ConversationUnmuted,
    MessageKind,
    RequestState,
)
from commands.conversations.conversation_rules import (
    CannotMessageYourself,
    ClientMessageIdReused,
    ConversationNotFound,
    MessageNotFound,
    MessageRedacted,
    NotAParticipant,
    NotTheAuthor,
    OnlyTheRecipientAnswers,
    RequestAlreadyAccepted,
    RequestDeclined,
    SystemMessageIsFinal,
)
from commands.core import Decider

__all__ = [
    "AcceptRequest", "Archive", "Conversation", "ConversationCommand", "ConversationEvent", "DeclineRequest",
    "EditMessage", "MarkRead", "Message", "Mute", "RedactMessage", "SendMessage", "SendSystemMessage",
    "StartConversation", "Unarchive", "Unmute", "conversation", "conversation_id_for", "decide", "evolve",
    "initial_state", "message_id_for",
]

ConversationEvent = (
    ConversationStarted | ConversationRequestAccepted | ConversationRequestDeclined | ConversationMessageSent
    | ConversationMessageEdited | ConversationMessageRedacted | ConversationRead | ConversationMuted
    | ConversationUnmuted | ConversationArchived | ConversationUnarchived
)


@dataclass(frozen=True)
class Message:
    seq: int
    sender_user_id: UUID | None
    kind: MessageKind
    body: str
    redacted: bool = False
    sent_body: str = ""  # the words and attachments as first sent: what a retried send is compared with
    sent_attachments: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class Conversation:
    exists: bool = False
    id: UUID | None = None
    participants: tuple[UUID, ...] = ()
    started_by_user_id: UUID | None = None
    recipient_user_id: UUID | None = None
    context_type: ContextType = "none"
    context_id: UUID | None = None
    requested_user_id: UUID | None = None
    recipient_state: RequestState = "pending"
    messages: dict[UUID, Message] = field(default_factory=dict)
    last_seq: int = 0
    read_seq: dict[UUID, int] = field(default_factory=dict)
    muted: frozenset[UUID] = frozenset()
    archived: frozenset[UUID] = frozenset()

    def request_state_of(self, user_id: UUID) -> RequestState:
        return self.recipient_state if user_id == self.recipient_user_id else "accepted"

    def other_than(self, user_id: UUID | None) -> list[UUID]:
        return [p for p in self.participants if p != user_id]


def initial_state() -> Conversation:
    return Conversation()


def evolve(s: Conversation, e: ConversationEvent) -> Conversation:
    match e:
        case ConversationStarted():
            return replace(s, exists=True, id=e.conversation_id, participants=tuple(e.participant_user_ids),
                           started_by_user_id=e.started_by_user_id, recipient_user_id=e.recipient_user_id,
                           context_type=e.context_type, context_id=e.context_id,
                           requested_user_id=e.requested_user_id, recipient_state="pending")
        case ConversationRequestAccepted():
            return replace(s, recipient_state="accepted")
        case ConversationRequestDeclined():
            return replace(s, recipient_state="declined")
        case ConversationMessageSent():
            messages = {**s.messages, e.message_id: Message(e.seq, e.sender_user_id, e.kind, e.body, sent_body=e.body,
                                                            sent_attachments=tuple(e.attachment_document_ids))}
            read = s.read_seq if e.sender_user_id is None else {**s.read_seq, e.sender_user_id: e.seq}
            return replace(s, messages=messages, last_seq=max(s.last_seq, e.seq), read_seq=read)
        case ConversationMessageEdited() if (message := s.messages.get(e.message_id)) is not None:
            return replace(s, messages={**s.messages, e.message_id: replace(message, body=e.body)})
        case ConversationMessageRedacted() if (message := s.messages.get(e.message_id)) is not None:
            return replace(s, messages={**s.messages, e.message_id: replace(message, redacted=True)})
        case ConversationRead():
            return replace(s, read_seq={**s.read_seq, e.user_id: max(e.seq, s.read_seq.get(e.user_id, 0))})
        case ConversationMuted():
            return replace(s, muted=s.muted | {e.user_id})
        case ConversationUnmuted():
            return replace(s, muted=s.muted - {e.user_id})
        case ConversationArchived():
            return replace(s, archived=s.archived | {e.user_id})
        case ConversationUnarchived():
            return replace(s, archived=s.archived - {e.user_id})
    return s


def _participant(s: Conversation, conversation_id: UUID, user_id: UUID) -> None:
    if not s.exists:
        raise ConversationNotFound(conversation_id)
    if user_id not in s.participants:
        raise NotAParticipant(conversation_id, user_id)


def _message(s: Conversation, conversation_id: UUID, message_id: UUID) -> Message:
    if not s.exists:
        raise ConversationNotFound(conversation_id)
    message = s.messages.get(message_id)
    if message is None:
        raise MessageNotFound(conversation_id, message_id)
    return message


def _send(s: Conversation, sender: UUID, message: FirstMessage | SendMessage, at: datetime) -> list[ConversationEvent]:
    """A participant's message, with the recipient's implicit acceptance when it is their reply."""
    assert s.id is not None
    message_id = message_id_for(s.id, sender, message.client_message_id)
    if (sent := s.messages.get(message_id)) is not None:
        if (sent.sent_body, sent.sent_attachments) != (message.body, tuple(message.attachment_document_ids)):
            raise ClientMessageIdReused(message_id)
        return []
    events: list[ConversationEvent] = []
    if sender == s.recipient_user_id and s.recipient_state != "accepted":
        events.append(ConversationRequestAccepted(conversation_id=s.id, user_id=sender, at=at))
    elif sender != s.recipient_user_id and s.recipient_state == "declined":
        raise RequestDeclined(s.id)
    events.append(ConversationMessageSent(
        conversation_id=s.id, message_id=message_id, seq=s.last_seq + 1, sender_user_id=sender, kind="user",
        body=message.body, client_message_id=message.client_message_id, participant_user_ids=list(s.participants),
        recipient_user_ids=s.other_than(sender), attachment_document_ids=list(message.attachment_document_ids),
        at=at))
    events += [ConversationUnarchived(conversation_id=s.id, user_id=user, at=at)
               for user in s.other_than(sender) if user in s.archived]
    return events


def _system(s: Conversation, body: str, client_message_id: str, at: datetime) -> list[ConversationEvent]:
    assert s.id is not None
    message_id = message_id_for(s.id, None, client_message_id)
    if message_id in s.messages:
        return []
    return [ConversationMessageSent(
        conversation_id=s.id, message_id=message_id, seq=s.last_seq + 1, sender_user_id=None, kind="system",
        body=body, client_message_id=client_message_id, participant_user_ids=list(s.participants),
        recipient_user_ids=list(s.participants), attachment_document_ids=[], at=at)]


def _then(s: Conversation, events: list[ConversationEvent], more: list[ConversationEvent]) -> Conversation:
    for event in more:
        s = evolve(s, event)
    events.extend(more)
    return s


def _start(cmd: StartConversation, s: Conversation) -> list[ConversationEvent]:
    if cmd.started_by_user_id == cmd.recipient_user_id:
        raise CannotMessageYourself()
    events: list[ConversationEvent] = []
    if not s.exists:
        started = ConversationStarted(
            conversation_id=cmd.conversation_id,
            participant_user_ids=sorted((cmd.started_by_user_id, cmd.recipient_user_id)),
            started_by_user_id=cmd.started_by_user_id, recipient_user_id=cmd.recipient_user_id,
            context_type=cmd.context_type, context_id=cmd.context_id, requested_user_id=cmd.requested_user_id,
            at=cmd.at)
        s = _then(s, events, [started])
        if cmd.routed_notice is not None:
            s = _then(s, events, _system(s, cmd.routed_notice, "routed-to-recruiter", cmd.at))
    if cmd.first_message is not None:
        _participant(s, cmd.conversation_id, cmd.started_by_user_id)
        _then(s, events, _send(s, cmd.started_by_user_id, cmd.first_message, cmd.at))
    return events


def decide(cmd: ConversationCommand, s: Conversation) -> list[ConversationEvent]:
    cid = cmd.conversation_id
    match cmd:
        case StartConversation():
            return _start(cmd, s)
        case SendMessage():
            _participant(s, cid, cmd.sender_user_id)
            return _send(s, cmd.sender_user_id, cmd, cmd.at)
        case SendSystemMessage():
            if not s.exists:
                raise ConversationNotFound(cid)
            return _system(s, cmd.body, cmd.client_message_id, cmd.at)
        case EditMessage():
            _participant(s, cid, cmd.user_id)
            message = _message(s, cid, cmd.message_id)
            if message.kind == "system":
                raise SystemMessageIsFinal(cmd.message_id)
            if message.sender_user_id != cmd.user_id:
                raise NotTheAuthor(cmd.message_id, "edit")
            if message.redacted:
                raise MessageRedacted(cmd.message_id)
            if cmd.user_id != s.recipient_user_id and s.recipient_state == "declined":
                raise RequestDeclined(cid)
            if message.body == cmd.body:
                return []
            return [ConversationMessageEdited(conversation_id=cid, message_id=cmd.message_id,
                                              sender_user_id=cmd.user_id, body=cmd.body, at=cmd.at)]
        case RedactMessage():
            message = _message(s, cid, cmd.message_id)
            if cmd.redacted_by == "author":
                assert cmd.user_id is not None
                _participant(s, cid, cmd.user_id)
                if message.sender_user_id != cmd.user_id:
                    raise NotTheAuthor(cmd.message_id, "redact")
            if message.redacted:
                return []
            return [ConversationMessageRedacted(conversation_id=cid, message_id=cmd.message_id,
                                                redacted_by=cmd.redacted_by, by=cmd.by, at=cmd.at)]
        case AcceptRequest() | DeclineRequest():
            _participant(s, cid, cmd.user_id)
            if cmd.user_id != s.recipient_user_id:
                raise OnlyTheRecipientAnswers(cid)
            if isinstance(cmd, AcceptRequest):
                if s.recipient_state == "accepted":
                    return []
                return [ConversationRequestAccepted(conversation_id=cid, user_id=cmd.user_id, at=cmd.at)]
            if s.recipient_state == "declined":
                return []
            if s.recipient_state == "accepted":
                raise RequestAlreadyAccepted(cid)
            return [ConversationRequestDeclined(conversation_id=cid, user_id=cmd.user_id, at=cmd.at)]
        case MarkRead():
            _participant(s, cid, cmd.user_id)
            message = _message(s, cid, cmd.up_to_message_id)
            if message.seq <= s.read_seq.get(cmd.user_id, 0):
                return []
            return [ConversationRead(conversation_id=cid, user_id=cmd.user_id, up_to_message_id=cmd.up_to_message_id,
                                     seq=message.seq, at=cmd.at)]
        case Mute() | Unmute() | Archive() | Unarchive():
            _participant(s, cid, cmd.user_id)
            return _toggle(cmd, s)
    raise TypeError(f"not a conversation command: {cmd!r}")


def _toggle(cmd: Mute | Unmute | Archive | Unarchive, s: Conversation) -> list[ConversationEvent]:
    cid, user = cmd.conversation_id, cmd.user_id
    match cmd:
        case Mute():
            return [] if user in s.muted else [ConversationMuted(conversation_id=cid, user_id=user, at=cmd.at)]
        case Unmute():
            return [ConversationUnmuted(conversation_id=cid, user_id=user, at=cmd.at)] if user in s.muted else []
        case Archive():
            return [] if user in s.archived else [ConversationArchived(conversation_id=cid, user_id=user, at=cmd.at)]
        case Unarchive():
            return [ConversationUnarchived(conversation_id=cid, user_id=user, at=cmd.at)] if user in s.archived else []


conversation: Decider[ConversationCommand, ConversationEvent, Conversation] = Decider(
    stream_type="conversation",
    initial_state=initial_state,
    evolve=evolve,
    decide=decide,
    events=(
        ConversationStarted, ConversationRequestAccepted, ConversationRequestDeclined, ConversationMessageSent,
        ConversationMessageEdited, ConversationMessageRedacted, ConversationRead, ConversationMuted,
        ConversationUnmuted, ConversationArchived, ConversationUnarchived,
    ),
)
