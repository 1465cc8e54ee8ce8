"""Reading a bundle that may be hostile, before anything in it is believed: bounded, and failing closed.

`splits audit verify` runs on files that come from outside (a party's copy, an attachment to a dispute). A zip's
index is small and cheap to read, its entries are not: a 1 MB entry can inflate to gigabytes. So the index is
checked first — entry count, names, duplicates, each entry's declared size against its own cap and the sum
against a total cap, compression method, encryption, and the compression ratio of anything big — and nothing is
inflated while any of it is wrong. Then each expected entry is inflated in chunks, stopping at its declared size
and its cap (an index that lies about a size is caught by the zip's CRC, or by the cap).

The caps leave room for the largest trail we expect (tens of thousands of events) and keep a verification's
memory to a few hundred megabytes at most; a bundle beyond them is reported, not read.

The shapes of the manifest and of each event line are checked here too, field by field: every wrong type,
missing key or malformed value is a problem with its reason, so the checks that use a field only run on a field
that is what it claims to be.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

MAX_BUNDLE_BYTES = 64 * 1024 * 1024  # the zip file itself
MAX_ENTRIES = 16  # a bundle has four; an index of thousands is refused unread
MAX_ENTRY_BYTES = {"events.jsonl": 96 * 1024 * 1024, "timeline.csv": 32 * 1024 * 1024,
                   "report.html": 48 * 1024 * 1024, "manifest.json": 1024 * 1024}
MAX_TOTAL_BYTES = 160 * 1024 * 1024
MAX_RATIO = 200  # inflated / deflated, for an entry above RATIO_FROM bytes; our own files stay far below
RATIO_FROM = 1024 * 1024
_CHUNK = 1024 * 1024

HEX64 = re.compile(r"^[0-9a-f]{64}$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


class Refused(Exception):
    """The bundle cannot be read safely; the message says why."""


def open_zip(source: bytes | Path | IO[bytes]) -> zipfile.ZipFile:
    """The zip, its index read (not its entries). Raises `Refused`."""
    if isinstance(source, Path):
        size = source.stat().st_size
    elif isinstance(source, bytes | bytearray):
        size = len(source)
        source = io.BytesIO(source)
    else:
        size = 0
    if size > MAX_BUNDLE_BYTES:
        raise Refused(f"the bundle is {size} bytes, more than the {MAX_BUNDLE_BYTES} a bundle may be")
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise Refused(f"not a zip file: {exc}") from None


def index_problems(zf: zipfile.ZipFile, expected: tuple[str, ...]) -> list[str]:
    """What is wrong with the zip's index, read from the index alone; empty when its entries may be read."""
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        return [f"the bundle lists {len(infos)} files; a bundle has {len(expected)}"]
    problems: list[str] = []
    names = [info.filename for info in infos]
    for name in sorted(set(names) - set(expected)):
        problems.append(f"unexpected file in the bundle: {name[:200]}")
    if len(names) != len(set(names)):
        problems.append("a file appears twice in the bundle")
    for name in expected:
        if name not in names:
            problems.append(f"missing file: {name}")
    total = 0
    for info in infos:
        name = info.filename[:200]
        total += info.file_size
        cap = MAX_ENTRY_BYTES.get(info.filename)
        if cap is not None and info.file_size > cap:
            problems.append(f"{name} is {info.file_size} bytes inflated, more than the {cap} it may be")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            problems.append(f"{name} is compressed with method {info.compress_type}; a bundle uses deflate")
        if info.flag_bits & 0x1:
            problems.append(f"{name} is encrypted")
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            problems.append(f"{name} inflates {info.file_size // max(info.compress_size, 1)} times (from"
                            f" {info.compress_size} to {info.file_size} bytes): a zip bomb, not a bundle")
    if total > MAX_TOTAL_BYTES:
        problems.append(f"the bundle inflates to {total} bytes, more than the {MAX_TOTAL_BYTES} a bundle may")
    return problems


def read_entry(zf: zipfile.ZipFile, name: str) -> bytes:
    """An entry's bytes, inflated in chunks, never past its declared size or its cap. Raises `Refused`."""
    info = zf.getinfo(name)
    cap = min(info.file_size, MAX_ENTRY_BYTES.get(name, 0))
    parts: list[bytes] = []
    got = 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(min(_CHUNK, cap + 1 - got)):
                parts.append(chunk)
                got += len(chunk)
                if got > cap:
                    raise Refused(f"{name} is longer than its declared size")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError) as exc:
        raise Refused(f"{name} cannot be read: {exc}") from None
    return b"".join(parts)


# --- the manifest's shape -------------------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def manifest_problems(manifest: Mapping[str, Any], formats: tuple[str, ...], content_files: tuple[str, ...]
                      ) -> dict[str, str]:
    """Each malformed field of the manifest and why, by field name; empty when every field has its shape."""
    bad: dict[str, str] = {}
    if manifest.get("format") not in formats:
        bad["format"] = f"is {_shown(manifest.get('format'))}, not one of {', '.join(formats)}"
    for key in ("placement_id", "export_id", "exported_at", "exporter", "exporter_role", "feed_position"):
        if not isinstance(manifest.get(key), str):
            bad[key] = f"is {_shown(manifest.get(key))}, not a text"
    for key in ("event_count", "stream_count"):
        if not _is_int(manifest.get(key)) or manifest[key] < 0:
            bad[key] = f"is {_shown(manifest.get(key))}, not a count"
    key_hex = manifest.get("public_key")
    if not isinstance(key_hex, str) or not HEX64.match(key_hex):
        bad["public_key"] = f"is {_shown(key_hex)}, not 64 hex digits"
    signature = manifest.get("signature")
    if not isinstance(signature, Mapping) or signature.get("algorithm") != "ed25519" \
            or not isinstance(signature.get("value"), str) or len(signature["value"]) != 88 \
            or not _BASE64.match(signature["value"]):
        bad["signature"] = f"is {_shown(signature)}, not an ed25519 signature ({{algorithm, value: base64}})"
    files = manifest.get("files")
    if not isinstance(files, Mapping) or set(files) != set(content_files) \
            or not all(isinstance(v, str) and HEX64.match(v) for v in files.values()):
        bad["files"] = f"is {_shown(files)}, not the SHA-256 of each of {', '.join(content_files)}"
    streams = manifest.get("streams")
    if not isinstance(streams, Mapping):
        bad["streams"] = f"is {_shown(streams)}, not an object of streams"
    else:
        for stream_id, s in streams.items():
            if not isinstance(s, Mapping) or not all(_is_int(s.get(k)) and s[k] >= 1 for k in
                                                     ("events", "first_version", "last_version")) \
                    or not isinstance(s.get("tip"), str) or not HEX64.match(s["tip"]):
                bad["streams"] = (f"stream {stream_id[:200]} is {_shown(s)}, not {{events, first_version,"
                                  " last_version: counts, tip: 64 hex digits}")
                break
    if manifest.get("format") != formats[0]:  # redactions came with the second format
        redacted = manifest.get("redacted")
        if not isinstance(redacted, Mapping) or not isinstance(redacted.get("for"), str) \
                or not isinstance(redacted.get("events"), list) \
                or not all(isinstance(e, str) for e in redacted["events"]):
            bad["redacted"] = f"is {_shown(redacted)}, not {{for: a role, events: a list of stream@version}}"
    return bad


# --- an event line's shape ------------------------------------------------------------------------------------

def line_problem(line: Any) -> str | None:
    """Why a parsed line of events.jsonl is not an event line, or None."""
    if not isinstance(line, dict):
        return "not a JSON object"
    for key in ("position", "stream_id", "stream_type", "event_id", "type", "recorded_at", "hash"):
        if not isinstance(line.get(key), str):
            return f"{key} is {_shown(line.get(key))}, not a text"
    for key in ("version", "schema_version"):
        if not isinstance(line.get(key), int) or isinstance(line.get(key), bool):
            return f"{key} is {_shown(line.get(key))}, not a whole number"
    if not HEX64.match(line["hash"]):
        return "hash is not 64 hex digits"
    if line.get("redacted") is True:
        if not isinstance(line.get("content_digest"), str) or not HEX64.match(line["content_digest"]):
            return "a redacted event without a content digest of 64 hex digits"
        if "data" in line or "metadata" in line:
            return "a redacted event that holds data"
        if "view" in line and not isinstance(line["view"], dict):
            return "a redacted event's view is not a JSON object"
    elif "redacted" in line:
        return "redacted is neither true nor absent"
    elif not isinstance(line.get("data"), dict) or not isinstance(line.get("metadata"), dict):
        return "data and metadata are not JSON objects"
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
