"""The audit bundle over-shared (issue 14, item 3): a recruiter holding a small split exported the placement's
bundle and got the other recruiter's payout email with its body, their Connect account id, the company's
billing email and the raw Stripe payloads of everyone's transfers, while `GET /v1/placements/{id}/money` shows
that recruiter only their own transactions. A stranger learnt that a placement exists (403, not 404), and a
bundle was built on the event loop, holding up every other request while it ran.

Now a party's bundle holds nothing the money API hides from them and still verifies (the withheld events are
redacted to their content digests, which keep their place in the hash chains); a platform admin's is whole; a
stranger is answered as for an unknown placement; and the API answers other requests while a big export runs.
"""

from __future__ import annotations

import asyncio
import gc
import io
import secrets
import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import orjson
import pytest

from bench.audit import load_trail
from commands.ats import candidate as candidates
from commands.ats import company as companies
from commands.ats import placement as placements
from commands.billing import placement_billing as money
from commands.billing import stripe_webhook as webhooks
from commands.billing.placement_events import RoleSnapshot
from commands.identity.user import user_id_for
from commands.notifications import notification as notifications
from eventstore import EventStore, canonical_json, handle
from adapters.audit_keys import encode_key
from adapters.settings import Settings
from projections.audit.bundle import MANIFEST, public_key_hex, verify_bundle
from tests.api import SEEDER, dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.helpers import feed_settled, wait_until
from tests.integration.audit.test_audit import KEY, _known

TRUSTED = public_key_hex(KEY.public_key())


@dataclass
class Split:
    client: httpx.AsyncClient
    store: EventStore
    run: str
    placement_id: UUID
    secrets: dict[str, str]  # what only rex (and the platform) may see, by what it is
    ritas: dict[str, str]  # what rita sees of her own

    def as_(self, name: str) -> dict[str, str]:
        return dev_auth(f"user_{name}_{self.run}")

    async def export(self, name: str) -> bytes:
        answer = await self.client.get(f"/v1/audit/placements/{self.placement_id}/export", headers=self.as_(name))
        assert answer.status_code == 200, answer.text
        return answer.content


@pytest.fixture
async def split(fresh_store: EventStore, tmp_path: Path) -> AsyncIterator[Split]:
    """Rex (40%) closed the candidate, Rita (10%) works the company: both paid; each got a payout email, the
    company's billing address got the invoice, and Stripe told us of the invoice and of each transfer."""
    run, now = secrets.token_hex(4), datetime.now(UTC)
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True, consistency_wait_s=10,
                        audit_signing_key=encode_key(KEY), splits_data_dir=tmp_path)
    store = fresh_store
    async with serving(store, settings) as (client, system), running_consumers(
            system, only={"identity", "network", "ats", "billing", "notifications", "recruiter-roles"}):
        ids = {name: f"user_{name}_{run}" for name in ("root", "cora", "rex", "rita", "stranger")}
        await seed_user(store, ids["root"], roles=[("platform_admin", None)])
        company_id = uuid4()
        await seed_user(store, ids["cora"])
        org = await seed_organization(store, company_id, [(ids["cora"], "company_admin", False)])
        await handle(store, companies.company, company_id, companies.CreateCompany(
            company_id=company_id, identity_organization_id=org, name="Acme", slug=f"acme-{run}", by="seed",
            at=now), SEEDER)
        recruiter: dict[str, UUID] = {}
        for name in ("rex", "rita", "stranger"):
            await seed_user(store, ids[name])
            await _known(client, ids[name])
            created = await client.post("/v1/recruiters", json={}, headers=dev_auth(ids[name]))
            assert created.status_code == 201, created.text
            recruiter[name] = UUID(created.json()["id"])
            await _known(client, ids[name], "recruiter")
        placement_id, candidate_id = uuid4(), uuid4()
        await handle(store, candidates.candidate, candidate_id, candidates.CreateCandidate(
            candidate_id=candidate_id, created_by_user_id=user_id_for(ids["rex"]), full_name=f"Cara {run}",
            email=f"cara.{run}@example.com", by="seed", at=now), SEEDER)
        await handle(store, placements.placement, placement_id, placements.CreatePlacement(
            placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), candidate_id=candidate_id,
            company_id=company_id, salary_cents=15_000_000, fee_bps=2000, guarantee_days=0, hired_at=now,
            start_date=date.today(), candidate_recruiter_id=recruiter["rex"], company_recruiter_id=recruiter["rita"],
            by="reactor:placements", at=now), SEEDER)
        empty = [RoleSnapshot(role=r, recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                              firm_take_bps=None) for r in ("job_owner", "candidate_sourcer", "company_sourcer")]
        roles = [RoleSnapshot(role="candidate_recruiter", recruiter_id=recruiter["rex"],
                              user_id=user_id_for(ids["rex"]), tier="partner", rate_bps=4000, firm_id=None,
                              firm_take_bps=None),
                 RoleSnapshot(role="company_recruiter", recruiter_id=recruiter["rita"],
                              user_id=user_id_for(ids["rita"]), tier="starter", rate_bps=1000, firm_id=None,
                              firm_take_bps=None), *empty]
        invoice = f"in_{run}"
        billing_email = f"billing.{run}@acme.example"

        async def decide(command: Any) -> None:
            await handle(store, money.placement_billing, placement_id, command, SEEDER)

        await decide(money.FreezeSnapshot(placement_id=placement_id, application_id=uuid4(), job_id=uuid4(),
                                          company_id=company_id, fee_cents=3_000_000, hired_at=now, roles=roles,
                                          at=now))
        await decide(money.RecordInvoiceIssued(
            placement_id=placement_id, invoice_id=uuid4(), company_id=company_id, stripe_customer_id=f"cus_{run}",
            stripe_invoice_id=invoice, billing_terms="immediate", collection_method="charge_automatically",
            fee_cents=3_000_000, processing_fee_cents=90_000, amount_due_cents=3_090_000, status="open",
            number="INV-1", by="reactor:invoicing", at=now))
        await decide(money.ApplyInvoiceUpdate(placement_id=placement_id, stripe_invoice_id=invoice, status="paid",
                                              amount_paid_cents=3_090_000, paid_at=now - timedelta(days=8), at=now))
        await decide(money.StartPayouts(placement_id=placement_id, trigger="manual", by="root", at=now))
        billing = await store.read_stream(f"placementbilling-{placement_id}")
        [computed] = [e for e in billing if e.type == "PlacementSplitsComputed"]
        tx = {t["payee_id"]: t for t in computed.data["transactions"]}
        for name in ("rex", "rita"):
            t = tx[str(recruiter[name])]
            await decide(money.RecordTransfer(placement_id=placement_id, transaction_id=UUID(t["transaction_id"]),
                                              stripe_transfer_id=f"tr_{name}_{run}",
                                              stripe_account_id=f"acct_{name}_{run}", amount_cents=t["amount_cents"],
                                              at=now))
        billing = await store.read_stream(f"placementbilling-{placement_id}")
        issued = next(e for e in billing if e.type == "InvoiceIssued")
        paid = {e.data["stripe_transfer_id"].split("_")[1]: e for e in billing if e.type == "PayoutTransferred"}

        async def email(user: UUID | None, to: str, body: str, source: UUID) -> None:
            email_id = uuid4()
            await handle(store, notifications.notification, email_id, notifications.RecordEmailSent(
                notification_id=email_id, user_id=user, recipient_email=to, category="billing",
                template="payout_sent", subject="About your money", text=body, html=f"<p>{body}</p>",
                provider="mailbox", provider_message_id=f"m-{email_id}", idempotency_key=str(email_id),
                source_event_id=source, at=now), SEEDER)

        await email(user_id_for(ids["rex"]), f"rex.{run}@example.com", f"Rex, your payout body {run}",
                    paid["rex"].event_id)
        await email(user_id_for(ids["rita"]), f"rita.{run}@example.com", f"Rita, your payout body {run}",
                    paid["rita"].event_id)
        await email(None, billing_email, f"Your invoice body {run}", issued.event_id)

        async def stripe(event_id: str, kind: str, obj: dict[str, Any]) -> None:
            await handle(store, webhooks.stripe_webhook, event_id, webhooks.RecordStripeWebhook(
                stripe_event_id=event_id, event_type=kind, livemode=False, created=now,
                payload={"id": event_id, "type": kind, "data": {"object": obj}}, received_at=now), SEEDER)

        await stripe(f"evt_inv_{run}", "invoice.paid", {"id": invoice, "object": "invoice",
                                                         "customer_email": billing_email})
        for name in ("rex", "rita"):
            await stripe(f"evt_{name}_{run}", "transfer.created", {
                "id": f"tr_{name}_{run}", "object": "transfer", "destination": f"acct_{name}_{run}",
                "amount": int(paid[name].data["amount_cents"])})
        await feed_settled(store)

        async def projected() -> bool:
            async with store.pool.connection() as db:
                cur = await db.execute(
                    "SELECT (SELECT count(*) FROM notifications.emails WHERE source_event_id = ANY(%s)),"
                    " (SELECT count(*) FROM billing.stripe_webhook_events WHERE stripe_event_id LIKE %s),"
                    " (SELECT count(*) FROM billing.payout_transactions WHERE placement_id = %s"
                    "  AND stripe_transfer_id IS NOT NULL)",
                    ([issued.event_id, paid["rex"].event_id, paid["rita"].event_id], f"evt_%_{run}", placement_id))
                return await cur.fetchone() == (3, 3, 2)

        await wait_until(projected, timeout=30)
        yield Split(client, store, run, placement_id, secrets={
            "rex's Connect account": f"acct_rex_{run}", "rex's transfer": f"tr_rex_{run}",
            "rex's payout email": f"Rex, your payout body {run}", "rex's address": f"rex.{run}@example.com",
            "the company's billing email": billing_email, "the invoice email": f"Your invoice body {run}",
            "rex's Stripe payload": f"evt_rex_{run}", "the invoice's Stripe payload": f"evt_inv_{run}",
            "the company's Stripe customer": f"cus_{run}",
        }, ritas={"her Connect account": f"acct_rita_{run}", "her transfer": f"tr_rita_{run}",
                  "her Stripe payload": f"evt_rita_{run}"})


def _files(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _lines(files: dict[str, bytes]) -> list[dict[str, Any]]:
    return [orjson.loads(text) for text in files["events.jsonl"].splitlines()]


async def test_a_split_recruiters_bundle_holds_nothing_the_money_api_hides_from_them(split: Split) -> None:
    async def visible() -> bool:
        seen = await split.client.get(f"/v1/placements/{split.placement_id}/money", headers=split.as_("rita"))
        return seen.status_code == 200 and len(seen.json()["data"]["transactions"]) == 1

    await wait_until(visible)
    shown = (await split.client.get(f"/v1/placements/{split.placement_id}/money", headers=split.as_("rita"))).text
    for what, secret in split.secrets.items():
        assert secret not in shown, f"the money API shows rita {what}: not a secret of this test"
    for what, own in split.ritas.items():
        if what != "her Stripe payload":
            assert own in shown, what

    bundle = await split.export("rita")
    files = _files(bundle)
    everything = b"".join(files.values()).decode()
    leaked = [what for what, secret in split.secrets.items() if secret in everything]
    assert leaked == [], f"rita's bundle shows her {leaked}"
    for what, own in split.ritas.items():
        assert own in everything, f"rita's bundle lacks {what}"

    verdict = verify_bundle(bundle, TRUSTED)
    assert verdict.intact, verdict.problems
    lines = _lines(files)
    redacted = [line for line in lines if line.get("redacted")]
    assert redacted and all("data" not in line and "metadata" not in line for line in redacted)
    assert {line["type"] for line in redacted} >= {"PayoutTransferred", "EmailSent", "StripeWebhookReceived"}
    manifest = orjson.loads(files[MANIFEST])
    assert manifest["redacted"] == {"for": "recruiter",
                                    "events": [f"{line['stream_id']}@{line['version']}" for line in redacted]}
    assert "not yours to read" in files["report.html"].decode()

    # The redacted events still hold their place: changing a digest breaks its chain.
    forged = [dict(line) for line in lines]
    i = lines.index(redacted[0])
    forged[i]["content_digest"] = "0" * 64
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, b"".join(canonical_json(line) + b"\n" for line in forged) if name == "events.jsonl"
                        else data)
    problems = verify_bundle(out.getvalue(), TRUSTED).problems
    assert any(f"stream {redacted[0]['stream_id']} version {redacted[0]['version']}: the event's content" in p
               for p in problems), problems


async def test_a_platform_admins_bundle_is_whole_and_verifies(split: Split) -> None:
    bundle = await split.export("root")
    files = _files(bundle)
    everything = b"".join(files.values()).decode()
    for what, value in {**split.ritas, "rex's Connect account": split.secrets["rex's Connect account"],
                        "rex's Stripe payload": split.secrets["rex's Stripe payload"],
                        "the invoice's Stripe payload": split.secrets["the invoice's Stripe payload"]}.items():
        assert value in everything, what
    assert not any(line.get("redacted") for line in _lines(files))
    assert orjson.loads(files[MANIFEST])["redacted"] == {"for": "platform_admin", "events": []}
    verdict = verify_bundle(bundle, TRUSTED)
    assert verdict.intact, verdict.problems


async def test_a_stranger_gets_the_same_404_for_an_existing_and_an_unknown_placement(split: Split) -> None:
    def answer(response: httpx.Response, placement_id: UUID) -> tuple[int, str]:
        return response.status_code, response.text.replace(str(placement_id), "<id>")

    unknown = uuid4()  # the stranger is a recruiter, but not in this placement's split
    existing = await split.client.get(f"/v1/audit/placements/{split.placement_id}/export",
                                      headers=split.as_("stranger"))
    missing = await split.client.get(f"/v1/audit/placements/{unknown}/export", headers=split.as_("stranger"))
    assert answer(missing, unknown)[0] == 404
    assert answer(existing, split.placement_id) == answer(missing, unknown)
    assert len(await split.store.read_stream(f"auditexport-{split.placement_id}")) == 0


async def test_the_api_answers_other_requests_while_a_big_export_runs(fresh_store: EventStore,
                                                                       tmp_path: Path) -> None:
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True,
                        audit_signing_key=encode_key(KEY), splits_data_dir=tmp_path)
    setup, _ = await load_trail(fresh_store, 6000, 2000, lambda _: None, seed=f"overshare-{secrets.token_hex(4)}")
    root = f"user_root_{secrets.token_hex(4)}"
    await seed_user(fresh_store, root, roles=[("platform_admin", None)])
    # The garbage collector stops every thread of the process now and then (a few tenths of a second with a
    # big trail in memory), whoever builds the bundle: those pauses are counted out of the waits below.
    pauses: list[tuple[float, float]] = []

    def collecting(phase: str, _: dict[str, int]) -> None:
        if phase == "start":
            pauses.append((time.monotonic(), float("inf")))
        elif pauses:
            pauses[-1] = (pauses[-1][0], time.monotonic())

    async with serving(fresh_store, settings) as (client, system), running_consumers(system, only={"identity"}):
        await _known(client, root, "platform_admin")
        waits: list[tuple[float, float]] = []
        done = asyncio.Event()

        async def probe() -> None:
            last = time.monotonic()
            while not done.is_set():
                answered = await client.get("/health")
                assert answered.status_code == 200
                now = time.monotonic()
                waits.append((last, now))
                last = now
                await asyncio.sleep(0.005)

        gc.callbacks.append(collecting)
        try:
            prober = asyncio.create_task(probe())
            await asyncio.sleep(0.05)
            started = time.monotonic()
            exported = await client.get(f"/v1/audit/placements/{setup.placement_id}/export", headers=dev_auth(root))
            took = time.monotonic() - started
            done.set()
            await prober
        finally:
            gc.callbacks.remove(collecting)
    assert exported.status_code == 200, exported.text
    assert verify_bundle(exported.content, TRUSTED).intact

    def stalled(begin: float, end: float) -> float:
        collected = sum(max(0.0, min(end, e) - max(begin, b)) for b, e in pauses)
        return end - begin - collected

    # While the bundle was built, the loop kept answering: no wait between two answers comes near the export's
    # time (built on the loop, one wait was most of it).
    longest = max(stalled(b, e) for b, e in waits)
    assert longest < took / 4, (longest, took)


async def test_exports_have_their_own_hourly_limit(fresh_store: EventStore, tmp_path: Path) -> None:
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True,
                        audit_signing_key=encode_key(KEY), splits_data_dir=tmp_path,
                        redis_url="redis://127.0.0.1:6379/15", audit_export_per_hour=1)
    setup, _ = await load_trail(fresh_store, 20, 20, lambda _: None, seed=f"limit-{secrets.token_hex(4)}")
    root = f"user_root_{secrets.token_hex(4)}"
    await seed_user(fresh_store, root, roles=[("platform_admin", None)])
    async with serving(fresh_store, settings) as (client, system), running_consumers(system, only={"identity"}):
        await _known(client, root, "platform_admin")
        url = f"/v1/audit/placements/{setup.placement_id}/export"
        first = await client.get(url, headers=dev_auth(root))
        second = await client.get(url, headers=dev_auth(root))
        other = await client.get("/v1/audit/public-key", headers=dev_auth(root))
    assert first.status_code == 200, first.text
    assert second.status_code == 429 and second.headers["content-type"] == "application/problem+json"
    assert "audit exports an hour" in second.json()["detail"] and "Retry-After" in second.headers
    assert other.status_code == 200  # the rest of the API is not held back by it
    assert len(await fresh_store.read_stream(f"auditexport-{setup.placement_id}")) == 1
