"""The events as a public contract: the AsyncAPI document, valid against the AsyncAPI 3.0 schema, naming every
registered event type with its routing key, shape version and payload; served and written the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema_rs

from commands.registry import all_event_classes
from consumers.reactors import all_reactors
from consumers.runtime.topology import Topology
from infra.asyncapi import document
from adapters.settings import Settings
from tests.api import serving

ROOT = Path(__file__).resolve().parents[3]
SPLITS = str(Path(sys.executable).parent / "splits")
# The AsyncAPI 3.0.0 JSON schema (asyncapi/spec-json-schemas, schemas/3.0.0-without-$id.json).
SCHEMA = ROOT / "tests" / "schemas" / "asyncapi-3.0.0.json"


def test_the_document_is_valid_asyncapi_and_names_every_event_type() -> None:
    doc = document(Topology(prefix="splits"))
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    assert [str(e).splitlines()[0] for e in validator.iter_errors(doc)] == []
    registered = {cls.type_name(): cls for cls in all_event_classes()}
    messages = doc["components"]["messages"]
    assert set(messages) == set(registered)
    for name, cls in registered.items():
        assert messages[name]["x-schema-version"] == cls.schema_version
        data = doc["components"]["schemas"][name]
        assert set(data.get("properties", {})) == set(cls.model_fields), name
        if cls.personal is not None:
            assert messages[name]["x-personal-fields"] == list(cls.personal.fields)
            for field in cls.personal.fields:
                assert data["properties"][field] == {"$ref": "#/components/schemas/Sealed"}, (name, field)
    assert messages["JobCreated"]["x-routing-key"] == "ats.JobCreated"


def test_every_reactor_queue_is_described_with_the_events_bound_to_it() -> None:
    doc = document(Topology(prefix="splits"))
    assert doc["channels"]["events"]["address"] == "splits.events"
    assert doc["channels"]["log"]["address"] == "splits.events.log"
    for reactor in all_reactors():
        channel = doc["channels"][f"reactor.{reactor.name}"]
        assert channel["address"] == f"splits.reactor.{reactor.name}"
        assert set(channel["messages"]) == {cls.type_name() for cls in reactor.events}
        assert doc["operations"][f"react.{reactor.name}"]["action"] == "receive"


async def test_the_api_serves_it_and_the_cli_writes_the_same(fresh_store, tmp_path: Path) -> None:
    settings = Settings(database_url=fresh_store.pool.conninfo, rabbitmq_prefix="acme")
    async with serving(fresh_store, settings) as (client, _):
        served = await client.get("/asyncapi.json")
        assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    assert served.json()["channels"]["events"]["address"] == "acme.events"
    written = tmp_path / "asyncapi.json"
    done = subprocess.run([SPLITS, "asyncapi", "--output", str(written)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "RABBITMQ_PREFIX": "acme"})
    assert done.returncode == 0, done.stderr
    assert json.loads(written.read_text()) == served.json()
