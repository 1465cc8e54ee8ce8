"""The report and the timeline with the parties named: each name and role beside its id, `erased` for an erased
person and `[erased]` amounts shown as erased; the money table the same from sealed lines as from opened ones."""

from __future__ import annotations

import csv
import io
from copy import deepcopy
from uuid import UUID

from commands.billing.placement_billing import OpenDispute
from eventstore.personal import ERASED, MARKER
from projections.audit.parties import ERASED_NAME, Party
from projections.audit.report import TIMELINE_COLUMNS, money_table, report_html, timeline, timeline_csv
from tests.unit.audit import CANDIDATE, FIRM, P, REX, RUN_AT, SAM, billing_story

CORA = "7d1a4c6e-0000-4000-8000-00000000c0a1"

PARTIES = {
    str(CANDIDATE): Party("candidate", str(CANDIDATE), ("candidate",), "Cara Candidate"),
    str(REX): Party("recruiter", str(REX), ("candidate recruiter",), "Rex Recruiter"),
    str(SAM): Party("recruiter", str(SAM), ("company recruiter",), ERASED_NAME),
    str(FIRM): Party("firm", str(FIRM), ("firm of the company recruiter",), "Sam & Partners"),
    CORA: Party("user", CORA, ("company admin",), "=Cora Admin"),
}


def story():
    trail = billing_story()
    trail.decide(OpenDispute(placement_id=P, at=RUN_AT, dispute_id=UUID(int=2), dispute_type="fee_amount",
                             reason="The fee is not what we agreed", raised_by=CORA, raised_by_role="company_admin"),
                 CORA)
    return trail.lines


def test_the_timeline_names_each_actor_and_party_beside_the_id() -> None:
    lines = story()
    rows = list(csv.reader(io.StringIO(timeline_csv(lines, timeline(lines, PARTIES)), newline="")))
    assert tuple(rows[0]) == TIMELINE_COLUMNS
    assert TIMELINE_COLUMNS.index("actor_name") == TIMELINE_COLUMNS.index("actor") + 1
    dispute = rows[-1]
    assert dispute[5:8] == [CORA, "'=Cora Admin", "company admin"]  # a name is untrusted text: no formula
    assert dispute[8] == f"Dispute opened (fee_amount) by =Cora Admin (company admin; {CORA}): The fee is not what we agreed"
    created = next(r for r in rows if r[4] == "PlacementCreated")
    assert f"of candidate Cara Candidate (candidate; {CANDIDATE}): salary $150,000.00" in created[8]
    split = next(r for r in rows if r[4] == "PlacementSplitsComputed")
    assert split[5:8] == ["reactor:billing", "", ""]  # not a person: no name
    transfer = next(r for r in rows if r[4] == "PayoutTransferred")
    assert f"to recruiter Rex Recruiter (candidate recruiter; {REX})" in transfer[8]
    sam = [r[8] for r in rows if r[4] == "PayoutTransferred" and str(SAM) in r[8]]
    assert sam and all(f"to recruiter erased (company recruiter; {SAM})" in s for s in sam)


def test_the_report_lists_the_parties_and_names_the_split_recruiters_and_payees() -> None:
    lines = story()
    html = report_html({"placement_id": str(P), "exported_at": "t", "exporter": "x", "feed_position": "1.0",
                        "event_count": len(lines), "stream_count": 4}, lines, money_table(lines), parties=PARTIES)
    parties = html[html.index('<table id="parties">'):html.index("</table>", html.index('<table id="parties">'))]
    assert parties.index("Cara Candidate") < parties.index("Rex Recruiter") < parties.index("=Cora Admin")
    assert f"<td>company recruiter</td><td class=\"free\">{ERASED_NAME}</td>" in parties
    assert "Sam &amp; Partners" in parties  # escaped like every other value
    splits = html[html.index('<table id="splits">'):html.index('<table id="invoice">')]
    assert f'Rex Recruiter</span><br><span class="id">{REX}</span>' in splits
    disputes = html[html.index('<table id="disputes">'):]
    assert "=Cora Admin (company admin)" in disputes
    plain = report_html({"placement_id": str(P), "exported_at": "t", "exporter": "x", "feed_position": "1.0",
                         "event_count": len(lines), "stream_count": 4}, lines, money_table(lines))
    assert 'id="parties"' not in plain and "Rex Recruiter" not in plain  # without names: ids only, as before


def test_sealed_or_erased_personal_fields_change_nothing_in_the_money_table() -> None:
    lines = story()
    sealed, erased = deepcopy(lines), deepcopy(lines)
    for copy, value in ((sealed, {MARKER: f"candidate:{CANDIDATE}", "c": "AAAA"}), (erased, ERASED)):
        for line in copy:
            if line["type"] in ("PlacementCreated", "ApplicationHired"):
                line["data"]["salary_cents"] = value
    assert money_table(sealed) == money_table(lines) == money_table(erased)
    assert money_table(sealed).reconciles and not money_table(sealed).skipped
    created = next(r for r in timeline(erased) if r.event_type == "PlacementCreated")
    assert created.summary.startswith("Placement created: salary erased, fee 20% = $30,000.00")
