"""Identity through HTTP: registration, the caller's profile, organizations, members, invitations
(accepted through the process manager), consent and platform roles, signed by fake Clerk instances whose
users' emails a fake Clerk Backend API answers with."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx
import pytest

from commands.identity.user import user_id_for
from eventstore import EventStore
from adapters.settings import Settings
from tests.api import bearer, running_consumers, seed_user, serving
from tests.fakes.clerk import FakeClerk, FakeClerkBackend
from tests.helpers import settled_head, wait_until


@dataclass
class Api:
    client: httpx.AsyncClient
    portal: FakeClerk
    candidate_app: FakeClerk
    backend: FakeClerkBackend
    run: str

    def as_(self, name: str, via: str = "portal") -> dict[str, str]:
        fake = self.portal if via == "portal" else self.candidate_app
        return bearer(fake.mint(user_id=self.clerk_id(name), lifetime_s=300))

    def clerk_id(self, name: str) -> str:
        return f"user_{name}_{self.run}"

    async def register(self, who: str, via: str = "portal", **extra) -> httpx.Response:
        """Sign up at Clerk (a verified `<who>.<run>@example.com`), then register: the email is Clerk's."""
        self.backend.put(self.clerk_id(who), f"{who}.{self.run}@example.com")
        body = {"name": who.title()} | extra
        return await self.client.post("/v1/users/register", json=body, headers=self.as_(who, via))


@pytest.fixture
async def api(fresh_store: EventStore, clerk: FakeClerk, candidate_clerk: FakeClerk, clerk_backend: FakeClerkBackend):
    settings = Settings(
        clerk_api_url=clerk_backend.base_url, splits_clerk_secret_key=clerk_backend.secret_key,
        app_clerk_secret_key=clerk_backend.secret_key,
        database_url=fresh_store.pool.conninfo,
        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        app_clerk_jwks_url=candidate_clerk.jwks_url, app_clerk_issuer=candidate_clerk.issuer,
        clerk_authorized_parties=f"{clerk.azp},{candidate_clerk.azp}",
        redis_url="redis://127.0.0.1:6379/15", consistency_wait_s=10,
    )
    async with serving(fresh_store, settings) as (client, system), running_consumers(system):
        yield Api(client, clerk, candidate_clerk, clerk_backend, secrets.token_hex(4))


def after(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code in (200, 201), answer.text
    return {"after": answer.json()["consistency_token"]}


async def test_registration_is_idempotent_and_me_shows_the_profile(api: Api) -> None:
    first = await api.register("ada")
    again = await api.register("ada", name="Ada Lovelace")
    assert first.json()["id"] == again.json()["id"] == str(user_id_for(api.clerk_id("ada")))
    me = await api.client.get("/v1/users/me", params=after(again), headers=api.as_("ada"))
    data = me.json()["data"]
    assert (data["name"], data["email"], data["onboarding_status"]) == ("Ada Lovelace", f"ada.{api.run}@example.com", "pending")
    assert data["roles"] == [] and data["memberships"] == []


async def test_a_user_first_seen_through_the_candidate_app_is_a_candidate(api: Api) -> None:
    registered = await api.register("cleo", via="candidate")
    me = await api.client.get("/v1/users/me", params=after(registered), headers=api.as_("cleo", "candidate"))
    assert me.json()["data"]["roles"] == ["candidate"]


async def _recorded(store: EventStore) -> int:
    """How many events the store holds outside the notifier's streams: it tells of earlier writes (a
    registration's welcome) whenever it gets to them, so "a refusal writes nothing" leaves its records out."""
    async with store.pool.connection() as conn:
        row = await (await conn.execute(
            "SELECT count(*) FROM eventstore.events WHERE stream_id NOT LIKE 'notification-%'")).fetchone()
    assert row is not None
    return row[0]


async def test_before_registering_a_signed_in_user_is_told_to_register(api: Api) -> None:
    answer = await api.client.get("/v1/users/me", headers=api.as_("nobody"))
    assert answer.status_code == 403 and answer.json()["code"] == "not_registered"
    assert "register" in answer.json()["detail"]
    assert answer.headers["content-type"] == "application/problem+json"


async def test_bad_registration_is_refused_and_writes_nothing(api: Api, fresh_store: EventStore) -> None:
    head = await settled_head(fresh_store)
    api.backend.put(api.clerk_id("bad"), "bad@example.com")
    # The email is Clerk's: a body naming one is refused, whatever it says.
    for body in ({"email": "not-an-email"}, {"email": "x@example.com"}, {"name": "x", "admin": True},
                 {"name": "x" * 201}):
        answer = await api.client.post("/v1/users/register", json=body, headers=api.as_("bad"))
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    # Unknown to Clerk: nothing to register.
    unknown = await api.client.post("/v1/users/register", json={}, headers=api.as_("ghost"))
    assert unknown.status_code == 403, unknown.text
    assert await settled_head(fresh_store) == head


async def test_the_email_is_not_writable_through_the_profile(api: Api, fresh_store: EventStore) -> None:
    registered = await api.register("em")
    before = await _recorded(fresh_store)
    answer = await api.client.patch("/v1/users/me", json={"email": "someone.else@example.com"}, headers=api.as_("em"))
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "email"]]
    assert await _recorded(fresh_store) == before
    me = (await api.client.get("/v1/users/me", params=after(registered), headers=api.as_("em"))).json()["data"]
    assert me["email"] == f"em.{api.run}@example.com"


async def test_profile_onboarding_activity_and_consent(api: Api) -> None:
    await api.register("bo")
    who = api.as_("bo")
    assert (await api.client.patch("/v1/users/me", json={"name": "Bo Diddley"}, headers=who)).status_code == 200
    assert (await api.client.put("/v1/users/me/onboarding", json={"status": "in_progress", "step": 2}, headers=who)).status_code == 200
    back = await api.client.put("/v1/users/me/onboarding", json={"status": "in_progress", "step": 1}, headers=who)
    assert back.status_code == 422
    assert (await api.client.post("/v1/users/me/activity", headers=who)).status_code == 200
    consent = await api.client.post("/v1/consent", json={"functional": True, "analytics": False, "marketing": False},
                                    headers=who | {"User-Agent": "pytest"})
    stored = (await api.client.get("/v1/consent", params=after(consent), headers=who)).json()["data"]
    assert (stored["functional"], stored["analytics"], stored["necessary"]) == (True, False, True)
    me = (await api.client.get("/v1/users/me", params=after(consent), headers=who)).json()["data"]
    assert (me["name"], me["onboarding_step"]) == ("Bo Diddley", 2) and me["last_active_at"] is not None


async def test_invitation_flow_makes_a_member_and_completes_onboarding(api: Api) -> None:
    await api.register("owner")
    created = await api.client.post("/v1/organizations", json={"name": "Acme", "slug": f"acme-{api.run}"},
                                    headers=api.as_("owner"))
    assert created.status_code == 201, created.text
    org_id = created.json()["id"]
    org = (await api.client.get(f"/v1/organizations/{org_id}", params=after(created), headers=api.as_("owner"))).json()["data"]
    invited = await api.client.post("/v1/invitations", headers=api.as_("owner"), json={
        "email": f"Hana.{api.run}@Example.com", "organization_id": org_id, "role": "hiring_manager",
        "company_id": org["company_id"]})
    assert invited.status_code == 201, invited.text
    invitation_id = invited.json()["id"]

    preview = await api.client.get(f"/v1/invitations/{invitation_id}/preview", params=after(invited))
    assert preview.json()["data"] == preview.json()["data"] | {"organization_name": "Acme", "role": "hiring_manager",
                                                               "status": "pending"}
    assert "email" not in preview.json()["data"]

    await api.register("eve")
    stolen = await api.client.post(f"/v1/invitations/{invitation_id}/accept", headers=api.as_("eve"))
    assert stolen.status_code == 403

    registered = await api.register("hana")
    accepted = await api.client.post(f"/v1/invitations/{invitation_id}/accept", headers=api.as_("hana"))
    assert accepted.status_code == 200, accepted.text
    again = await api.client.post(f"/v1/invitations/{invitation_id}/accept", headers=api.as_("hana"))
    assert again.status_code == 200

    async def member_and_onboarded() -> bool:
        me = (await api.client.get("/v1/users/me", params=after(registered), headers=api.as_("hana"))).json()["data"]
        return bool(me["memberships"]) and me["onboarding_status"] == "completed"

    await wait_until(member_and_onboarded)
    me = (await api.client.get("/v1/users/me", headers=api.as_("hana"))).json()["data"]
    assert me["memberships"] == [{"organization_id": org_id, "organization_name": "Acme",
                                  "company_id": org["company_id"], "role": "hiring_manager"}]
    members = (await api.client.get(f"/v1/organizations/{org_id}/members", headers=api.as_("hana"))).json()["data"]
    assert sorted(m["role"] for m in members) == ["company_admin", "hiring_manager"]
    # A company-scoped hiring manager manages nothing.
    refused = await api.client.post("/v1/invitations", headers=api.as_("hana"), json={
        "email": "x@example.com", "organization_id": org_id, "role": "company_admin"})
    assert refused.status_code == 403
    revoked = await api.client.post(f"/v1/invitations/{invitation_id}/revoke", headers=api.as_("owner"))
    assert revoked.status_code == 422  # accepted: no longer pending


async def test_one_organization_is_invisible_to_another(api: Api, fresh_store: EventStore) -> None:
    await api.register("alpha")
    await api.register("beta")
    a = await api.client.post("/v1/organizations", json={"name": "A", "slug": f"a-{api.run}"}, headers=api.as_("alpha"))
    b = await api.client.post("/v1/organizations", json={"name": "B", "slug": f"b-{api.run}"}, headers=api.as_("beta"))
    before = await _recorded(fresh_store)
    a_id = a.json()["id"]
    for attempt in (
        api.client.get(f"/v1/organizations/{a_id}", headers=api.as_("beta")),
        api.client.get(f"/v1/organizations/{a_id}/members", headers=api.as_("beta")),
        api.client.patch(f"/v1/organizations/{a_id}", json={"name": "Mine"}, headers=api.as_("beta")),
        api.client.post("/v1/invitations", headers=api.as_("beta"), json={
            "email": "spy@example.com", "organization_id": a_id, "role": "company_admin"}),
        api.client.post(f"/v1/organizations/{a_id}/members", headers=api.as_("beta"), json={
            "user_id": str(user_id_for(api.clerk_id("beta"))), "role": "company_admin"}),
    ):
        assert (await attempt).status_code == 404
    assert await _recorded(fresh_store) == before
    mine = await api.client.get("/v1/organizations", params=after(b), headers=api.as_("beta"))
    assert [o["name"] for o in mine.json()["data"]] == ["B"]


async def test_platform_roles_are_granted_only_by_platform_admins(api: Api, fresh_store: EventStore) -> None:
    await seed_user(fresh_store, api.clerk_id("root"), roles=[("platform_admin", None)])
    registered = await api.register("rita")
    rita = user_id_for(api.clerk_id("rita"))
    refused = await api.client.post(f"/v1/users/{rita}/roles", json={"role": "platform_admin"}, headers=api.as_("rita"))
    assert refused.status_code == 403

    async def root_known() -> bool:
        answer = await api.client.get("/v1/users/me", params=after(registered), headers=api.as_("root"))
        return answer.status_code == 200

    await wait_until(root_known)
    granted = await api.client.post(f"/v1/users/{rita}/roles", headers=api.as_("root"),
                                    json={"role": "recruiter", "role_entity_id": "00000000-0000-0000-0000-00000000000a"})
    me = await api.client.get("/v1/users/me", params=after(granted), headers=api.as_("rita"))
    assert me.json()["data"]["roles"] == ["recruiter"]
    assert me.json()["data"]["recruiter_id"] == "00000000-0000-0000-0000-00000000000a"


async def test_without_a_clerk_backend_key_registration_says_which_setting_is_missing(
        fresh_store: EventStore, clerk: FakeClerk) -> None:
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_clerk_jwks_url=clerk.jwks_url,
                        splits_clerk_issuer=clerk.issuer)
    async with serving(fresh_store, settings) as (client, _):
        head = await settled_head(fresh_store)
        answer = await client.post("/v1/users/register", json={"name": "Kim"},
                                   headers=bearer(clerk.mint(user_id="user_nokey", lifetime_s=60)))
        assert answer.status_code == 503 and "SPLITS_CLERK_SECRET_KEY" in answer.text, answer.text
        assert await settled_head(fresh_store) == head
