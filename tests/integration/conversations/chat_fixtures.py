"""What the conversation API tests share (no tests here): the app on a fresh store with development sign-in and the
consumers the routes rely on, people in their roles, and reads that wait for the conversations read schema."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from commands.ats import candidate as candidates
from commands.network import recruiter_candidate as rtr
from eventstore import EventStore, handle, load_checkpoint
from adapters.settings import Settings
from tests.api import SEEDER, running_consumers, serving
from tests.helpers import feed_settled, settled_head, wait_until
from tests.integration.network.test_network_fixtures import CONSUMERS as NETWORK_CONSUMERS
from tests.integration.network.test_network_fixtures import Net

CONSUMERS = NETWORK_CONSUMERS | {"conversations", "ats", "documents"}


class Chat(Net):
    async def candidate(self, name: str) -> UUID:
        """A person who is a candidate with their own record; returns the candidate id."""
        candidate_id = uuid4()
        await self.person(name, ("candidate", candidate_id))
        await handle(self.store, candidates.candidate, candidate_id, candidates.CreateCandidate(
            candidate_id=candidate_id, user_id=self.user_id(name), created_by_user_id=self.user_id(name),
            full_name="Casey Candidate", email=self.email(name), by="seed", at=datetime.now(UTC)), SEEDER)
        return candidate_id

    async def represents(self, recruiter: str, candidate: str, candidate_id: UUID) -> None:
        """An active, consented recruiter–candidate relationship."""
        recruiter_id = await self.recruiter_of(recruiter)
        relationship_id = rtr.recruiter_candidate_id_for(recruiter_id, candidate_id)
        token = secrets.token_hex(32)
        now = datetime.now(UTC)
        await handle(self.store, rtr.recruiter_candidate, relationship_id, rtr.InviteCandidate(
            recruiter_id=recruiter_id, candidate_id=candidate_id, invitation_id=uuid4(), token=token, by="seed",
            at=now), SEEDER)
        await handle(self.store, rtr.recruiter_candidate, relationship_id, rtr.GiveConsent(
            relationship_id=relationship_id, token=token, user_id=self.user_id(candidate), ip_address=None,
            user_agent=None, by="seed", at=now), SEEDER)

    async def recruiter_of(self, name: str) -> UUID:
        from commands.network.recruiter import recruiter_id_for
        return recruiter_id_for(self.user_id(name))

    async def projected(self) -> None:
        """Every event so far projected into the identity, network, ats and conversations schemas."""
        await feed_settled(self.store)
        head = await settled_head(self.store)

        async def caught_up() -> bool:
            async with self.store.pool.connection() as conn:
                for name in ("identity", "network", "ats", "conversations"):
                    checkpoint = await load_checkpoint(conn, f"projection:{name}")
                    if checkpoint is None or checkpoint.position < head:
                        return False
            return True

        await wait_until(caught_up)

    async def start(self, who: str, recipient: str, *, context: tuple[str, UUID | None] = ("none", None),
                    first: str | None = None, client: str = "first") -> httpx.Response:
        body: dict[str, Any] = {"recipient_user_id": str(self.user_id(recipient)), "context_type": context[0],
                                "context_id": str(context[1]) if context[1] else None}
        if first is not None:
            body["first_message"] = {"body": first, "client_message_id": client}
        return await self.post("/v1/conversations", who, body)

    async def patch(self, path: str, who: str, body: Any) -> httpx.Response:
        return await self.client.patch(path, json=body, headers=self.as_(who))

    async def attach(self, who: str, conversation_id: str, content: bytes = b"Notes for our call.\n") -> httpx.Response:
        """Upload a file on the conversation, as a message's attachment."""
        return await self.client.post("/v1/documents", headers=self.as_(who), data={
            "entity_type": "conversation", "entity_id": conversation_id, "document_type": "other"},
            files={"file": ("notes.txt", content, "text/plain")})


@pytest.fixture
async def chat(fresh_store: EventStore, tmp_path):
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True,
                        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10, documents_dir=str(tmp_path))
    async with serving(fresh_store, settings) as (client, system), running_consumers(system, only=CONSUMERS):
        yield Chat(client, fresh_store, secrets.token_hex(4))
