"""Referral codes and company platform invitations through HTTP, up to the money (domain §3.2, §3.3, §4.4, §5.2):
a candidate who signs up with a recruiter's code, and a company a recruiter invited to the platform, each credit
that recruiter as sourcer in the splits of a later placement, to the cent.

The world of tests/integration/ats/test_applications_api.py (company A, its recruiters and candidates), signed in
through fake Clerk instances instead of development sign-in: a registration reads its email from Clerk, and a
sign-up through the candidate app is what makes a candidate record. The referrer is the world's recruiter with no
ties ("stranger"), on the Starter plan (candidate and company sourcer 6%).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.settings import Settings
from adapters.system import System
from commands.ats.candidate import candidate_id_for
from commands.ats.placement import placement_id_for
from commands.billing.splits import platform_remainder
from commands.identity.user import user_id_for
from commands.network import recruiter_company as rco
from eventstore import EventStore
from tests.api import bearer, running_consumers, seed_organization, seed_user, serving
from tests.fakes.clerk import FakeClerk, FakeClerkBackend
from tests.helpers import wait_until
from tests.integration.platform.test_bounded_input import EXTREMES, address, big, replay_every_projection, template_of
from tests.integration.ats.test_applications_api import (
    CALLERS,
    CO_PERMISSIONS,
    OWNER_PERMISSIONS,
    World,
    all_projected,
    assert_refused,
    represent,
    seed_candidate,
    seed_job,
    seed_recruiter,
    settled,
    stored,
    work_with,
)

SALARY_CENTS = 12_345_679
FEE_CENTS = (SALARY_CENTS * 2250 + 5000) // 10000  # the world's jobs charge 22.5%: 2,777,778
STARTER_SOURCER_BPS = 600


@dataclass
class ClerkWorld(World):
    portal: FakeClerk | None = None
    app: FakeClerk | None = None
    backend: FakeClerkBackend | None = None
    system: System | None = None
    run: str = ""
    app_callers: set[str] = field(default_factory=set)

    def headers(self, caller: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        fake = self.app if caller in self.app_callers else self.portal
        assert fake is not None
        return bearer(fake.mint(user_id=self.ids[caller], lifetime_s=600))

    def newcomer(self, name: str, *, candidate_app: bool = False) -> UUID:
        """Someone who signed up at Clerk (a verified address) and has not registered with us yet."""
        assert self.backend is not None
        self.ids[name] = f"user_{name}_{self.run}"
        self.backend.put(self.ids[name], f"{name}.{self.run}@example.com")
        if candidate_app:
            self.app_callers.add(name)
        return user_id_for(self.ids[name])

    async def register(self, name: str, code: str | None = None) -> Any:
        path = "/v1/users/register" + (f"?rec_code={code}" if code else "")
        return await self.post(name, path, {"name": name.title()})


@pytest.fixture(name="cworld")
async def clerk_world_fixture(fresh_store: EventStore, clerk: FakeClerk, candidate_clerk: FakeClerk,
                              clerk_backend: FakeClerkBackend):
    run = secrets.token_hex(4)
    ids = {caller: f"user_{caller}_{run}" for caller in CALLERS if caller != "anonymous"}
    store = fresh_store
    company_a, company_b = UUID(int=secrets.randbits(122)), UUID(int=secrets.randbits(122))
    await seed_user(store, ids["admin"], roles=[("platform_admin", None)])
    for caller in ("a_admin", "a_manager", "b_admin"):
        await seed_user(store, ids[caller])
    await seed_organization(store, company_a, [(ids["a_admin"], "company_admin", False),
                                               (ids["a_manager"], "hiring_manager", True)])
    recruiter = {name: await seed_recruiter(store, ids[name]) for name in ("rtr", "co", "owner", "stranger")}
    candidate = {name: await seed_candidate(store, ids[name]) for name in ("cand", "cand2")}
    await represent(store, recruiter["rtr"], candidate["cand"])
    await work_with(store, recruiter["co"], company_a, CO_PERMISSIONS)
    await work_with(store, recruiter["owner"], company_a, OWNER_PERMISSIONS)
    jobs = {"a": await seed_job(store, company_a, "A owned", owner=recruiter["owner"])}
    settings = Settings(
        clerk_api_url=clerk_backend.base_url, splits_clerk_secret_key=clerk_backend.secret_key,
        app_clerk_secret_key=clerk_backend.secret_key, database_url=store.pool.conninfo,
        splits_clerk_jwks_url=clerk.jwks_url, splits_clerk_issuer=clerk.issuer,
        app_clerk_jwks_url=candidate_clerk.jwks_url, app_clerk_issuer=candidate_clerk.issuer,
        clerk_authorized_parties=f"{clerk.azp},{candidate_clerk.azp}", redis_url="redis://127.0.0.1:6379/15",
        consistency_wait_s=10, rate_limit_per_ip=100_000, rate_limit_per_user=100_000)
    async with serving(store, settings) as (client, system), running_consumers(system):
        await all_projected(store)
        yield ClerkWorld(client, store, ids, company_a, company_b, jobs, recruiter, candidate, portal=clerk,
                         app=candidate_clerk, backend=clerk_backend, system=system, run=run)


async def _events(store: EventStore, stream: str) -> list[Any]:
    return list(await store.read_stream(stream))


async def _recorded(store: EventStore, stream: str, event_type: str) -> dict[str, Any]:
    async def there() -> bool:
        return any(e.type == event_type for e in await _events(store, stream))

    await wait_until(there, timeout=40)
    return next(e.data for e in await _events(store, stream) if e.type == event_type)


async def _default_code(w: ClerkWorld, recruiter: str) -> str:
    listed = await w.get(recruiter, "/v1/recruiter-codes")
    assert listed.status_code == 200, listed.text
    [code] = listed.json()["data"]
    assert (code["is_default"], code["status"], code["redemptions"]) == (True, "active", 0)
    await all_projected(w.store)  # the list made it: registrations find it through the read model
    return code["code"]


async def _hire(w: ClerkWorld, job: UUID, candidate_id: UUID, company_side: str) -> UUID:
    """`rtr` proposes the candidate they represent for `job`; the company takes it to an offer, the recruiter
    accepts it for the candidate, the company hires. Returns the placement once its money is frozen."""
    answer = await w.post("rtr", "/v1/applications", {"job_id": str(job), "candidate_id": str(candidate_id)})
    assert answer.status_code == 201, answer.text
    application_id = UUID(answer.json()["id"])
    await w.submitted("rtr", application_id)
    for to in ("company_review", "offer"):
        moved = await w.post(company_side, f"/v1/applications/{application_id}/stage", {"to": to})
        assert moved.status_code == 200, moved.text
    assert (await w.post("rtr", f"/v1/applications/{application_id}/accept-offer")).status_code == 200
    hired = await w.post(company_side, f"/v1/applications/{application_id}/hire",
                         {"salary_cents": SALARY_CENTS, "start_date": "2027-02-01"})
    assert hired.status_code == 200, hired.text
    placement_id = placement_id_for(application_id)

    async def money_frozen() -> bool:
        return len(await w.store.read_stream(f"placementbilling-{placement_id}")) == 2

    await wait_until(money_frozen, timeout=30)
    return placement_id


async def _splits(w: ClerkWorld, placement_id: UUID) -> tuple[dict[str, tuple[str, int, int]], dict[str, int]]:
    path = f"/v1/placements/{placement_id}/money"

    async def projected() -> bool:  # the billing read model follows the frozen stream
        return (await w.get("admin", path)).status_code == 200

    await wait_until(projected, timeout=30)
    money = (await w.get("admin", path)).json()["data"]
    return ({s["role"]: (s["recruiter_id"], s["rate_bps"], s["amount_cents"]) for s in money["splits"]},
            money["totals"])


async def test_a_candidate_who_signs_up_with_a_referral_code_earns_its_recruiter_the_candidate_sourcer_split(
        cworld: ClerkWorld) -> None:
    w, referrer = cworld, cworld.recruiter["stranger"]
    code = await _default_code(w, "stranger")
    seen = (await w.get("anonymous", f"/v1/recruiter-codes/lookup/{code.lower()}")).json()["data"]
    assert seen == {"code": code, "active": True, "recruiter_slug": None, "recruiter_name": None}

    user_id = w.newcomer("nora", candidate_app=True)
    registered = await w.register("nora", code.lower())
    assert registered.status_code == 200, registered.text
    referral = await _recorded(w.store, f"referral-{user_id}", "RecruiterCodeRedeemed")
    assert (referral["recruiter_id"], referral["code"]) == (str(referrer), code)
    # The user's own record names the code's recruiter as the referrer, the only way one gets there.
    user = await _recorded(w.store, f"user-{user_id}", "UserRegistered")
    assert user["referred_by_recruiter_id"] == str(referrer)

    # The candidate app's sign-up makes her candidate record; the referral makes its recruiter her sourcer.
    candidate_id = candidate_id_for(user_id)
    sourced = await _recorded(w.store, f"candidate_sourcer-{candidate_id}", "CandidateSourced")
    assert (sourced["sourcer_recruiter_id"], sourced["source_method"], sourced["protection_window_days"]) == (
        str(referrer), "referral_code", 365)
    assert sourced["sourced_at"] == referral["at"]
    assert (await w.get("stranger", "/v1/recruiter-codes")).json()["data"][0]["redemptions"] == 1

    async def told() -> bool:  # the recruiter is told in the app (their plan has no email notifications)
        listed = (await w.get("stranger", "/v1/notifications")).json()["data"]
        return any(n["template"] == "referral_redeemed" for n in listed)

    await wait_until(told, timeout=40)
    [notice] = [n for n in (await w.get("stranger", "/v1/notifications")).json()["data"]
                if n["template"] == "referral_redeemed"]
    assert notice["title"] == "Nora signed up with your referral code" and code in notice["body"]

    async def listed_as_sourced() -> bool:
        rows = (await w.get("stranger", "/v1/recruiter-codes/referrals")).json()["data"]
        return [(r["user_id"], r["sourced_candidate_id"], r["pending"]) for r in rows] == [
            (str(user_id), str(candidate_id), False)]

    await wait_until(listed_as_sourced, timeout=40)
    assert (await w.get("rtr", "/v1/recruiter-codes/referrals")).json()["data"] == []  # only the referrer's

    # Her recruiter learns she is protected, not by whom; the sourcer sees it is theirs.
    await represent(w.store, w.recruiter["rtr"], candidate_id)
    await all_projected(w.store)
    path = f"/v1/candidates/{candidate_id}/sourcer/check-protection"
    theirs = (await w.get("rtr", path)).json()["data"]
    assert (theirs["protected"], theirs["yours"], theirs.get("sourcer_recruiter_id", "left out")) == (
        True, False, "left out")
    mine = (await w.get("stranger", path)).json()["data"]
    assert (mine["protected"], mine["yours"], mine["sourcer_recruiter_id"]) == (True, True, str(referrer))
    await assert_refused(await w.get("cand2", path), 404)  # another candidate: she does not exist for them
    await assert_refused(await w.get("anonymous", path), 401)

    placement_id = await _hire(w, w.jobs["a"], candidate_id, "a_manager")
    splits, totals = await _splits(w, placement_id)
    assert totals["fee_cents"] == FEE_CENTS == 2_777_778
    assert splits["candidate_sourcer"] == (str(referrer), STARTER_SOURCER_BPS, 166_666)  # 166,666.68 floored
    assert "company_sourcer" not in splits  # nobody sourced company A
    assert sum(amount for _, _, amount in splits.values()) + totals["platform_remainder_cents"] == FEE_CENTS


async def test_a_company_invited_to_the_platform_earns_its_recruiter_the_company_sourcer_split(
        cworld: ClerkWorld) -> None:
    w, referrer = cworld, cworld.recruiter["stranger"]
    sent = await w.post("stranger", "/v1/company-invitations", {
        "invited_email": f"founder.{w.run}@example.com", "company_name_hint": "Acme", "personal_message": "Hire with me"})
    assert sent.status_code == 201, sent.text
    invitation_id = UUID(sent.json()["id"])
    invite_code = sent.json()["data"]["invite_code"]
    assert invite_code.startswith("SPLITS-") and len(invite_code) == 13
    assert w.system is not None and w.system.adapters.tokens is not None
    token = w.system.adapters.tokens.invitation_token(invitation_id)
    # The link reaches the address by email; only a development deployment (these tests') shows it.
    assert w.system.settings.environment == "development" and sent.json()["data"]["invitation_token"] == token

    invited = f"founder.{w.run}@example.com"

    async def emailed() -> list[Any]:  # the link reaches the invited address (here: the local mailbox)
        async with w.store.pool.connection() as conn:
            cur = await conn.execute("SELECT subject, text FROM notifications.emails WHERE recipient_email = %s"
                                     " AND template = 'company_platform_invitation'", (invited,))
            return await cur.fetchall()

    await wait_until(emailed, timeout=40)
    [(subject, text)] = await emailed()
    assert subject.endswith("invites Acme to Splits") and invite_code in text and token in text

    preview = (await w.get("anonymous", f"/v1/company-invitations/preview/{token}")).json()["data"]
    assert (preview["invite_code"], preview["status"], preview["company_name_hint"]) == (invite_code, "pending", "Acme")

    founder = w.newcomer("founder")
    assert (await w.register("founder")).status_code == 200
    accepted = await w.post("founder", "/v1/company-invitations/accept", {
        "token": token, "organization_name": "Acme", "organization_slug": f"acme-{w.run}"})
    assert accepted.status_code == 200, accepted.text
    company_id = UUID(accepted.json()["data"]["company_id"])
    again = await w.post("founder", "/v1/company-invitations/accept", {
        "token": token, "organization_name": "Acme", "organization_slug": f"acme-{w.run}"})
    assert again.status_code == 200 and again.json()["data"]["company_id"] == str(company_id)

    sourced = await _recorded(w.store, f"company_sourcer-{company_id}", "CompanySourced")
    assert (sourced["sourcer_recruiter_id"], sourced["source_method"]) == (str(referrer), "platform_invitation")
    relationship = rco.recruiter_company_id_for(referrer, company_id)
    accepted_rel = await _recorded(w.store, f"recruiter_company-{relationship}", "RecruiterCompanyAccepted")
    assert (accepted_rel["relationship_type"], accepted_rel["accepted_by"]) == ("sourcer", "company")
    company = await _events(w.store, f"company-{company_id}")
    assert [e.type for e in company][:1] == ["CompanyCreated"]
    organization = [e for e in await _events(w.store, f"organization-{accepted.json()['data']['organization_id']}")]
    assert [e.type for e in organization] == ["OrganizationCreated", "MembershipAdded"]
    assert (organization[1].data["user_id"], organization[1].data["role"]) == (str(founder), "company_admin")
    listed = (await w.get("stranger", "/v1/company-invitations")).json()["data"]
    assert [(i["id"], i["status"], i["company_id"]) for i in listed] == [
        (str(invitation_id), "accepted", str(company_id))]

    await all_projected(w.store)
    protection = (await w.get("founder", f"/v1/companies/{company_id}/sourcer/check-protection")).json()["data"]
    assert (protection["protected"], protection["yours"], protection.get("sourcer_recruiter_id", "left out")) == (
        True, False, "left out")

    w.ids["founder_admin"] = w.ids["founder"]
    job = await seed_job(w.store, company_id, "Acme engineer")
    placement_id = await _hire(w, job, w.candidate["cand"], "founder")
    splits, totals = await _splits(w, placement_id)
    assert totals["fee_cents"] == FEE_CENTS
    assert splits["company_sourcer"] == (str(referrer), STARTER_SOURCER_BPS, 166_666)
    assert "candidate_sourcer" not in splits
    assert totals["platform_remainder_cents"] == platform_remainder_of(splits)


def platform_remainder_of(splits: dict[str, tuple[str, int, int]]) -> int:
    return FEE_CENTS - sum(amount for _, _, amount in splits.values())


async def test_refused_codes_and_invitations_write_nothing(cworld: ClerkWorld) -> None:
    w = cworld
    code = await _default_code(w, "stranger")
    # Starter: one active code; the default is it.
    await assert_refused(await w.post("stranger", "/v1/recruiter-codes", {"label": "LinkedIn"}), 422)
    w.newcomer("uma", candidate_app=True)
    before = await settled(w.store)
    unknown = await w.register("uma", "ZZZZZZZZ")
    await assert_refused(unknown, 404)
    assert unknown.json()["code"] == "referral_code_not_found"
    await assert_refused(await w.register("uma", "bad-code!"), 422)
    await assert_refused(await w.get("anonymous", "/v1/recruiter-codes/lookup/ZZZZZZZZ"), 404)
    await assert_refused(await w.get("anonymous", "/v1/recruiter-codes/lookup/" + "A" * 33), 422)
    # A referrer typed into the body is not taken: a user could name any recruiter (or themselves) so.
    typed = await w.post("uma", "/v1/users/register", {"name": "Uma", "referred_by_recruiter_id": str(w.recruiter["rtr"])})
    await assert_refused(typed, 422)
    assert await stored(w.store) == before

    # The recruiter's own code does not refer them.
    assert w.backend is not None
    w.backend.put(w.ids["stranger"], f"stranger.{w.run}@example.com")
    await assert_refused(await w.post("stranger", f"/v1/users/register?rec_code={code}", {"name": "S"}), 422)
    # A second code does not replace the first.
    other = await _default_code(w, "rtr")
    assert (await w.register("uma", code)).status_code == 200
    assert (await w.register("uma", code)).status_code == 200  # the same code again: nothing more
    second = await w.register("uma", other)
    await assert_refused(second, 409)
    assert second.json()["code"] == "already_referred"

    # Deactivated: refused at registration, shown inactive, and a new code may be made in its place.
    listed = (await w.get("stranger", "/v1/recruiter-codes")).json()["data"]
    assert (await w.post("stranger", f"/v1/recruiter-codes/{listed[0]['id']}/deactivate")).status_code == 200
    w.newcomer("vic")
    before = await settled(w.store)
    inactive = await w.register("vic", code)
    await assert_refused(inactive, 422)
    assert inactive.json()["code"] == "referral_code_inactive"
    assert await stored(w.store) == before
    assert (await w.get("anonymous", f"/v1/recruiter-codes/lookup/{code}")).json()["data"]["active"] is False
    made = await w.post("stranger", "/v1/recruiter-codes", {"label": "LinkedIn"})
    assert made.status_code == 201, made.text
    await assert_refused(await w.post("co", f"/v1/recruiter-codes/{listed[0]['id']}/deactivate"), 404)
    await assert_refused(await w.get("cand", "/v1/recruiter-codes"), 403)  # no recruiter account

    # Invitations: only an active recruiter sends; only its recruiter revokes; a candidate cannot accept.
    await assert_refused(await w.post("cand", "/v1/company-invitations", {"invited_email": "x@example.com"}), 403)
    sent = await w.post("stranger", "/v1/company-invitations", {"invited_email": "boss@example.com"})
    invitation_id = UUID(sent.json()["id"])
    assert w.system is not None and w.system.adapters.tokens is not None
    token = w.system.adapters.tokens.invitation_token(invitation_id)
    await assert_refused(await w.post("co", f"/v1/company-invitations/{invitation_id}/revoke"), 404)
    await all_projected(w.store)  # an invitation is found by its token through the read model
    before = await settled(w.store)
    body = {"token": token, "organization_name": "Boss", "organization_slug": f"boss-{w.run}"}
    await assert_refused(await w.post("cand", "/v1/company-invitations/accept", body), 403)
    await assert_refused(await w.post("a_admin", "/v1/company-invitations/accept", body | {"token": "f" * 64}), 404)
    await assert_refused(await w.post("stranger", "/v1/company-invitations/accept", body), 422)  # their own
    assert await stored(w.store) == before
    assert (await w.post("stranger", f"/v1/company-invitations/{invitation_id}/revoke")).status_code == 200
    await all_projected(w.store)
    before = await settled(w.store)
    revoked = await w.post("a_admin", "/v1/company-invitations/accept", body)
    await assert_refused(revoked, 422)
    assert revoked.json()["code"] == "invitation_not_pending"
    assert await stored(w.store) == before


async def test_a_business_that_signs_up_with_a_code_makes_its_recruiter_the_sourcer_of_the_company_it_creates(
        cworld: ClerkWorld) -> None:
    w, referrer = cworld, cworld.recruiter["stranger"]
    code = await _default_code(w, "stranger")
    w.newcomer("bea")
    assert (await w.register("bea", code)).status_code == 200
    await all_projected(w.store)
    [waiting] = (await w.get("stranger", "/v1/recruiter-codes/referrals")).json()["data"]
    assert (waiting["user_name"], waiting["code"], waiting["pending"], waiting["sourced_company_ids"]) == (
        "Bea", code, True, [])  # a business whose company is not made yet
    made = await w.post("bea", "/v1/organizations", {"name": "Bea Co", "slug": f"bea-{w.run}"})
    assert made.status_code == 201, made.text
    organization_id = made.json()["id"]
    await all_projected(w.store)
    company = await w.post("bea", "/v1/companies", {"identity_organization_id": organization_id, "name": "Bea Co",
                                                     "slug": f"bea-co-{w.run}"})
    assert company.status_code == 201, company.text
    company_id = company.json()["id"]
    sourced = await _recorded(w.store, f"company_sourcer-{company_id}", "CompanySourced")
    assert (sourced["sourcer_recruiter_id"], sourced["source_method"]) == (str(referrer), "referral_code")

    async def listed_as_sourced() -> bool:
        [row] = (await w.get("stranger", "/v1/recruiter-codes/referrals")).json()["data"]
        return row["sourced_company_ids"] == [company_id] and row["pending"] is False

    await wait_until(listed_as_sourced, timeout=40)
    await assert_refused(await w.get("cand", "/v1/recruiter-codes/referrals"), 403)  # no recruiter account
    sourced_at = datetime.fromisoformat(sourced["sourced_at"])
    assert datetime.fromisoformat(sourced["protection_expires_at"]) == sourced_at + timedelta(days=365)
    referral = await _recorded(w.store, f"referral-{user_id_for(w.ids['bea'])}", "RecruiterCodeRedeemed")
    assert sourced_at == datetime.fromisoformat(referral["at"])  # protected from the registration on


EXTREMES_TEST = "test_referral_codes_and_company_invitations_at_the_limits_of_their_schemas_are_stored_and_replayed"


async def test_referral_codes_and_company_invitations_at_the_limits_of_their_schemas_are_stored_and_replayed(
        cworld: ClerkWorld) -> None:
    """The longest label, address, company name, message, organization name and slug the schemas take: each write
    is accepted, and every read model rebuilt from the first event stores it."""
    w = cworld
    sent = [await w.post("stranger", "/v1/recruiter-codes", {"label": big(100)}),
            await w.post("stranger", "/v1/company-invitations", {
                "invited_email": address(), "company_name_hint": big(255), "personal_message": big(2000)})]
    assert w.system is not None and w.system.adapters.tokens is not None
    token = w.system.adapters.tokens.invitation_token(UUID(sent[1].json()["id"]))
    w.newcomer("max")
    assert (await w.register("max")).status_code == 200
    await all_projected(w.store)
    sent.append(await w.post("max", "/v1/company-invitations/accept", {
        "token": token, "organization_name": big(200), "organization_slug": "s" * 100, "company_name": big(255)}))
    assert [a.status_code for a in sent] == [201, 201, 200], [a.text for a in sent]
    assert {template_of(a.request.method, a.request.url.path) for a in sent} == EXTREMES[EXTREMES_TEST]
    listed = (await w.get("stranger", "/v1/recruiter-codes")).json()["data"]
    assert [c["label"] for c in listed] == [big(100)]
    invitation = (await w.get("stranger", "/v1/company-invitations")).json()["data"][0]
    assert (invitation["invited_email"], invitation["company_name_hint"], invitation["personal_message"]) == (
        address(), big(255), big(2000))
    await replay_every_projection(w.store)


async def test_the_public_lookup_is_rate_limited_per_address_like_other_anonymous_reads(fresh_store: EventStore) -> None:
    """Five a minute for one address: twelve lookups of made-up codes (guessing) meet a 429 whatever minute
    boundary they straddle."""
    settings = Settings(database_url=fresh_store.pool.conninfo, redis_url="redis://127.0.0.1:6379/15",
                        rate_limit_per_ip=5)
    async with serving(fresh_store, settings) as (client, _):
        guesses = ["GUESS" + "".join("ABCDEFGHJK"[int(d)] for d in f"{n:03d}") for n in range(12)]
        answers = [await client.get(f"/v1/recruiter-codes/lookup/{code}") for code in guesses]
    assert {a.status_code for a in answers} == {404, 429}
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["content-type"] == "application/problem+json" and refused.json()["code"] == "rate_limited"
