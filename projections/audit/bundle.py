"""The audit bundle of a placement's money trail: build it, and verify it without trusting anything in it.

A bundle is a zip of four files:
- `events.jsonl`: every event of the trail's streams, whole streams from version 1, in feed order, one
  canonical JSON object a line, with its hash (the stream's SHA-256 chain, see `eventstore/hashing.py`);
- `timeline.csv`, `report.html`: the same story for a person (`projections/audit/report.py`), told from the
  events with their personal fields opened at export time and the parties named (`parties.py`); the events
  themselves stay in `events.jsonl` as stored, personal fields sealed, so every chain verifies — also after a
  person's data is erased;
- `manifest.json`: the placement, the export (who, when, at which feed position), each stream's count and
  hash-chain tip, the SHA-256 of the three other files, the Ed25519 public key, and the signature over all
  of that (canonical JSON of the manifest without its `signature`).

Verification recomputes every chain from the events themselves and compares the tips with the signed
manifest, checks that each stream's versions run complete from 1, that the events are in feed order, that
the file digests match and that nothing else is in the zip, and checks the signature. It reports every
problem it finds, each with a message saying what is wrong and where, and is intact only when there is none.
A verifier should compare the manifest's public key with the one published at `GET /v1/audit/public-key`:
a bundle re-signed with another key verifies against itself, not against the platform's.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from eventstore import Position, RecordedEvent, canonical_json, stream_type_of, verify_chain
from projections.audit.parties import Party
from projections.audit.report import money_table, report_html, timeline, timeline_csv

FORMAT = "splits-audit-bundle/1"
EVENTS, TIMELINE, REPORT, MANIFEST = "events.jsonl", "timeline.csv", "report.html", "manifest.json"
CONTENT_FILES = (EVENTS, TIMELINE, REPORT)


def public_key_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def event_line(e: RecordedEvent) -> dict[str, Any]:
    """One event as written to `events.jsonl`: all that its hash covers, and where it stands in the feed."""
    return {
        "position": str(e.position), "stream_id": e.stream_id, "stream_type": e.stream_type, "version": e.version,
        "event_id": str(e.event_id), "type": e.type, "schema_version": e.schema_version,
        "recorded_at": e.recorded_at.isoformat(), "data": e.data, "metadata": e.metadata,
        "actor": e.metadata.get("actor"), "correlation_id": e.metadata.get("correlation_id"),
        "causation_id": e.metadata.get("causation_id"), "hash": e.hash.hex(),
    }


def _recorded(line: dict[str, Any]) -> RecordedEvent:
    return RecordedEvent(
        position=Position.parse(line["position"]), event_id=UUID(line["event_id"]), stream_id=line["stream_id"],
        stream_type=line["stream_type"], version=int(line["version"]), type=line["type"],
        schema_version=int(line["schema_version"]), data=line["data"], metadata=line["metadata"],
        recorded_at=datetime.fromisoformat(line["recorded_at"]), hash=bytes.fromhex(line["hash"]),
    )


def _streams(lines: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for line in lines:
        s = summary.setdefault(line["stream_id"], {"events": 0, "first_version": line["version"]})
        s["events"] += 1
        s["last_version"] = line["version"]
        s["tip"] = line["hash"]
    return dict(sorted(summary.items()))


def build_bundle(events: list[RecordedEvent], export: dict[str, Any], key: Ed25519PrivateKey, *,
                 open_data: Callable[[RecordedEvent], dict[str, Any]] | None = None,
                 parties: Mapping[str, Party] | None = None) -> bytes:
    """The zip of the trail `events` (feed order), described by `export` (placement, exporter, time, position).

    `open_data` gives an event's data with its personal fields opened, for the files a person reads (the events
    as stored otherwise); `parties` names the people in them."""
    lines = [event_line(e) for e in events]
    export = {**export, "event_count": len(lines), "stream_count": len({line["stream_id"] for line in lines})}
    readable = lines if open_data is None else [{**line, "data": open_data(e)} for line, e in zip(lines, events,
                                                                                                   strict=True)]
    rows = timeline(readable, parties)  # for both the CSV and the report
    contents = {
        EVENTS: b"".join(canonical_json(line) + b"\n" for line in lines),
        TIMELINE: timeline_csv(readable, rows).encode(),
        REPORT: report_html(export, readable, money_table(readable), rows, parties).encode(),
    }
    manifest: dict[str, Any] = {
        "format": FORMAT, **export, "streams": _streams(lines),
        "files": {name: _sha256(data) for name, data in contents.items()},
        "public_key": public_key_hex(key.public_key()),
    }
    signature = key.sign(canonical_json(manifest))
    manifest["signature"] = {"algorithm": "ed25519", "value": base64.b64encode(signature).decode()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in (*CONTENT_FILES, MANIFEST):
            data = contents[name] if name != MANIFEST else orjson.dumps(manifest, option=orjson.OPT_INDENT_2
                                                                         | orjson.OPT_SORT_KEYS)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


# --- verification -----------------------------------------------------------------------------------------------

@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    placement_id: str | None = None
    event_count: int = 0
    stream_count: int = 0
    public_key: str | None = None

    @property
    def intact(self) -> bool:
        return not self.problems

    def line(self) -> str:
        if self.intact:
            return (f"INTACT: placement {self.placement_id}, {self.event_count} events in {self.stream_count} streams,"
                    f" signed by {self.public_key}")
        return f"TAMPERED: {len(self.problems)} problem(s) in the bundle of placement {self.placement_id}"


def verify_bundle(data: bytes, trusted_public_key: str | None = None) -> Verdict:
    """Every check, every problem found. `trusted_public_key` (hex) is the platform's published key."""
    verdict = Verdict()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        verdict.problems.append(f"not a zip file: {exc}")
        return verdict
    with zf:
        names = zf.namelist()
        files = {name: zf.read(name) for name in names}
    for name in sorted(set(names) - {*CONTENT_FILES, MANIFEST}):
        verdict.problems.append(f"unexpected file in the bundle: {name}")
    if len(names) != len(set(names)):
        verdict.problems.append("a file appears twice in the bundle")
    for name in (*CONTENT_FILES, MANIFEST):
        if name not in files:
            verdict.problems.append(f"missing file: {name}")
    if MANIFEST not in files:
        return verdict
    try:
        manifest = orjson.loads(files[MANIFEST])
        assert isinstance(manifest, dict)
    except (orjson.JSONDecodeError, AssertionError):
        verdict.problems.append("manifest.json is not a JSON object")
        return verdict
    verdict.placement_id = manifest.get("placement_id")
    verdict.public_key = manifest.get("public_key")
    _check_signature(manifest, trusted_public_key, verdict)
    for name in CONTENT_FILES:
        expected = (manifest.get("files") or {}).get(name)
        if name in files and expected != _sha256(files[name]):
            verdict.problems.append(f"{name} was changed: its SHA-256 differs from the one in the signed manifest")
    if EVENTS in files:
        _check_events(files[EVENTS], manifest, verdict)
    return verdict


def _check_signature(manifest: dict[str, Any], trusted: str | None, verdict: Verdict) -> None:
    signature = manifest.get("signature") or {}
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(manifest.get("public_key") or ""))
        key.verify(base64.b64decode(signature.get("value") or "", validate=True), canonical_json(unsigned))
    except (ValueError, InvalidSignature, TypeError):
        verdict.problems.append("the signature does not verify: the manifest was edited or the signature replaced")
    if trusted is not None and manifest.get("public_key") != trusted:
        verdict.problems.append(f"signed with key {manifest.get('public_key')}, not the platform's key {trusted}")


def _check_events(raw: bytes, manifest: dict[str, Any], verdict: Verdict) -> None:
    try:
        lines = [orjson.loads(text) for text in raw.splitlines() if text.strip()]
        events = [_recorded(line) for line in lines]
    except (orjson.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
        verdict.problems.append(f"events.jsonl cannot be read: {exc}")
        return
    verdict.event_count, verdict.stream_count = len(events), len({e.stream_id for e in events})
    by_stream: dict[str, list[RecordedEvent]] = defaultdict(list)
    for previous, event in zip([None, *events], events, strict=False):
        if previous is not None and event.position < previous.position:
            verdict.problems.append(f"events out of feed order: {event.stream_id} version {event.version} (at"
                                    f" {event.position}) comes after {previous.position}")
        by_stream[event.stream_id].append(event)
    expected_streams = manifest.get("streams") or {}
    for stream_id in sorted(set(expected_streams) - set(by_stream)):
        verdict.problems.append(f"stream {stream_id} is in the manifest but has no events in the bundle")
    for stream_id, stream_events in sorted(by_stream.items()):
        recorded = expected_streams.get(stream_id)
        if recorded is None:
            verdict.problems.append(f"stream {stream_id} is not in the signed manifest")
            continue
        if len(stream_events) != recorded.get("events"):
            verdict.problems.append(f"stream {stream_id} has {len(stream_events)} events, the manifest says"
                                    f" {recorded.get('events')}")
        try:
            stream_type = stream_type_of(stream_id)
        except ValueError:
            verdict.problems.append(f"{stream_id!r} is not a stream id")
            continue
        for event in stream_events:
            if event.stream_type != stream_type:
                verdict.problems.append(f"{stream_id} version {event.version}: this event was moved here from a"
                                        f" {event.stream_type} stream")
        ordered = sorted(stream_events, key=lambda e: e.version)
        for problem in verify_chain(ordered, expected_tip=bytes.fromhex(recorded.get("tip") or "")):
            verdict.problems.append(_chain_message(problem.stream_id, problem.version, problem.reason))


def _chain_message(stream_id: str, version: int, reason: str) -> str:
    if reason.startswith("expected version"):
        return f"stream {stream_id} is not complete: {reason} (an event was removed or its version changed)"
    if reason.startswith("hash does not match"):
        return f"stream {stream_id} version {version}: the event's content or place changed (its hash does not match)"
    if reason.startswith("event belongs"):
        return f"stream {stream_id} version {version}: an event of another stream was moved here"
    return f"stream {stream_id}: {reason} (version {version})"
