"""`splits privacy erase` and `splits privacy status` on a real database: a request recorded as the operator,
followed to its completion."""

from __future__ import annotations

import pytest
import getpass
import json
from pathlib import Path
from uuid import uuid4

from consumers.privacy.process import erasures
from consumers.runtime.reactor import ReactorContext, ReactorRunner
from eventstore import EventStore
from adapters.settings import Settings
from adapters.storage import LocalStorage
from tests.api import seed_user
from tests.integration.platform.test_cli import splits
from tests.integration.runtime.test_scheduler import project


@pytest.mark.slow
async def test_an_operator_erases_a_user_and_follows_the_erasure(fresh_store: EventStore, tmp_path: Path) -> None:
    url = fresh_store.pool.conninfo
    user_id = await seed_user(fresh_store, "user_erased_by_cli")
    await project(fresh_store)

    asked = splits("privacy", "erase", "--user", str(user_id), "--reason", "asked by letter", url=url)
    assert asked.returncode == 0, asked.stderr
    erasure_id = asked.stdout.split()[1]
    [requested] = await fresh_store.read_stream(f"erasure-{erasure_id}")
    assert requested.data["requested_by"] == f"operator:{getpass.getuser()}"
    assert requested.data["reason"] == "asked by letter" and requested.metadata["actor"] == f"operator:{getpass.getuser()}"
    status = splits("privacy", "status", erasure_id, url=url)
    assert status.returncode == 0 and json.loads(status.stdout)["status"] == "requested"

    context = ReactorContext(settings=Settings(), payments=None, storage=LocalStorage(tmp_path))  # type: ignore[arg-type]
    await ReactorRunner(erasures, fresh_store.pool, fresh_store, fresh_store.registry, context).react(requested)
    done = json.loads(splits("privacy", "status", erasure_id, url=url).stdout)
    assert done["status"] == "erased" and done["counts"]["users"] == 1 and done["person_id"] == str(user_id)


@pytest.mark.slow
async def test_the_person_is_named_once_and_must_exist(fresh_store: EventStore) -> None:
    url = fresh_store.pool.conninfo
    assert splits("privacy", "erase", url=url).returncode == 2
    assert splits("privacy", "erase", "--user", str(uuid4()), "--candidate", str(uuid4()), url=url).returncode == 2
    assert splits("privacy", "erase", "--recruiter", "not-an-id", url=url).returncode == 2
    unknown = splits("privacy", "erase", "--candidate", str(uuid4()), url=url)
    assert unknown.returncode == 1 and "no candidate" in unknown.stderr
    missing = splits("privacy", "status", str(uuid4()), url=url)
    assert missing.returncode == 1 and "no erasure" in missing.stderr
    async with fresh_store.pool.connection() as conn:
        cur = await conn.execute("SELECT count(*) FROM eventstore.streams WHERE stream_id LIKE 'erasure-%'")
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]
