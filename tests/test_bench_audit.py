"""The `audit` benchmark suite runs end to end on a small trail: export, verify and their baselines reported,
the bundle verified intact, the same for a trail stored with nothing sealed and one with every text sealed, and
the report printable as a table and as JSON."""

from __future__ import annotations

import io
from argparse import Namespace

import orjson
import pytest
from rich.console import Console

from bench import audit
from bench.__main__ import SUITES, _parse
from bench.common import round_floats


@pytest.mark.slow
async def test_the_audit_suite_reports_export_verify_and_their_baselines(fresh_database_url: str) -> None:
    progress: list[str] = []
    report = await audit.run(fresh_database_url, seconds=0, warmup=0.1, rounds=2, only=None, say=progress.append,
                             options=Namespace(events=300, per_append=100))

    assert report["suite"] == "audit"
    setup = report["setup"]
    assert setup["chain_intact"] and setup["trail_events"] == 300
    assert setup["handled_events"] + setup["batched_events"] == 300
    assert setup["appends"] == -(-setup["batched_events"] // 100)

    cases = {c["name"]: c for c in report["cases"]}
    assert set(cases) == {"export", "verify", "export_unsealed", "verify_unsealed", "export_sealed", "verify_sealed"}
    export, verify = cases["export"], cases["verify"]
    # One untimed warm-up export, then one per round: each bundles the exports before it.
    assert export["events_rounds"] == [301, 302]
    for case, baseline in ((export, "read_plain"), (verify, "hash_plain")):
        assert len(case["seconds_rounds"]) == 2
        assert 0 < case["seconds_min"] <= case["seconds"]
        assert case["baseline"]["name"] == baseline
        assert 0 < case["baseline"]["seconds_min"] <= case["baseline"]["seconds"]
        assert case["ratio_vs_baseline"] == pytest.approx(case["seconds"] / case["baseline"]["seconds"])
        assert case["events_per_s"] > 0 and case["bundle_bytes"] > 0
    assert export["same_events_as_baseline"]
    assert set(export["bundle_files"]) == {"events.jsonl", "timeline.csv", "report.html", "manifest.json"}
    assert verify["intact"] and verify["problems"] == [] and verify["streams"] == 3

    # With and without encryption, each beside its own baseline and beside the unsealed trail.
    for name in ("export_unsealed", "verify_unsealed", "export_sealed", "verify_sealed"):
        case = cases[name]
        assert case["baseline"]["name"] == ("read_plain" if name.startswith("export") else "hash_plain")
        assert case["ratio_vs_baseline"] == pytest.approx(case["seconds"] / case["baseline"]["seconds"])
    assert cases["verify_unsealed"]["intact"] and cases["verify_sealed"]["intact"]
    for name in ("export", "verify", "export_sealed", "verify_sealed"):
        unsealed = cases[name.split("_")[0] + "_unsealed"]
        assert cases[name]["ratio_vs_unsealed"] == pytest.approx(cases[name]["seconds"] / unsealed["seconds"])
    assert "ratio_vs_unsealed" not in cases["export_unsealed"]
    # What each trail holds sealed: nothing; the placement's salary; and every reason and note besides.
    sealed = {name: cases[name]["sealed_fields_in_events"] for name in ("export_unsealed", "export", "export_sealed")}
    assert sealed["export_unsealed"] == 0 and sealed["export"] == 1
    assert sealed["export_sealed"] > (300 - 10) // 2  # one text on each hold placed, dispute opened and closed
    assert report["variants"]["_sealed"]["placement_id"] != report["setup"]["placement_id"]

    parts = export["breakdown"]
    for key in ("trail_read_s", "open_fields_s", "parties_s", "bundle_build_s", "report_rendering_s",
                "bundle_rest_s", "record_export_s"):
        assert parts[key] > 0, key
    assert parts["report_rendering_s"] + parts["bundle_rest_s"] == pytest.approx(parts["bundle_build_s"])
    assert parts["trail_read_s"] + parts["bundle_build_s"] < parts["total_s"]
    assert verify["breakdown"]["hash_chains_s"] > 0 and verify["breakdown"]["events_read_s"] > 0

    # What the runner does with it: the table, and the JSON line.
    out = io.StringIO()
    Console(file=out, width=160).print(audit.table({**report, "machine": {"cores": 2, "pg_version": "test"}}))
    assert "read_plain (baseline)" in out.getvalue() and "INTACT" in out.getvalue()
    assert "export_sealed" in out.getvalue() and "the unsealed export's median" in out.getvalue()
    assert orjson.loads(orjson.dumps(round_floats(report)))["cases"][1]["intact"] is True
    assert any(line.startswith("round 2/2") for line in progress)


def test_the_runner_knows_the_suite_and_its_options() -> None:
    assert SUITES["audit"] == "bench.audit"
    args = _parse(["audit", "--events", "2000", "--per-append", "500", "--rounds", "2", "--json"])
    assert (args.suite, args.events, args.per_append, args.rounds, args.json) == ("audit", 2000, 500, 2, True)
    assert "2,000 trail events" in audit.describe(args)
