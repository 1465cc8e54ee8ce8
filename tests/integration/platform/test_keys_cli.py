"""`splits keys generate | rotate | status` against a real database: a development key moved off by rotation,
a second rotation to a new key, every event readable throughout, erased keys counted, refusals in one line."""

from __future__ import annotations

import pytest
import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import orjson

from commands.identity import user as users
from eventstore import EventStore, Keyring, handle, parse_keks
from infra.bootstrap import event_registry
from tests.api import SEEDER

SPLITS = str(Path(sys.executable).parent / "splits")


def keys(*args: str, url: str, data_key: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": url, "LOG_LEVEL": "error", "COLUMNS": "200", "ENVIRONMENT": "test"} | extra
    for name in ("RABBITMQ_URL", "SPLITS_DATA_KEY", "SPLITS_DATA_KEY_FILE"):
        env.pop(name, None)
    if data_key is not None:
        env["SPLITS_DATA_KEY"] = data_key
    return subprocess.run([SPLITS, "keys", *args], env=env, capture_output=True, text=True, timeout=120)


async def run(*args: str, url: str, data_key: str | None = None) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(keys, *args, url=url, data_key=data_key)


def generated(name: str) -> str:
    answer = keys("generate", "--id", name, url="postgresql://unused")
    assert answer.returncode == 0, answer.stderr
    line = answer.stdout.splitlines()[0]
    assert line.startswith("SPLITS_DATA_KEY=")
    value = line.removeprefix("SPLITS_DATA_KEY=")
    [(kek_id, kek)] = parse_keks(value)
    assert kek_id == name and len(kek) == 32
    return value


async def register(store: EventStore, name: str) -> UUID:
    user_id = users.user_id_for(name)
    await handle(store, users.user, user_id, users.RegisterUser(
        user_id=user_id, clerk_user_id=name, email=f"{name}@example.com", name=f"Name of {name}", source="portal",
        by="test", at=datetime.now(UTC)), SEEDER)
    return user_id


async def names(pool, keks, user_ids: list[UUID]) -> list[str | None]:
    """Each user's name as a process holding only `keks` reads it (a fresh keyring: nothing cached)."""
    store = EventStore(pool, event_registry(), Keyring(pool, keks))
    out = []
    for user_id in user_ids:
        [registered] = await store.read_stream(f"user-{user_id}")
        out.append(store.registry.decode(registered).name)
    return out


async def status(url: str, data_key: str | None) -> dict:
    answer = await run("status", "--json", url=url, data_key=data_key)
    assert answer.returncode == 0, answer.stderr
    return orjson.loads(answer.stdout)


@pytest.mark.slow
async def test_rotation_moves_every_key_off_the_development_key_then_to_a_new_key(fresh_store: EventStore) -> None:
    url, pool = fresh_store.pool.conninfo, fresh_store.pool
    first, second = generated("k1"), generated("k2")
    ids = [await register(fresh_store, f"user_keys_{i}") for i in range(3)]  # no key configured: the development key

    before = await status(url, None)
    assert before["data_keys"] == 3 and before["per_kek"] == {"development": 3}
    assert before["development_key_in_use"] is True and before["configured"] == []
    lines = await run("status", url=url)
    assert "data keys: 3 (3 held, 0 erased)" in lines.stdout and "development key: IN USE" in lines.stdout

    refused = await run("rotate", url=url)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip().count("\n") == 0 and "SPLITS_DATA_KEY is not set" in refused.stderr

    rotated = await run("rotate", url=url, data_key=first)
    assert rotated.returncode == 0, rotated.stderr
    assert "rewrapped 3 data key(s)" in rotated.stdout and "3 data key(s) rewrapped with key-encryption key k1" in rotated.stdout
    again = await run("rotate", url=url, data_key=first)
    assert again.returncode == 0 and "0 data key(s) rewrapped" in again.stdout and "wrapped by it already" in again.stdout
    after = await status(url, first)
    assert after["per_kek"] == {"k1": 3} and after["development_key_in_use"] is False and after["unreadable"] == {}
    assert await names(pool, parse_keks(first), ids) == [f"Name of user_keys_{i}" for i in range(3)]

    # A new key first, the old one after it: rotate, and a process holding only the new key reads everything.
    both = f"{second},{first}"
    assert (await status(url, second))["unreadable"] == {"k1": 3}  # the new key alone, before rotating
    rotated = await run("rotate", "--batch", "2", url=url, data_key=both)
    assert rotated.returncode == 0, rotated.stderr
    assert "rewrapped 2 data key(s)" in rotated.stdout and "rewrapped 3 data key(s)" in rotated.stdout
    assert await names(pool, parse_keks(second), ids) == [f"Name of user_keys_{i}" for i in range(3)]

    erased = await Keyring(pool, parse_keks(second)).erase([f"user:{ids[0]}"])
    assert erased == [f"user:{ids[0]}"]
    final = await status(url, second)
    assert (final["data_keys"], final["held"], final["erased"], final["per_kek"]) == (3, 2, 1, {"k2": 2})
    assert await names(pool, parse_keks(second), ids) == [None, "Name of user_keys_1", "Name of user_keys_2"]
    shown = await run("status", url=url, data_key=second)
    assert "wrapped by k2: 2 (current)" in shown.stdout and "development key: not in use (still stored" in shown.stdout


@pytest.mark.slow
async def test_a_key_the_database_does_not_know_and_a_malformed_key_are_refused_in_one_line(fresh_store: EventStore) -> None:
    url = fresh_store.pool.conninfo
    await register(fresh_store, "user_keys_lost")
    lost, other = generated("lost"), generated("other")
    assert (await run("rotate", url=url, data_key=lost)).returncode == 0  # development → lost
    stranded = await run("rotate", url=url, data_key=other)  # the old key is not given: nothing unwraps
    assert stranded.returncode == 2 and stranded.stderr.strip().count("\n") == 0
    assert "wrapped by key-encryption key 'lost', which SPLITS_DATA_KEY does not hold" in stranded.stderr
    assert (await status(url, other))["unreadable"] == {"lost": 1}

    malformed = await run("status", url=url, data_key="short:AAAA")
    assert malformed.returncode == 2 and malformed.stderr.strip() == "SPLITS_DATA_KEY: an entry is 3 bytes, expected 32 (AES-256)"
    bad_id = keys("generate", "--id", "a:b", url=url)
    assert bad_id.returncode == 2 and "--id must be" in bad_id.stderr
    production = await asyncio.to_thread(keys, "status", url=url, ENVIRONMENT="production")
    assert production.returncode == 2 and production.stderr.strip().startswith("SPLITS_DATA_KEY (or SPLITS_DATA_KEY_FILE) is not set")
    assert production.stderr.strip().count("\n") == 0
