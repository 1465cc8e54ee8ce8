"""A user's block list: given / when / then, every transition allowed and refused."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from commands.conversations.block import (
    MAX_BLOCKS,
    BlockNotFound,
    BlockUser,
    CannotBlockYourself,
    TooManyBlocks,
    UnblockUser,
    block_list,
)
from commands.conversations.block_events import ConversationUserBlocked, ConversationUserUnblocked
from tests.unit.dsl import given

T = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ME, THEM, SOMEONE = uuid4(), uuid4(), uuid4()


def blocked(who=THEM):
    return ConversationUserBlocked(user_id=ME, blocked_user_id=who, at=T)


def unblocked(who=THEM):
    return ConversationUserUnblocked(user_id=ME, blocked_user_id=who, at=T)


def test_blocking_someone_records_the_block() -> None:
    given(block_list).when(BlockUser(user_id=ME, blocked_user_id=THEM, at=T)).then(blocked())


def test_blocking_someone_already_blocked_records_nothing() -> None:
    given(block_list, blocked()).when(BlockUser(user_id=ME, blocked_user_id=THEM, at=T)).then()


def test_blocking_again_after_an_unblock_records_a_new_block() -> None:
    given(block_list, blocked(), unblocked()).when(BlockUser(user_id=ME, blocked_user_id=THEM, at=T)).then(blocked())


def test_no_one_blocks_themself() -> None:
    given(block_list).when(BlockUser(user_id=ME, blocked_user_id=ME, at=T)).then_raises(CannotBlockYourself)


def test_a_full_block_list_refuses_another_but_not_one_already_on_it() -> None:
    full = [blocked(uuid4()) for _ in range(MAX_BLOCKS - 1)] + [blocked()]
    given(block_list, *full).when(BlockUser(user_id=ME, blocked_user_id=SOMEONE, at=T)).then_raises(TooManyBlocks)
    given(block_list, *full).when(BlockUser(user_id=ME, blocked_user_id=THEM, at=T)).then()
    given(block_list, *full[1:]).when(BlockUser(user_id=ME, blocked_user_id=SOMEONE, at=T)).then(blocked(SOMEONE))


def test_unblocking_a_blocked_user_records_the_unblock() -> None:
    given(block_list, blocked(), blocked(SOMEONE)).when(UnblockUser(user_id=ME, blocked_user_id=THEM, at=T)).then(
        unblocked())


def test_unblocking_someone_not_blocked_is_refused() -> None:
    given(block_list).when(UnblockUser(user_id=ME, blocked_user_id=THEM, at=T)).then_raises(BlockNotFound)
    given(block_list, blocked(), unblocked()).when(
        UnblockUser(user_id=ME, blocked_user_id=THEM, at=T)).then_raises(BlockNotFound)
