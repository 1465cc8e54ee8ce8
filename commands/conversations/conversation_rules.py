"""The errors of the conversation decider, each with a stable code (api/problems.py maps the kind to a status)."""

from __future__ import annotations

from uuid import UUID

from commands.core import Conflict, Forbidden, NotFound, RuleViolation


class ConversationNotFound(NotFound):
    code = "conversation_not_found"

    def __init__(self, conversation_id: UUID) -> None:
        super().__init__(f"conversation {conversation_id} not found", conversation_id=str(conversation_id))


class NotAParticipant(Forbidden):
    code = "not_a_participant"

    def __init__(self, conversation_id: UUID, user_id: UUID) -> None:
        super().__init__(f"user {user_id} is not a participant of conversation {conversation_id}",
                         conversation_id=str(conversation_id))


class CannotMessageYourself(RuleViolation):
    code = "cannot_message_yourself"

    def __init__(self) -> None:
        super().__init__("a conversation is between two different people")


class OnlyTheRecipientAnswers(Forbidden):
    code = "only_the_recipient_answers"

    def __init__(self, conversation_id: UUID) -> None:
        super().__init__(f"only the recipient of conversation {conversation_id} accepts or declines it",
                         conversation_id=str(conversation_id))


class RequestAlreadyAccepted(RuleViolation):
    code = "conversation_request_already_accepted"

    def __init__(self, conversation_id: UUID) -> None:
        super().__init__(f"conversation {conversation_id} was accepted; block the person instead of declining",
                         conversation_id=str(conversation_id))


class RequestDeclined(RuleViolation):
    code = "conversation_request_declined"

    def __init__(self, conversation_id: UUID) -> None:
        super().__init__(f"the recipient declined conversation {conversation_id}: no more messages can be sent to them",
                         conversation_id=str(conversation_id))


class MessageNotFound(NotFound):
    code = "message_not_found"

    def __init__(self, conversation_id: UUID, message_id: UUID) -> None:
        super().__init__(f"message {message_id} not found in conversation {conversation_id}",
                         conversation_id=str(conversation_id), message_id=str(message_id))


class NotTheAuthor(Forbidden):
    code = "not_the_author"

    def __init__(self, message_id: UUID, action: str) -> None:
        super().__init__(f"only the author of message {message_id} can {action} it", message_id=str(message_id))


class ClientMessageIdReused(Conflict):
    code = "client_message_id_reused"

    def __init__(self, message_id: UUID) -> None:
        super().__init__(f"this client_message_id already sent message {message_id} with other words or attachments: "
                         "a new message needs a new client_message_id", message_id=str(message_id))


class MessageRedacted(RuleViolation):
    code = "message_redacted"

    def __init__(self, message_id: UUID) -> None:
        super().__init__(f"message {message_id} was redacted and cannot be edited", message_id=str(message_id))


class SystemMessageIsFinal(RuleViolation):
    code = "system_message_is_final"

    def __init__(self, message_id: UUID) -> None:
        super().__init__(f"message {message_id} is a system message: nobody edits it", message_id=str(message_id))


class InitiationLimitReached(RuleViolation):
    code = "messaging_initiations_limit_reached"

    def __init__(self, limit: int, period: str) -> None:
        super().__init__(f"the limit of {limit} new conversations a month (messaging_initiations_per_month) is "
                         f"reached for {period}: continue an existing conversation, or move to a plan with a higher limit",
                         entitlement="messaging_initiations_per_month", limit=limit, period=period)
