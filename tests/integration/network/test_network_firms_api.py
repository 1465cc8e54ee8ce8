"""Firms through HTTP: creation (the firm_creation stand-in), members and their roles, invitations
accepted by the invited email, the take rate, ownership, suspension by platform admins; and the access
context's firm ids (members of an active firm post its off-platform jobs)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from commands.billing import subscription as subscriptions
from eventstore import handle
from tests.api import SEEDER
from tests.helpers import feed_settled, settled_head, wait_until
from tests.integration.network.test_network_fixtures import Net, net, problem

__all__ = ["net"]


async def firm_of(net: Net, owner: str, **extra) -> UUID:
    body = {"name": "Northwind Search", "slug": f"northwind-{net.run}"} | extra
    await net.partner(owner)
    created = await net.post("/v1/firms", owner, body)
    assert created.status_code == 201, created.text
    await net.settled()
    return UUID(created.json()["id"])


async def joined(net: Net, firm_id: UUID, who: str, role: str = "member", by: str = "own") -> None:
    invited = await net.post(f"/v1/firms/{firm_id}/invitations", by, {"email": net.email(who), "role": role})
    assert invited.status_code == 201, invited.text
    accepted = await net.post(f"/v1/firms/{firm_id}/invitations/{invited.json()['data']['invitation_id']}/accept", who)
    assert accepted.status_code == 200, accepted.text
    await net.settled()


async def roles(net: Net, firm_id: UUID, who: str = "own") -> dict[str, str]:
    await net.settled()
    members = (await net.get(f"/v1/firms/{firm_id}/members", who)).json()["data"]
    return {m["name"]: m["role"] for m in members}


async def test_a_recruiter_creates_a_firm_and_invites_members(net: Net) -> None:
    await net.recruiter("own")
    await net.recruiter("mem")
    firm_id = await firm_of(net, "own", admin_take_rate=12.5)
    firm = (await net.get(f"/v1/firms/{firm_id}", "own")).json()["data"]
    assert (firm["name"], firm["status"], firm["admin_take_rate"], firm["member_count"]) == (
        "Northwind Search", "active", 12.5, 1)
    assert [f["id"] for f in (await net.get("/v1/firms", "own")).json()["data"]] == [str(firm_id)]

    invited = await net.post(f"/v1/firms/{firm_id}/invitations", "own", {"email": net.email("mem").upper()})
    assert invited.status_code == 201, invited.text
    await net.settled()
    mine = (await net.get("/v1/firm-invitations", "mem")).json()["data"]
    assert [(i["firm_id"], i["firm_name"], i["role"]) for i in mine] == [(str(firm_id), "Northwind Search", "member")]
    listed = (await net.get(f"/v1/firms/{firm_id}/invitations", "own")).json()["data"]
    assert [(i["email"], i["status"]) for i in listed] == [(net.email("mem").lower(), "pending")]
    accepted = await net.post(f"/v1/firms/{firm_id}/invitations/{mine[0]['id']}/accept", "mem")
    assert accepted.status_code == 200, accepted.text
    assert await roles(net, firm_id, "mem") == {net.clerk_id("own"): "owner", net.clerk_id("mem"): "member"}
    assert (await net.get("/v1/firm-invitations", "mem", accepted)).json()["data"] == []


async def test_members_of_an_active_firm_post_its_off_platform_jobs(net: Net) -> None:
    await net.person("root", ("platform_admin", None))
    await net.recruiter("own")
    await net.recruiter("mem")
    await net.recruiter("out")
    firm_id = await firm_of(net, "own")

    async def post_job(who: str) -> int:
        body = {"source_firm_id": str(firm_id), "title": "Off-platform role", "fee_percentage": 10}
        return (await net.client.post("/v1/jobs", json=body, headers=net.as_(who))).status_code

    assert await post_job("mem") == 404  # not a member yet: the firm does not exist for them (cached now)
    await joined(net, firm_id, "mem")
    await wait_until(lambda: _is(post_job("mem"), 201))
    assert await post_job("out") == 404
    suspended = await net.post(f"/v1/firms/{firm_id}/suspend", "root", {"reason": "owner's plan lapsed"})
    assert suspended.status_code == 200, suspended.text
    await wait_until(lambda: _is(post_job("mem"), 403))  # still a member, so the firm is known to them
    assert (await net.get(f"/v1/firms/{firm_id}", "mem", suspended)).json()["data"]["status"] == "suspended"
    problem(await net.post(f"/v1/firms/{firm_id}/invitations", "own", {"email": net.email("out")}), 422)
    reactivated = await net.post(f"/v1/firms/{firm_id}/reactivate", "root")
    assert reactivated.status_code == 200
    await wait_until(lambda: _is(post_job("mem"), 201))
    left = await net.client.delete(f"/v1/firms/{firm_id}/members/{net.user_id('mem')}", headers=net.as_("mem"))
    assert left.status_code == 200, left.text
    await wait_until(lambda: _is(post_job("mem"), 404))  # a stranger to it again


async def _is(status, expected: int) -> bool:
    return await status == expected


async def test_who_may_create_a_firm(net: Net) -> None:
    await net.person("root", ("platform_admin", None))
    await net.person("plain")
    await net.recruiter("own")
    await net.recruiter("pro")  # a recruiter on a plan without firm_creation
    await firm_of(net, "own")
    await feed_settled(net.store)
    head = await settled_head(net.store)
    problem(await net.post("/v1/firms", "anonymous", {"name": "X", "slug": "x"}), 401)
    problem(await net.post("/v1/firms", "plain", {"name": "X", "slug": f"x-{net.run}"}), 403)  # no firm_creation
    problem(await net.post("/v1/firms", "pro", {"name": "X", "slug": f"x-{net.run}"}), 403)  # Starter: no firms
    problem(await net.post("/v1/firms", "own", {"name": "Again", "slug": f"northwind-{net.run}"}), 409)
    for body in ({"name": "X", "slug": "Bad Slug"}, {"name": "", "slug": "x"}, {"name": "X", "slug": "x", "admin_take_rate": 101},
                 {"name": "X", "slug": "x", "admin_take_rate": 1.234}, {"name": "X", "slug": "x", "extra": 1}):
        problem(await net.post("/v1/firms", "own", body), 422)
    assert await settled_head(net.store) == head
    assert (await net.post("/v1/firms", "root", {"name": "Admin's", "slug": f"admins-{net.run}"})).status_code == 201


async def test_each_firm_role_does_what_it_may(net: Net) -> None:
    await net.person("root", ("platform_admin", None))
    for name in ("own", "adm", "mem", "out"):
        await net.recruiter(name)
    firm_id = await firm_of(net, "own")
    await joined(net, firm_id, "adm", role="admin")
    await joined(net, firm_id, "mem", by="adm")
    fid = f"/v1/firms/{firm_id}"
    head = await settled_head(net.store)
    refusals = [
        (net.get(fid, "out"), 404),
        (net.get(f"{fid}/members", "out"), 404),
        (net.post(f"{fid}/invitations", "out", {"email": "x@example.com"}), 404),
        (net.get(fid, "anonymous"), 401),
        (net.get(f"{fid}/invitations", "mem"), 403),
        (net.post(f"{fid}/invitations", "mem", {"email": "x@example.com"}), 403),
        (net.post(f"{fid}/invitations", "adm", {"email": "x@example.com", "role": "admin"}), 403),
        (net.post(f"{fid}/invitations", "own", {"email": "not-an-email"}), 422),
        (net.post(f"{fid}/invitations", "own", {"email": "x@example.com", "role": "owner"}), 422),
        (net.client.put(f"{fid}/members/{net.user_id('mem')}/role", json={"role": "admin"}, headers=net.as_("adm")), 403),
        (net.client.put(f"{fid}/members/{net.user_id('own')}/role", json={"role": "member"}, headers=net.as_("own")), 422),
        (net.client.delete(f"{fid}/members/{net.user_id('adm')}", headers=net.as_("mem")), 403),
        (net.client.delete(f"{fid}/members/{net.user_id('own')}", headers=net.as_("root")), 422),
        (net.client.put(f"{fid}/take-rate", json={"admin_take_rate": 5}, headers=net.as_("mem")), 403),
        (net.client.put(f"{fid}/take-rate", json={"admin_take_rate": -1}, headers=net.as_("own")), 422),
        (net.post(f"{fid}/transfer-ownership", "adm", {"user_id": str(net.user_id("mem"))}), 403),
        (net.post(f"{fid}/transfer-ownership", "own", {"user_id": str(net.user_id("out"))}), 422),  # not a member
        (net.post(f"{fid}/suspend", "own"), 403),
        (net.post(f"{fid}/reactivate", "adm"), 403),
        (net.post(f"/v1/firms/{uuid4()}/suspend", "root"), 404),
    ]
    for attempt, status in refusals:
        problem(await attempt, status)
    assert await settled_head(net.store) == head

    rate = await net.client.put(f"{fid}/take-rate", json={"admin_take_rate": 7.25}, headers=net.as_("adm"))
    assert rate.status_code == 200, rate.text
    assert (await net.get(fid, "mem", rate)).json()["data"]["admin_take_rate"] == 7.25
    promoted = await net.client.put(f"{fid}/members/{net.user_id('mem')}/role", json={"role": "admin"},
                                    headers=net.as_("own"))
    assert promoted.status_code == 200
    await net.partner("mem")
    transferred = await net.post(f"{fid}/transfer-ownership", "own", {"user_id": str(net.user_id("mem"))})
    assert transferred.status_code == 200, transferred.text
    await net.settled()
    assert await roles(net, firm_id) == {net.clerk_id("own"): "admin", net.clerk_id("adm"): "admin",
                                         net.clerk_id("mem"): "owner"}
    assert (await net.get(fid, "own")).json()["data"]["owner_user_id"] == str(net.user_id("mem"))
    removed = await net.client.delete(f"{fid}/members/{net.user_id('adm')}", headers=net.as_("mem"))
    assert removed.status_code == 200
    await net.settled()
    problem(await net.get(fid, "adm"), 404)  # no longer a member
    assert (await net.get(fid, "root")).json()["data"]["member_count"] == 2
    assert {f["id"] for f in (await net.get("/v1/firms", "root")).json()["data"]} == {str(firm_id)}
    assert (await net.get("/v1/firms", "adm")).json()["data"] == []


async def test_an_invitation_is_accepted_only_by_its_email_while_pending(net: Net) -> None:
    await net.recruiter("own")
    await net.recruiter("mem")
    await net.recruiter("spy")
    await net.person("nor")  # no recruiter
    firm_id = await firm_of(net, "own")
    fid = f"/v1/firms/{firm_id}"
    to_mem = (await net.post(f"{fid}/invitations", "own", {"email": net.email("mem")})).json()["data"]["invitation_id"]
    to_nor = (await net.post(f"{fid}/invitations", "own", {"email": net.email("nor")})).json()["data"]["invitation_id"]
    problem(await net.post(f"{fid}/invitations", "own", {"email": net.email("mem")}), 409)  # one pending per email
    head = await settled_head(net.store)
    problem(await net.post(f"{fid}/invitations/{to_mem}/accept", "spy"), 404)
    problem(await net.post(f"{fid}/invitations/{to_mem}/accept", "own"), 403)  # a member, but not the invitee
    problem(await net.post(f"{fid}/invitations/{to_nor}/accept", "nor"), 403)  # a firm is a team of recruiters
    problem(await net.post(f"{fid}/invitations/{uuid4()}/accept", "mem"), 404)
    problem(await net.post(f"/v1/firms/{uuid4()}/invitations/{to_mem}/accept", "mem"), 404)
    assert await settled_head(net.store) == head
    revoked = await net.post(f"{fid}/invitations/{to_mem}/revoke", "own")
    assert revoked.status_code == 200, revoked.text
    problem(await net.post(f"{fid}/invitations/{to_mem}/accept", "mem"), 422)
    statuses = {i["id"]: i["status"] for i in (await net.get(f"{fid}/invitations", "own", revoked)).json()["data"]}
    assert statuses == {to_mem: "revoked", to_nor: "pending"}


async def test_a_firm_follows_its_owners_plan(net: Net) -> None:
    """Stripe ends the owner's Partner subscription: the firm is suspended; a new one reactivates it. A firm a
    platform admin suspended stays suspended whatever the plan."""
    await net.recruiter("own")
    firm_id = await firm_of(net, "own")
    owner, at = net.user_id("own"), datetime.now(UTC)

    async def status_is(expected: str) -> bool:
        answer = await net.get(f"/v1/firms/{firm_id}", "own")
        return answer.status_code == 200 and answer.json()["data"]["status"] == expected

    await handle(net.store, subscriptions.subscription, owner, subscriptions.SyncSubscription(
        user_id=owner, stripe_subscription_id=f"sub_own_{net.run}", status="canceled", canceled_at=at,
        stripe_event_id=f"evt_end_{net.run}", observed_at=at, at=at), SEEDER)
    await wait_until(lambda: status_is("suspended"))
    await handle(net.store, subscriptions.subscription, owner, subscriptions.ActivateSubscription(
        user_id=owner, tier="partner", stripe_subscription_id=f"sub_again_{net.run}", by="own",
        at=datetime.now(UTC)), SEEDER)
    await wait_until(lambda: status_is("active"))

    await net.person("root", ("platform_admin", None))
    await net.settled()
    assert (await net.post(f"/v1/firms/{firm_id}/suspend", "root", {"reason": "fraud review"})).status_code == 200
    await wait_until(lambda: status_is("suspended"))
    changed = await handle(net.store, subscriptions.subscription, owner, subscriptions.ChangeSubscriptionPlan(
        user_id=owner, to_tier="partner", billing_period="annual", stripe_price_id="price_partner_annual", by="own",
        at=datetime.now(UTC)), SEEDER)

    async def plan_change_seen() -> bool:  # the firm-plans process has handled the change
        async with net.store.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT 1 FROM eventstore.inbox i JOIN eventstore.events e ON e.event_id = i.event_id"
                " WHERE i.reactor = 'firm-plans' AND e.stream_id = %s AND e.version = %s",
                (changed.stream_id, changed.version))
            return await cur.fetchone() is not None

    await wait_until(plan_change_seen)
    await net.settled()
    assert await status_is("suspended")
