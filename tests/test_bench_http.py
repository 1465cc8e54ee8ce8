"""The `http` benchmark suite's measuring parts: wrk's tally counts every answer that is not 2xx (so a figure cannot
pass while the server refuses) and the bare app answers each case, slices merge into one latency distribution, and
the profile summary ranks functions by own and total samples. (The whole suite starts the API as `splits api`
does, which takes 10-30 s on two shared cores: it is run by hand, `python -m bench http --seconds 1`.)"""

from __future__ import annotations

import sys
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from bench import http


async def test_wrk_tally_counts_refusals_and_successes_of_the_bare_app(fresh_database_url: str, tmp_path: Path) -> None:
    async with await psycopg.AsyncConnection.connect(fresh_database_url, autocommit=True) as conn:
        await conn.execute(http.BARE_DDL)
    world = http.World(company_id=uuid4(), data_key="", bare_jobs=[uuid4(), uuid4()])  # no such rows: 404s
    port = http._free_port()
    bare = await http.start_server(
        "bare", [sys.executable, "-m", "uvicorn", "bench.http:bare_app", "--factory", "--port", str(port),
                 "--log-level", "warning"],
        http._settings_free_environ() | {"BENCH_HTTP_DSN": fresh_database_url}, port, "/bare/jobs?limit=1", tmp_path)
    try:
        results = {}
        for case in http.CASES:
            script = tmp_path / f"{case.kind}.lua"
            script.write_text(http.lua_script(case, True, world, "token"))
            results[case.kind] = await http.drive(bare, script, 0.5, 2)
    finally:
        http.stop_process(bare.process)

    assert bare.process.poll() is not None and not http._STARTED
    edits = results["edit"]
    assert edits.requests > 0 and edits.non_2xx == edits.requests and edits.first_bad.startswith("404 ")
    for kind in ("create", "list"):
        assert results[kind].requests > 0 and results[kind].non_2xx == 0 and results[kind].socket_errors == 0
        assert results[kind].first_bad is None and 0 < results[kind].p50_ms <= results[kind].p99_ms
    async with await psycopg.AsyncConnection.connect(fresh_database_url) as conn:
        created = (await (await conn.execute("SELECT count(*) FROM bench_bare.jobs")).fetchone())[0]
    assert created >= results["create"].requests  # every counted 201 is a row (in-flight ones may add more)


def test_the_profile_summary_ranks_own_total_and_project_functions() -> None:
    collapsed = "\n".join([
        "main (infra/cli.py);serve (uvicorn/server.py);create_job (api/ats/jobs.py);handle (eventstore/handle.py) 6",
        "main (infra/cli.py);serve (uvicorn/server.py);create_job (api/ats/jobs.py);dumps (json/__init__.py) 3",
        "main (infra/cli.py);select (selectors.py) 1",
    ])
    hot = http.hottest(collapsed, top=10)
    assert hot.samples == 10
    assert hot.own == [("handle (eventstore/handle.py)", 6), ("dumps (json/__init__.py)", 3), ("select (selectors.py)", 1)]
    # `main` is on every stack: left out of the total ranking; ties are ranked by name.
    assert hot.total[:2] == [("create_job (api/ats/jobs.py)", 9), ("serve (uvicorn/server.py)", 9)]
    assert ("main (infra/cli.py)", 10) not in hot.total
    assert hot.project == [("create_job (api/ats/jobs.py)", 9), ("handle (eventstore/handle.py)", 6)]
    assert "60.0%" in hot.text("t") and hot.as_json()["project_total"][0]["pct"] == 90.0


def test_slices_merge_into_one_latency_distribution() -> None:
    def sliced(requests: int, latency_ms: float) -> http.Slice:
        return http.Slice(requests=requests, elapsed_s=1.0, p50_ms=latency_ms, p99_ms=latency_ms, max_ms=latency_ms,
                          socket_errors=0, non_2xx=0, first_bad=None, quantiles_ms=[latency_ms] * 1000,
                          server_cpu_s=0.5, wrk_cpu_s=0.01, machine_busy_s=1.0)

    # 300 fast requests and 100 slow ones: the slow quarter is the top 25 %, whatever each slice's own p50 says.
    merged = http.combine([sliced(300, 2.0), sliced(100, 40.0)])
    assert (merged["requests"], merged["requests_per_s"]) == (400, 200.0)
    assert (merged["p50_ms"], merged["p99_ms"]) == (2.0, 40.0)
    assert http.merged_percentile([sliced(300, 2.0), sliced(100, 40.0)], 74) == 2.0
    assert merged["server_cpu_us_per_request"] == pytest.approx(2500.0)
