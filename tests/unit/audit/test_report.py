"""The human-readable files of an audit bundle: the money table and its checks, `timeline.csv` and
`report.html`, on the billing story's trail (tests/unit/audit/__init__.py) and on tampered copies of it."""

from __future__ import annotations

import copy
import csv
import io
import re
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from commands.billing.placement_billing import CloseDispute, OpenDispute, PlaceEscrowHold
from projections.audit.report import (
    TIMELINE_COLUMNS,
    dollars,
    money_table,
    percent,
    report_html,
    timeline_csv,
)
from tests.unit.audit import (
    AMOUNT_DUE,
    FEE,
    FIRM,
    PROCESSING_FEE,
    REX,
    RUN_AT,
    SAM,
    TX_FIRM,
    TX_REX,
    TX_SAM,
    P,
    billing_story,
)

EXPORT = {"placement_id": str(P), "exported_at": "2026-11-27T15:10:49.637658+00:00", "exporter": "user_root",
          "feed_position": "1016.1", "event_count": 17, "stream_count": 5}
SCRIPT = "<script>alert('owned')</script>"


def lines() -> list[dict[str, Any]]:
    return billing_story().lines


def tampered(type_name: str, field: str, value: Any, nth: int = 0) -> list[dict[str, Any]]:
    """The story with one field of the nth event of a type changed, as an edited events.jsonl would be."""
    out = copy.deepcopy(lines())
    [*_, line] = [x for x in out if x["type"] == type_name][: nth + 1]
    line["data"][field] = value
    return out


def failing(trail: list[dict[str, Any]]) -> list[str]:
    return [c.label for c in money_table(trail).checks if not c.ok]


# --- the money table ----------------------------------------------------------------------------------------

def test_the_billing_story_reconciles_to_the_cent() -> None:
    m = money_table(lines())
    assert (m.placement_id, m.fee_cents, m.platform_remainder_cents) == (str(P), FEE, 1_500_000)
    assert [(s.role, s.recruiter_id, s.tier, s.rate_bps, s.amount_cents, s.firm_id, s.firm_take_cents, s.net_cents)
            for s in m.splits] == [
        ("candidate_recruiter", str(REX), "partner", 4000, 1_200_000, None, 0, 1_200_000),
        ("company_recruiter", str(SAM), "starter", 1000, 300_000, str(FIRM), 30_000, 270_000),
    ]
    assert m.invoice is not None
    assert (m.invoice.stripe_invoice_id, m.invoice.number, m.invoice.fee_cents, m.invoice.processing_fee_cents,
            m.invoice.amount_due_cents, m.invoice.status, m.invoice.amount_paid_cents) == (
        "in_1Story", "SPLT-0001", FEE, PROCESSING_FEE, AMOUNT_DUE, "paid", AMOUNT_DUE)
    assert {(t.transaction_id, t.kind, t.amount_cents, t.status, t.stripe_transfer_id, t.stripe_account_id,
             t.stripe_payout_id) for t in m.transactions} == {
        (str(TX_REX), "member_payout", 1_200_000, "paid", "tr_rex", "acct_rex", "po_rex"),
        (str(TX_SAM), "member_payout", 270_000, "paid", "tr_sam", "acct_sam", None),
        (str(TX_FIRM), "firm_admin_take", 30_000, "paid", "tr_firm", "acct_firm", None),
    }
    assert m.paid_out_cents == 1_500_000 and m.waiting_cents == 0
    labels = [c.label for c in m.checks]
    for wanted in ("Fee = Σ splits + platform remainder", "Σ payout transactions = Σ splits (net + firm takes)",
                   "Invoice amount due = fee + processing fee",
                   "Paid out = Σ Stripe transfers of the paid transactions", "Invoice amount paid = amount due"):
        assert wanted in labels
    assert all(c.ok and c.expected_cents == c.actual_cents for c in m.checks)
    assert m.reconciles and m.skipped == ()


@pytest.mark.parametrize(("type_name", "field", "value", "nth", "fails"), [
    ("PayoutTransferred", "amount_cents", 1_200_001, 0, ["Paid out = Σ Stripe transfers of the paid transactions"]),
    ("PayoutTransferred", "amount_cents", 269_999, 2, ["Paid out = Σ Stripe transfers of the paid transactions"]),
    ("InvoicePaid", "amount_paid_cents", 3_089_999, 0, ["Invoice amount paid = amount due"]),
    # the amount due no longer matches its lines, nor what was paid
    ("InvoiceIssued", "amount_due_cents", 3_100_000, 0, ["Invoice amount due = fee + processing fee",
                                                         "Invoice amount paid = amount due"]),
    # the fee line is not the fee, and no longer adds up to the amount due with the processing fee
    ("InvoiceIssued", "fee_cents", 2_990_000, 0, ["Invoice fee line = placement fee",
                                                  "Invoice amount due = fee + processing fee"]),
    ("PlacementSplitsComputed", "platform_remainder_cents", 1_499_999, 0, ["Fee = Σ splits + platform remainder"]),
    ("PlacementCreated", "fee_cents", 3_100_000, 0, ["Fee at the hire (placement) = fee frozen for billing"]),
])
def test_a_tampered_amount_fails_its_check(type_name: str, field: str, value: int, nth: int,
                                           fails: list[str]) -> None:
    trail = tampered(type_name, field, value, nth)
    assert failing(trail) == fails
    assert not money_table(trail).reconciles


def test_a_split_whose_net_and_take_do_not_add_up_fails() -> None:
    trail = copy.deepcopy(lines())
    computed = next(x for x in trail if x["type"] == "PlacementSplitsComputed")
    computed["data"]["splits"][1]["net_cents"] = 270_500  # the firm's take left as it was
    assert failing(trail) == ["Split company_recruiter: amount = net + firm take",
                              "Σ payout transactions = Σ splits (net + firm takes)"]


def test_an_unreadable_money_event_is_named_and_the_trail_does_not_reconcile() -> None:
    trail = tampered("PayoutTransferred", "amount_cents", "twelve thousand dollars", nth=1)
    m = money_table(trail)
    assert len(m.skipped) == 1 and m.skipped[0].startswith("1011.2 PayoutTransferred: unreadable")
    # the transfer is not counted, so the paid-out check fails too, and in any case the trail does not reconcile
    assert not m.reconciles


def test_a_transfer_for_a_transaction_the_splits_never_made_is_not_silently_dropped() -> None:
    trail = tampered("PayoutTransferred", "transaction_id", str(UUID(int=404)))
    m = money_table(trail)
    assert m.skipped == (f"1010.1 PayoutTransferred: about an unknown payout transaction ({UUID(int=404)})",)
    assert not m.reconciles


def test_a_second_transfer_for_a_paid_transaction_is_not_silently_dropped() -> None:
    trail = copy.deepcopy(lines())
    again = copy.deepcopy(next(x for x in trail if x["type"] == "PayoutTransferred"))
    again["position"], again["data"]["stripe_transfer_id"] = "2000.0", "tr_rex_again"
    m = money_table([*trail, again])
    assert m.skipped == ("2000.0 PayoutTransferred: transfer tr_rex_again of $12,000.00 for a transaction already "
                         "paid by tr_rex",)
    assert not m.reconciles


def test_events_of_another_placement_are_named_not_mixed_in() -> None:
    trail = lines()
    m = money_table(trail, placement_id=str(UUID(int=1)))
    assert m.splits == () and m.invoice is None and not m.reconciles
    assert len(m.skipped) == sum(1 for x in trail if x["stream_id"].startswith(("placement", "placementbilling")))
    assert m.skipped[0] == f"1001.1 PlacementCreated: about another placement ({P})"


def test_nothing_to_reconcile_before_the_splits() -> None:
    m = money_table([x for x in lines() if x["type"] in ("ApplicationHired", "PlacementCreated")])
    assert (m.fee_cents, m.checks, m.reconciles) == (FEE, (), False)


def test_waiting_payouts_and_an_escrow_hold_are_shown_as_they_stand() -> None:
    trail = billing_story()
    trail.lines = trail.lines[:13]  # up to Sam's transaction waiting for a Connect account
    m = money_table(trail.lines)
    sam = next(t for t in m.transactions if t.transaction_id == str(TX_SAM))
    assert (sam.status, sam.stripe_transfer_id, sam.note) == ("pending", None,
                                                              "waits for a Connect account (no_connect_account)")
    assert (m.paid_out_cents, m.waiting_cents, m.reconciles) == (1_230_000, 270_000, True)


def test_holds_and_disputes_follow_their_events() -> None:
    trail = billing_story()
    at = RUN_AT + timedelta(days=9)
    trail.decide(PlaceEscrowHold(placement_id=P, at=at, hold_id=UUID(int=1), amount_cents=50_000, reason="check",
                                 by="user_root"), "user_root")
    trail.decide(OpenDispute(placement_id=P, at=at, dispute_id=UUID(int=2), dispute_type="fee_amount",
                             reason="too high", raised_by="user_cora", raised_by_role="company_admin"), "user_cora")
    trail.decide(CloseDispute(placement_id=P, at=at, dispute_id=UUID(int=2), outcome="dismissed",
                              notes="as agreed", by="user_root"), "user_root")
    m = money_table(trail.lines)
    assert [(h.amount_cents, h.status) for h in m.holds] == [(50_000, "active")]
    assert [(d.dispute_type, d.status, d.notes) for d in m.disputes] == [("fee_amount", "dismissed", "as agreed")]
    assert m.reconciles


def test_dollars_and_percent_are_exact() -> None:
    assert [dollars(c) for c in (0, 5, 123_456, 309_000_000, -5)] == [
        "$0.00", "$0.05", "$1,234.56", "$3,090,000.00", "-$0.05"]
    assert [percent(b) for b in (4000, 1250, 1005, 0, None)] == ["40%", "12.5%", "10.05%", "0%", ""]


# --- timeline.csv -------------------------------------------------------------------------------------------

def test_timeline_csv_has_a_row_per_event_in_feed_order_with_a_summary() -> None:
    trail = lines()
    text = timeline_csv(trail)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == TIMELINE_COLUMNS
    assert [r[0] for r in rows[1:]] == [x["position"] for x in trail]
    by_type = {r[4]: r for r in rows[1:]}
    assert by_type["InvoicePaid"][8] == "Invoice in_1Story paid: $30,900.00"
    assert by_type["InvoicePaid"][5:8] == ["webhook:stripe", "", ""]  # no names given: none shown
    assert by_type["PayoutScheduleCompleted"][8] == "Payout run processed"
    transfers = [r[8] for r in rows[1:] if r[4] == "PayoutTransferred"]
    assert transfers[0].startswith("Transfer tr_rex of $12,000.00 to acct_rex (member_payout")


def test_an_earlier_export_and_an_unknown_event_are_summarised() -> None:
    earlier = {"position": "900.0", "stream_id": f"auditexport-{P}", "type": "AuditBundleExported", "version": 1,
               "recorded_at": "2026-10-01T00:00:00+00:00", "metadata": {"actor": "user_root"},
               "data": {"placement_id": str(P), "export_id": str(UUID(int=3)), "exporter": "user_root",
                        "exporter_role": "platform_admin", "feed_position": "899.0", "event_count": 9,
                        "manifest_sha256": "ab" * 32, "at": "2026-10-01T00:00:00+00:00"}}
    unknown = {"position": "901.0", "type": "SomethingNew", "data": None, "metadata": None}
    rows = list(csv.reader(io.StringIO(timeline_csv([earlier, unknown]), newline="")))[1:]
    assert rows[0][8] == ("Audit bundle exported by user_root (platform_admin) at feed position 899.0: 9 events, "
                          "manifest sha256 abababababababa…")
    assert rows[1] == ["901.0", "", "", "", "SomethingNew", "", "", "", "SomethingNew"]
    assert money_table([earlier, unknown]).checks == ()


def test_timeline_csv_quotes_and_neutralises_formulas() -> None:
    trail = lines()
    for line, actor in zip(trail, ("=HYPERLINK(\"http://x\")", "+1", "-1+1", "@SUM(A1)", "\t=1", "a,b", 'say "hi"'),
                           strict=False):
        line["metadata"]["actor"] = actor
    trail[1]["type"] = "=cmd|' /C calc'!A0"  # an unknown type is summarised by its name, neutralised too
    rows = list(csv.reader(io.StringIO(timeline_csv(trail), newline="")))[1:]
    assert [r[5] for r in rows[:7]] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-1+1", "'@SUM(A1)", "'=1", "a,b",
                                        'say "hi"']
    assert (rows[1][4], rows[1][8]) == ("'=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_timeline_summaries_are_one_line_whatever_the_text() -> None:
    trail = billing_story()
    trail.decide(OpenDispute(placement_id=P, at=RUN_AT, dispute_id=UUID(int=2), dispute_type="other",
                             reason='line one,\n"line two"\r\n=2+2', raised_by="user_cora",
                             raised_by_role="company_admin"), "user_cora")
    text = timeline_csv(trail.lines)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == len(trail.lines) + 1
    assert rows[-1][8] == 'Dispute opened (other) by user_cora (company_admin): line one, "line two" =2+2'
    assert '"Dispute opened (other) by user_cora (company_admin): line one, ""line two"" =2+2"\r\n' in text


# --- report.html --------------------------------------------------------------------------------------------

def malicious_story() -> list[dict[str, Any]]:
    trail = billing_story()
    trail.decide(OpenDispute(placement_id=P, at=RUN_AT, dispute_id=UUID(int=2), dispute_type="fee_amount",
                             reason=SCRIPT, raised_by="user_cora", raised_by_role="company_admin"), "user_cora")
    trail.decide(CloseDispute(placement_id=P, at=RUN_AT, dispute_id=UUID(int=2), outcome="resolved",
                              notes='<img src=x onerror="alert(1)">', by="user_root"), '"><script>x()</script>')
    return trail.lines


def test_report_html_shows_the_money_and_marks_the_checks() -> None:
    trail = lines()
    m = money_table(trail)
    html = report_html(EXPORT, trail, m)
    for figure in ("$30,000.00", "$12,000.00", "$3,000.00", "$300.00", "$2,700.00", "$15,000.00", "$900.00",
                   "$30,900.00", "tr_rex", "tr_firm", "tr_sam", "acct_sam", "po_rex", "in_1Story", str(P),
                   "user_root", "1016.1"):
        assert figure in html
    assert html.count("✓ holds") == len(m.checks) and "✗" not in html
    assert 'id="fee">$30,000.00<' in html
    assert html.count("<tr><td>2026-") == len(trail)  # the timeline, one row per event


def test_report_html_marks_a_failing_check() -> None:
    trail = tampered("PayoutTransferred", "amount_cents", 1_200_001)
    html = report_html(EXPORT, trail, money_table(trail))
    assert html.count("✗ fails") == 1 and "does NOT reconcile" in html
    assert re.search(r'<tr class="fail"><td>Paid out = Σ Stripe transfers of the paid transactions</td>', html)


def test_report_html_escapes_what_the_events_say() -> None:
    trail = malicious_story()
    html = report_html(EXPORT | {"exporter": "<b>root</b>"}, trail, money_table(trail))
    assert "<script" not in html.lower() and "<img" not in html and "<b>root" not in html
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in html  # in the disputes table and the timeline
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "&#34;&gt;&lt;script&gt;x()&lt;/script&gt;" in html  # the actor


def test_report_html_is_self_contained() -> None:
    trail = malicious_story()
    html = report_html(EXPORT, trail, money_table(trail))
    assert "default-src 'none'" in html  # the page may load nothing and run nothing, whatever got through
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", html, re.I)
    assert not re.search(r"<[^>]*\s(src|href)=", html) and "url(" not in html and "@import" not in html
    assert "@media print" in html and "display: table-header-group" in html and "break-inside: avoid" in html
