"""The invitation routes sign with the token secret of the System's adapters (api/deps.py `TokenSecret`, chosen
by infra/bootstrap.py), whatever the settings would give."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import AsyncIterator
from uuid import UUID

import pytest

from adapters.settings import Settings
from adapters.tokens import DEVELOPMENT_SECRET, TokenSigner, invitation_token
from eventstore import EventStore
from infra.bootstrap import adapters_for
from tests.api import running_consumers, serving
from tests.integration.network.test_network_candidates_api import managed_candidate
from tests.integration.network.test_network_fixtures import CONSUMERS, Net

SECRET = b"a-token-secret-of-this-test-alone-0123456789"


@pytest.fixture
async def signed_net(fresh_store: EventStore) -> AsyncIterator[Net]:
    """The network API in development (no secret set: the development secret would sign), its System's token
    signer swapped for one with `SECRET`."""
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True, splits_token_secret=None,
                        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10)
    adapters = dataclasses.replace(adapters_for(settings), tokens=TokenSigner.of(SECRET))
    async with serving(fresh_store, settings, adapters=adapters) as (client, system), \
            running_consumers(system, only=CONSUMERS):
        yield Net(client, fresh_store, secrets.token_hex(4))


async def test_an_invitation_is_signed_with_the_systems_token_secret(signed_net: Net) -> None:
    net = signed_net
    await net.recruiter("rec")
    candidate_id = await managed_candidate(net.store, net.user_id("rec"))
    answer = await net.post("/v1/recruiter-candidates", "rec", {"candidate_id": str(candidate_id)})
    assert answer.status_code == 201, answer.text
    invitation_id = UUID(answer.json()["data"]["invitation_id"])
    token = answer.json()["data"]["invitation_token"]  # development: the token is answered
    assert token == invitation_token(SECRET, invitation_id) != invitation_token(DEVELOPMENT_SECRET, invitation_id)
    invited = (await net.store.read_stream(f"recruiter_candidate-{answer.json()['id']}"))[-1]
    assert invited.data["token_digest"] == hashlib.sha256(token.encode()).hexdigest()
