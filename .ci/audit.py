"""CI's dependency audit: pip-audit over the lock file, and the decision what its answer means for the build.

A known vulnerability in a pinned version fails the build (exit 1), and so does an audit that broke for a
reason of its own (exit 2: a lock file pip-audit cannot read is a defect too). An advisory service out of
reach (no network, a proxy that does not pass PyPI's JSON API through) is not the code's fault: it prints a
warning saying what was not audited, and the build goes on. Standard library only: it runs before any
virtualenv exists.

    python3 .ci/audit.py [--pip-audit PATH] requirements.lock
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# What pip-audit and the libraries under it say when the advisory service cannot be reached.
UNREACHABLE = (
    "could not connect", "connectionerror", "connection refused", "connection reset", "max retries exceeded",
    "name or service not known", "temporary failure in name resolution", "network is unreachable", "timed out",
    "not redirecting properly", "failed to establish a new connection",
)
# A skipped package whose reason is one of these was not audited because the service did not answer for it.
SKIPPED_UNREACHABLE = ("not found on pypi", "could not be audited")


def verdict(returncode: int, report: str | None, stderr: str) -> tuple[int, list[str]]:
    """(exit code, lines to print) for a pip-audit run: its exit code, its JSON report (None when it wrote
    none) and what it said on stderr."""
    try:
        parsed = json.loads(report) if report else None
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("dependencies"), list):
        said = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {returncode}, no report"
        if any(marker in stderr.lower() for marker in UNREACHABLE):
            return 0, [f"audit: WARNING: the advisory service is out of reach, nothing was audited ({said})"]
        return 2, [f"audit: pip-audit failed: {said}"]

    dependencies = [d for d in parsed["dependencies"] if isinstance(d, dict)]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    if vulnerable:
        lines = [f"audit: {len(vulnerable)} pinned package(s) with known vulnerabilities:"]
        for d in vulnerable:
            for v in d["vulns"]:
                fixes = ", ".join(v.get("fix_versions") or []) or "none yet"
                lines.append(f"audit:   {d.get('name')} {d.get('version')}: {v.get('id')} (fixed in: {fixes})")
        return 1, lines
    if returncode != 0:
        return 2, [f"audit: pip-audit exited {returncode} without naming a vulnerability: "
                   f"{stderr.strip().splitlines()[-1] if stderr.strip() else 'no message'}"]

    skipped = [d for d in dependencies if d.get("skip_reason")]
    unreachable = [d for d in skipped if any(m in str(d["skip_reason"]).lower() for m in SKIPPED_UNREACHABLE)]
    audited = len(dependencies) - len(skipped)
    if unreachable and audited == 0:
        return 0, [f"audit: WARNING: the advisory service answered for none of the {len(dependencies)} pinned "
                   "packages (out of reach?): nothing was audited"]
    lines = [f"audit: {audited} of {len(dependencies)} pinned packages audited, no known vulnerabilities"]
    if skipped:
        names = ", ".join(f"{d.get('name')} ({d['skip_reason']})" for d in skipped)
        lines.append(f"audit: WARNING: not audited: {names}")
    return 0, lines


def run(pip_audit: str, lock: Path) -> tuple[int, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        try:
            done = subprocess.run(
                [pip_audit, "--requirement", str(lock), "--require-hashes", "--disable-pip",
                 "--progress-spinner", "off", "--format", "json", "--output", str(out)],
                capture_output=True, text=True, timeout=600,
            )
        except subprocess.TimeoutExpired:
            return verdict(1, None, "pip-audit timed out")
        except OSError as exc:
            return 2, [f"audit: cannot run {pip_audit}: {exc}"]
        return verdict(done.returncode, out.read_text() if out.exists() else None, done.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("--pip-audit", default="pip-audit", help="the pip-audit executable")
    args = parser.parse_args()
    if not args.lock.is_file():
        print(f"audit: {args.lock} does not exist", file=sys.stderr)
        return 2
    code, lines = run(args.pip_audit, args.lock)
    print("\n".join(lines), file=sys.stderr if code else sys.stdout, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
