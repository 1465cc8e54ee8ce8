"""Audit bundles: exported through the API and the CLI, verified by `splits audit verify`; every kind of
tampering found with its own message; only the placement's parties export (anyone else is answered as for an
unknown placement), and each export is recorded."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import secrets
import subprocess
import sys
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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.ats import candidate as candidates
from commands.ats import company as companies
from commands.ats import placement as placements
from commands.billing import placement_billing as money
from commands.billing.placement_events import RoleSnapshot
from commands.identity.user import user_id_for
from eventstore import EventStore, canonical_json, handle
from adapters.audit_keys import encode_key
from adapters.settings import Settings
from projections.audit.bundle import MANIFEST, public_key_hex, verify_bundle
from tests.api import SEEDER, dev_auth, running_consumers, seed_organization, seed_user, serving
from tests.helpers import feed_settled, wait_until

KEY = Ed25519PrivateKey.generate()


@dataclass
class Audit:
    client: httpx.AsyncClient
    store: EventStore
    settings: Settings
    run: str
    placement_id: UUID
    company_id: UUID
    candidate_id: UUID
    rex: UUID  # the candidate recruiter

    def as_(self, name: str) -> dict[str, str]:
        return dev_auth(f"user_{name}_{self.run}")

    async def export(self, name: str, expect: int = 200) -> bytes:
        answer = await self.client.get(f"/v1/audit/placements/{self.placement_id}/export", headers=self.as_(name))
        assert answer.status_code == expect, answer.text
        return answer.content

    async def exports_recorded(self) -> int:
        return len(await self.store.read_stream(f"auditexport-{self.placement_id}"))


async def _known(client: httpx.AsyncClient, clerk_id: str, role: str | None = None) -> None:
    async def ready() -> bool:
        me = await client.get("/v1/users/me", headers=dev_auth(clerk_id))
        return me.status_code == 200 and (role is None or role in me.json()["data"]["roles"])

    await wait_until(ready)


@pytest.fixture
async def audit(fresh_store: EventStore, tmp_path: Path) -> AsyncIterator[Audit]:
    run, now = secrets.token_hex(4), datetime.now(UTC)
    settings = Settings(database_url=fresh_store.pool.conninfo, splits_dev_auth=True, consistency_wait_s=10,
                        audit_signing_key=encode_key(KEY), splits_data_dir=tmp_path)
    async with serving(fresh_store, settings) as (client, system), running_consumers(
            system, only={"identity", "network", "ats", "billing", "notifications", "recruiter-roles"}):
        ids = {name: f"user_{name}_{run}" for name in ("root", "cora", "olaf", "rex", "stranger")}
        await seed_user(fresh_store, ids["root"], roles=[("platform_admin", None)])
        company_id, other_company = uuid4(), uuid4()
        for admin, company in (("cora", company_id), ("olaf", other_company)):
            await seed_user(fresh_store, ids[admin])
            org = await seed_organization(fresh_store, company, [(ids[admin], "company_admin", False)])
            await handle(fresh_store, companies.company, company, companies.CreateCompany(
                company_id=company, identity_organization_id=org, name="Co", slug=f"co-{secrets.token_hex(3)}",
                by="seed", at=now), SEEDER)
        recruiters = {}
        for name in ("rex", "stranger"):
            await seed_user(fresh_store, ids[name])
            await _known(client, ids[name])
            created = await client.post("/v1/recruiters", json={}, headers=dev_auth(ids[name]))
            assert created.status_code == 201, created.text
            recruiters[name] = UUID(created.json()["id"])
            await _known(client, ids[name], "recruiter")
        await _known(client, ids["cora"], "company_admin")
        placement_id, candidate_id = uuid4(), uuid4()
        await handle(fresh_store, candidates.candidate, candidate_id, candidates.CreateCandidate(
            candidate_id=candidate_id, created_by_user_id=user_id_for(ids["rex"]), full_name=f"Cara Candidate {run}",
            email=f"cara.{run}@example.com", by="seed", at=now), SEEDER)
        await _placement_with_money(fresh_store, placement_id, company_id, candidate_id, recruiters["rex"],
                                    user_id_for(ids["rex"]), now)
        yield Audit(client, fresh_store, settings, run, placement_id, company_id, candidate_id, recruiters["rex"])


async def _placement_with_money(store: EventStore, placement_id: UUID, company_id: UUID, candidate_id: UUID,
                                rex: UUID, rex_user: UUID, now: datetime) -> None:
    """A hire, its snapshot and splits, an invoice issued and paid, a payout run with its transfer."""
    await handle(store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), candidate_id=candidate_id,
        company_id=company_id, salary_cents=15_000_000, fee_bps=2000, guarantee_days=0, hired_at=now,
        start_date=date.today(), candidate_recruiter_id=rex, by="reactor:placements", at=now), SEEDER)
    empty = [RoleSnapshot(role=r, recruiter_id=None, user_id=None, tier=None, rate_bps=None, firm_id=None,
                          firm_take_bps=None) for r in ("company_recruiter", "job_owner", "candidate_sourcer",
                                                         "company_sourcer")]
    roles = [RoleSnapshot(role="candidate_recruiter", recruiter_id=rex, user_id=rex_user, tier="partner",
                          rate_bps=4000, firm_id=None, firm_take_bps=None), *empty]
    invoice = "in_audit_1"
    for command in (
        money.FreezeSnapshot(placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), company_id=company_id,
                             fee_cents=3_000_000, hired_at=now, roles=roles, at=now),
        money.RecordInvoiceIssued(placement_id=placement_id, invoice_id=uuid4(), company_id=company_id,
                                  stripe_customer_id="cus_1", stripe_invoice_id=invoice, billing_terms="immediate",
                                  collection_method="charge_automatically", fee_cents=3_000_000,
                                  processing_fee_cents=90_000, amount_due_cents=3_090_000, status="open",
                                  number="INV-1", by="reactor:invoicing", at=now),
        money.ApplyInvoiceUpdate(placement_id=placement_id, stripe_invoice_id=invoice, status="paid",
                                 amount_paid_cents=3_090_000, paid_at=now - timedelta(days=8), at=now),
    ):
        await handle(store, money.placement_billing, placement_id, command, SEEDER)
    started = await handle(store, money.placement_billing, placement_id, money.StartPayouts(
        placement_id=placement_id, trigger="manual", by="root", at=now), SEEDER)
    assert "PayoutsStarted" in started.event_types
    state_events = await store.read_stream(f"placementbilling-{placement_id}")
    transaction_id = state_events[1].data["transactions"][0]["transaction_id"]
    await handle(store, money.placement_billing, placement_id, money.RecordTransfer(
        placement_id=placement_id, transaction_id=UUID(transaction_id), stripe_transfer_id="tr_audit_1",
        stripe_account_id="acct_rex", amount_cents=1_200_000, at=now), SEEDER)
    await feed_settled(store)


# --- who may export ------------------------------------------------------------------------------------------------

async def test_the_placements_parties_export_and_each_export_is_recorded(audit: Audit) -> None:
    for who in ("root", "cora", "rex"):
        bundle = await audit.export(who)
        verdict = verify_bundle(bundle, public_key_hex(KEY.public_key()))
        assert verdict.intact, (who, verdict.problems)
    assert await audit.exports_recorded() == 3
    for who in ("olaf", "stranger"):  # another company's admin; a recruiter outside the split: as if unknown
        await audit.export(who, 404)
    answer = await audit.client.get(f"/v1/audit/placements/{audit.placement_id}/export")
    assert answer.status_code == 401
    assert await audit.exports_recorded() == 3  # refusals record nothing
    unknown = await audit.client.get(f"/v1/audit/placements/{uuid4()}/export", headers=audit.as_("root"))
    assert unknown.status_code == 404
    key = await audit.client.get("/v1/audit/public-key")
    assert key.json() == {"algorithm": "ed25519", "public_key": public_key_hex(KEY.public_key())}


async def test_a_bundle_holds_the_whole_trail_and_earlier_exports(audit: Audit) -> None:
    await audit.export("root")
    bundle = await audit.export("cora")
    files = _files(bundle)
    assert set(files) == {"events.jsonl", "timeline.csv", "report.html", "manifest.json"}
    lines = _lines(files)
    streams = {line["stream_id"] for line in lines}
    assert {f"placement-{audit.placement_id}", f"placementbilling-{audit.placement_id}",
            f"auditexport-{audit.placement_id}"} <= streams
    assert [line["type"] for line in lines if line["stream_id"].startswith("auditexport")] == ["AuditBundleExported"]
    positions = [line["position"] for line in lines]
    assert len(positions) == len(set(positions))
    manifest = orjson.loads(files[MANIFEST])
    assert manifest["placement_id"] == str(audit.placement_id) and manifest["event_count"] == len(lines)
    first = lines[0]
    assert {"stream_id", "version", "position", "recorded_at", "actor", "correlation_id", "causation_id",
            "hash"} <= set(first)


# --- tampering ------------------------------------------------------------------------------------------------------

def _files(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def _lines(files: dict[str, bytes]) -> list[dict[str, Any]]:
    return [orjson.loads(text) for text in files["events.jsonl"].splitlines()]


def _with_lines(files: dict[str, bytes], lines: list[dict[str, Any]]) -> bytes:
    return _zip({**files, "events.jsonl": b"".join(canonical_json(line) + b"\n" for line in lines)})


def _problems(bundle: bytes) -> str:
    verdict = verify_bundle(bundle, public_key_hex(KEY.public_key()))
    assert not verdict.intact
    return "\n".join(verdict.problems)


async def test_every_kind_of_tampering_is_found_with_its_own_message(audit: Audit) -> None:
    files = _files(await audit.export("root"))
    lines = _lines(files)
    billing = f"placementbilling-{audit.placement_id}"
    paid = next(i for i, line in enumerate(lines) if line["type"] == "InvoicePaid")

    changed = [dict(line) for line in lines]
    changed[paid] = {**lines[paid], "data": {**lines[paid]["data"], "amount_paid_cents": 309_000}}
    found = _problems(_with_lines(files, changed))
    assert f"stream {billing} version {lines[paid]['version']}: the event's content or place changed" in found
    assert "events.jsonl was changed" in found

    removed = [line for i, line in enumerate(lines) if i != paid]
    assert f"stream {billing} is not complete: expected version {lines[paid]['version']}" in _problems(
        _with_lines(files, removed))

    i, j = 0, next(k for k, line in enumerate(lines) if line["stream_id"] != lines[0]["stream_id"])
    swapped = [dict(line) for line in lines]
    swapped[i], swapped[j] = lines[j], lines[i]
    assert "events out of feed order" in _problems(_with_lines(files, swapped))

    placement_line = next(k for k, line in enumerate(lines) if line["stream_id"].startswith("placement-"))
    moved = [dict(line) for line in lines]
    moved[placement_line] = {**lines[placement_line], "stream_id": billing}
    found = _problems(_with_lines(files, moved))
    assert f"{billing} version 1: this event was moved here from a placement stream" in found
    assert f"stream placement-{audit.placement_id} is in the manifest but has no events in the bundle" in found

    manifest = orjson.loads(files[MANIFEST])
    edited = _zip({**files, MANIFEST: orjson.dumps({**manifest, "event_count": manifest["event_count"] - 1})})
    assert "the signature does not verify: the manifest was edited or the signature replaced" in _problems(edited)

    other = Ed25519PrivateKey.generate()
    unsigned = {k: v for k, v in manifest.items() if k != "signature"} | {"public_key": public_key_hex(
        other.public_key())}
    resigned = {**unsigned, "signature": {"algorithm": "ed25519",
                                          "value": base64.b64encode(other.sign(canonical_json(unsigned))).decode()}}
    found = _problems(_zip({**files, MANIFEST: orjson.dumps(resigned)}))
    assert f"not the platform's key {public_key_hex(KEY.public_key())}" in found
    forged = {**manifest, "signature": {"algorithm": "ed25519", "value": "A" * 88}}
    assert "the signature does not verify" in _problems(_zip({**files, MANIFEST: orjson.dumps(forged)}))

    added = _zip({**files, "invoice-corrected.pdf": b"%PDF-1.4"})
    assert "unexpected file in the bundle: invoice-corrected.pdf" in _problems(added)

    report = _zip({**files, "report.html": files["report.html"].replace(b"30,000.00", b"3,000.00")})
    assert "report.html was changed" in _problems(report)


# --- the CLI -----------------------------------------------------------------------------------------------------

@pytest.mark.slow
async def test_the_cli_exports_and_verifies_and_exits_nonzero_on_a_tampered_bundle(audit: Audit,
                                                                                    tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": audit.store.pool.conninfo, "AUDIT_SIGNING_KEY": encode_key(KEY),
           "SPLITS_DATA_DIR": str(tmp_path), "LOG_LEVEL": "warning", "ENVIRONMENT": "test"}
    out = tmp_path / "bundle.zip"
    splits = [str(Path(sys.executable).parent / "splits")]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*splits, "audit", *args], env=env, capture_output=True, text=True, timeout=120)

    exported = await asyncio.to_thread(run, "export", "--placement", str(audit.placement_id), "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    checked = await asyncio.to_thread(run, "verify", str(out), "--public-key", public_key_hex(KEY.public_key()))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("INTACT: placement")
    files = _files(out.read_bytes())
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(_zip({**files, "notes.txt": b"x"}))
    refused = await asyncio.to_thread(run, "verify", str(tampered))
    assert refused.returncode == 1 and refused.stdout.startswith("TAMPERED")
    assert "unexpected file in the bundle: notes.txt" in refused.stdout
    missing = await asyncio.to_thread(run, "export", "--placement", str(uuid4()), "--out", str(tmp_path / "x.zip"))
    assert missing.returncode == 1 and "not found" in missing.stderr
