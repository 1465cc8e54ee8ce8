"""`splits audit verify` on a hostile bundle (issue 14, item 8): a 1 MB zip bomb took 2.2 GB of memory, and
malformed manifest fields (`"signature": "x"`, `"files": []`, `"tip": "zz"`) ended in a traceback instead of a
verdict. The verifier runs on files from outside; it must fail closed, cheaply.

Each case runs the real command in a process of its own, whose peak memory is read from the kernel
(`getrusage(RUSAGE_CHILDREN)` in a small parent that runs only it): TAMPERED with a reason, exit 1, no
traceback, and under 200 MB.
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore import Position, RecordedEvent, canonical_json
from eventstore.hashing import chain, recorded_digest
from projections.audit.bundle import MANIFEST, build_bundle, public_key_hex

KEY = Ed25519PrivateKey.generate()
SPLITS = str(Path(sys.executable).parent / "splits")
PEAK_LIMIT_KB = 200 * 1024
_MEASURED = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
print(f"PEAK_RSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}", file=sys.stderr)
sys.exit(done.returncode)
"""


def _events() -> list[RecordedEvent]:
    """A small placement stream with a real chain (no database needed to make a bundle that verifies)."""
    events, previous = [], b""
    at = datetime(2026, 11, 1, tzinfo=UTC)
    for version in (1, 2, 3):
        e = RecordedEvent(position=Position(100 + version, version), event_id=UUID(int=version),
                          stream_id="placement-00000000-0000-4000-8000-0000000000b1", stream_type="placement",
                          version=version, type="PlacementNoted", schema_version=1, data={"n": version},
                          metadata={"actor": "test"}, recorded_at=at + timedelta(minutes=version), hash=b"")
        link = chain(previous, version, e.recorded_at, recorded_digest(e))
        events.append(_with_hash(e, link))
        previous = link
    return events


def _with_hash(e: RecordedEvent, link: bytes) -> RecordedEvent:
    return RecordedEvent(position=e.position, event_id=e.event_id, stream_id=e.stream_id, stream_type=e.stream_type,
                         version=e.version, type=e.type, schema_version=e.schema_version, data=e.data,
                         metadata=e.metadata, recorded_at=e.recorded_at, hash=link)


def _bundle() -> dict[str, bytes]:
    data = build_bundle(_events(), {"placement_id": "00000000-0000-4000-8000-0000000000b1",
                                     "export_id": str(UUID(int=9)), "exported_at": "2026-11-02T00:00:00+00:00",
                                     "exporter": "test", "exporter_role": "platform_admin",
                                     "feed_position": "103.3"}, KEY)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def _signed(manifest: dict[str, Any]) -> bytes:
    """The manifest re-signed, so that the field under test is its only fault."""
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    signature = {"algorithm": "ed25519", "value": base64.b64encode(KEY.sign(canonical_json(unsigned))).decode()}
    return orjson.dumps({**unsigned, "signature": signature})


def _verify(path: Path) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, peak RSS in KB) of `splits audit verify <path>`, run in a process of its own."""
    env = {**os.environ, "LOG_LEVEL": "warning"}
    done = subprocess.run([sys.executable, "-c", _MEASURED, SPLITS, "audit", "verify", str(path)], env=env,
                          capture_output=True, text=True, timeout=300)
    peak = int(done.stderr.rsplit("PEAK_RSS_KB=", 1)[1].split()[0])
    return done.returncode, done.stdout, done.stderr.rsplit("PEAK_RSS_KB=", 1)[0], peak


def _assert_tampered(path: Path, reason: str) -> None:
    code, out, err, peak = _verify(path)
    assert "Traceback" not in out + err, out + err
    assert code == 1, (code, out, err)
    assert out.startswith("TAMPERED"), out
    assert reason in out, out
    assert peak < PEAK_LIMIT_KB, f"peak memory {peak // 1024} MB"


def test_an_intact_bundle_verifies_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(_zip(_bundle()))
    code, out, err, peak = _verify(path)
    assert code == 0 and out.startswith("INTACT"), out + err
    assert peak < PEAK_LIMIT_KB


def _bomb(path: Path, entries: dict[str, int], declared: int | None = None) -> None:
    """A zip whose entries are zeros of the given sizes (each deflates about a thousand times); `declared`:
    the inflated size the index claims instead (a lying index)."""
    chunk = bytes(8 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, size in entries.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=size >= 2**31 - 1) as f:
                for _ in range(size // len(chunk)):
                    f.write(chunk)
    if declared is not None:  # rewrite the size in the local header and the central directory (no zip64 here)
        raw = bytearray(path.read_bytes())
        for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            at = raw.find(signature)
            while at != -1:
                raw[at + offset:at + offset + 4] = declared.to_bytes(4, "little")
                at = raw.find(signature, at + 4)
        path.write_bytes(bytes(raw))


@pytest.mark.slow
def test_a_zip_bomb_is_refused_from_its_index(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    files = _bundle()
    _bomb(path, {"events.jsonl": 2 << 30})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:  # the other files, as a real bundle has them
        for name in ("timeline.csv", "report.html", MANIFEST):
            zf.writestr(name, files[name])
    assert path.stat().st_size < 3 << 20  # about 2 MB that inflate to 2 GB
    _assert_tampered(path, "events.jsonl is 2147483648 bytes inflated")


def test_a_zip_bomb_with_a_lying_index_is_read_no_further_than_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "liar.zip"
    _bomb(path, {"events.jsonl": 1 << 30, "timeline.csv": 8 << 20, "report.html": 8 << 20,
                 MANIFEST: 8 << 20}, declared=1000)
    _assert_tampered(path, "TAMPERED")


def _manifest_case(change: Callable[[dict[str, Any]], None], resign: bool) -> dict[str, bytes]:
    files = _bundle()
    manifest = orjson.loads(files[MANIFEST])
    change(manifest)
    return {**files, MANIFEST: _signed(manifest) if resign else orjson.dumps(manifest)}


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: m.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda m: m.pop(key)


def _tip(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(m: dict[str, Any]) -> None:
        for stream in m["streams"].values():
            stream["tip"] = value
    return change


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "signature is a text": (_set("signature", "x"), "manifest.json: signature is 'x'"),
    "signature's value is not base64": (_set("signature", {"algorithm": "ed25519", "value": "@" * 88}),
                                        "manifest.json: signature"),
    "files is a list": (_set("files", []), "manifest.json: files is []"),
    "a file digest is a number": (lambda m: m["files"].__setitem__("events.jsonl", 7), "manifest.json: files"),
    "a tip is not hex": (_tip("zz"), "not {events, first_version, last_version: counts, tip: 64 hex digits}"),
    "a tip is a number": (_tip(12), "manifest.json: streams"),
    "streams is a list": (_set("streams", []), "manifest.json: streams is []"),
    "a stream's count is a text": (lambda m: next(iter(m["streams"].values())).__setitem__("events", "3"),
                                   "manifest.json: streams"),
    "public key is a number": (_set("public_key", 5), "manifest.json: public_key is 5"),
    "placement id is an object": (_set("placement_id", {"a": 1}), "manifest.json: placement_id"),
    "event count is a text": (_set("event_count", "3"), "manifest.json: event_count"),
    "redacted is a text": (_set("redacted", "none"), "manifest.json: redacted"),
    "format is unknown": (_set("format", "zip/9"), "manifest.json: format"),
    "no signature": (_drop("signature"), "manifest.json: signature is None"),
    "no files": (_drop("files"), "manifest.json: files is None"),
    "no streams": (_drop("streams"), "manifest.json: streams is None"),
    "no public key": (_drop("public_key"), "manifest.json: public_key is None"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_manifest_field_is_a_tampered_verdict_with_its_reason(case: str, tmp_path: Path) -> None:
    change, reason = MALFORMED[case]
    path = tmp_path / "bundle.zip"
    path.write_bytes(_zip(_manifest_case(change, resign="signature" not in case)))
    _assert_tampered(path, reason)


@pytest.mark.parametrize(("case", "manifest", "reason"), [
    ("a list", b"[]", "manifest.json is not a JSON object"),
    ("not JSON", b"{", "manifest.json is not a JSON object"),
    ("nested past any parser's depth", b"[" * 100_000 + b"]" * 100_000, "manifest.json is not a JSON object"),
])
def test_a_manifest_that_is_not_an_object_is_a_tampered_verdict(case: str, manifest: bytes, reason: str,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(_zip({**_bundle(), MANIFEST: manifest}))
    _assert_tampered(path, reason)


@pytest.mark.parametrize(("case", "line", "reason"), [
    ("a list", [], "line 1: not a JSON object"),
    ("a version that is a text", {"version": "1"}, "line 1: version is '1'"),
    ("a hash that is not hex", {"hash": "zz"}, "line 1: hash is not 64 hex digits"),
    ("a position that is not one", {"position": "x"}, "line 1: not a consistency token"),
    ("a time without a zone", {"recorded_at": "2026-11-01T00:01:00"}, "line 1: recorded_at"),
    ("data that is a list", {"data": []}, "line 1: data and metadata are not JSON objects"),
    ("a redacted line without a digest", {"redacted": True}, "line 1: a redacted event without a content digest"),
])
def test_a_malformed_event_line_is_a_tampered_verdict(case: str, line: Any, reason: str, tmp_path: Path) -> None:
    files = _bundle()
    lines = [orjson.loads(text) for text in files["events.jsonl"].splitlines()]
    lines[0] = line if isinstance(line, list) else {**lines[0], **line}
    if isinstance(line, dict) and line.get("redacted"):
        del lines[0]["data"], lines[0]["metadata"]
    path = tmp_path / "bundle.zip"
    path.write_bytes(_zip({**files, "events.jsonl": b"".join(orjson.dumps(x) + b"\n" for x in lines)}))
    _assert_tampered(path, reason)


def test_an_index_of_thousands_of_files_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    path.write_bytes(_zip({**_bundle(), **{f"f{i}": b"" for i in range(5000)}}))
    _assert_tampered(path, "the bundle lists 5004 files")
