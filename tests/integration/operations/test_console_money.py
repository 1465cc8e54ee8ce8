"""The console's Money page: a placement's money as its audit report tells it, the same figures the money API shows
a platform admin; its export, a bundle `verify_bundle` accepts and that is recorded as the operator's; the check of
an uploaded bundle, verdict line by line, recorded as `AuditBundleVerified` with the operator; and bad input as
pages that change nothing. The placement is the audit tests' own (tests/integration/audit/test_audit.py)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
import secrets
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

from adapters.audit_keys import encode_key
from commands.ats import placement as placements
from commands.billing import placement_billing as billing
from commands.identity.user import user_id_for
from eventstore import EventStore, canonical_json, handle
from projections.audit.bundle import public_key_hex, verify_bundle
from projections.audit.formatting import dollars
from tests.integration.audit.test_audit import _placement_with_money
from tests.integration.operations.browser import (
    NOT_AN_OPERATOR,
    OPERATOR,
    console_browser,
    console_settings,
    console_site,
)
from tests.api import SEEDER
from tests.helpers import wait_until

KEY = Ed25519PrivateKey.generate()
TRUSTED = public_key_hex(KEY.public_key())
CONSUMERS = {"ats", "billing", "notifications"}
MARKUP = "<script>document.title = 'owned'</script><img src=x>"


@dataclass
class MoneySite:
    base_url: str
    client: httpx.AsyncClient
    store: EventStore
    placement_id: UUID
    tmp_path: Path


def signed_in(clerk_user_id: str = OPERATOR) -> dict[str, str]:
    return {"Cookie": f"__session=dev:{clerk_user_id}"}


def admin_api() -> dict[str, str]:
    return {"Authorization": f"Bearer dev:{OPERATOR}"}


async def _money_api(client: httpx.AsyncClient, placement_id: UUID) -> dict[str, Any]:
    """The money API's answer to a platform admin, once the billing projection has the whole story."""
    found: dict[str, Any] = {}

    async def complete() -> bool:
        answer = await client.get(f"/v1/placements/{placement_id}/money", headers=admin_api())
        if answer.status_code != 200:
            return False
        found.update(answer.json()["data"])
        invoice = found["invoice"]
        return bool(invoice and invoice["status"] == "paid"
                    and any(t["status"] == "paid" for t in found["transactions"])
                    and found["escrow_holds"] and found["disputes"])

    await wait_until(complete, timeout=30)
    return found


async def _placed(store: EventStore) -> UUID:
    placement_id, now = uuid4(), datetime.now(UTC)
    await _placement_with_money(store, placement_id, uuid4(), uuid4(), uuid4(), user_id_for(f"user_rex_{uuid4()}"),
                                now)
    return placement_id


@pytest.fixture
async def money(fresh_store: EventStore, tmp_path: Path) -> AsyncIterator[MoneySite]:
    settings = console_settings(fresh_store, audit_signing_key=encode_key(KEY), splits_data_dir=tmp_path)
    async with console_site(fresh_store, settings, consumers=CONSUMERS) as (base_url, client, _):
        placement_id = await _placed(fresh_store)
        yield MoneySite(base_url, client, fresh_store, placement_id, tmp_path)


def _texts(rows: list[list[str]]) -> list[list[str]]:
    return [[" ".join(cell.split()) for cell in row] for row in rows]


async def _table(page: Any, table_id: str) -> list[list[str]]:
    rows = await page.eval_on_selector_all(
        f"table#{table_id} tr", "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))")
    return _texts(rows)


async def _csrf(client: httpx.AsyncClient, path: str = "/console/money/verify") -> str:
    page = await client.get(path, headers=signed_in())
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text).group(1)


def _tampered(bundle: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    files["report.html"] = files["report.html"].replace(b"30,000.00", b"3,000.00")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


async def _checks(store: EventStore, data: bytes) -> list[Any]:
    return await store.read_stream(f"bundlecheck-{hashlib.sha256(data).hexdigest()}")


# --- what the page shows ----------------------------------------------------------------------------------------------

async def _hold_and_dispute(store: EventStore, placement_id: UUID) -> None:
    """A hold of part of the money and a dispute whose reason is markup (it must stay text)."""
    now = datetime.now(UTC)
    await handle(store, billing.placement_billing, placement_id, billing.PlaceEscrowHold(
        placement_id=placement_id, hold_id=uuid4(), amount_cents=250_000, reason="guarantee review",
        release_on=now + timedelta(days=30), by="user_root", at=now), SEEDER)
    await handle(store, billing.placement_billing, placement_id, billing.OpenDispute(
        placement_id=placement_id, dispute_id=uuid4(), dispute_type="fee_amount", reason=MARKUP,
        raised_by="user_cora", raised_by_role="company_admin", at=now), SEEDER)


async def test_the_money_page_shows_what_the_money_api_shows_a_platform_admin(money: MoneySite) -> None:
    await _hold_and_dispute(money.store, money.placement_id)
    api = await _money_api(money.client, money.placement_id)
    async def listed() -> bool:  # the ATS read model has the placement
        answer = await money.client.get("/console/money", headers=signed_in())
        return f"/console/money/placements/{money.placement_id}" in answer.text

    await wait_until(listed, timeout=30)
    async with console_browser(money.base_url, OPERATOR, money.tmp_path) as browser:
        page = await browser.open("/console/money")
        [placement] = (await _table(page, "placements"))[1:]
        assert placement[0] == str(money.placement_id) and placement[-1] == dollars(api["fee_cents"])
        await browser.shot(page, "money-placements")
        async with page.expect_navigation():
            await page.click(f"a[href='/console/money/placements/{money.placement_id}']")
        assert "✓ reconciles" in await page.inner_text("#reconciles")
        trail = await page.eval_on_selector_all("#trail a", "links => links.map(a => a.getAttribute('href'))")
        assert f"/console/stream?id=placementbilling-{money.placement_id}" in trail

        fee = {row[0]: row[1] for row in await _table(page, "fee")}
        assert fee["Placement fee"] == dollars(api["fee_cents"]) == dollars(api["totals"]["fee_cents"])
        assert fee["Σ splits"] == dollars(api["totals"]["splits_cents"])
        assert fee["Platform remainder"] == dollars(api["totals"]["platform_remainder_cents"])

        splits = await _table(page, "splits")
        assert splits[0][:5] == ["Role", "Recruiter", "Tier", "Rate", "Amount"]
        shown = {row[0]: (row[1], row[4], row[7]) for row in splits[1:]}
        expected = {s["role"]: (str(s["recruiter_id"]), dollars(s["amount_cents"]), dollars(s["net_cents"]))
                    for s in api["splits"]}
        assert shown == expected and shown

        [header, invoice] = await _table(page, "invoice")
        cell = dict(zip(header, invoice, strict=True))
        assert cell["Stripe invoice"] == api["invoice"]["stripe_invoice_id"] and cell["Status"] == "paid"
        assert cell["Amount due"] == dollars(api["invoice"]["amount_due_cents"])
        assert cell["Amount paid"] == dollars(api["invoice"]["amount_paid_cents"])
        assert cell["Fee"] == dollars(api["invoice"]["fee_cents"])

        rows = await _table(page, "transactions")
        by_payee = {row[2]: (row[3], row[4], row[5]) for row in rows[1:-2]}
        assert by_payee == {f"{t['payee_kind']} {t['payee_id']}": (dollars(t["amount_cents"]), t["status"],
                                                                   t["stripe_transfer_id"] or "")
                            for t in api["transactions"]}
        assert rows[-2][:2] == ["Paid out", dollars(api["totals"]["paid_out_cents"])]
        assert all(row[-1] == "✓ holds" for row in (await _table(page, "checks"))[1:])

        holds = [(row[1], row[2], row[5]) for row in (await _table(page, "holds"))[1:]]
        assert holds == [(dollars(h["amount_cents"]), h["reason"], h["status"]) for h in api["escrow_holds"]] and holds
        disputes = [(row[1], row[3], row[4]) for row in (await _table(page, "disputes"))[1:]]
        assert disputes == [(d["dispute_type"], d["reason"], d["status"]) for d in api["disputes"]] == [
            ("fee_amount", MARKUP, "open")]
        assert await page.title() == f"Money of placement {money.placement_id} · Splits console"  # no script ran
        assert await page.query_selector("main script, main img") is None
        await browser.shot(page, "money-placement")
        browser.assert_clean()


async def test_a_placement_not_billed_yet_shows_its_fee_and_nothing_to_reconcile(money: MoneySite) -> None:
    placement_id, now = uuid4(), datetime.now(UTC)
    await handle(money.store, placements.placement, placement_id, placements.CreatePlacement(
        placement_id=placement_id, application_id=uuid4(), job_id=uuid4(), candidate_id=uuid4(), company_id=uuid4(),
        salary_cents=10_000_000, fee_bps=2000, guarantee_days=0, hired_at=now, start_date=date.today(),
        candidate_recruiter_id=uuid4(), by="reactor:placements", at=now), SEEDER)
    async with console_browser(money.base_url, OPERATOR, money.tmp_path) as browser:
        page = await browser.open(f"/console/money/placements/{placement_id}")
        assert "not billed yet" in await page.inner_text("#reconciles")
        fee = {row[0]: row[1] for row in await _table(page, "fee")}
        assert fee == {"Placement fee": "$20,000.00", "Σ splits": "$0.00", "Platform remainder": "—"}
        main = await page.inner_text("main")
        assert "No splits computed yet." in main and "No invoice issued yet." in main
        browser.assert_clean()


# --- the export and the check of a bundle -----------------------------------------------------------------------------

async def test_the_export_verifies_and_checking_it_says_verified_and_a_tampered_one_says_what_failed(
        money: MoneySite) -> None:
    async with console_browser(money.base_url, OPERATOR, money.tmp_path) as browser:
        page = await browser.open(f"/console/money/placements/{money.placement_id}")
        async with page.expect_download() as downloading:
            await page.click("form[action$='/export'] button")
        download = await downloading.value
        # Chromium ends a navigation that turns into a download as an aborted request: that one is expected.
        aborted = f"{money.base_url}/console/money/placements/{money.placement_id}/export (net::ERR_ABORTED)"
        browser.problems = [p for p in browser.problems if not p.endswith(f": {aborted}")]
        bundle_path = money.tmp_path / download.suggested_filename
        await download.save_as(bundle_path)
        bundle = bundle_path.read_bytes()
        assert download.suggested_filename.startswith(f"placement-{money.placement_id}-audit-")
        verdict = verify_bundle(bundle, TRUSTED)
        assert verdict.intact, verdict.problems
        [exported] = await money.store.read_stream(f"auditexport-{money.placement_id}")
        operator_id = str(user_id_for(OPERATOR))
        assert exported.data["exporter"] == operator_id and exported.data["exporter_role"] == "platform_admin"
        assert exported.metadata["actor"] == operator_id

        await page.set_input_files("form#verify input[name=bundle]", str(bundle_path))
        async with page.expect_navigation():
            await page.click("form#verify button")
        assert "✓ verified" in await page.inner_text("#verdict")
        recorded = f"bundlecheck-{hashlib.sha256(bundle).hexdigest()}"
        assert await page.get_attribute("a#recorded", "href") == f"/console/stream?id={recorded}"
        assert str(money.placement_id) in await page.inner_text("#verdict-facts")
        await browser.shot(page, "money-verified")

        tampered_path = money.tmp_path / "tampered.zip"
        tampered_path.write_bytes(_tampered(bundle))
        await page.set_input_files("form#verify input[name=bundle]", str(tampered_path))
        async with page.expect_navigation():
            await page.click("form#verify button")
        assert "✗ not verified" in await page.inner_text("#verdict")
        problems = [" ".join(p.split()) for p in await page.eval_on_selector_all(
            "#problems li", "items => items.map(i => i.innerText)")]
        assert problems == verify_bundle(tampered_path.read_bytes(), TRUSTED).problems
        assert any(p.startswith("report.html was changed") for p in problems)
        await browser.shot(page, "money-tampered")
        browser.assert_clean()

    [good] = await _checks(money.store, bundle)
    assert good.type == "AuditBundleVerified" and good.data["ok"] is True and good.data["operator"] == OPERATOR
    assert good.data["placement_id"] == str(money.placement_id) and good.data["public_key"] == TRUSTED
    assert good.metadata["actor"] == operator_id
    [bad] = await _checks(money.store, tampered_path.read_bytes())
    assert bad.data["ok"] is False and bad.data["operator"] == OPERATOR and bad.data["problem_count"] == len(problems)
    assert any(p.startswith("report.html was changed") for p in bad.data["problems"])


# --- bad input, strangers -----------------------------------------------------------------------------------------------

async def _post_bundle(client: httpx.AsyncClient, data: bytes | None, token: str, who: str = OPERATOR,
                       name: str = "bundle.zip") -> httpx.Response:
    files = {"bundle": (name, data, "application/zip")} if data is not None else None
    return await client.post("/console/money/verify", data={"csrf": token}, files=files,
                             headers=signed_in(who) | {"Sec-Fetch-Site": "same-origin"})


async def _declared_too_large(base_url: str) -> tuple[int, str, str]:
    """A POST declaring a body over the limit, its body never sent: the status, content type and page."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write((f"POST /console/money/verify HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: __session=dev:{OPERATOR}"
                  "\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 17000000\r\n\r\n").encode())
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(65536), timeout=10)
    writer.close()
    head, _, body = answer.decode().partition("\r\n\r\n")
    content_type = next(line.split(":", 1)[1].strip() for line in head.split("\r\n")
                        if line.lower().startswith("content-type:"))
    return int(head.split()[1]), content_type, body


async def test_bad_input_is_a_page_that_changes_nothing_and_strangers_are_refused(money: MoneySite) -> None:
    client, store = money.client, money.store
    token = await _csrf(client)
    head = await store.head()
    for path, status in ((f"/console/money/placements/{uuid4()}", 404),
                         ("/console/money/placements/not-a-placement", 400),
                         ("/console/money?placement=12345", 400), ("/console/money?page=0", 400),
                         ("/console/money?page=abc", 400), ("/console/money?page=99999", 400)):
        answer = await client.get(path, headers=signed_in())
        assert answer.status_code == status, (path, answer.text)
        assert "text/html" in answer.headers["content-type"] and "content-security-policy" in answer.headers
    found = await client.get(f"/console/money?placement={money.placement_id}", headers=signed_in())
    assert found.status_code == 303 and found.headers["location"] == f"/console/money/placements/{money.placement_id}"

    unknown = await client.post(f"/console/money/placements/{uuid4()}/export", data={"csrf": token},
                                headers=signed_in() | {"Sec-Fetch-Site": "same-origin"})
    assert unknown.status_code == 404 and "nothing was exported" in unknown.text
    no_token = await client.post(f"/console/money/placements/{money.placement_id}/export",
                                 headers=signed_in() | {"Sec-Fetch-Site": "same-origin"})
    assert no_token.status_code == 403
    assert (await _post_bundle(client, None, token)).status_code == 400  # no file
    empty = await _post_bundle(client, b"", token)
    assert empty.status_code == 400 and "the file is empty" in empty.text
    assert (await _post_bundle(client, b"PK\x03\x04", "0" * 64)).status_code == 403  # a wrong token
    status, content_type, body = await _declared_too_large(money.base_url)
    assert status == 413 and content_type.startswith("text/html") and "nothing was changed" in body
    assert await store.head() == head  # nothing of it was recorded

    for who in (NOT_AN_OPERATOR,):
        for path in ("/console/money", f"/console/money/placements/{money.placement_id}", "/console/money/verify"):
            answer = await client.get(path, headers=signed_in(who))
            assert answer.status_code == 403 and "text/html" in answer.headers["content-type"], path
        refused = await _post_bundle(client, b"PK\x03\x04", token, who=who)
        assert refused.status_code == 403
        export = await client.post(f"/console/money/placements/{money.placement_id}/export", data={"csrf": token},
                                   headers=signed_in(who) | {"Sec-Fetch-Site": "same-origin"})
        assert export.status_code == 403
    assert (await client.get("/console/money")).status_code == 401
    assert await store.head() == head

    async with console_browser(money.base_url, NOT_AN_OPERATOR, money.tmp_path) as browser:
        page = await browser.open(f"/console/money/placements/{money.placement_id}", status=403)
        assert "platform admins only" in await page.inner_text("main")
        browser.assert_clean()
    async with console_browser(money.base_url, OPERATOR, money.tmp_path) as browser:
        page = await browser.open("/console/money/placements/not-a-placement", status=400)
        assert "Not a placement id" in await page.inner_text("main")
        browser.assert_clean()


def _resigned(bundle: bytes, key: Ed25519PrivateKey) -> bytes:
    """The bundle, its manifest signed again with another key (it verifies against itself, not this deployment)."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    manifest = orjson.loads(files["manifest.json"])
    unsigned = {k: v for k, v in manifest.items() if k != "signature"} | {"public_key": public_key_hex(key.public_key())}
    signature = base64.b64encode(key.sign(canonical_json(unsigned))).decode()
    files["manifest.json"] = orjson.dumps({**unsigned, "signature": {"algorithm": "ed25519", "value": signature}})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


async def test_a_bundle_is_checked_against_this_deployments_key_and_any_file_gets_a_verdict(money: MoneySite) -> None:
    token = await _csrf(money.client)
    junk = b"not a zip at all " + secrets.token_bytes(16)
    answer = await _post_bundle(money.client, junk, token, name="notes.txt")
    assert answer.status_code == 200 and "✗ not verified" in answer.text and "not a zip file" in answer.text
    [check] = await _checks(money.store, junk)
    assert check.data["ok"] is False and check.data["placement_id"] is None and check.data["operator"] == OPERATOR
    big = secrets.token_bytes(3 * 1024 * 1024)  # beyond the 1 MB of other console forms, within the check's 16 MB
    answer = await _post_bundle(money.client, big, token)
    assert answer.status_code == 200 and "✗ not verified" in answer.text and f"{len(big)} bytes" in answer.text
    assert len(await _checks(money.store, big)) == 1

    exported = await money.client.get(f"/v1/audit/placements/{money.placement_id}/export", headers=admin_api())
    assert exported.status_code == 200, exported.text
    other = _resigned(exported.content, Ed25519PrivateKey.generate())
    assert verify_bundle(other).intact  # sound on its own key
    answer = await _post_bundle(money.client, other, token)
    assert answer.status_code == 200 and "✗ not verified" in answer.text
    assert f"not the platform&#39;s key {TRUSTED}" in answer.text
    [check] = await _checks(money.store, other)
    assert check.data["ok"] is False and check.data["placement_id"] == str(money.placement_id)


async def test_console_and_api_exports_share_the_hourly_limit(fresh_store: EventStore, tmp_path: Path) -> None:
    settings = console_settings(fresh_store, audit_signing_key=encode_key(KEY), splits_data_dir=tmp_path,
                                redis_url="redis://127.0.0.1:6379/15", audit_export_per_hour=1)
    async with console_site(fresh_store, settings, consumers=CONSUMERS) as (_, client, _):
        placement_id = await _placed(fresh_store)
        token = await _csrf(client)
        first = await client.get(f"/v1/audit/placements/{placement_id}/export", headers=admin_api())
        assert first.status_code == 200, first.text
        second = await client.post(f"/console/money/placements/{placement_id}/export", data={"csrf": token},
                                   headers=signed_in() | {"Sec-Fetch-Site": "same-origin"})
        assert second.status_code == 429 and "text/html" in second.headers["content-type"]
        assert "audit exports an hour" in second.text and "Retry-After" in second.headers
        assert len(await fresh_store.read_stream(f"auditexport-{placement_id}")) == 1
