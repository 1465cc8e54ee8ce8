"""The two files of an audit bundle a person reads: `timeline.csv` and `report.html` (domain §5, §12).

Both are pure functions of the trail's events (in feed order) and of the parties' names. The export gives them
the events with their personal fields opened (`events.jsonl` keeps them sealed, as stored, so the chains
verify) and the names looked up at export time (`parties.py`); an erased field reads `[erased]`, an erased
person `erased`. The money table needs nothing personal: it is rebuilt from the events alone — never from a read
model — so that it shows what the trail says, and whoever holds only the bundle can recompute it from
`events.jsonl` and compare; its checks show whether the trail adds up to the cent.

Every value from an event is untrusted text: the CSV neutralises spreadsheet formulas; the HTML is rendered
with autoescaping, under a Content-Security-Policy that forbids scripts and every external resource. Money
stays integer cents until it is rendered as dollars.

The parts live beside this module: the money table (`money`, folded from the events in `money_fold`), the
timeline's summaries (`narrator`), the CSV (`timeline_csv`), and the page's template
(`templates/report.html.j2`, package data). Their public names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from projections.audit.formatting import Line, dollars, percent, when
from projections.audit.money import (
    Check,
    DisputeRow,
    HoldRow,
    InvoiceRow,
    MoneyTable,
    SplitRow,
    TransactionRow,
)
from projections.audit.money_fold import money_table
from projections.audit.narrator import TimelineRow, timeline
from projections.audit.parties import Parties, parties_rows
from projections.audit.timeline_csv import TIMELINE_COLUMNS, timeline_csv

__all__ = [
    "TIMELINE_COLUMNS", "Check", "DisputeRow", "HoldRow", "InvoiceRow", "Line", "MoneyTable", "Parties", "SplitRow",
    "TimelineRow", "TransactionRow", "dollars", "money_table", "percent", "report_html", "timeline", "timeline_csv",
]


def report_html(export: Mapping[str, Any], lines: Sequence[Line], money: MoneyTable,
                rows: Sequence[TimelineRow] | None = None, parties: Parties | None = None) -> str:
    """`report.html`: one self-contained page (inline CSS, no scripts, no external resources) with the export's
    header, the parties by name and role, the money table and its checks, the payouts with their Stripe ids, and
    the timeline (`rows`, when the caller has `timeline(lines, parties)` already)."""
    failing = [c for c in money.checks if not c.ok]
    parties = parties or {}
    return _template().render(export=export, money=money, failing=failing, parties=parties,
                              party_rows=parties_rows(parties),
                              timeline=timeline(lines, parties) if rows is None else rows)


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(loader=PackageLoader("projections.audit", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(usd=dollars, pct=percent, when=when)
    return env.get_template("report.html.j2")
