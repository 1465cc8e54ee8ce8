"""Audit bundles name their parties: the candidate, the split's recruiters and the people who acted, each with
their role beside the id, in timeline.csv and report.html — decrypted at export time, while events.jsonl keeps
the sealed form. After a person's data is erased, earlier bundles still verify and later ones say `erased`."""

from __future__ import annotations

import csv
import io
from uuid import UUID

from commands.identity.user import user_id_for
from eventstore.personal import MARKER
from projections.audit.bundle import public_key_hex, verify_bundle
from projections.audit.report import money_table
from tests.integration.audit.test_audit import KEY, Audit, _files, _lines, audit  # noqa: F401 - the fixture

TRUSTED = public_key_hex(KEY.public_key())


def _timeline(files: dict[str, bytes]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files["timeline.csv"].decode(), newline="")))


def _parties(files: dict[str, bytes]) -> str:
    html = files["report.html"].decode()
    start = html.index('<table id="parties">')
    return html[start:html.index("</table>", start)]


def _user(audit: Audit, name: str) -> UUID:
    return user_id_for(f"user_{name}_{audit.run}")


async def test_the_bundle_names_each_party_with_its_role_and_keeps_the_events_sealed(audit: Audit) -> None:
    run = audit.run
    await audit.export("root")
    await audit.export("cora")
    bundle = await audit.export("rex")
    assert verify_bundle(bundle, TRUSTED).intact
    files = _files(bundle)
    rows = _timeline(files)

    exports = [(r["actor"], r["actor_name"], r["actor_role"]) for r in rows if r["event_type"] == "AuditBundleExported"]
    assert exports == [(str(_user(audit, "root")), f"user_root_{run}", "platform admin"),
                       (str(_user(audit, "cora")), f"user_cora_{run}", "company admin")]
    [created] = [r for r in rows if r["event_type"] == "PlacementCreated"]
    assert (f"Placement created of candidate Cara Candidate {run} (candidate; {audit.candidate_id}): "
            "salary $150,000.00") in created["summary"]
    [transfer] = [r for r in rows if r["event_type"] == "PayoutTransferred"]
    assert f"to recruiter user_rex_{run} (candidate recruiter; {audit.rex})" in transfer["summary"]

    parties = _parties(files)
    assert f"<td>candidate</td><td class=\"free\">Cara Candidate {run}</td>" in parties
    assert f"<td>candidate recruiter</td><td class=\"free\">user_rex_{run}</td>" in parties
    assert f"user_cora_{run}" in parties and f"user_root_{run}" in parties
    assert f"user_rex_{run}</span><br><span class=\"id\">{audit.rex}</span>" in files["report.html"].decode()

    # The events as stored: the salary sealed, no name anywhere; the money still reconciles from them alone.
    lines = _lines(files)
    [placement] = [line for line in lines if line["type"] == "PlacementCreated"]
    assert placement["data"]["salary_cents"][MARKER] == f"candidate:{audit.candidate_id}"
    assert b'"salary_cents":15000000' not in files["events.jsonl"]
    for name in (f"Cara Candidate {run}", f"user_rex_{run}", f"user_cora_{run}"):
        assert name.encode() not in files["events.jsonl"] and name.encode() not in files["manifest.json"]
    table = money_table(lines)
    assert table.reconciles and table.fee_cents == 3_000_000, table.checks


async def test_after_an_erasure_earlier_bundles_verify_and_later_ones_show_the_parties_as_erased(audit: Audit) -> None:
    run = audit.run
    before = await audit.export("root")
    assert f"Cara Candidate {run}".encode() in _files(before)["report.html"]
    erased = await audit.store.keyring.erase([f"candidate:{audit.candidate_id}", f"recruiter:{audit.rex}",
                                              f"user:{_user(audit, 'rex')}"])
    assert len(erased) == 3

    assert verify_bundle(before, TRUSTED).intact  # what was handed out still proves itself
    after = await audit.export("root")
    verdict = verify_bundle(after, TRUSTED)
    assert verdict.intact, verdict.problems
    files = _files(after)
    text = files["timeline.csv"].decode() + files["report.html"].decode()
    for gone in (f"Cara Candidate {run}", f"user_rex_{run}", "$150,000.00"):
        assert gone not in text
    [created] = [r for r in _timeline(files) if r["event_type"] == "PlacementCreated"]
    assert f"of candidate erased (candidate; {audit.candidate_id}): salary erased, fee 20% = $30,000.00" in \
        created["summary"]
    parties = _parties(files)
    assert "<td>candidate</td><td class=\"free\">erased</td>" in parties
    assert "<td>candidate recruiter</td><td class=\"free\">erased</td>" in parties
    assert f"user_root_{run}" in parties  # the others keep their names
    assert 'class="verdict ok"' in files["report.html"].decode()  # the money is untouched by the erasure

    # The stored events did not change: the placement's lines, hashes included, are those of the first bundle.
    def placement_lines(bundle: bytes) -> list[dict]:
        return [line for line in _lines(_files(bundle)) if line["stream_id"] == f"placement-{audit.placement_id}"]

    assert placement_lines(after) == placement_lines(before)
