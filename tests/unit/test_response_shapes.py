"""The two shapes of the API, read from the OpenAPI document the app serves: every list answers
`{data: [...], pagination: {...}}` and takes `page` and `limit`; every command answers `{id, version,
consistency_token}` with anything more under `data`. The few operations that answer otherwise are named below,
each with its reason; a new route joins them only by being named.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.app import create_app
from api.responses import ListOf

# Operations that are neither a list nor a command, and why.
NOT_A_LIST = {
    ("get", "/health"): "a liveness probe",
    ("get", "/ready"): "a readiness probe",
    ("get", "/admin/status"): "an operator's status report",
    ("get", "/v1/users/me/export"): "a file download (a signed archive of one person's data)",
    ("get", "/v1/admin/subjects/{person_id}/export"): "a file download (a signed archive of one person's data)",
    ("get", "/v1/audit/placements/{placement_id}/export"): "a file download (a signed audit bundle)",
    ("get", "/v1/documents/{document_id}/content"): "a file download (the document itself)",
    ("get", "/v1/admin/metrics/daily"): "a series with one entry per day of `from`..`to` (at most 366): the range "
                                        "is the page, and a chart needs every day of it",
    ("get", "/v1/payout-schedules/stats"): "an operator's summary (counts and sums by status), not a collection",
    ("get", "/v1/conversations/{conversation_id}/messages"): "a conversation's messages by number (`after_seq`, "
                                                            "`before_seq`): a cursor that holds still while messages "
                                                            "arrive, where a page number would shift under the reader",
    ("get", "/v1/stream"): "server-sent events (`text/event-stream`), one event at a time as it happens",
    ("get", "/v1/notification-preferences/unsubscribe"): "an HTML page for the browser an email's unsubscribe link "
                                                         "opens: what the link turns off, and the button that does it",
}
_STRIPE_SESSION = ("a link handed to the browser for Stripe's onboarding page, which writes nothing: what the page "
                   "collects comes back as a webhook or a later command, which answer the command shape")
NOT_A_COMMAND = {
    ("post", "/v2/webhooks/clerk"): "a webhook receiver: Svix reads only the status",
    ("post", "/webhooks/stripe"): "a webhook receiver: Stripe reads only the status",
    ("post", "/webhooks/resend"): "a webhook receiver: Svix, for Resend, reads only the status",
    ("post", "/v1/connect/onboarding-link"): _STRIPE_SESSION,
    ("post", "/v1/firms/{firm_id}/connect/onboarding-link"): _STRIPE_SESSION,
    ("post", "/v1/stream/tickets"): "a short-lived signed ticket for a browser's EventSource to open the live stream"
                                    " with: nothing is recorded (the signature carries it)",
}

COMMAND_FIELDS = {"id", "version", "consistency_token"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(None).openapi()  # type: ignore[arg-type]  # the document needs no running system


def _resolve(document: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    while schema and "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema or {}


def _success_schemas(document: dict[str, Any], operation: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(status, JSON schema) of each 2xx answer the operation declares (an empty schema where it declares none)."""
    found = []
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2") and status != "204":
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            found.append((status, _resolve(document, schema)))
    return found


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, operations in document["paths"].items()
            for method, operation in operations.items()]


def _is_collection(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """An answer whose `data` (declared, or the value type of an untyped map) is an array."""
    data = _resolve(document, schema.get("properties", {}).get("data"))
    if not data and isinstance(schema.get("additionalProperties"), dict):
        data = _resolve(document, schema["additionalProperties"])
    return data.get("type") == "array"


def test_every_list_answers_data_and_pagination_and_takes_page_and_limit(document: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in _operations(document):
        if method != "get" or (method, path) in NOT_A_LIST:
            continue
        params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for status, schema in _success_schemas(document, operation):
            if not schema.get("properties") and not isinstance(schema.get("additionalProperties"), dict):
                wrong.append(f"GET {path} ({status}): no declared shape, so no client can tell a list from a read")
            elif _is_collection(document, schema):
                pagination = _resolve(document, schema.get("properties", {}).get("pagination"))
                if set(pagination.get("properties", {})) != {"total", "page", "limit", "total_pages"}:
                    wrong.append(f"GET {path}: a list without `pagination`")
                if not {"page", "limit"} <= params:
                    wrong.append(f"GET {path}: a list that takes no `page`/`limit` ({sorted(params)})")
                if set(schema.get("properties", {})) != {"data", "pagination"}:
                    wrong.append(f"GET {path}: a list answering more than data and pagination")
    assert not wrong, "\n".join(wrong)


def test_every_command_answers_id_version_and_token_with_the_rest_under_data(document: dict[str, Any]) -> None:
    wrong = []
    for method, path, operation in _operations(document):
        if method not in {"post", "put", "patch", "delete"} or (method, path) in NOT_A_COMMAND:
            continue
        answers = _success_schemas(document, operation)
        if not answers:
            wrong.append(f"{method.upper()} {path}: declares no success answer")
        for status, schema in answers:
            fields, required = set(schema.get("properties", {})), set(schema.get("required", []))
            if missing := sorted(COMMAND_FIELDS - (fields & required)):
                wrong.append(f"{method.upper()} {path} ({status}): lacks {missing}")
            if fields - COMMAND_FIELDS - {"data"}:
                wrong.append(f"{method.upper()} {path} ({status}): {sorted(fields - COMMAND_FIELDS - {'data'})} "
                             "beside the command's fields, not under `data`")
    assert not wrong, "\n".join(wrong)


def test_the_exceptions_are_still_routes(document: dict[str, Any]) -> None:
    """A route renamed or removed leaves no exception behind to cover a new one by accident."""
    operations = {(method, path) for method, path, _ in _operations(document)}
    assert set(NOT_A_LIST) | set(NOT_A_COMMAND) <= operations


def test_the_walk_sees_what_it_is_meant_to(document: dict[str, Any]) -> None:
    """The walk above proves something only if it meets lists and commands, including the invitation answer
    that used to put its fields beside the command's."""
    schema = dict(_success_schemas(document, document["paths"]["/v1/recruiter-candidates"]["post"]))["201"]
    assert set(schema["properties"]) == COMMAND_FIELDS | {"data"}
    invitation = _resolve(document, schema["properties"]["data"])
    assert set(invitation["properties"]) == {"invitation_id", "invitation_token"}
    lists = [path for method, path, op in _operations(document) if method == "get"
             for _, schema in _success_schemas(document, op) if _is_collection(document, schema)]
    assert len(lists) > 25, lists


def test_a_list_read_whole_is_answered_one_page_at_a_time() -> None:
    rows = list(range(7))
    assert ListOf[int].sliced(rows, 2, 3).model_dump() == {
        "data": [3, 4, 5], "pagination": {"total": 7, "page": 2, "limit": 3, "total_pages": 3}}
    assert ListOf[int].sliced(rows, 3, 3).data == [6]
    assert ListOf[int].sliced(rows, 9, 3).model_dump() == {  # past the end: empty, and the totals still true
        "data": [], "pagination": {"total": 7, "page": 9, "limit": 3, "total_pages": 3}}
    assert ListOf[int].sliced([], 1, 25).pagination.total_pages == 0
