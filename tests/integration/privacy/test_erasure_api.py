"""Erasure through HTTP: platform admins request one and follow it; a person erases themself with a
confirmation; the admin deletion of a user erases too; a command naming an erased person answers 410."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from commands.identity.user import user_id_for
from eventstore import EventStore
from adapters.settings import Settings
from adapters.tokens import DEVELOPMENT_SECRET, confirmation_token
from tests.api import bearer, running_consumers, seed_user, serving
from tests.fakes.clerk import FakeClerk, FakeClerkBackend
from tests.helpers import wait_until


@dataclass
class Api:
    client: httpx.AsyncClient
    store: EventStore
    portal: FakeClerk
    candidate_app: FakeClerk
    run: str
    backend: FakeClerkBackend

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    def as_(self, name: str, via: str = "portal") -> dict[str, str]:
        fake = self.portal if via == "portal" else self.candidate_app
        return bearer(fake.mint(user_id=self.clerk_id(name), lifetime_s=300))

    async def register(self, who: str, via: str = "portal") -> UUID:
        """Sign up at Clerk (a verified `<who>.<run>@example.com`), then register: the email is Clerk's."""
        self.backend.put(self.clerk_id(who), f"{who}.{self.run}@example.com")
        answer = await self.client.post("/v1/users/register", headers=self.as_(who, via), json={"name": who.title()})
        assert answer.status_code == 200, answer.text
        return UUID(answer.json()["id"])

    async def admin(self) -> dict[str, str]:
        """A platform admin's headers, once the identity read model knows them as one."""
        await seed_user(self.store, self.clerk_id("root"), roles=[("platform_admin", None)])

        async def known() -> bool:
            answer = await self.client.get("/v1/users/me", headers=self.as_("root"))
            return answer.status_code == 200 and answer.json()["data"]["is_platform_admin"]

        await wait_until(known, timeout=30)
        return self.as_("root")

    async def erased(self, erasure_id: str, headers: dict[str, str]) -> dict[str, Any]:
        seen: list[dict[str, Any]] = []

        async def done() -> bool:
            answer = await self.client.get(f"/v1/admin/erasures/{erasure_id}", headers=headers)
            assert answer.status_code == 200, answer.text
            seen.append(answer.json()["data"])
            return seen[-1]["status"] == "erased"

        await wait_until(done, timeout=30)
        return seen[-1]

    async def erasure_streams(self) -> int:
        async with self.store.pool.connection() as conn:
            cur = await conn.execute("SELECT count(*) FROM eventstore.streams WHERE stream_id LIKE 'erasure-%'")
            return (await cur.fetchone())[0]  # type: ignore[index]


@pytest.fixture
async def api(fresh_store: EventStore, clerk: FakeClerk, candidate_clerk: FakeClerk, clerk_backend: FakeClerkBackend,
              tmp_path: Path):
    settings = Settings(
        clerk_api_url=clerk_backend.base_url, splits_clerk_secret_key=clerk_backend.secret_key,
        app_clerk_secret_key=clerk_backend.secret_key,
        database_url=fresh_store.pool.conninfo, documents_dir=str(tmp_path),
        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        app_clerk_jwks_url=candidate_clerk.jwks_url, app_clerk_issuer=candidate_clerk.issuer,
        clerk_authorized_parties=f"{clerk.azp},{candidate_clerk.azp}",
        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10,
    )
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        yield Api(client, fresh_store, clerk, candidate_clerk, secrets.token_hex(4), clerk_backend)


async def candidate_of(api: Api, who: str) -> str:
    seen: list[Any] = []

    async def linked() -> bool:
        answer = await api.client.get("/v1/users/me", headers=api.as_(who, "candidate"))
        seen.append(answer.json().get("data", {}).get("candidate_id"))
        return seen[-1] is not None

    await wait_until(linked, timeout=30)
    return str(seen[-1])


async def test_only_platform_admins_request_an_erasure_and_follow_it(api: Api) -> None:
    cleo = await api.register("cleo", via="candidate")
    await candidate_of(api, "cleo")
    root = await api.admin()
    path = f"/v1/admin/subjects/{cleo}/erase"
    assert (await api.client.post(path, json={"kind": "user"})).status_code == 401
    refused = await api.client.post(path, json={"kind": "user"}, headers=api.as_("cleo", "candidate"))
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert (await api.client.post(path, json={"kind": "someone"}, headers=root)).status_code == 422
    unknown = await api.client.post(f"/v1/admin/subjects/{uuid4()}/erase", json={"kind": "user"}, headers=root)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert await api.erasure_streams() == 0

    accepted = await api.client.post(path, json={"kind": "user", "reason": "asked by email"}, headers=root)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert set(body) == {"id", "version", "consistency_token"} and body["version"] == 1
    assert (await api.client.get(f"/v1/admin/erasures/{body['id']}", headers=api.as_("cleo", "candidate"))
            ).status_code in (401, 403)
    status = await api.erased(body["id"], root)
    assert (status["person_kind"], status["person_id"], status["reason"], status["self_service"]) == (
        "user", str(cleo), "asked by email", False)
    assert status["counts"]["users"] == 1 and status["counts"]["candidates"] == 1
    assert status["requested_by"] == str(user_id_for(api.clerk_id("root"))) and status["erased_at"]
    assert (await api.client.get(f"/v1/admin/erasures/{uuid4()}", headers=root)).status_code == 404
    # The erased user is no one to the API any more, once the read models have the erasure.

    async def no_one() -> bool:
        return (await api.client.get("/v1/users/me", headers=api.as_("cleo", "candidate"))).status_code == 403

    await wait_until(no_one, timeout=30)


async def test_a_person_erases_themself_after_confirming(api: Api) -> None:
    dora = await api.register("dora")
    await api.register("eve")
    first = await api.client.delete("/v1/users/me", headers=api.as_("dora"))
    assert first.status_code == 202, first.text
    token = first.json()["data"]["confirmation_token"]
    assert first.json()["data"]["expires_at"]
    # The command shape, though nothing is recorded yet: the caller's user, its version, and no token to wait on.
    assert (first.json()["id"], first.json()["consistency_token"]) == (str(dora), None)
    assert first.json()["version"] >= 1
    assert await api.erasure_streams() == 0  # asking for the token records nothing

    eves = (await api.client.delete("/v1/users/me", headers=api.as_("eve"))).json()["data"]["confirmation_token"]
    expired = confirmation_token(DEVELOPMENT_SECRET, "erase-self", str(dora), int(time.time()) - 1)
    for wrong, code in (("12.abc", "confirmation_malformed"), (eves, "confirmation_invalid"),
                        (expired, "confirmation_expired"), (token[:-1] + ("0" if token[-1] != "0" else "1"),
                                                            "confirmation_invalid")):
        refused = await api.client.request("DELETE", "/v1/users/me", headers=api.as_("dora"),
                                           json={"confirmation_token": wrong})
        assert refused.status_code == 422 and refused.json()["code"] == code, (wrong, refused.text)
    assert await api.erasure_streams() == 0

    confirmed = await api.client.request("DELETE", "/v1/users/me", headers=api.as_("dora"),
                                         json={"confirmation_token": token})
    assert confirmed.status_code == 202, confirmed.text
    again = await api.client.request("DELETE", "/v1/users/me", headers=api.as_("dora"),
                                     json={"confirmation_token": token})
    # Still the same request (or, once the erasure closed the account, no one to ask for it).
    assert again.status_code in (202, 403)
    if again.status_code == 202:
        assert (again.json()["id"], again.json()["version"]) == (confirmed.json()["id"], confirmed.json()["version"])
    status = await api.erased(confirmed.json()["id"], await api.admin())
    assert status["self_service"] and status["person_id"] == str(dora) and status["requested_by"] == str(dora)
    assert await api.erasure_streams() == 1


async def test_the_admin_deletion_of_a_user_erases_them(api: Api) -> None:
    fred = await api.register("fred")
    root = await api.admin()
    deleted = await api.client.delete(f"/v1/users/{fred}", headers=root)
    assert deleted.status_code == 200 and deleted.json()["id"] == str(fred)
    status = await api.erased(deleted.headers["location"].rsplit("/", 1)[-1], root)
    assert status["person_id"] == str(fred) and status["counts"]["users"] == 1
    row: list[Any] = []

    async def scrubbed() -> bool:  # the erasure's own stream says erased; the identity read model follows it
        async with api.store.pool.connection() as conn:
            cur = await conn.execute("SELECT email, name FROM identity.users WHERE id = %s", (fred,))
            row[:] = [await cur.fetchone()]
        return row[0] == ("[erased]", None)

    await wait_until(scrubbed, timeout=30)
    assert row == [("[erased]", None)]


async def test_a_command_naming_an_erased_candidate_answers_410(api: Api) -> None:
    await api.register("gina", via="candidate")
    candidate_id = await candidate_of(api, "gina")
    root = await api.admin()
    accepted = await api.client.post(f"/v1/admin/subjects/{candidate_id}/erase", json={"kind": "candidate"},
                                     headers=root)
    assert accepted.status_code == 202, accepted.text
    await api.erased(accepted.json()["id"], root)
    # The user linked to the record stays; the record takes nothing new.
    refused = await api.client.patch(f"/v1/candidates/{candidate_id}", json={"bio": "I am back"},
                                     headers=api.as_("gina", "candidate"))
    assert refused.status_code == 410, refused.text
    assert refused.json()["code"] == "subject_erased"
    assert refused.headers["content-type"] == "application/problem+json"
