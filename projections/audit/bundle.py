"""The audit bundle of a placement's money trail: build it, and verify it without trusting anything in it.

A bundle is a zip of four files:
- `events.jsonl`: every event of the trail's streams, whole streams from version 1, in feed order, one
  canonical JSON object a line, with its hash (the stream's SHA-256 chain, see `eventstore/hashing.py`);
- `timeline.csv`, `report.html`: the same story for a person (`projections/audit/report.py`), told from the
  events with their personal fields opened at export time and the parties named (`parties.py`); the events
  themselves stay in `events.jsonl` as stored, personal fields sealed, so every chain verifies — also after a
  person's data is erased;
- `manifest.json`: the placement, the export (who, when, at which feed position), each stream's count and
  hash-chain tip, which events are redacted and for whom, the SHA-256 of the three other files, the Ed25519
  public key, and the signature over all of that (canonical JSON of the manifest without its `signature`).

Redaction. A platform admin's bundle is whole. Anyone else's holds only what the API shows them
(`scope.py`); every other event stays in `events.jsonl` as a *redacted line*: its place (position, stream,
version, recorded-at), its id and type, its hash, `"redacted": true` and its `content_digest` — but no `data`
and no `metadata`; a stream withheld whole is named by its type and a digest of its id
(`<type>-withheld-<hex>`), since an id such as a Stripe event's says more than that the stream exists. An
event shown in part (`scope.py`) is a redacted line with a `view` of its data, some fields masked: the view is
signed with the bundle but not proven by the chain, which commits to the whole content. This proves the chain without the hidden content because an event's hash is
`sha256(previous hash ‖ version ‖ recorded-at ‖ content digest)`, and the content digest is the SHA-256 of the
canonical `[event_id, stream_id, stream_type, type, schema_version, data, metadata]`
(`eventstore/hashing.py`: `content_digest`, `chain`). The verifier recomputes the digest from the content of
every shown event, takes it as given for a redacted one, and recomputes every link from there: a redacted
event cannot be removed, moved or replaced without breaking its stream's chain up to the signed tip, and a
shown event cannot be changed. What a redacted line says beside its digest (its id and type) is covered by the
signature, not by the chain. The manifest's `redacted` names the exporter's role (`for`) and each redacted
event as `<stream id>@<version>`; the lines must match it exactly. The timeline and the report are told from
the shown events only.

Verification recomputes every chain and compares the tips with the signed manifest, checks that each
stream's versions run complete from 1, that the events are in feed order, that the file digests match and that
nothing else is in the zip, and checks the signature. It fails closed and cheaply on a hostile file: the zip's
index (names, count, sizes, compression ratios, encryption) is checked before any entry is inflated, each
entry is read against its own cap and no further than its declared size, and every field of the manifest and
of each event line is checked for its type before it is used — any of it wrong is a problem with a reason,
never an exception. It reports every problem it finds, and the bundle is intact only when there is none.
A verifier should compare the manifest's public key with the one published at `GET /v1/audit/public-key`:
a bundle re-signed with another key verifies against itself, not against the platform's.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from eventstore import Position, RecordedEvent, canonical_json, stream_type_of, verify_chain
from eventstore.hashing import chain, recorded_digest
from projections.audit.intake import Refused, index_problems, line_problem, manifest_problems, open_zip, read_entry
from projections.audit.parties import Party
from projections.audit.report import money_table, report_html, timeline, timeline_csv
from projections.audit.scope import view

FORMAT_V1 = "splits-audit-bundle/1"  # before redaction: still verified
FORMAT = "splits-audit-bundle/2"
FORMATS = (FORMAT_V1, FORMAT)
EVENTS, TIMELINE, REPORT, MANIFEST = "events.jsonl", "timeline.csv", "report.html", "manifest.json"
CONTENT_FILES = (EVENTS, TIMELINE, REPORT)
_PLACE = ("position", "stream_id", "stream_type", "version", "event_id", "type", "schema_version", "recorded_at")


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


def redacted_line(e: RecordedEvent, stream_id: str | None = None) -> dict[str, Any]:
    """A withheld event: its place in the feed and its chain, its content digest instead of its content.
    `stream_id`: the alias of a stream withheld whole (`withheld_stream_id`)."""
    return {"position": str(e.position), "stream_id": stream_id or e.stream_id, "stream_type": e.stream_type,
            "version": e.version, "event_id": str(e.event_id), "type": e.type, "schema_version": e.schema_version,
            "recorded_at": e.recorded_at.isoformat(), "redacted": True,
            "content_digest": recorded_digest(e).hex(), "hash": e.hash.hex()}


def withheld_stream_id(stream_id: str) -> str:
    """What a stream withheld whole is called in a bundle: its type and a digest of its id, for its id may say
    more than that it exists (a Stripe event id, another person's notification)."""
    kind = stream_id.partition("-")[0]
    return f"{kind}-withheld-{hashlib.sha256(stream_id.encode()).hexdigest()[:32]}"


def _lines(events: list[RecordedEvent], withheld: Collection[UUID],
           masked: Mapping[UUID, Sequence[str]]) -> list[dict[str, Any]]:
    shown_streams = {e.stream_id for e in events if e.event_id not in withheld}
    lines = []
    for e in events:
        if e.event_id in masked:
            lines.append({**redacted_line(e), "view": view(e.data, masked[e.event_id])})
        elif e.event_id in withheld:
            lines.append(redacted_line(e, None if e.stream_id in shown_streams else withheld_stream_id(e.stream_id)))
        else:
            lines.append(event_line(e))
    return lines


def _recorded(line: dict[str, Any]) -> RecordedEvent:
    recorded_at = datetime.fromisoformat(line["recorded_at"])
    if recorded_at.tzinfo is None:
        raise ValueError(f"recorded_at {line['recorded_at']!r} has no time zone")
    return RecordedEvent(
        position=Position.parse(line["position"]), event_id=UUID(line["event_id"]), stream_id=line["stream_id"],
        stream_type=line["stream_type"], version=int(line["version"]), type=line["type"],
        schema_version=int(line["schema_version"]), data=line.get("data") or {}, metadata=line.get("metadata") or {},
        recorded_at=recorded_at, hash=bytes.fromhex(line["hash"]),
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
                 parties: Mapping[str, Party] | None = None, withheld: Collection[UUID] = (),
                 masked: Mapping[UUID, Sequence[str]] | None = None) -> bytes:
    """The zip of the trail `events` (feed order), described by `export` (placement, exporter and their role,
    time, position).

    `open_data` gives an event's data with its personal fields opened, for the files a person reads (the events
    as stored otherwise); `parties` names the people in them. The events of `withheld` are redacted lines, left
    out of the timeline and the report; those of `masked` are redacted lines with a view of their data, the
    fields named masked, and told in the timeline and the report from that view."""
    masked = masked or {}
    lines = _lines(events, withheld, masked)
    redacted = [f"{line['stream_id']}@{line['version']}" for line in lines if line.get("redacted")]
    export = {**export, "event_count": len(lines), "stream_count": len({line["stream_id"] for line in lines}),
              "redacted": {"for": str(export.get("exporter_role")), "events": redacted}}
    readable = [{**line, "data": view(e.data if open_data is None else open_data(e), masked.get(e.event_id, ()))}
                for line, e in zip(lines, events, strict=True)
                if not line.get("redacted") or e.event_id in masked]
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
    redacted: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems

    def line(self) -> str:
        if self.intact:
            withheld = f" ({self.redacted} redacted)" if self.redacted else ""
            return (f"INTACT: placement {self.placement_id}, {self.event_count} events{withheld} in"
                    f" {self.stream_count} streams, signed by {self.public_key}")
        return f"TAMPERED: {len(self.problems)} problem(s) in the bundle of placement {self.placement_id}"


def verify_bundle(data: bytes | Path | IO[bytes], trusted_public_key: str | None = None) -> Verdict:
    """Every check, every problem found. `data` is the zip's bytes, or its file (read entry by entry, never
    whole); `trusted_public_key` (hex) is the platform's published key. Never raises on what the bundle holds."""
    verdict = Verdict()
    try:
        _verify(data, trusted_public_key, verdict)
    except Exception as exc:  # noqa: BLE001 - a hostile file must end in a verdict, whatever it trips
        verdict.problems.append(f"the bundle could not be checked: {type(exc).__name__}: {str(exc)[:200]}")
    return verdict


def _verify(data: bytes | Path | IO[bytes], trusted: str | None, verdict: Verdict) -> None:
    try:
        zf = open_zip(data)
    except Refused as exc:
        verdict.problems.append(str(exc))
        return
    with zf:
        index = index_problems(zf, (*CONTENT_FILES, MANIFEST))
        if index:  # nothing is inflated from a zip whose index is wrong
            verdict.problems += index
            return
        files: dict[str, bytes] = {}
        for name in (MANIFEST, *CONTENT_FILES):
            try:
                files[name] = read_entry(zf, name)
            except Refused as exc:
                verdict.problems.append(str(exc))
    if MANIFEST not in files:
        return
    try:
        manifest = orjson.loads(files[MANIFEST])
    except orjson.JSONDecodeError:
        manifest = None
    if not isinstance(manifest, dict):
        verdict.problems.append("manifest.json is not a JSON object")
        return
    bad = manifest_problems(manifest, FORMATS, CONTENT_FILES)
    verdict.problems += [f"manifest.json: {name} {why}" for name, why in bad.items()]
    verdict.placement_id = manifest["placement_id"] if "placement_id" not in bad else None
    verdict.public_key = manifest["public_key"] if "public_key" not in bad else None
    if not {"public_key", "signature"} & set(bad):
        _check_signature(manifest, trusted, verdict)
    elif trusted is not None and manifest.get("public_key") != trusted:
        verdict.problems.append(f"signed with key {_short(manifest.get('public_key'))}, not the platform's key"
                                f" {trusted}")
    if "files" not in bad:
        for name in CONTENT_FILES:
            if name in files and manifest["files"][name] != _sha256(files[name]):
                verdict.problems.append(f"{name} was changed: its SHA-256 differs from the one in the signed"
                                        " manifest")
    if EVENTS in files and not {"streams", "format", "redacted", "event_count"} & set(bad):
        _check_events(files[EVENTS], manifest, verdict)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_signature(manifest: dict[str, Any], trusted: str | None, verdict: Verdict) -> None:
    signature = manifest["signature"]
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(manifest["public_key"]))
        key.verify(base64.b64decode(signature["value"], validate=True), canonical_json(unsigned))
    except (ValueError, InvalidSignature, TypeError):
        verdict.problems.append("the signature does not verify: the manifest was edited or the signature replaced")
    if trusted is not None and manifest["public_key"] != trusted:
        verdict.problems.append(f"signed with key {manifest['public_key']}, not the platform's key {trusted}")


def _check_events(raw: bytes, manifest: dict[str, Any], verdict: Verdict) -> None:
    lines: list[dict[str, Any]] = []
    events: list[RecordedEvent] = []
    for number, text in enumerate(raw.splitlines(), 1):
        if not text.strip():
            continue
        try:
            line = orjson.loads(text)
            problem = line_problem(line)
            if problem is None:
                events.append(_recorded(line))
        except (orjson.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
            problem = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if problem is not None:
            verdict.problems.append(f"events.jsonl cannot be read: line {number}: {problem}")
            return
        lines.append(line)
    verdict.event_count, verdict.stream_count = len(events), len({e.stream_id for e in events})
    if manifest["event_count"] != len(events):
        verdict.problems.append(f"events.jsonl holds {len(events)} events, the manifest says {manifest['event_count']}")
    _check_redactions(lines, manifest, verdict)
    by_stream: dict[str, list[tuple[RecordedEvent, dict[str, Any]]]] = defaultdict(list)
    for previous, event, line in zip([None, *events], events, lines, strict=False):
        if previous is not None and event.position < previous.position:
            verdict.problems.append(f"events out of feed order: {event.stream_id} version {event.version} (at"
                                    f" {event.position}) comes after {previous.position}")
        by_stream[event.stream_id].append((event, line))
    expected_streams = manifest["streams"]
    for stream_id in sorted(set(expected_streams) - set(by_stream)):
        verdict.problems.append(f"stream {stream_id} is in the manifest but has no events in the bundle")
    for stream_id, stream in sorted(by_stream.items()):
        recorded = expected_streams.get(stream_id)
        if recorded is None:
            verdict.problems.append(f"stream {stream_id} is not in the signed manifest")
            continue
        if len(stream) != recorded["events"]:
            verdict.problems.append(f"stream {stream_id} has {len(stream)} events, the manifest says"
                                    f" {recorded['events']}")
        try:
            stream_type = stream_type_of(stream_id)
        except ValueError:
            verdict.problems.append(f"{stream_id!r} is not a stream id")
            continue
        for event, _ in stream:
            if event.stream_type != stream_type:
                verdict.problems.append(f"{stream_id} version {event.version}: this event was moved here from a"
                                        f" {event.stream_type} stream")
        ordered = sorted(stream, key=lambda pair: pair[0].version)
        tip = bytes.fromhex(recorded["tip"])
        if any(line.get("redacted") for _, line in ordered):
            problems = _chain_with_redactions(ordered, tip)
        else:
            problems = [(p.stream_id, p.version, p.reason)
                        for p in verify_chain([e for e, _ in ordered], expected_tip=tip)]
        for problem in problems:
            verdict.problems.append(_chain_message(*problem))


def _check_redactions(lines: list[dict[str, Any]], manifest: dict[str, Any], verdict: Verdict) -> None:
    shown = {f"{line['stream_id']}@{line['version']}" for line in lines if line.get("redacted")}
    verdict.redacted = len(shown)
    if manifest["format"] == FORMAT_V1:
        if shown:
            verdict.problems.append("redacted events in a bundle of a format without redaction")
        return
    listed = set(manifest["redacted"]["events"])
    for event in sorted(shown - listed):
        verdict.problems.append(f"{event} is redacted, but the signed manifest does not say so")
    for event in sorted(listed - shown):
        verdict.problems.append(f"{event} is redacted in the signed manifest, but not in events.jsonl")


def _chain_with_redactions(stream: list[tuple[RecordedEvent, dict[str, Any]]], tip: bytes
                           ) -> list[tuple[str, int, str]]:
    """`verify_chain` for a stream with redacted events: a redacted event's digest is taken from its line,
    every other event's is recomputed from its content; each link is recomputed from there."""
    problems: list[tuple[str, int, str]] = []
    previous, expected_version = b"", 1
    stream_id = stream[0][0].stream_id
    for event, line in stream:
        if event.version != expected_version:
            problems.append((stream_id, event.version, f"expected version {expected_version}, found {event.version}"))
        digest = bytes.fromhex(line["content_digest"]) if line.get("redacted") else recorded_digest(event)
        if chain(previous, event.version, event.recorded_at, digest) != event.hash:
            problems.append((stream_id, event.version, "hash does not match content and predecessor"))
        previous, expected_version = event.hash, event.version + 1
    if previous != tip:
        problems.append((stream_id, expected_version - 1, "stream tip differs from the recorded tip"))
    return problems


def _chain_message(stream_id: str, version: int, reason: str) -> str:
    if reason.startswith("expected version"):
        return f"stream {stream_id} is not complete: {reason} (an event was removed or its version changed)"
    if reason.startswith("hash does not match"):
        return f"stream {stream_id} version {version}: the event's content or place changed (its hash does not match)"
    if reason.startswith("event belongs"):
        return f"stream {stream_id} version {version}: an event of another stream was moved here"
    return f"stream {stream_id}: {reason} (version {version})"
