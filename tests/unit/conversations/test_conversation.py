"""The conversation decider, given / when / then: every transition allowed and refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from pydantic import ValidationError

from commands.conversations.conversation import (
    AcceptRequest,
    Archive,
    DeclineRequest,
    EditMessage,
    MarkRead,
    Mute,
    RedactMessage,
    SendMessage,
    SendSystemMessage,
    StartConversation,
    Unarchive,
    Unmute,
    conversation,
    conversation_id_for,
    message_id_for,
)
from commands.conversations.conversation_commands import MAX_BODY_CHARS, FirstMessage
from commands.conversations.conversation_events import (
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
from tests.unit.dsl import given

ADA = UUID("00000000-0000-4000-8000-0000000000a1")  # the starter
BO = UUID("00000000-0000-4000-8000-0000000000b1")  # the recipient
CY = UUID("00000000-0000-4000-8000-0000000000c1")  # nobody in it
JOB = UUID("00000000-0000-4000-8000-0000000000d1")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
CID = conversation_id_for(ADA, BO, "job", JOB)
PAIR = sorted((ADA, BO))


def start(**more: object) -> StartConversation:
    fields: dict = dict(conversation_id=CID, started_by_user_id=ADA, recipient_user_id=BO, context_type="job",
                        context_id=JOB, by=str(ADA), at=T0)
    return StartConversation(**(fields | more))


def started() -> ConversationStarted:
    return ConversationStarted(conversation_id=CID, participant_user_ids=PAIR, started_by_user_id=ADA,
                               recipient_user_id=BO, context_type="job", context_id=JOB, requested_user_id=None,
                               at=T0)


def sent(sender: UUID | None, client: str, seq: int, body: str = "hello", at: datetime = T0) -> ConversationMessageSent:
    others = [p for p in PAIR if p != sender]
    return ConversationMessageSent(
        conversation_id=CID, message_id=message_id_for(CID, sender, client), seq=seq, sender_user_id=sender,
        kind="user" if sender else "system", body=body, client_message_id=client, participant_user_ids=PAIR,
        recipient_user_ids=others, attachment_document_ids=[], at=at)


def send(sender: UUID, client: str = "c1", body: str = "hello") -> SendMessage:
    return SendMessage(conversation_id=CID, sender_user_id=sender, body=body, client_message_id=client,
                       by=str(sender), at=T0)


def accepted() -> ConversationRequestAccepted:
    return ConversationRequestAccepted(conversation_id=CID, user_id=BO, at=T1)


def declined() -> ConversationRequestDeclined:
    return ConversationRequestDeclined(conversation_id=CID, user_id=BO, at=T1)


def mid(sender: UUID | None, client: str = "c1") -> UUID:
    return message_id_for(CID, sender, client)


# --- starting -----------------------------------------------------------------------------------------------

def test_a_start_opens_the_conversation_pending_for_the_recipient() -> None:
    given(conversation).when(start()).then(started())
    assert given(conversation, started()).state.request_state_of(BO) == "pending"
    assert given(conversation, started()).state.request_state_of(ADA) == "accepted"


def test_the_conversation_id_is_the_same_whoever_starts_it() -> None:
    assert conversation_id_for(ADA, BO, "job", JOB) == conversation_id_for(BO, ADA, "job", JOB)
    assert conversation_id_for(ADA, BO, "job", JOB) != conversation_id_for(ADA, BO, "none", None)
    assert conversation_id_for(ADA, BO, "job", JOB) != conversation_id_for(ADA, CY, "job", JOB)


def test_a_start_with_a_first_message_sends_it() -> None:
    first = FirstMessage(body="hello", client_message_id="c1")
    given(conversation).when(start(first_message=first)).then(started(), sent(ADA, "c1", 1))


def test_starting_again_records_nothing() -> None:
    given(conversation, started()).when(start()).then()
    given(conversation, started()).when(start(started_by_user_id=BO, recipient_user_id=ADA)).then()


def test_starting_again_with_a_message_sends_it_once() -> None:
    first = FirstMessage(body="hello", client_message_id="c1")
    given(conversation, started()).when(start(first_message=first)).then(sent(ADA, "c1", 1))
    given(conversation, started(), sent(ADA, "c1", 1)).when(start(first_message=first)).then()


def test_a_routed_start_says_so_in_a_system_message() -> None:
    routed = start(requested_user_id=CY, routed_notice="routed to the recruiter")
    notice = sent(None, "routed-to-recruiter", 1, body="routed to the recruiter")
    given(conversation).when(routed).then(started().model_copy(update={"requested_user_id": CY}), notice)


def test_nobody_starts_a_conversation_with_themself() -> None:
    cid = conversation_id_for(ADA, ADA, "none", None)
    same = StartConversation(conversation_id=cid, started_by_user_id=ADA, recipient_user_id=ADA, context_type="none",
                             context_id=None, by="a", at=T0)
    given(conversation).when(same).then_raises(CannotMessageYourself)


@pytest.mark.parametrize("bad", [
    {"conversation_id": conversation_id_for(ADA, CY, "job", JOB)},  # not the pair's id
    {"context_type": "none"},  # a 'none' context with an id
    {"requested_user_id": CY},  # routed without a notice
])
def test_a_start_that_does_not_hold_together_is_not_a_command(bad: dict) -> None:
    with pytest.raises(ValidationError):
        start(**bad)


def test_a_body_is_bounded() -> None:
    send(ADA, body="x" * MAX_BODY_CHARS)
    with pytest.raises(ValidationError):
        send(ADA, body="x" * (MAX_BODY_CHARS + 1))
    with pytest.raises(ValidationError):
        send(ADA, body="   ")


# --- the request -------------------------------------------------------------------------------------------------

def test_the_recipient_accepts() -> None:
    given(conversation, started()).when(AcceptRequest(conversation_id=CID, user_id=BO, by="b", at=T1)).then(accepted())


def test_accepting_twice_records_nothing() -> None:
    given(conversation, started(), accepted()).when(AcceptRequest(conversation_id=CID, user_id=BO, by="b", at=T1)).then()


def test_the_recipient_declines() -> None:
    given(conversation, started()).when(DeclineRequest(conversation_id=CID, user_id=BO, by="b", at=T1)).then(declined())
    given(conversation, started(), declined()).when(
        DeclineRequest(conversation_id=CID, user_id=BO, by="b", at=T1)).then()


def test_a_declining_recipient_may_accept_after_all() -> None:
    given(conversation, started(), declined()).when(
        AcceptRequest(conversation_id=CID, user_id=BO, by="b", at=T1)).then(accepted())


def test_an_accepted_conversation_is_not_declined() -> None:
    given(conversation, started(), accepted()).when(
        DeclineRequest(conversation_id=CID, user_id=BO, by="b", at=T1)).then_raises(RequestAlreadyAccepted)


@pytest.mark.parametrize("command", [AcceptRequest, DeclineRequest])
def test_only_the_recipient_answers(command: type) -> None:
    given(conversation, started()).when(command(conversation_id=CID, user_id=ADA, by="a", at=T1)).then_raises(
        OnlyTheRecipientAnswers)
    given(conversation, started()).when(command(conversation_id=CID, user_id=CY, by="c", at=T1)).then_raises(
        NotAParticipant)
    given(conversation).when(command(conversation_id=CID, user_id=BO, by="b", at=T1)).then_raises(
        ConversationNotFound)


# --- messages ---------------------------------------------------------------------------------------------------

def test_the_starter_sends_while_the_request_is_pending() -> None:
    given(conversation, started()).when(send(ADA)).then(sent(ADA, "c1", 1))


def test_a_retried_send_with_the_same_client_id_is_one_message() -> None:
    given(conversation, started(), sent(ADA, "c1", 1)).when(send(ADA, "c1")).then()
    given(conversation, started(), sent(ADA, "c1", 1)).when(send(ADA, "c2")).then(sent(ADA, "c2", 2))


def test_a_client_id_reused_for_other_words_or_attachments_is_a_conflict() -> None:
    given(conversation, started(), sent(ADA, "c1", 1)).when(send(ADA, "c1", body="hello again")).then_raises(
        ClientMessageIdReused)
    with_file = send(ADA, "c1").model_copy(update={"attachment_document_ids": [JOB]})
    given(conversation, started(), sent(ADA, "c1", 1)).when(with_file).then_raises(ClientMessageIdReused)
    first = start(first_message=FirstMessage(body="other words", client_message_id="c1"))
    given(conversation, started(), sent(ADA, "c1", 1)).when(first).then_raises(ClientMessageIdReused)


def test_a_send_retried_after_an_edit_or_a_redaction_is_still_the_same_message() -> None:
    edit = ConversationMessageEdited(conversation_id=CID, message_id=mid(ADA), sender_user_id=ADA, body="hi",
                                     at=T1)
    redact = ConversationMessageRedacted(conversation_id=CID, message_id=mid(ADA), redacted_by="author",
                                         by=str(ADA), at=T1)
    given(conversation, started(), sent(ADA, "c1", 1), edit).when(send(ADA, "c1")).then()
    given(conversation, started(), sent(ADA, "c1", 1), edit, redact).when(send(ADA, "c1")).then()


def test_a_new_message_brings_the_conversation_back_from_the_recipients_archive_only() -> None:
    archived_by = {u: ConversationArchived(conversation_id=CID, user_id=u, at=T0) for u in (ADA, BO)}
    back = ConversationUnarchived(conversation_id=CID, user_id=BO, at=T0)
    given(conversation, started(), archived_by[BO]).when(send(ADA)).then(sent(ADA, "c1", 1), back)
    given(conversation, started(), archived_by[ADA], archived_by[BO]).when(send(ADA)).then(sent(ADA, "c1", 1), back)
    given(conversation, started(), archived_by[ADA]).when(send(ADA)).then(sent(ADA, "c1", 1))
    given(conversation, started(), archived_by[BO], sent(ADA, "c1", 1), back).when(send(ADA)).then()  # a retry


def test_the_same_client_id_from_the_other_participant_is_another_message() -> None:
    given(conversation, started(), accepted(), sent(ADA, "c1", 1)).when(send(BO, "c1")).then(sent(BO, "c1", 2))


def test_the_recipient_replying_accepts_the_request() -> None:
    reply_accepts = ConversationRequestAccepted(conversation_id=CID, user_id=BO, at=T0)
    given(conversation, started()).when(send(BO)).then(reply_accepts, sent(BO, "c1", 1))
    given(conversation, started(), declined()).when(send(BO)).then(reply_accepts, sent(BO, "c1", 1))


def test_a_declined_conversation_refuses_the_starters_messages() -> None:
    given(conversation, started(), declined()).when(send(ADA, "c2")).then_raises(RequestDeclined)


def test_only_participants_send() -> None:
    given(conversation, started()).when(send(CY)).then_raises(NotAParticipant)
    given(conversation).when(send(ADA)).then_raises(ConversationNotFound)


def test_a_system_message_goes_to_both_once() -> None:
    system = SendSystemMessage(conversation_id=CID, body="notice", client_message_id="n1", by="system", at=T0)
    given(conversation, started()).when(system).then(sent(None, "n1", 1, body="notice"))
    given(conversation, started(), sent(None, "n1", 1, body="notice")).when(system).then()
    given(conversation).when(system).then_raises(ConversationNotFound)


# --- edit and redact -----------------------------------------------------------------------------------------------

def edit(user: UUID, message: UUID, body: str = "hello, edited") -> EditMessage:
    return EditMessage(conversation_id=CID, message_id=message, user_id=user, body=body, by=str(user), at=T1)


def redact(user: UUID | None, message: UUID, by: str = "author") -> RedactMessage:
    return RedactMessage(conversation_id=CID, message_id=message, user_id=user, redacted_by=by, by="x", at=T1)


def redacted(message: UUID, by: str = "author") -> ConversationMessageRedacted:
    return ConversationMessageRedacted(conversation_id=CID, message_id=message, redacted_by=by, by="x", at=T1)


def test_the_author_edits_their_message() -> None:
    given(conversation, started(), sent(ADA, "c1", 1)).when(edit(ADA, mid(ADA))).then(ConversationMessageEdited(
        conversation_id=CID, message_id=mid(ADA), sender_user_id=ADA, body="hello, edited", at=T1))


def test_an_edit_to_the_same_words_records_nothing() -> None:
    given(conversation, started(), sent(ADA, "c1", 1)).when(edit(ADA, mid(ADA), body="hello")).then()


def test_only_the_author_edits() -> None:
    given(conversation, started(), accepted(), sent(ADA, "c1", 1)).when(edit(BO, mid(ADA))).then_raises(NotTheAuthor)
    given(conversation, started(), sent(ADA, "c1", 1)).when(edit(CY, mid(ADA))).then_raises(NotAParticipant)


def test_a_declined_starter_edits_none_of_their_messages_and_still_takes_them_down() -> None:
    given(conversation, started(), sent(ADA, "c1", 1), declined()).when(edit(ADA, mid(ADA))).then_raises(
        RequestDeclined)
    given(conversation, started(), sent(ADA, "c1", 1), declined()).when(redact(ADA, mid(ADA))).then(
        ConversationMessageRedacted(conversation_id=CID, message_id=mid(ADA), redacted_by="author", by="x", at=T1))


def test_a_redacted_message_is_not_edited() -> None:
    given(conversation, started(), sent(ADA, "c1", 1), redacted(mid(ADA))).when(edit(ADA, mid(ADA))).then_raises(
        MessageRedacted)


def test_a_system_message_is_final() -> None:
    given(conversation, started(), sent(None, "n1", 1)).when(edit(ADA, mid(None, "n1"))).then_raises(
        SystemMessageIsFinal)


def test_an_unknown_message_is_not_found() -> None:
    given(conversation, started()).when(edit(ADA, mid(ADA))).then_raises(MessageNotFound)
    given(conversation, started()).when(redact(ADA, mid(ADA))).then_raises(MessageNotFound)
    given(conversation, started()).when(MarkRead(conversation_id=CID, user_id=BO, up_to_message_id=mid(ADA), by="b",
                                                 at=T1)).then_raises(MessageNotFound)


def test_the_author_redacts_once() -> None:
    given(conversation, started(), sent(ADA, "c1", 1)).when(redact(ADA, mid(ADA))).then(redacted(mid(ADA)))
    given(conversation, started(), sent(ADA, "c1", 1), redacted(mid(ADA))).when(redact(ADA, mid(ADA))).then()


def test_only_the_author_redacts_unless_it_is_moderation() -> None:
    given(conversation, started(), sent(ADA, "c1", 1)).when(redact(BO, mid(ADA))).then_raises(NotTheAuthor)
    given(conversation, started(), sent(None, "n1", 1)).when(redact(ADA, mid(None, "n1"))).then_raises(NotTheAuthor)
    given(conversation, started(), sent(ADA, "c1", 1)).when(redact(None, mid(ADA), "moderation")).then(
        redacted(mid(ADA), "moderation"))


def test_an_authors_redaction_names_the_author() -> None:
    with pytest.raises(ValidationError):
        redact(None, mid(ADA))


# --- read receipts ------------------------------------------------------------------------------------------------

def read(user: UUID, message: UUID) -> MarkRead:
    return MarkRead(conversation_id=CID, user_id=user, up_to_message_id=message, by=str(user), at=T1)


def test_a_read_receipt_names_the_message_and_its_number() -> None:
    history = (started(), sent(ADA, "c1", 1), sent(ADA, "c2", 2))
    given(conversation, *history).when(read(BO, mid(ADA, "c2"))).then(
        ConversationRead(conversation_id=CID, user_id=BO, up_to_message_id=mid(ADA, "c2"), seq=2, at=T1))


def test_reading_back_records_nothing() -> None:
    history = (started(), sent(ADA, "c1", 1), sent(ADA, "c2", 2),
               ConversationRead(conversation_id=CID, user_id=BO, up_to_message_id=mid(ADA, "c2"), seq=2, at=T1))
    given(conversation, *history).when(read(BO, mid(ADA, "c1"))).then()
    given(conversation, *history).when(read(BO, mid(ADA, "c2"))).then()


def test_sending_reads_up_to_the_sent_message() -> None:
    given(conversation, started(), sent(ADA, "c1", 1)).when(read(ADA, mid(ADA))).then()


def test_only_participants_read() -> None:
    given(conversation, started(), sent(ADA, "c1", 1)).when(read(CY, mid(ADA))).then_raises(NotAParticipant)


# --- mute and archive ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("on", "off", "on_event", "off_event"), [
    (Mute, Unmute, ConversationMuted, ConversationUnmuted),
    (Archive, Unarchive, ConversationArchived, ConversationUnarchived),
])
def test_mute_and_archive_are_each_participants_own_and_idempotent(on: type, off: type, on_event: type,
                                                                    off_event: type) -> None:
    done = on_event(conversation_id=CID, user_id=BO, at=T1)
    undone = off_event(conversation_id=CID, user_id=BO, at=T1)
    given(conversation, started()).when(on(conversation_id=CID, user_id=BO, by="b", at=T1)).then(done)
    given(conversation, started(), done).when(on(conversation_id=CID, user_id=BO, by="b", at=T1)).then()
    given(conversation, started(), done).when(on(conversation_id=CID, user_id=ADA, by="a", at=T1)).then(
        on_event(conversation_id=CID, user_id=ADA, at=T1))
    given(conversation, started(), done).when(off(conversation_id=CID, user_id=BO, by="b", at=T1)).then(undone)
    given(conversation, started(), done, undone).when(off(conversation_id=CID, user_id=BO, by="b", at=T1)).then()
    given(conversation, started()).when(off(conversation_id=CID, user_id=BO, by="b", at=T1)).then()
    given(conversation, started()).when(on(conversation_id=CID, user_id=CY, by="c", at=T1)).then_raises(
        NotAParticipant)
