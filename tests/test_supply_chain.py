"""The supply chain: what gets installed is pinned with hashes, the floors sit past the known advisories, and CI
audits the lock file (a known vulnerability fails it, an advisory service out of reach does not)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"

# (package, the last version a known advisory still applies to, why): no floor and no pin may allow it.
VULNERABLE = [
    ("fastapi", "0.115.2", "accepts Starlette below 0.40 (multipart DoS, CVE-2024-47874)"),
    ("starlette", "0.49.0", "Range header DoS in FileResponse (CVE-2025-62727)"),
    ("pypdf", "5.9.0", "decompression without limits (CVE-2025-55197), and the 6.x/7.x exhaustion fixes"),
    ("pypdf", "7.1.0", "the memory and loop exhaustion fixes of 7.1.1"),
    ("cryptography", "44.0.0", "the OpenSSL in its wheels (CVE-2024-12797)"),
    ("uvicorn", "0.29.0", "below the floor the issue asks for"),
    ("h11", "0.15.0", "request smuggling (CVE-2025-43859)"),
    ("jinja2", "3.1.5", "sandbox escape through |attr (CVE-2025-27516)"),
    ("python-multipart", "0.0.17", "DoS on malformed boundaries (CVE-2024-53981)"),
    ("sentry-sdk", "2.7.1", "environment passed to subprocesses (CVE-2024-40647)"),
]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _requirements() -> list[Requirement]:
    """What `pip install -e '.[test]'` asks for: the runtime dependencies and the test extra."""
    project = _pyproject()["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def _lock() -> dict[str, tuple[Version, list[str]]]:
    """The lock file's entries: canonical name → (pinned version, its hashes)."""
    text = re.sub(r"\\\n\s*", " ", LOCK.read_text())  # join continued lines
    entries: dict[str, tuple[Version, list[str]]] = {}
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        requirement, *options = line.split(" --")
        assert not requirement.startswith("-"), f"the lock may only pin packages: {line!r}"
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)(\s*;.*)?", requirement.strip())
        assert match, f"not pinned to one version: {requirement!r}"
        hashes = [o.split("=", 1)[1].strip() for o in options if o.startswith("hash=sha256:")]
        assert hashes and len(hashes) == len(options), f"{match.group(1)}: every option must be a sha256 hash"
        entries[canonicalize_name(match.group(1))] = (Version(match.group(2)), hashes)
    return entries


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    lock = _lock()
    assert len(lock) > 40  # the whole closure, not just the direct dependencies
    for _, hashes in lock.values():
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes)
    wanted = {canonicalize_name(r.name): r for r in _requirements()}
    wanted |= {name: Requirement(name) for name in ("psycopg-binary", "psycopg-pool", "aio-pika")}  # the extras'
    for name, requirement in wanted.items():
        assert name in lock, f"{name} is not in the lock file"
        assert requirement.specifier.contains(lock[name][0], prereleases=True), (
            f"the lock pins {name} {lock[name][0]}, outside pyproject's {requirement}: regenerate the lock")
    assert "splits" not in lock  # the project itself is installed from the tree, without dependencies


@pytest.mark.parametrize(("package", "vulnerable", "why"), VULNERABLE)
def test_the_floors_and_the_pins_are_past_the_known_advisories(package: str, vulnerable: str, why: str) -> None:
    floors = {canonicalize_name(r.name): r.specifier for r in _requirements()}
    assert package in floors, f"{package} needs a floor of its own in pyproject.toml ({why})"
    assert not floors[package].contains(vulnerable, prereleases=True), f"{package} {floors[package]} allows {vulnerable}: {why}"
    assert _lock()[package][0] > Version(vulnerable), f"the lock pins a vulnerable {package}: {why}"


def test_the_build_backend_is_past_its_advisory() -> None:
    requires = [Requirement(r) for r in _pyproject()["build-system"]["requires"]]
    setuptools = next(r for r in requires if r.name == "setuptools")
    assert not setuptools.specifier.contains("78.1.0")  # path traversal in PackageIndex (CVE-2025-47273)


def test_the_readme_and_ci_install_from_the_lock_and_ci_audits_it() -> None:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    for command in commands:
        assert ".venv/bin/pip install -q -r requirements.lock && .venv/bin/pip install -q --no-deps -e ." in command
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    audit = next(i for i, line in enumerate(ci) if line.strip().startswith("python3 .ci/audit.py"))
    assert ci[audit].rstrip().endswith(" requirements.lock") and "pip-audit" in ci[audit]
    assert audit < ci.index(commands[1])  # audited before anything is installed from it


# --- the audit's decision -----------------------------------------------------------------------------------


def _audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(*dependencies: dict) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


CLEAN = {"name": "fastapi", "version": "0.165.0", "vulns": []}
BAD = {"name": "h11", "version": "0.14.0", "vulns": [{"id": "GHSA-vqfr-h8mv-ghfj", "fix_versions": ["0.16.0"]}]}
UNANSWERED = {"name": "pypdf", "skip_reason": "Dependency not found on PyPI and could not be audited: pypdf (7.1.1)"}


def test_a_known_vulnerability_fails_the_build() -> None:
    code, lines = _audit().verdict(1, _report(CLEAN, BAD), "")
    assert code == 1
    assert any("h11 0.14.0: GHSA-vqfr-h8mv-ghfj (fixed in: 0.16.0)" in line for line in lines)
    # Even when the service answered only for the vulnerable one.
    assert _audit().verdict(1, _report(UNANSWERED, BAD), "")[0] == 1


def test_an_unreachable_advisory_service_warns_and_passes() -> None:
    audit = _audit()
    code, lines = audit.verdict(1, None, "ERROR:pip_audit._cli:Could not connect to PyPI's vulnerability feed\n"
                                         "Tip: your network may be blocking this service.")
    assert code == 0 and "WARNING" in lines[0] and "nothing was audited" in lines[0]
    code, lines = audit.verdict(0, _report(UNANSWERED, {**UNANSWERED, "name": "h11"}), "")
    assert code == 0 and lines == [lines[0]] and "WARNING" in lines[0] and "nothing was audited" in lines[0]


def test_a_clean_audit_passes_and_names_what_it_skipped() -> None:
    audit = _audit()
    code, lines = audit.verdict(0, _report(CLEAN), "")
    assert (code, lines) == (0, ["audit: 1 of 1 pinned packages audited, no known vulnerabilities"])
    code, lines = audit.verdict(0, _report(CLEAN, UNANSWERED), "")
    assert code == 0 and "WARNING: not audited: pypdf" in lines[1]


def test_an_audit_that_breaks_for_another_reason_fails_the_build() -> None:
    audit = _audit()
    assert audit.verdict(1, None, "ERROR: In --require-hashes mode, all requirements must have their versions pinned")[0] == 2
    assert audit.verdict(1, "{not json", "Traceback ...\nKeyError: 'x'")[0] == 2
    assert audit.verdict(1, _report(CLEAN), "")[0] == 2  # a failure exit code that names no vulnerability


@pytest.mark.parametrize(("behaviour", "expected"), [
    ("vulnerable", 1),
    ("unreachable", 0),
    ("clean", 0),
])
def test_the_script_runs_pip_audit_on_the_lock_and_exits_with_the_verdict(
        tmp_path: Path, behaviour: str, expected: int) -> None:
    """A stand-in pip-audit (the real one needs the network): the script passes it the lock with hashes
    required and reads its JSON report, and its exit code is the build's."""
    stub = tmp_path / "pip-audit"
    seen = tmp_path / "argv.json"
    stub.write_text(f"""#!{sys.executable}
import json, sys
argv = sys.argv[1:]
json.dump(argv, open({str(seen)!r}, "w"))
out = argv[argv.index("--output") + 1]
if {behaviour!r} == "unreachable":
    print("Could not connect to PyPI's vulnerability feed", file=sys.stderr)
    sys.exit(1)
dep = {json.dumps(BAD)!r} if {behaviour!r} == "vulnerable" else {json.dumps(CLEAN)!r}
open(out, "w").write(json.dumps({{"dependencies": [json.loads(dep)], "fixes": []}}))
sys.exit(1 if {behaviour!r} == "vulnerable" else 0)
""")
    stub.chmod(0o755)
    done = subprocess.run([sys.executable, str(ROOT / ".ci" / "audit.py"), "--pip-audit", str(stub), str(LOCK)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == expected, done.stdout + done.stderr
    argv = json.loads(seen.read_text())
    assert argv[argv.index("--requirement") + 1] == str(LOCK) and "--require-hashes" in argv
    assert ("h11 0.14.0" in done.stderr) == (behaviour == "vulnerable")
    assert ("WARNING" in done.stdout) == (behaviour == "unreachable")
