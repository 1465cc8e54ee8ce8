"""`python -m bench <suite> [--json] [--seconds N]`: run a benchmark suite against a throwaway database.

The database `splits_bench_<pid>` is created on the server of DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres) and dropped at the end, also on failure or Ctrl-C.
Progress goes to stderr; stdout gets a table, or with --json one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any

import orjson

from bench.common import (
    bench_database_name,
    machine_info,
    quiet_logs_to_stderr,
    round_floats,
    server_dsn,
    stderr_console,
    stdout_console,
    throwaway_database,
)

# suite name → module in bench/ exposing `run(dsn, seconds=, warmup=, rounds=, only=, say=)` and `table(report)`.
# A suite module may also expose:
#   add_arguments(group)  its own options; `run` then also gets `options=` (the parsed namespace)
#   describe(args)        the first progress line instead of the generic one
#   cleanup()             called after the run, also on failure or Ctrl-C (e.g. broker queues left behind)
SUITES = {"append": "bench.append", "audit": "bench.audit", "delivery": "bench.delivery", "http": "bench.http", "replay": "bench.replay"}


def _base_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=sorted(SUITES))
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line of stdout")
    parser.add_argument("--seconds", type=float, default=3.0, help="timed duration per case and implementation (default 3)")
    parser.add_argument("--warmup", type=float, default=None, help="untimed warm-up before each timed slice (default: seconds/10, 0.2–0.5 s)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved slices per case the time is split into (default 3)")
    parser.add_argument("--only", action="append", help="run only cases whose name contains this (repeatable)")
    return parser


def _parse(argv: list[str]) -> argparse.Namespace:
    # The suite is the first argument naming one; its own options are added before the real parse.
    parser = _base_parser()
    name = next((a for a in argv if a in SUITES), None)
    if name is not None:
        suite = import_module(SUITES[name])
        if hasattr(suite, "add_arguments"):
            suite.add_arguments(parser.add_argument_group(f"{name} options"))
    return parser.parse_args(argv)


def _terminate_as_interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    warmup = args.warmup if args.warmup is not None else min(0.5, max(0.2, args.seconds / 10))
    suite = import_module(SUITES[args.suite])
    quiet_logs_to_stderr()
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)  # so the throwaway database is dropped
    err = stderr_console()
    say: Callable[[str], None] = err.print
    extra: dict[str, Any] = {"options": args} if hasattr(suite, "add_arguments") else {}
    try:
        with throwaway_database(server_dsn()) as dsn:
            machine = machine_info(dsn)
            if hasattr(suite, "describe"):
                say(f"[bold]{args.suite}[/]: {machine['cores']} cores, PostgreSQL {machine['pg_version']}, {suite.describe(args)}, database {bench_database_name()}")
            else:
                say(
                    f"[bold]{args.suite}[/]: {machine['cores']} cores, PostgreSQL {machine['pg_version']},"
                    f" {args.seconds:g} s per case per implementation (in {args.rounds} interleaved slices, each after {warmup:g} s of warm-up), database {bench_database_name()}"
                )
            report = asyncio.run(suite.run(dsn, seconds=args.seconds, warmup=warmup, rounds=max(1, args.rounds), only=args.only, say=say, **extra))
    finally:
        if hasattr(suite, "cleanup"):
            suite.cleanup()
    report = {"suite": report.pop("suite"), "machine": machine, **report}
    if args.json:
        sys.stdout.write(orjson.dumps(round_floats(report)).decode() + "\n")
    else:
        stdout_console().print(suite.table(report))
        for check in report.get("targets", []):
            mark = "met" if check["met"] else "MISSED"
            value = check.get("value", check.get("ratio"))  # a ratio, or the measured value of a non-ratio target
            shown = "–" if value is None else f"{value:.2f}"
            stdout_console().print(f"  {mark:<6} {check['target']} — {check['case']}: {shown}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the throwaway database has been dropped already
        print("interrupted", file=sys.stderr)
        sys.exit(130)
