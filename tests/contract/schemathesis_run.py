"""One schemathesis run, in a process of its own (the API under test keeps the test's process, and each gets a
core): `python -m tests.contract.schemathesis_run` reads {"schema_url", "config"} as JSON on stdin, runs every
phase schemathesis's engine runs for that configuration and writes the outcome as JSON on stdout:
{"failures": [...], "errors": [...], "cases": n, "phases": {name: seconds}, "stop_reason": ...}.

Each failure names its operation, phase and check, the response's status and the start of its body, and a
curl command that repeats the request."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import schemathesis
from schemathesis.engine import Status, events
from schemathesis.engine import from_schema as engine_for


def _failures(event: events.ScenarioFinished) -> list[dict[str, Any]]:
    found = []
    recorder = event.recorder
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            failure = check.failure_info.failure
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction is not None else None
            found.append({
                "operation": recorder.label, "phase": event.phase.value, "check": check.name,
                "title": failure.title, "message": failure.message,
                "status": response.status_code if response is not None else None,
                "content_type": (response.headers.get("content-type") or [None])[0] if response is not None else None,
                "body": response.content[:400].decode("utf-8", "replace") if response is not None else None,
                "curl": check.failure_info.code_sample,
            })
    return found


def run(schema_url: str, config: dict[str, Any]) -> dict[str, Any]:
    schema = schemathesis.openapi.from_url(schema_url, config=schemathesis.Config.from_dict(config))
    outcome: dict[str, Any] = {"failures": [], "errors": [], "cases": 0, "phases": {}, "stop_reason": None}
    started: dict[str, float] = {}
    for event in engine_for(schema).execute():
        if isinstance(event, events.PhaseStarted):
            started[event.phase.name.value] = time.monotonic()
        elif isinstance(event, events.PhaseFinished):
            name = event.phase.name.value
            outcome["phases"][name] = round(time.monotonic() - started.get(name, time.monotonic()), 1)
        elif isinstance(event, events.ScenarioFinished):
            outcome["cases"] += len(event.recorder.cases)
            outcome["failures"].extend(_failures(event))
        elif isinstance(event, events.NonFatalError):
            outcome["errors"].append({"operation": event.label, "phase": event.phase.value if event.phase else None,
                                      "error": f"{type(event.value).__name__}: {event.value}"})
        elif isinstance(event, events.FatalError):
            outcome["errors"].append({"operation": None, "phase": None,
                                      "error": f"{type(event.exception).__name__}: {event.exception}"})
        elif isinstance(event, events.EngineFinished):
            outcome["stop_reason"] = event.stop_reason.value
    return outcome


def main() -> None:
    job = json.load(sys.stdin)
    json.dump(run(job["schema_url"], job["config"]), sys.stdout)


if __name__ == "__main__":
    main()
