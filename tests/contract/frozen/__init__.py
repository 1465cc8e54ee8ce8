"""What the outside world holds us to, written down: the OpenAPI document the API serves and the catalogue of
event types (each name, schema version and JSON schema) the store keeps forever.

`tests/contract/test_frozen.py` compares them with what the code produces now, so a restructuring that changes
either fails. A deliberate change rewrites them in the same commit, with its reason in the message:

    .venv/bin/python -m tests.contract.frozen --write
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OPENAPI = HERE / "openapi.json"
EVENTS = HERE / "events.json"


def openapi_now() -> dict[str, Any]:
    from infra.app import create_app

    return create_app(None).openapi()  # type: ignore[arg-type]  # the document needs no running system


def events_now() -> dict[str, Any]:
    from commands.registry import all_event_classes

    return {cls.type_name(): {"schema_version": cls.schema_version, "module": cls.__module__.split(".")[1],
                              "schema": cls.model_json_schema()}
            for cls in sorted(all_event_classes(), key=lambda c: c.type_name())}


def dumps(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
