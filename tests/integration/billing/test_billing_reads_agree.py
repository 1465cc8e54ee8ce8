"""Read-your-writes and one answer per question in billing, through HTTP with payments simulated:

- every billing command answers `{id, version, consistency_token, data}`, and the token can be waited on;
- `GET …/billing-readiness` answers `{data: {ready, missing}}`, and a job published right after it says ready is
  published (both read the billing profile's stream);
- `on_hold_cents` counts what an open dispute holds, not only escrow holds;
- a caller with no part in a placement's money is told 404 on every route about it (money, invoices,
  transactions, audit export), and a job for a company one has no part in is 404, not 403;
- a placement's invoices are paginated like every list.
"""

from __future__ import annotations

import pytest
import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from commands.ats import company as companies
from commands.ats import placement as placements
from eventstore import Position, handle
from tests.api import SEEDER, seed_organization, seed_user
from tests.helpers import wait_until
from tests.integration.billing.test_billing_api import Billing, billing  # noqa: F401  (the `billing` fixture)

COMPANIES = 20


def _command_answer(answer: dict[str, Any], entity_id: UUID) -> None:
    """The shape every command answers, the token a real position."""
    assert answer["id"] == str(entity_id), answer
    assert isinstance(answer["version"], int) and answer["version"] >= 1, answer
    assert isinstance(answer["consistency_token"], str), answer
    Position.parse(answer["consistency_token"])
    assert isinstance(answer["data"], dict), answer


async def _companies_of(b: Billing, admin: str, count: int) -> list[UUID]:
    """`count` companies, each in an organization of its own whose organization-wide admin is `admin`."""
    await seed_user(b.store, b.clerk_id(admin))
    ids = [uuid4() for _ in range(count)]
    for company_id in ids:
        org_id = await seed_organization(b.store, company_id, [(b.clerk_id(admin), "company_admin", False)])
        await handle(b.store, companies.company, company_id, companies.CreateCompany(
            company_id=company_id, identity_organization_id=org_id, name="Acme",
            slug=f"acme-{secrets.token_hex(4)}", by="seed", at=datetime.now(UTC)), SEEDER)

    async def admin_of_all() -> bool:
        answers = [await b.call(admin, "GET", f"/v1/companies/{c}/billing-readiness") for c in (ids[0], ids[-1])]
        return all(a.status_code == 200 for a in answers)

    await wait_until(admin_of_all, timeout=30)
    return ids


async def test_a_job_is_published_right_after_readiness_says_ready(billing: Billing) -> None:
    b = billing
    refusals: list[str] = []
    for company_id in await _companies_of(b, "cora", COMPANIES):
        profile = f"/v1/companies/{company_id}/billing-profile"
        job = await b.ok("cora", "POST", "/v1/jobs", 201, json={
            "company_id": str(company_id), "title": "Engineer", "fee_percentage": 20})
        saved = await b.ok("cora", "PUT", profile, json={"billing_email": "ap@acme.example"})
        _command_answer(saved, company_id)
        card = await b.ok("cora", "PUT", f"{profile}/payment-method", json={"payment_method_id": "pm_card_visa"})
        _command_answer(card, company_id)
        assert card["data"]["ready"] is True and card["version"] > saved["version"]
        readiness = await b.ok("cora", "GET", f"/v1/companies/{company_id}/billing-readiness")
        assert readiness == {"data": {"ready": True, "missing": []}}
        published = await b.call("cora", "POST", f"/v1/jobs/{job['id']}/publish")
        if published.status_code != 200:
            refusals.append(f"{company_id}: {published.status_code} {published.text}")
    assert refusals == []


async def test_billing_commands_answer_with_a_token_to_read_them(billing: Billing) -> None:
    b = billing
    acme = await b.company("cora")
    saved = await b.ok("cora", "PUT", f"/v1/companies/{acme}/billing-profile", json={"billing_email": "ap@acme.example"})
    _command_answer(saved, acme)
    assert saved["data"]["missing"] == ["payment_method"]
    card = await b.ok("cora", "PUT", f"/v1/companies/{acme}/billing-profile/payment-method",
                      json={"payment_method_id": "pm_card_visa"})
    _command_answer(card, acme)
    # The token is one the billing read model passes: a read given it waits, then answers.
    assert (await b.call(None, "GET", "/v1/plans", params={"after": card["consistency_token"]})).status_code == 200

    rex = await b.recruiter("rex")
    account = await b.ok("rex", "POST", "/v1/connect/account", 201)
    _command_answer(account, rex)
    again = await b.ok("rex", "POST", "/v1/connect/account", 201)  # nothing new recorded: the same version
    assert (again["version"], again["consistency_token"]) == (account["version"], account["consistency_token"])
    subscribed = await b.ok("rex", "POST", "/v1/subscriptions", 201, json={"tier": "pro"})
    user = (await b.ok("rex", "GET", "/v1/users/me"))["data"]["id"]
    _command_answer(subscribed, UUID(user))
    changed = await b.ok("rex", "PATCH", "/v1/subscriptions/me", json={"tier": "partner"})
    _command_answer(changed, UUID(user))
    cancelled = await b.ok("rex", "DELETE", "/v1/subscriptions/me")
    _command_answer(cancelled, UUID(user))
    assert cancelled["version"] > changed["version"] > subscribed["version"]


async def _placement(b: Billing, company_id: UUID, recruiter_id: UUID) -> UUID:
    """A hire at Acme credited to the recruiter, its money frozen by the billing process."""
    placement_id, now = uuid4(), datetime.now(UTC)
    await handle(b.store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), candidate_id=uuid4(),
        company_id=company_id, salary_cents=10_000_000, fee_bps=2000, guarantee_days=90, hired_at=now,
        start_date=now.date(), candidate_recruiter_id=recruiter_id, by="reactor:placements", at=now), SEEDER)

    async def frozen() -> bool:
        return (await b.call("root", "GET", f"/v1/placements/{placement_id}/money")).status_code == 200

    await wait_until(frozen)
    return placement_id


async def test_an_open_dispute_counts_as_money_on_hold(billing: Billing) -> None:
    b = billing
    acme, rex = await b.company("cora"), await b.recruiter("rex")
    placement_id = await _placement(b, acme, rex)
    money = f"/v1/placements/{placement_id}/money"
    before = (await b.ok("cora", "GET", money))["data"]["totals"]
    assert before["pending_cents"] == 400_000 and before["on_hold_cents"] == 0  # Starter: 20% of a 2,000,000 fee

    opened = await b.ok("cora", "POST", "/v1/disputes", 201, json={
        "placement_id": str(placement_id), "dispute_type": "fee_amount", "reason": "the salary is wrong"})
    totals = (await b.ok("cora", "GET", money, params={"after": opened["consistency_token"]}))["data"]["totals"]
    assert totals["pending_cents"] == 400_000
    assert totals["on_hold_cents"] == 400_000  # everything unpaid is held while the dispute is open

    dismissed = await b.ok("root", "POST", f"/v1/disputes/{opened['id']}/dismiss",
                           params={"after": opened["consistency_token"]}, json={"notes": "the salary is right"})
    after = (await b.ok("cora", "GET", money, params={"after": dismissed["consistency_token"]}))["data"]["totals"]
    assert after["on_hold_cents"] == 0


@pytest.mark.slow
async def test_strangers_to_a_placements_money_are_told_404_everywhere(billing: Billing) -> None:
    b = billing
    acme, other, rex = await b.company("cora"), await b.company("olaf"), await b.recruiter("rex")
    await b.recruiter("stan")
    await b.known("plain")
    await b.ok("cora", "PUT", f"/v1/companies/{acme}/billing-profile", json={"billing_email": "ap@acme.example"})
    await b.ok("cora", "PUT", f"/v1/companies/{acme}/billing-profile/payment-method",
               json={"payment_method_id": "pm_card_visa"})
    placement_id = await _placement(b, acme, rex)
    await b.ok("root", "POST", f"/v1/placements/{placement_id}/invoices", 202)
    invoices = f"/v1/placements/{placement_id}/invoices"

    async def invoiced() -> bool:
        answer = await b.call("cora", "GET", invoices)
        return answer.status_code == 200 and answer.json()["pagination"]["total"] == 1

    await wait_until(invoiced)
    for who in ("olaf", "stan", "plain"):  # another company's admin, a recruiter outside the split, a user
        await b.refused(who, "GET", f"/v1/placements/{placement_id}/money", 404)
        await b.refused(who, "GET", invoices, 404)
        await b.refused(who, "GET", "/v1/payout-transactions", 404, params={"placement_id": str(placement_id)})
        await b.refused(who, "GET", f"/v1/audit/placements/{placement_id}/export", 404)
    await b.refused("cora", "GET", f"/v1/placements/{uuid4()}/invoices", 404)  # as for one that does not exist
    await b.refused("cora", "GET", "/v1/payout-transactions", 404, params={"placement_id": str(uuid4())})

    # Parties read them, paginated like every list.
    first = await b.ok("cora", "GET", invoices, params={"limit": 1})
    assert len(first["data"]) == 1
    assert first["pagination"] == {"total": 1, "page": 1, "limit": 1, "total_pages": 1}
    second = await b.ok("cora", "GET", invoices, params={"page": 2, "limit": 1})
    assert second == {"data": [], "pagination": {"total": 1, "page": 2, "limit": 1, "total_pages": 1}}
    assert (await b.ok("root", "GET", invoices))["pagination"]["limit"] == 25
    mine = await b.ok("rex", "GET", "/v1/payout-transactions", params={"placement_id": str(placement_id)})
    assert [t["amount_cents"] for t in mine["data"]] == [400_000]

    # A job for a company the caller has no part in: 404, as for a company that does not exist.
    job = {"title": "Engineer", "fee_percentage": 20}
    await b.refused("cora", "POST", "/v1/jobs", 404, json=job | {"company_id": str(other)})
    await b.refused("cora", "POST", "/v1/jobs", 404, json=job | {"company_id": str(uuid4())})
    await b.refused("rex", "POST", "/v1/jobs", 404, json=job | {"company_id": str(acme)})
    await b.ok("cora", "POST", "/v1/jobs", 201, json=job | {"company_id": str(acme)})
