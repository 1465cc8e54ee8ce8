"""The layering of ARCHITECTURE.md, held: the import contracts of pyproject.toml ([tool.importlinter]) pass, and
the rules an import graph cannot see are checked on the text — the time of day is read only by the clock adapter,
and an adapter is chosen from the settings only by the composition root."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("adapters", "api", "commands", "consumers", "eventstore", "infra", "projections")


def _sources() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_only_the_clock_adapter_reads_the_time_of_day() -> None:
    reads = re.compile(r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|\btime\.time\(\)")
    found = [f"{path.relative_to(ROOT)}:{n}" for path in _sources() if path != ROOT / "adapters" / "clock.py"
             for n, line in enumerate(path.read_text().splitlines(), 1) if reads.search(line)]
    assert found == [], f"read the system clock (adapters/clock.py) instead: {found}"


def test_only_the_composition_root_chooses_adapters() -> None:
    chooses = re.compile(r"\b(payments_for|mailer_for|storage_for|reviewer_for|audit_signer_for|token_signer_for"
                         r"|cache_for|redis_client)\(")
    allowed = {ROOT / "infra" / "bootstrap.py", *(ROOT / "adapters" / f"{name}.py" for name in (
        "payments", "mail", "storage", "reviewer", "audit_keys", "tokens", "redis"))}
    found = [f"{path.relative_to(ROOT)}:{n}" for path in _sources() if path not in allowed
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if chooses.search(line) and not line.lstrip().startswith("def ")]
    assert found == [], f"take the adapter from the System (infra/bootstrap.py adapters_for): {found}"


CONTEXTS = ("ai", "ats", "automation", "billing", "identity", "network", "notifications", "privacy")
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE [a-z_]+\.|DELETE FROM|WITH [a-z_]+ AS)\b")
def test_no_sql_in_the_api_or_the_consumer_contexts() -> None:
    files = [*sorted((ROOT / "api").rglob("*.py")), ROOT / "consumers" / "schedules.py",
             *(path for ctx in CONTEXTS for path in sorted((ROOT / "consumers" / ctx).rglob("*.py")))]
    found = [f"{path.relative_to(ROOT)}:{n}" for path in files
             for n, line in enumerate(path.read_text().splitlines(), 1) if SQL.search(line)]
    assert found == [], f"read through the projections' query functions (projections/<ctx>/*queries.py): {found}"


def test_no_module_is_over_450_lines() -> None:
    long = {str(path.relative_to(ROOT)): n for path in _sources() if (n := len(path.read_text().splitlines())) > 450}
    assert long == {}, f"split these along the lines of commands/ats/application.py: {long}"
