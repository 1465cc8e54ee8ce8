"""`python -m tests.contract.frozen --write` rewrites the frozen OpenAPI document and event catalogue."""

from __future__ import annotations

import sys

from tests.contract.frozen import EVENTS, OPENAPI, dumps, events_now, openapi_now

if sys.argv[1:] != ["--write"]:
    sys.exit("usage: python -m tests.contract.frozen --write   (rewrites openapi.json and events.json beside it)")
OPENAPI.write_text(dumps(openapi_now()))
EVENTS.write_text(dumps(events_now()))
print(f"wrote {OPENAPI} and {EVENTS}")
