"""Bounded input, declared once (issue 15), read from the OpenAPI document the app serves: every number a
request may carry has a maximum, every text a length and a pattern (no NUL), every list and map a size, every
page a range; and the request models enforce what the document says (strict booleans, NUL refused).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from infra.app import create_app
from api.ats.application_models import HireBody
from api.ats.models import ClaimSourcerBody, CreateCandidateBody, CreateJobBody, EditJobBody, UpdateCompanyBody
from api.billing.account_models import BillingProfileBody, SetRatesBody
from api.billing.money_models import PlaceHoldBody
from api.bounds import MAX_CENTS, MAX_LIMIT, MAX_PAGE
from api.identity.models import OnboardingBody, ProfileBody, RegisterBody
from api.network.firm_models import TakeRateBody
from api.network.models import CreateRecruiterBody, UpdateRecruiterBody

# A pattern that alone bounds a text: an anchored choice of words, or an anchored class with a bounded count.
_BOUNDING_PATTERN = re.compile(r"^\^\((?:\w+\|)*\w+\)\$$|^\^.*\{\d+,\d+\}\$$")
_FORMATS = {"uuid", "date", "date-time", "binary"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(None).openapi()  # type: ignore[arg-type]  # the document needs no running system


def _unbounded(document: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    """Where in `schema` a request value has no bound."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    found: list[str] = []
    branches = schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", [])
    # A decimal is a number or its text: the number's range bounds both.
    numeric = any(b.get("type") == "number" and "maximum" in b for b in branches)
    for branch in branches:
        if not (numeric and branch.get("type") == "string"):
            found += _unbounded(document, branch, where)
    kind = schema.get("type")
    if kind in ("integer", "number") and "maximum" not in schema and "exclusiveMaximum" not in schema:
        found.append(f"{where}: a number without a maximum")
    if kind == "string" and not ({"enum", "const"} & schema.keys() or schema.get("format") in _FORMATS):
        pattern = schema.get("pattern", "")
        if "maxLength" not in schema and not _BOUNDING_PATTERN.match(pattern):
            found.append(f"{where}: a text without a length")
        if not pattern:
            found.append(f"{where}: a text that may hold NUL")
    if kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: a list without a size")
        found += _unbounded(document, schema.get("items", {}), f"{where}[]")
    if kind == "object":
        for name, field in schema.get("properties", {}).items():
            found += _unbounded(document, field, f"{where}.{name}")
        values = [v for v in schema.get("patternProperties", {}).values()]
        if isinstance(schema.get("additionalProperties"), dict):
            values.append(schema["additionalProperties"])
        for value in values:
            found += _unbounded(document, value, f"{where}.*")
        if values and "maxProperties" not in schema:
            found.append(f"{where}: a map without a size")
    return found


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, operations in document["paths"].items()
            for method, operation in operations.items()]


def test_every_request_value_the_document_describes_is_bounded(document: dict[str, Any]) -> None:
    found: list[str] = []
    for method, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] in ("query", "path") and parameter["name"] != "after":  # the token: api/consistency.py
                found += _unbounded(document, parameter.get("schema", {}),
                                    f"{method} {path} {parameter['in']} {parameter['name']}")
        for content in operation.get("requestBody", {}).get("content", {}).values():
            found += _unbounded(document, content.get("schema", {}), f"{method} {path} body")
    assert found == []


def test_every_list_takes_the_same_bounded_page_and_limit(document: dict[str, Any]) -> None:
    lists = 0
    for method, path, operation in _operations(document):
        parameters = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if "page" in parameters:
            lists += 1
            assert (parameters["page"].get("minimum"), parameters["page"].get("maximum")) == (1, MAX_PAGE), path
            assert (parameters["limit"].get("minimum"), parameters["limit"].get("maximum")) == (1, MAX_LIMIT), path
    assert lists >= 18
    assert (MAX_PAGE - 1) * MAX_LIMIT < 2**31  # an OFFSET far inside any integer PostgreSQL takes


@pytest.mark.parametrize(("model", "body"), [
    (PlaceHoldBody, {"placement_id": "0" * 32, "reason": "r", "amount_cents": 2**63}),
    (PlaceHoldBody, {"placement_id": "0" * 32, "reason": "r", "amount_cents": MAX_CENTS + 1}),
    (CreateJobBody, {"title": "t", "fee_percentage": 20, "salary_max_cents": 2**64}),
    (CreateJobBody, {"title": "t", "fee_percentage": 20, "is_priority": 0}),
    (CreateJobBody, {"title": "t", "fee_percentage": 20, "show_salary_range": "true"}),
    (CreateJobBody, {"title": "t\x00", "fee_percentage": 20}),
    (CreateCandidateBody, {"full_name": "Ada", "email": "not-an-email"}),
    (CreateCandidateBody, {"full_name": "Ada", "email": "ada@example.com", "desired_salary_min_cents": "5"}),
    (CreateRecruiterBody, {"years_experience": 81}),
    (CreateRecruiterBody, {"slug": "Not A Slug"}),
    (UpdateRecruiterBody, {"industries": None}),  # lists and flags cannot be cleared: null is not theirs
    (UpdateCompanyBody, {"name": None}),
    (UpdateCompanyBody, {"employee_count": 2**31}),
    (BillingProfileBody, {"billing_email": "billing at example"}),
    (BillingProfileBody, {"billing_email": "a@b.c", "tax_id": "x\x00"}),
    # A percentage is a JSON number with at most 2 places (the document's `multipleOf: 0.01`), never a text.
    (CreateJobBody, {"title": "t", "fee_percentage": ""}),
    (CreateJobBody, {"title": "t", "fee_percentage": "20"}),
    (EditJobBody, {"fee_percentage": 20.125}),
    (TakeRateBody, {"admin_take_rate": 52.437952}),
    (TakeRateBody, {"admin_take_rate": True}),
    (SetRatesBody, dict.fromkeys(("candidate_recruiter_rate", "job_owner_rate", "company_recruiter_rate",
                                  "candidate_sourcer_rate"), 10) | {"company_sourcer_rate": ""}),
    # An integer is a whole JSON number: not a fraction, not a text.
    (OnboardingBody, {"status": "in_progress", "step": 2.5}),
    (OnboardingBody, {"status": "in_progress", "step": "2"}),
    (ClaimSourcerBody, {"protection_window_days": None}),  # the document does not offer null either
    # Dates and date-times are ISO texts, never a number of seconds.
    (ClaimSourcerBody, {"sourced_at": 0}),
    (ClaimSourcerBody, {"sourced_at": "0"}),
    (CreateJobBody, {"title": "t", "fee_percentage": 20, "activates_at": 1_700_000_000}),
    (PlaceHoldBody, {"placement_id": "0" * 32, "reason": "r", "release_on": 0}),
    (HireBody, {"salary_cents": 1, "start_date": 0}),
    # A name is not empty; an email has no white space the identity commands would refuse.
    (ProfileBody, {"name": ""}),
    (RegisterBody, {"name": ""}),
    (RegisterBody, {"email": "ada\x1c@example.com"}),
    (RegisterBody, {"email": "ada@exa\x85mple.com"}),
])
def test_the_request_models_enforce_what_the_document_says(model: type[BaseModel], body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(body)


def test_what_json_schema_admits_is_taken_as_the_document_says() -> None:
    """A whole float is JSON Schema's integer, a percentage keeps the decimal it spells, repeated tags are one."""
    assert OnboardingBody.model_validate({"status": "in_progress", "step": 3.0}).step == 3
    assert ClaimSourcerBody.model_validate({"protection_window_days": 458.0}).protection_window_days == 458
    assert str(CreateJobBody.model_validate({"title": "t", "fee_percentage": 0.57}).fee_percentage) == "0.57"
    assert str(TakeRateBody.model_validate({"admin_take_rate": 22.5}).admin_take_rate) == "22.5"
    recruiter = CreateRecruiterBody.model_validate({"specialties": ["Go", " Go", "Rust", "Go"]})
    assert recruiter.specialties == ["Go", "Rust"]
    assert ClaimSourcerBody.model_validate({"sourced_at": "2026-01-02T03:04:05Z"}).sourced_at is not None


def test_the_document_states_the_rules_the_server_applies(document: dict[str, Any]) -> None:
    """What the server refuses, the document refuses too: percentages in steps of 0.01 (numbers only), no empty
    name, a token and an entity version by their shape, null only where the server takes it."""
    schemas = document["components"]["schemas"]
    for model, field in (("CreateJobBody", "fee_percentage"), ("TakeRateBody", "admin_take_rate"),
                         ("SetRatesBody", "job_owner_rate")):
        assert schemas[model]["properties"][field] | {"title": ""} == {
            "type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01, "title": "",
            **({"description": schemas[model]["properties"][field]["description"]}
               if "description" in schemas[model]["properties"][field] else {})}, model
    assert schemas["ClaimSourcerBody"]["properties"]["protection_window_days"]["type"] == "integer"
    for model in ("ProfileBody", "RegisterBody"):
        assert schemas[model]["properties"]["name"]["anyOf"][0]["minLength"] == 1
    parameters = {p["name"]: p["schema"] for _, _, operation in _operations(document)
                  for p in operation.get("parameters", [])}
    assert parameters["after"]["type"] == parameters["X-Consistency-Token"]["type"] == "string"
    assert parameters["after"]["pattern"] == parameters["X-Consistency-Token"]["pattern"] == r"^[0-9]+\.[0-9]+$"
    assert parameters["If-Match"]["type"] == "string"
    assert parameters["If-Match"]["pattern"] == r'^(W/)?"?[0-9]{1,18}"?$'


def test_the_largest_values_the_document_allows_are_accepted() -> None:
    hold = PlaceHoldBody.model_validate({"placement_id": "0" * 32, "reason": "r", "amount_cents": MAX_CENTS})
    assert hold.amount_cents == MAX_CENTS
    recruiter = CreateRecruiterBody.model_validate({"years_experience": 80, "slug": "a" * 100, "bio": "é" * 5000})
    assert recruiter.years_experience == 80
    profile = BillingProfileBody.model_validate({"billing_email": "  Billing@Example.com "})
    assert profile.billing_email == "Billing@Example.com"  # trimmed; the command lowercases it
