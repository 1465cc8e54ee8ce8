"""A person's own erasure is confirmed with a token signed by the token secret of the System's adapters
(api/deps.py `TokenSecret`, chosen by infra/bootstrap.py), whatever the settings would give."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime

import pytest

from adapters.settings import Settings
from adapters.tokens import DEVELOPMENT_SECRET, ConfirmationRefused, TokenSigner, check_confirmation
from eventstore import EventStore
from infra.bootstrap import adapters_for
from tests.api import dev_auth, running_consumers, seed_user, serving
from tests.helpers import wait_until

SECRET = b"a-token-secret-of-this-test-alone-0123456789"


async def test_the_confirmation_is_signed_with_the_systems_token_secret(fresh_store: EventStore) -> None:
    clerk_id = f"user_erasing_{secrets.token_hex(4)}"
    user_id = await seed_user(fresh_store, clerk_id)
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True, splits_token_secret=None,
                        consistency_wait_s=10)
    adapters = dataclasses.replace(adapters_for(settings), tokens=TokenSigner.of(SECRET))
    async with serving(fresh_store, settings, adapters=adapters) as (client, system), \
            running_consumers(system, only={"identity"}):
        async def known() -> bool:
            return (await client.get("/v1/users/me", headers=dev_auth(clerk_id))).status_code == 200

        await wait_until(known)
        first = await client.delete("/v1/users/me", headers=dev_auth(clerk_id))
        assert first.status_code == 202, first.text
        confirmation = first.json()["data"]
        token = confirmation["confirmation_token"]
        at = int(datetime.fromisoformat(confirmation["expires_at"]).timestamp()) - 60
        check_confirmation(SECRET, "erase-self", str(user_id), token, at)
        with pytest.raises(ConfirmationRefused, match="invalid"):
            check_confirmation(DEVELOPMENT_SECRET, "erase-self", str(user_id), token, at)
