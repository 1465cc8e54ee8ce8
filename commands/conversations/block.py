"""A user's block list (domain §3.5 `chat_user_blocks`) on `conversationblocks-<user id>`.

A block works both ways: while it stands neither user can message the other (the conversation routes read both
users' lists from their streams, so a block holds from its answer on). Blocking is the blocker's own business: no
reason, no one told.

Decisions where the domain is silent:
- blocking someone already blocked records nothing (a retried request); unblocking someone not blocked is
  refused (404 `block_not_found`), as a DELETE of a thing that is not there;
- no one blocks themself;
- a list holds at most MAX_BLOCKS users, so one stream (and its state, loaded on every block) stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from pydantic import AwareDatetime

from commands.conversations.block_events import BlockEvent, ConversationUserBlocked, ConversationUserUnblocked
from commands.core import Command, Decider, NotFound, RuleViolation

MAX_BLOCKS = 1000


class BlockUser(Command):
    user_id: UUID
    blocked_user_id: UUID
    at: AwareDatetime


class UnblockUser(Command):
    user_id: UUID
    blocked_user_id: UUID
    at: AwareDatetime


BlockCommand = BlockUser | UnblockUser


class CannotBlockYourself(RuleViolation):
    code = "cannot_block_yourself"

    def __init__(self) -> None:
        super().__init__("no one can block themself")


class TooManyBlocks(RuleViolation):
    code = "too_many_blocks"

    def __init__(self) -> None:
        super().__init__(f"a block list holds at most {MAX_BLOCKS} users: unblock someone first", limit=MAX_BLOCKS)


class BlockNotFound(NotFound):
    code = "block_not_found"

    def __init__(self, blocked_user_id: UUID) -> None:
        super().__init__(f"user {blocked_user_id} is not blocked", user_id=str(blocked_user_id))


@dataclass(frozen=True)
class BlockList:
    blocked: frozenset[UUID] = frozenset()


def initial_state() -> BlockList:
    return BlockList()


def evolve(s: BlockList, e: BlockEvent) -> BlockList:
    match e:
        case ConversationUserBlocked():
            return replace(s, blocked=s.blocked | {e.blocked_user_id})
        case ConversationUserUnblocked():
            return replace(s, blocked=s.blocked - {e.blocked_user_id})
    return s


def decide(cmd: BlockCommand, s: BlockList) -> list[BlockEvent]:
    match cmd:
        case BlockUser() if cmd.blocked_user_id == cmd.user_id:
            raise CannotBlockYourself()
        case BlockUser() if cmd.blocked_user_id in s.blocked:
            return []
        case BlockUser() if len(s.blocked) >= MAX_BLOCKS:
            raise TooManyBlocks()
        case BlockUser():
            return [ConversationUserBlocked(user_id=cmd.user_id, blocked_user_id=cmd.blocked_user_id, at=cmd.at)]
        case UnblockUser() if cmd.blocked_user_id not in s.blocked:
            raise BlockNotFound(cmd.blocked_user_id)
        case UnblockUser():
            return [ConversationUserUnblocked(user_id=cmd.user_id, blocked_user_id=cmd.blocked_user_id, at=cmd.at)]
    raise TypeError(f"the block list decider has no case for {type(cmd).__name__}")


block_list: Decider[BlockCommand, BlockEvent, BlockList] = Decider(
    "conversationblocks", initial_state, evolve, decide,
    events=(ConversationUserBlocked, ConversationUserUnblocked),
)
