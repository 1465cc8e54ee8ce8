"""An organization made in Clerk ends as one made through the API: it names its company, so its admin creates the
company and manages its billing. Real-format Clerk payloads, signed as Svix signs them, through HTTP, with the
identity projection running; the admin then signs in (development sign-in) as the Clerk user."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest

from commands.identity.organization import organization_id_for
from commands.identity import organization as orgs
from commands.identity.organization import company_id_for
from commands.identity.user import user_id_for
from eventstore import EventStore, handle
from adapters.settings import Settings
from tests.api import SEEDER, dev_auth, running_consumers, serving
from tests.conftest import RABBITMQ_URL
from tests.fakes.clerk_payloads import (
    body_of,
    membership,
    new_msg_id,
    new_secret,
    organization_created,
    signed,
    user_created,
)
from tests.helpers import wait_until

PORTAL = new_secret()


@dataclass
class Portal:
    client: httpx.AsyncClient
    store: EventStore
    run: str

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    async def deliver(self, payload: dict[str, Any]) -> None:
        """Recorded by the route, then applied by the running `clerk-webhooks` reactor."""
        body, msg_id = body_of(payload), new_msg_id()
        answer = await self.client.post("/v2/webhooks/clerk", content=body, headers=signed(body, PORTAL, msg_id))
        assert answer.status_code == 200 and answer.json()["status"] == "recorded", answer.text

        async def processed() -> bool:
            types = [e.type for e in await self.store.read_stream(f"clerkwebhook-{msg_id}")]
            return "ClerkWebhookProcessed" in types

        await wait_until(processed)
        *_, done = await self.store.read_stream(f"clerkwebhook-{msg_id}")
        assert done.data["outcome"] == "processed", done.data

    async def signs_up(self, name: str) -> None:
        """Clerk's user.created, then the user is known to the API."""
        await self.deliver(user_created(self.clerk_id(name), f"{name}.{self.run}@example.com", at=datetime.now(UTC)))

        async def known() -> bool:
            return (await self.call(name, "GET", "/v1/users/me")).status_code == 200

        await wait_until(known)

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=dev_auth(self.clerk_id(who)), **kwargs)

    async def ok(self, who: str, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        answer = await self.call(who, method, path, **kwargs)
        assert answer.status_code == expect, f"{who} {method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    async def membership_of(self, who: str, organization_id: UUID) -> dict[str, Any]:
        """The caller's membership of the organization as `/v1/users/me` shows it, once it does."""
        found: list[dict[str, Any]] = []

        async def listed() -> bool:
            me = (await self.ok(who, "GET", "/v1/users/me"))["data"]
            found[:] = [m for m in me["memberships"] if m["organization_id"] == str(organization_id)]
            return bool(found) and "company_admin" in me["roles"]

        await wait_until(listed)
        return found[0]

    async def company_of(self, who: str, organization_id: UUID) -> str | None:
        return (await self.ok(who, "GET", f"/v1/organizations/{organization_id}"))["data"]["company_id"]


@pytest.fixture
async def portal(fresh_store: EventStore, topology) -> AsyncIterator[Portal]:
    settings = Settings(database_url=fresh_store.pool.conninfo, rabbitmq_url=RABBITMQ_URL,
                        rabbitmq_prefix=topology.prefix, splits_dev_auth=True, splits_clerk_webhook_secret=PORTAL,
                        consistency_wait_s=10)
    async with serving(fresh_store, settings) as (client, system), running_consumers(
            system, only={"relay", "identity", "clerk-webhooks"}):
        yield Portal(client, fresh_store, secrets.token_hex(4))


def _company(organization_id: UUID, run: str, name: str) -> dict[str, Any]:
    return {"identity_organization_id": str(organization_id), "name": name, "slug": f"{name.lower()}-{run}"}


async def _runs_its_company(p: Portal, admin: str, organization_id: UUID) -> None:
    """The organization's admin creates its company, then sets up its billing: the company is theirs."""
    company_id = company_id_for(organization_id)
    assert await p.company_of(admin, organization_id) == str(company_id)
    created = await p.ok(admin, "POST", "/v1/companies", 201, json=_company(organization_id, p.run, admin))
    assert created["id"] == str(company_id)
    saved = await p.ok(admin, "PUT", f"/v1/companies/{company_id}/billing-profile",
                       json={"billing_email": f"ap.{p.run}@example.com"})
    assert saved["data"]["owner_id"] == str(company_id)


async def test_an_organization_made_in_clerk_gets_its_company_as_one_made_through_the_api(portal: Portal) -> None:
    p = portal
    await p.signs_up("cora")
    await p.signs_up("hank")
    await p.signs_up("olaf")
    clerk_org, now = f"org_{p.run}", datetime.now(UTC)
    await p.deliver(organization_created(clerk_org, "Acme", f"acme-{p.run}", at=now, by=p.clerk_id("cora")))
    await p.deliver(membership("created", clerk_org, p.clerk_id("cora"), "org:admin", at=now))
    await p.deliver(membership("created", clerk_org, p.clerk_id("hank"), "org:member", at=now))
    from_clerk = organization_id_for(clerk_org)
    by_clerk = await p.membership_of("cora", from_clerk)

    made = await p.ok("olaf", "POST", "/v1/organizations", 201, json={"name": "Olaf Co", "slug": f"olaf-{p.run}"})
    from_api = UUID(made["id"])
    by_api = await p.membership_of("olaf", from_api)
    assert {k: v for k, v in by_clerk.items() if k not in ("organization_id", "organization_name")} == {
        k: v for k, v in by_api.items() if k not in ("organization_id", "organization_name")} == {
        "company_id": None, "role": "company_admin"}  # organization-wide admins, both

    # Only the organization's admins create its company; a stranger does not learn it exists.
    refused = await p.call("hank", "POST", "/v1/companies", json=_company(from_clerk, p.run, "Hank"))
    assert refused.status_code == 403, refused.text
    hidden = await p.call("olaf", "POST", "/v1/companies", json=_company(from_clerk, p.run, "Olaf"))
    assert hidden.status_code == 404, hidden.text
    await _runs_its_company(p, "cora", from_clerk)
    await _runs_its_company(p, "olaf", from_api)


async def test_an_organization_clerk_made_without_a_company_gets_one_from_its_admin(portal: Portal) -> None:
    """Organizations recorded from Clerk before they got a company id at creation: the admin's POST /v1/companies
    attaches the id the organization would have had, once."""
    p = portal
    await p.signs_up("cora")
    await p.signs_up("hank")
    clerk_org, now = f"org_old_{p.run}", datetime.now(UTC)
    organization_id = organization_id_for(clerk_org)
    for command in (
        orgs.CreateOrganization(organization_id=organization_id, name="Acme", slug=f"acme-{p.run}",
                                clerk_org_id=clerk_org, by="clerk:portal", at=now),
        orgs.AddMember(organization_id=organization_id, user_id=user_id_for(p.clerk_id("cora")), role="company_admin",
                       by="clerk:portal", at=now),
        orgs.AddMember(organization_id=organization_id, user_id=user_id_for(p.clerk_id("hank")),
                       role="hiring_manager", by="clerk:portal", at=now),
    ):
        await handle(p.store, orgs.organization, organization_id, command, SEEDER)
    await p.membership_of("cora", organization_id)
    assert await p.company_of("cora", organization_id) is None

    refused = await p.call("hank", "POST", "/v1/companies", json=_company(organization_id, p.run, "Hank"))
    assert refused.status_code == 403, refused.text
    stream = await p.store.read_stream(f"organization-{organization_id}")
    assert [e.type for e in stream][-1] == "MembershipAdded"  # a refusal attaches nothing

    created = await p.ok("cora", "POST", "/v1/companies", 201, json=_company(organization_id, p.run, "Acme"))
    company_id = company_id_for(organization_id)
    assert created["id"] == str(company_id)
    attached = [e for e in await p.store.read_stream(f"organization-{organization_id}")
                if e.type == "OrganizationCompanyAttached"]
    assert [e.data["company_id"] for e in attached] == [str(company_id)]

    async def named() -> bool:
        return await p.company_of("cora", organization_id) == str(company_id)

    await wait_until(named)

    async def billing_is_theirs() -> bool:  # once the access context knows the company is the admin's
        answer = await p.call("cora", "PUT", f"/v1/companies/{company_id}/billing-profile",
                              json={"billing_email": f"ap.{p.run}@example.com"})
        return answer.status_code == 200

    await wait_until(billing_is_theirs)
