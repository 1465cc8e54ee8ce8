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
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case


@schemathesis.check
def schema_valid_input_is_read(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                               case: schemathesis.Case) -> bool | None:
    """`positive_data_acceptance` as the README's contract reads it. A business rule's refusal is a 422
    (`rule_violation` or its own code, without `errors`), so the test lets that check accept 422, and this one
    takes back what it let through: valid input refused as if invalid, a 422 whose `errors` name a field the
    schema accepted, or `unstorable_value`, a value the schema allows and the store cannot hold. (An error
    with an empty `loc` is a rule between fields, which a JSON Schema cannot state.)"""
    meta = case.meta
    if (meta is None or not meta.generation.mode.is_positive or response.status_code != 422
            or is_unexpected_http_status_case(case)):
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        return None
    fields = [error.get("loc") for error in problem.get("errors") or [] if isinstance(error, dict) and error.get("loc")]
    if fields or problem.get("code") == "unstorable_value":
        raise AssertionError(f"Schema-valid input refused as invalid: 422 {problem.get('code')} "
                             f"{fields or problem.get('detail')}")
    return None


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
