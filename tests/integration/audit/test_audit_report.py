"""`report.html` in a real browser: headless Chromium loads it from disk and (1) the DOM it builds holds the
money table with the billing story's figures, every check marked ✓, and none of the markup an event smuggled
in; (2) it prints to a PDF whose text has the fee, with the timeline on its own pages under repeated headers.

Chromium is a test dependency like PostgreSQL: when it is missing the test fails and says how to install it
(CI installs it in `.ci/run`), it never skips.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pypdf import PdfReader

from commands.billing.placement_billing import CloseDispute, OpenDispute
from projections.audit.report import MoneyTable, money_table, report_html, timeline
from tests.helpers import chromium
from tests.unit.audit import FIRM, REX, RUN_AT, SAM, P, billing_story

TIMEOUT_S = 60
SCRIPT = "<script>document.title = 'owned'</script>"


def run_chromium(profile: Path, *args: str) -> str:
    """One headless Chromium run with a throwaway profile; its stdout."""
    command = [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


class Tables(HTMLParser):
    """The text of each cell of each table with an id, row by row (what a person sees, tags stripped)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.table: str | None = None
        self.cell: list[str] | None = None
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        elif tag == "table" and dict(attrs).get("id"):
            self.table = dict(attrs)["id"]
            self.tables[self.table] = []
        elif tag == "tr" and self.table:
            self.tables[self.table].append([])
        elif tag in ("td", "th") and self.table:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.table and self.cell is not None:
            self.tables[self.table][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def parse(dom: str) -> Tables:
    tables = Tables()
    tables.feed(dom)
    return tables


@pytest.fixture
def report(tmp_path: Path) -> tuple[Path, MoneyTable, list[dict[str, Any]]]:
    """The billing story with a dispute whose reason and notes are markup, written as report.html."""
    trail = billing_story()
    at = RUN_AT + timedelta(days=9)
    trail.decide(OpenDispute(placement_id=P, at=at, dispute_id=UUID(int=2), dispute_type="fee_amount", reason=SCRIPT,
                             raised_by="user_cora", raised_by_role="company_admin"), "user_cora")
    trail.decide(CloseDispute(placement_id=P, at=at, dispute_id=UUID(int=2), outcome="dismissed",
                              notes='<img src=x onerror="document.title=1">', by="user_root"), "user_root")
    money = money_table(trail.lines)
    export = {"placement_id": str(P), "exported_at": "2026-11-27T15:10:49.637658+00:00", "exporter": "user_root",
              "feed_position": trail.lines[-1]["position"], "event_count": len(trail.lines), "stream_count": 5}
    path = tmp_path / "report.html"
    path.write_text(report_html(export, trail.lines, money), encoding="utf-8")
    return path, money, trail.lines


def test_chromium_renders_the_money_table_with_its_figures_and_check_marks(report, tmp_path: Path) -> None:
    path, money, lines = report
    dom = run_chromium(tmp_path / "profile", "--dump-dom", path.as_uri())
    page = parse(dom)
    assert "<title>Audit report: placement" in dom
    assert page.scripts == 0 and "<img" not in dom  # the dispute's markup stayed text

    splits = page.tables["splits"]
    assert splits[1] == ["candidate_recruiter", str(REX), "partner", "40%", "$12,000.00", "", "$0.00", "$12,000.00"]
    assert splits[2] == ["company_recruiter", str(SAM), "starter", "10%", "$3,000.00", str(FIRM), "$300.00 (10%)",
                         "$2,700.00"]
    assert splits[3] == ["Platform remainder", "$15,000.00", ""]
    assert splits[4] == ["Placement fee", "$30,000.00", ""]
    assert page.tables["invoice"][1][:7] == ["in_1Story", "SPLT-0001", "paid", "$30,000.00", "$900.00",
                                              "$30,900.00", "$30,900.00"]
    transfers = {row[4]: (row[2], row[3], row[5], row[6]) for row in page.tables["transactions"][1:4]}
    assert transfers == {"tr_rex": ("$12,000.00", "paid", "acct_rex", "po_rex"),
                         "tr_firm": ("$300.00", "paid", "acct_firm", ""),
                         "tr_sam": ("$2,700.00", "paid", "acct_sam", "")}
    assert page.tables["transactions"][4][:2] == ["Paid out", "$15,000.00"]

    checks = page.tables["checks"][1:]
    assert len(checks) == len(money.checks) >= 9
    assert all(result == "✓ holds" and expected == actual for _, expected, actual, result in checks)
    assert ["Fee = Σ splits + platform remainder", "$30,000.00", "$30,000.00", "✓ holds"] in checks
    assert ["Invoice amount due = fee + processing fee", "$30,900.00", "$30,900.00", "✓ holds"] in checks

    assert page.tables["disputes"][1][3] == SCRIPT
    assert len(page.tables["timeline"]) == len(lines) + 1


def test_chromium_prints_the_report_to_pdf(report, tmp_path: Path) -> None:
    path, _, lines = report
    pdf = tmp_path / "out.pdf"
    run_chromium(tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", path.as_uri())
    assert pdf.read_bytes().startswith(b"%PDF")
    pages = [p.extract_text() for p in PdfReader(pdf).pages]
    assert len(pages) >= 1
    assert "$30,000.00" in pages[0] and "✓" in pages[0]  # the fee and the verdict, up front
    # The timeline starts a page of its own, its header row is repeated on each page it spans, and no row is
    # cut in two by a page break (a row's position and the end of its summary are on the same page).
    start = next(i for i, text in enumerate(pages) if "Recorded at / position" in text)
    assert start > 0 and pages[start].lstrip().startswith("Timeline") and "Reconciliation" not in pages[start]
    assert all("Recorded at / position" in text for text in pages[start:])
    compact = ["".join(text.split()) for text in pages[start:]]
    summaries = timeline(lines)
    for row in summaries:
        [page] = [i for i, text in enumerate(compact) if row.position in text]
        assert "".join(row.summary.split())[-10:] in compact[page], f"the row at {row.position} is cut in two"
